package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"littleboxes/capabilities/llm/llmtest"
)

// TestDescribe: a model writes an agent's module from a description; the
// dry run reads for real, simulates the send, lists it, and diffs the code.
func TestDescribe(t *testing.T) {
	srv := llmtest.StartT(t,
		llmtest.Step{Content: "return 1"},
		llmtest.Step{Content: "```ts\nexport default {\n  async run(input: string, env: Env) {\n    const s = await env.src.read();\n    await env.out.send(input + ':' + s);\n    return s;\n  },\n}\n```"},
	)
	e := instructedEngine(t, srv, `
  mover:
    triggers: [manual]
    bindings: {src: src, out: out}
    code: |
      export default { async run() { return "old" } }
`, nil)
	before := sent.Load()
	a, err := e.Describe(context.Background(), "mover", "read src and send it out with the input", "", "sample", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Load() != before {
		t.Fatal("the dry run performed a send")
	}
	if a.Model != "model" || a.Value != "private" || len(a.Attempts) != 2 {
		t.Fatalf("authored %+v", a)
	}
	if len(a.Calls) != 1 || a.Calls[0].String() != `env.out.send("sample:private")` {
		t.Fatalf("simulated calls %v", a.Calls)
	}
	if !strings.Contains(a.Diff, "-export default { async run() { return \"old\" } }") || !strings.Contains(a.Diff, "+    const s = await env.src.read();") {
		t.Fatalf("diff:\n%s", a.Diff)
	}
	first := srv.Requests()[0].Text()
	if !strings.Contains(first, "read src and send it out") || !strings.Contains(first, "interface Env") || !strings.Contains(first, "\"sample\"") {
		t.Fatalf("the prompt lacks the description, the declaration or the sample:\n%s", first)
	}
	if !strings.Contains(srv.Requests()[1].Text(), "It is not a module") {
		t.Fatalf("the retry did not say why: %s", srv.Requests()[1].Text())
	}
}

func TestDescribeNoModel(t *testing.T) {
	e, _ := startEngine(t, parse(t, `
name: nomodel
agents:
  a:
    triggers: [manual]
    code: export default { async run() {} }
`), "", nil)
	_, err := e.Describe(context.Background(), "a", "anything", "", nil, 0)
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "add one") {
		t.Fatalf("err %v", err)
	}
}
