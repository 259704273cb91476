package engine

import (
	"context"
	"testing"
	"time"

	"littleboxes/sandbox/cell"
)

// TestCordonEvent kills the cell an agent runs in: the engine publishes one
// EventCordoned for it (the runner moved it into a cell of its own), not
// another when its own cell is killed again while it is still cordoned,
// and none for an agent that merely failed.
func TestCordonEvent(t *testing.T) {
	a := parse(t, `
name: cordons
agents:
  slow:
    code: |
      export default { async run() { await new Promise((r) => setTimeout(r, 1500)); return 1 } }
  failing:
    code: |
      export default { async run() { throw new Error("no luck") } }
`)
	pool := newPool(t, cell.Options{Cells: 1, QuietPeriod: time.Hour})
	st := openBolt(t, t.TempDir())
	e := newEngine(t, a, st, func(o *Options) { o.Runner = pool })
	defer e.Close(context.Background())
	evs, stop := e.Subscribe()
	defer stop()

	// runKilled runs slow, kills the cell it runs in, and returns the
	// cordon events published until its run ended.
	runKilled := func() []Event {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			_, err := e.Run(context.Background(), "slow", nil)
			done <- err
		}()
		killCellRunning(t, pool, "slow")
		if err := <-done; err != nil {
			t.Logf("slow, run again after the kill: %v", err)
		}
		return cordonsUntilRunEnd(t, evs, "slow")
	}

	first := runKilled()
	if len(first) != 1 || first[0].Agent != "slow" || first[0].Error == "" {
		t.Fatalf("cordon events after the first kill: %+v; want one for slow, with the error", first)
	}
	if !pool.Cordoned("slow") {
		t.Fatal("the pool did not cordon slow")
	}
	if again := runKilled(); len(again) != 0 {
		t.Errorf("cordon events after a kill while cordoned: %+v; want none", again)
	}
	if _, err := e.Run(context.Background(), "failing", nil); err == nil {
		t.Fatal("failing did not fail")
	}
	if got := cordonsUntilRunEnd(t, evs, "failing"); len(got) != 0 {
		t.Errorf("cordon events for an agent that threw: %+v", got)
	}
}

// cordonsUntilRunEnd reads evs until agent's run ends and returns the
// EventCordoned events seen on the way.
func cordonsUntilRunEnd(t *testing.T, evs <-chan Event, agent string) []Event {
	t.Helper()
	var got []Event
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-evs:
			switch {
			case ev.Type == EventCordoned:
				got = append(got, ev)
			case ev.Type == EventRunEnd && ev.Agent == agent:
				return got
			}
		case <-timeout:
			t.Fatalf("no end of %s's run within 30 s", agent)
			return nil
		}
	}
}
