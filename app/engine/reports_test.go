package engine

import (
	"context"
	"testing"
)

// TestReportsStored checks that a report to the owner is kept in the store,
// newest first, and survives the engine.
func TestReportsStored(t *testing.T) {
	a := parse(t, `
name: reports
capabilities:
  owner: {kind: report}
agents:
  a:
    bindings: {report: owner}
    code: |
      export default { async run(n, env) { await env.report.send({title: "number " + n, body: "hello"}); } }
`)
	dir := t.TempDir()
	st := openBolt(t, dir)
	e := newEngine(t, a, st, nil)
	for i := 1; i <= 3; i++ {
		if _, err := e.Run(context.Background(), "a", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openBolt(t, dir)
	defer st.Close()
	got, err := Reports(st, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d reports, want 2 (the limit)", len(got))
	}
	m, _ := got[0].Message.(map[string]any)
	if got[0].Agent != "a" || got[0].Capability != "owner" || m["title"] != "number 3" {
		t.Errorf("newest report = %+v, want agent a, capability owner, title number 3", got[0])
	}
}
