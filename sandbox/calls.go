package sandbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// CallGrace is how long the end of an invocation waits for its binding
// calls to return after their context was cancelled.
const CallGrace = 2 * time.Second

// Calls counts the binding calls of one invocation that are still running,
// so that the invocation's end can wait for them. Unlike waiting on a
// sync.WaitGroup with a timeout, Wait costs nothing when no call is left,
// which is the common case: every isolate ends with one.
type Calls struct {
	wg      sync.WaitGroup
	running atomic.Int64
}

// Add records a call that started.
func (c *Calls) Add() {
	c.running.Add(1)
	c.wg.Add(1)
}

// Done records that a call returned.
func (c *Calls) Done() {
	c.running.Add(-1)
	c.wg.Done()
}

// Wait waits until every call recorded has returned, or grace has passed
// (a binding that ignores its cancelled context is left to end by itself).
// It reports whether every call returned.
func (c *Calls) Wait(grace time.Duration) bool {
	if c.running.Load() == 0 {
		return true
	}
	waited := make(chan struct{})
	go func() { c.wg.Wait(); close(waited) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-waited:
		return true
	case <-t.C:
		return false
	}
}

// callIdle is how long a binding call's goroutine waits for another call
// before it ends.
const callIdle = 20 * time.Millisecond

// callWork hands a binding call to a goroutine waiting for one.
var callWork = make(chan func())

// goCall runs f on a goroutine of its own: one left idle by an earlier
// binding call if there is one, its stack already grown to what calls use
// (a fresh goroutine grows its stack by copying, call after call), else a
// new one. Each such goroutine ends once it waited callIdle for work.
func goCall(f func()) {
	select {
	case callWork <- f:
	default:
		go callWorker(f)
	}
}

// callWorker runs f, then whatever goCall hands it, until it is idle for
// callIdle.
func callWorker(f func()) {
	t := time.NewTimer(callIdle)
	defer t.Stop()
	for {
		f()
		f = nil
		t.Reset(callIdle)
		select {
		case f = <-callWork:
		case <-t.C:
			return
		}
	}
}
