package cell

import (
	"sync"
	"sync/atomic"
	"time"
)

// Binding calls that are known to be quick run on the reading goroutine
// itself. Handing reading over to a worker before each call, so that a slow
// call cannot hold up the cell's other frames, made the main process wake a
// second thread for every call (a goroutine made ready while a processor is
// idle starts a thread to run it), which then looked for work, found none
// and slept again: a quarter of the main process's CPU time per call. A
// call runs inline only when the last calls of the same agent, binding and
// method returned within quickCall, quickStreak times in a row; its first
// calls, and the calls after a slow one, are handed off as before and
// timed there. A call that was expected to be quick and is not only delays
// this cell's next frames; one that blocks is rescued by the pool's
// watcher, which hands reading over to a worker when it sees the same
// inline call running at two of its ticks in a row, and by shutdown. The
// streak bounds how often an agent whose calls take as long as it likes
// (its arguments decide) can hold up the other isolates of its cell.

// quickCall is how long a binding call may have taken to be run inline the
// next time.
const quickCall = 100 * time.Microsecond

// quickStreak is how many quick calls in a row make a method quick.
const quickStreak = 4

// maxCallCosts bounds the call costs a pool remembers; past it they are
// forgotten and learned again.
const maxCallCosts = 4096

// callKey names a binding method as one agent calls it.
type callKey struct{ agent, binding, method string }

// callCosts remembers, for each binding method, how many of its last calls
// in a row returned within quickCall (up to quickStreak).
type callCosts struct {
	mu     sync.Mutex
	streak map[callKey]int
}

// quick reports whether the last quickStreak calls of k were quick.
func (cc *callCosts) quick(k callKey) bool {
	cc.mu.Lock()
	n := cc.streak[k]
	cc.mu.Unlock()
	return n >= quickStreak
}

// record notes how long a call of k took.
func (cc *callCosts) record(k callKey, d time.Duration) {
	cc.mu.Lock()
	if cc.streak == nil || len(cc.streak) >= maxCallCosts {
		cc.streak = make(map[callKey]int)
	}
	if d < quickCall {
		cc.streak[k] = min(cc.streak[k]+1, quickStreak)
	} else {
		cc.streak[k] = 0
	}
	cc.mu.Unlock()
}

// inlineState is what a proc's reader and the pool's watcher share about a
// call running inline on the reader.
type inlineState struct {
	// running is the token of the call the reader runs inline, or 0. The
	// reader sets it before the call and swaps it back to 0 after; the
	// watcher takes reading over by swapping it to 0 first, and the reader
	// then leaves reading to the worker the watcher started.
	running atomic.Uint64
	next    atomic.Uint64 // the last token given out
	seen    uint64        // the token the watcher saw at its last tick (watcher only)
}

// begin records that the reader starts an inline call, and returns its token.
func (s *inlineState) begin() uint64 {
	t := s.next.Add(1)
	s.running.Store(t)
	return t
}

// end reports whether the reader still owns reading after the inline call t.
func (s *inlineState) end(t uint64) bool {
	return s.running.CompareAndSwap(t, 0)
}

// stuck is called by the watcher at each tick; it reports whether it took
// reading over from an inline call that was running at the previous tick
// too. The caller then starts a reader.
func (s *inlineState) stuck() bool {
	t := s.running.Load()
	prev := s.seen
	s.seen = t
	return t != 0 && t == prev && s.running.CompareAndSwap(t, 0)
}

// takeOver reports whether it took reading over from an inline call
// running now. The caller then starts a reader.
func (s *inlineState) takeOver() bool {
	t := s.running.Load()
	return t != 0 && s.running.CompareAndSwap(t, 0)
}

// readOn starts a reader on a worker, for one that an inline call holds up
// (after stuck or takeOver).
func (c *proc) readOn() {
	c.pool.workers.run(func() { c.reader(c.rd, nil, c.readErr) })
}
