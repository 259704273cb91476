package engine

import (
	"context"
	"testing"
	"time"
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
	got, err := Reports(st, "reports", 2)
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

// TestAllRuns checks that Runs with no agent name lists every agent's runs,
// newest first, within the limit.
func TestAllRuns(t *testing.T) {
	a := parse(t, `
name: runs
agents:
  a:
    code: |
      export default { async run(n) { return "a" + n } }
  b:
    code: |
      export default { async run(n) { return "b" + n } }
`)
	e, _ := startEngine(t, a, "", nil)
	if runs, err := e.Runs("", 10); err != nil || len(runs) != 0 {
		t.Fatalf("before any run: %v, %v; want none", runs, err)
	}
	for i, name := range []string{"a", "b", "a"} {
		if _, err := e.Run(context.Background(), name, i); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct end times
	}
	waitFor(t, 5*time.Second, "three run records", func() bool {
		runs, _ := e.Runs("", 10)
		return len(runs) == 3
	})
	runs, err := e.Runs("", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || string(runs[0].Result) != `"a2"` || string(runs[1].Result) != `"b1"` {
		t.Errorf("newest two runs = %+v, want a2 then b1", runs)
	}
}
