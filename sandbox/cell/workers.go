package cell

import "time"

// workerIdle is how long a worker goroutine waits for more work before it
// ends.
const workerIdle = 20 * time.Millisecond

// workers runs functions on goroutines that outlive one function: a worker
// left idle by an earlier one if there is one, its stack already grown to
// what the work needs, else a new one. A fresh goroutine per invocation (in
// a cell) or per binding call (in the main process) started with a small
// stack and grew it by copying, every time; goja's deep calls made that a
// twentieth of a cell's CPU time. Each worker ends once it waited
// workerIdle for work, so an idle process keeps none.
type workers struct{ work chan func() }

func newWorkers() *workers { return &workers{work: make(chan func())} }

// run runs f on a worker; it never waits for one.
func (w *workers) run(f func()) {
	select {
	case w.work <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f()
		f = nil
		t.Reset(workerIdle)
		select {
		case f = <-w.work:
		case <-t.C:
			return
		}
	}
}
