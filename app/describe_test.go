package app

import (
	"strings"
	"testing"

	"littleboxes/capabilities/llm/llmtest"
)

// TestDescribeFailedAttempts: when no attempt of the model passes, Describe
// hands the page every attempt with its error and the reason in Error,
// not the error alone (which dropped them); nothing is saved.
func TestDescribeFailedAttempts(t *testing.T) {
	srv := llmtest.StartT(t,
		llmtest.Step{Content: "```ts\nconst x = ;\n```"},
		llmtest.Step{Content: "```ts\nconst y = ;\n```"},
	)
	a := openTest(t, "")
	_, err := a.ImportYAML(`name: describe-fails
capabilities:
  model:
    kind: llm
    props: {base_url: "` + srv.BaseURL + `", model: scripted, timeout: 5s}
  notes: {kind: kv, props: {namespace: describe-fails}}
agents:
  writer:
    triggers: [manual]
    bindings: {notes: notes}
    attempts: 2
    code: |
      export default { async run() { return "old" } }
`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Describe("writer", "store the input", "", "")
	if err != nil {
		t.Fatalf("Describe failed with the attempts dropped: %v", err)
	}
	if len(out.Attempts) != 2 || out.Attempts[0].Error == "" || out.Attempts[1].Error == "" {
		t.Fatalf("attempts %+v, want two, each with its error", out.Attempts)
	}
	if !strings.Contains(out.Error, "(after 2 attempts)") {
		t.Fatalf("error %q, want the reason and the count", out.Error)
	}
	ws, err := a.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	if c := agentView(ws, "writer").Code; !strings.Contains(c, `return "old"`) {
		t.Fatalf("the code changed: %s", c)
	}
}
