package cell

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestManyCellsStartUnderLoad starts cells all at once while this process
// keeps every CPU busy, the conditions in which cells once died before their
// hello (a thread created between two seccomp filters; see
// TestThreadsUnderEveryFilterPrefix). Every cell must say hello. Run it with
// -count to see a rate.
func TestManyCellsStartUnderLoad(t *testing.T) {
	var stop atomic.Bool
	var spin sync.WaitGroup
	for range 2 * runtime.NumCPU() {
		spin.Add(1)
		go func() {
			defer spin.Done()
			for x := uint64(1); !stop.Load(); x = x*6364136223846793005 + 1 {
			}
		}()
	}
	p, err := NewPool(Options{Cells: 8})
	stop.Store(true)
	spin.Wait()
	if err != nil {
		t.Fatalf("a cell did not start under load: %v", err)
	}
	defer p.Close()
	if n := len(p.Cells()); n != 8 {
		t.Fatalf("%d cells started, want 8", n)
	}
	for _, c := range p.Cells() {
		if !c.Hardening.Seccomp {
			t.Errorf("cell %d not hardened: %+v", c.PID, c.Hardening)
		}
	}
}
