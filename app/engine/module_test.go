package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"littleboxes/app/codemode"
	"littleboxes/capabilities/llm/llmtest"
	"littleboxes/sandbox"
)

// TestRunModule: code given from outside (littleboxes mcp) runs as an
// instructions agent with its bindings but not its code-writing model, asks
// the model nothing, and is recorded as a run of the agent with its trigger;
// Declaration is the env it ran against.
func TestRunModule(t *testing.T) {
	srv := llmtest.StartT(t) // any call to the model would fail the run
	e := newEngine(t, parse(t, instructedArmy(srv, `
  poster:
    triggers: [manual]
    bindings: {out: out}
    instructions: Send the input to out.
    model: model
`)), openBolt(t, t.TempDir()), nil)
	defer e.Close(context.Background())
	decl, err := e.Declaration("poster")
	if err != nil || !strings.Contains(decl, "readonly out:") || strings.Contains(decl, "readonly model") {
		t.Fatalf("Declaration = %q, %v", decl, err)
	}
	src, err := codemode.Normalize(`async (input, env) => ({ keys: Object.keys(env), sent: (await env.out.send(input)).sent })`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sandbox.Compile("given.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.RunModule(context.Background(), "poster", m, "x", "mcp")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := res.Value.(map[string]any)
	if keys, _ := v["keys"].([]any); len(keys) != 1 || keys[0] != "out" || v["sent"] != "x" {
		t.Errorf("value = %v, want env {out} and the send's echo", res.Value)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d model calls, want none", n)
	}
	var runs []RunRecord
	waitFor(t, 5*time.Second, "the run record", func() bool {
		runs, _ = e.Runs("poster", 10)
		return len(runs) == 1
	})
	if r := runs[0]; r.Trigger != "mcp" || r.Status != RunOK || len(r.Attempts) != 0 {
		t.Errorf("run = %+v", r)
	}
	if _, err := e.RunModule(context.Background(), "nobody", m, nil, "mcp"); err == nil || !strings.Contains(err.Error(), "poster") {
		t.Errorf("an unknown agent: %v", err)
	}
}
