package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities/llm/llmtest"
)

// TestWriteAndRuns drives write, run --once and runs as a person would: a
// model (a scripted server on loopback) writes an agent's code, the dry run
// lists the report it would send, --save keeps it, and the saved code runs;
// an instructions agent's attempts are listed by runs.
func TestWriteAndRuns(t *testing.T) {
	srv, err := llmtest.Start(
		llmtest.Step{Content: "```ts\nexport default {\n  async run(input: string, env: Env) {\n    await env.out.send('hello ' + input);\n    return 'greeted ' + input;\n  },\n}\n```"},
	)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir, data := t.TempDir(), t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(armyFile, []byte(`name: writing
capabilities:
  model:
    kind: llm
    props: {base_url: "`+srv.BaseURL+`", model: scripted}
  out: {kind: report}
agents:
  greeter:
    triggers: [manual]
    bindings: {out: out}
    code: |
      export default { async run() { return "old" } }
  planner:
    triggers: [manual]
    bindings: {out: out}
    instructions: Report the input.
    model: model
`), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runMain(t, "", "write", armyFile, "greeter", "greet the input", "--input", `"bob"`, "--data", data, "--in-process")
	if code != 0 {
		t.Fatalf("write: %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{`would call env.out.send("hello bob")`, `dry run result: "greeted bob"`, "-export default { async run() { return \"old\" } }", "+    await env.out.send('hello ' + input);", "not saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("write's output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "attempt 1 (model") {
		t.Errorf("write's stderr lacks the attempts:\n%s", errs)
	}
	if b, _ := os.ReadFile(armyFile); strings.Contains(string(b), "hello") {
		t.Fatal("write without --save changed the army file")
	}

	srv.Push(llmtest.Step{Content: "```ts\nexport default { async run(input: string, env: Env) { await env.out.send('hi ' + input); return 'hi ' + input } }\n```"})
	if code, out, errs := runMain(t, "", "write", armyFile, "greeter", "greet", "--input", `"eve"`, "--save", "--data", data, "--in-process"); code != 0 || !strings.Contains(out, "saved to "+armyFile) {
		t.Fatalf("write --save: %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runMain(t, "", "run", armyFile, "--once", "greeter", "--input", `"ann"`, "--data", data, "--in-process"); code != 0 || strings.TrimSpace(out) != `"hi ann"` {
		t.Fatalf("the saved code: %d\n%s\n%s", code, out, errs)
	}

	srv.Push(llmtest.Step{Content: "```js\nconst r = await env.out.send('planned ' + input);\nreturn 'done'\n```"})
	if code, out, errs := runMain(t, "", "run", armyFile, "--once", "planner", "--input", `"x"`, "--data", data, "--in-process"); code != 0 || strings.TrimSpace(out) != `"done"` {
		t.Fatalf("the instructions agent: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runMain(t, "", "runs", armyFile, "planner", "--data", data)
	if code != 0 || !strings.Contains(out, "attempt 1: ok") || !strings.Contains(out, "| const r = await env.out.send('planned ' + input);") {
		t.Fatalf("runs: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runMain(t, "", "runs", armyFile, "planner", "--json", "--data", data)
	var recs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 || recs[0]["attempts"] == nil {
		t.Fatalf("runs --json: %d\n%s", code, out)
	}
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(armyFile, []byte("name: w\nagents:\n  a:\n    triggers: [manual]\n    code: export default { async run() {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no description", []string{"write", armyFile, "a"}, ExitUsage, "usage"},
		{"no such agent", []string{"write", armyFile, "b", "x"}, ExitUsage, `no agent "b"`},
		{"no model", []string{"write", armyFile, "a", "x", "--in-process"}, ExitUsage, "no llm capability"},
		{"bad input", []string{"write", armyFile, "a", "x", "--input", "{"}, ExitUsage, "not valid JSON"},
		{"runs of no such agent", []string{"runs", armyFile, "b"}, ExitUsage, `no agent "b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runMain(t, "", append(tc.args, "--data", t.TempDir())...)
			if code != tc.code || !strings.Contains(out+errs, tc.says) {
				t.Fatalf("%d\n%s\n%s", code, out, errs)
			}
		})
	}
}
