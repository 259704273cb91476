package bench

import (
	"context"
	"testing"
	"time"
)

// TestArmy runs the whole-army figure on a small inbox and checks that every
// thread's triage agent ran once and the summarizer handled every note.
func TestArmy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const threads = 150
	for _, inProcess := range []bool{true, false} {
		r, err := Army(ctx, threads, t.TempDir(), inProcess, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		checkArmy(t, r, threads, inProcess)
	}
}

func checkArmy(t *testing.T, r *ArmyReport, threads int, inProcess bool) {
	t.Helper()
	if inProcess != (r.Cells == 0) {
		t.Errorf("in-process %v, but %d cells", inProcess, r.Cells)
	}
	if r.Threads != threads || r.WallS <= 0 || r.PeakRSSMiB < r.BaseRSSMiB || r.PeakRSSMiB <= 0 {
		t.Errorf("report %+v: want %d threads, a positive wall time, a peak at least the base", r, threads)
	}
	// Each thread: one triage run and one summarizer message. The engine
	// may run an agent again after a failure, never less.
	if r.Invocations < 2*threads {
		t.Errorf("%d invocations, want at least %d", r.Invocations, 2*threads)
	}
}
