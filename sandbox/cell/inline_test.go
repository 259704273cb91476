package cell

import (
	"context"
	"sync"
	"testing"
	"time"

	"littleboxes/sandbox"
)

func TestInlineState(t *testing.T) {
	tests := []struct {
		name        string
		steps       string // b: begin, e: end, w: a watcher tick, t: a take-over (shutdown)
		wantEnd     bool   // what the last end reported
		wantRescues int
	}{
		{"quick call", "be", true, 0},
		{"one tick during the call", "bwe", true, 0},
		{"ticks before and after", "wbewbe", true, 0},
		{"two ticks during the call", "bwwe", false, 1},
		{"a new call between ticks", "bwebwe", true, 0},
		{"blocked, then the rescued reader runs one", "bwwebe", true, 1},
		{"rescued, and the new reader's call blocks too", "bwwbwwe", false, 2},
		{"taken over during the call", "bte", false, 1},
		{"nothing to take over", "bet", true, 0},
		{"taken over, then a tick", "btwwe", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s inlineState
			var tokens []uint64
			gotEnd, rescues := false, 0
			for _, st := range tt.steps {
				switch st {
				case 'b':
					tokens = append(tokens, s.begin())
				case 'e':
					gotEnd = s.end(tokens[0])
					tokens = tokens[1:]
				case 'w':
					if s.stuck() {
						rescues++
					}
				case 't':
					if s.takeOver() {
						rescues++
					}
				}
			}
			if gotEnd != tt.wantEnd || rescues != tt.wantRescues {
				t.Fatalf("end %v, rescues %d; want %v, %d", gotEnd, rescues, tt.wantEnd, tt.wantRescues)
			}
		})
	}
}

func TestCallCosts(t *testing.T) {
	var cc callCosts
	k := callKey{agent: "a", binding: "kv", method: "get"}
	if cc.quick(k) {
		t.Fatal("a method never called is quick")
	}
	quickCalls := func(n int) {
		for i := 0; i < n; i++ {
			cc.record(k, quickCall/2)
		}
	}
	quickCalls(quickStreak - 1)
	if cc.quick(k) {
		t.Fatalf("%d quick calls made the method quick, want %d", quickStreak-1, quickStreak)
	}
	quickCalls(1)
	if !cc.quick(k) {
		t.Fatalf("%d quick calls in a row did not make the method quick", quickStreak)
	}
	if cc.quick(callKey{agent: "b", binding: "kv", method: "get"}) {
		t.Fatal("another agent's method is quick")
	}
	cc.record(k, quickCall)
	if cc.quick(k) {
		t.Fatal("a slow call left the method quick")
	}
	quickCalls(quickStreak - 1)
	if cc.quick(k) {
		t.Fatal("the streak did not start again after a slow call")
	}
	for i := 0; i < maxCallCosts+1; i++ {
		cc.record(callKey{method: string(rune('a' + i%26)), binding: string(rune(i))}, 0)
	}
	if n := len(cc.streak); n > maxCallCosts {
		t.Fatalf("%d costs kept, over %d", n, maxCallCosts)
	}
}

// TestInlineCallThatBlocks: a call of a method whose calls were quick runs
// on the reader; when such a call blocks, the cell's other frames must
// still be read, so another invocation in the same cell ends.
func TestInlineCallThatBlocks(t *testing.T) {
	p := newPool(t, Options{Cells: 1, WatchInterval: 5 * time.Millisecond})
	p.mu.Lock()
	c := p.shared[0]
	p.mu.Unlock()
	release := make(chan struct{})
	entered := make(chan struct{})
	var once, releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // also when the test fails
	env := map[string]sandbox.Binding{"b": sandbox.Methods{"m": func(_ context.Context, a []any) (any, error) {
		if c.inline.running.Load() != 0 { // this call runs on the reader
			blocked := false
			once.Do(func() { close(entered); blocked = true })
			if blocked {
				<-release
				return "released", nil
			}
		}
		return a[0], nil
	}}}
	blocking := compile(t, `export default { async run(n, env) {
	  for (let i = 0; i < n; i++) { if (await env.b.m(i) === "released") return "released" }
	  return "no call ran inline" } }`)
	type result struct {
		res *sandbox.Result
		err error
	}
	blocked := make(chan result, 1)
	go func() {
		res, err := p.Run(context.Background(), &sandbox.Invocation{Module: blocking, Input: 1000.0, Env: env,
			Context: map[string]any{"agent": "a"}})
		blocked <- result{res, err}
	}()
	select {
	case <-entered:
	case r := <-blocked:
		t.Fatalf("the invocation ended with %v, %v before a call blocked", r.res, r.err)
	}
	other := make(chan result, 1)
	go func() {
		res, err := p.Run(context.Background(), &sandbox.Invocation{Module: compile(t, `export default { async run(n) { return n + 1 } }`),
			Input: 1.0, Context: map[string]any{"agent": "b"}})
		other <- result{res, err}
	}()
	select {
	case r := <-other:
		if r.err != nil || r.res.Value != 2.0 {
			t.Fatalf("the other invocation: %v, %v", r.res, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the other invocation in the cell did not end while a call blocked the reader")
	}
	free()
	r := <-blocked
	if r.err != nil || r.res.Value != "released" {
		t.Fatalf("the blocked invocation: %v, %v", r.res, r.err)
	}
}

// TestCloseWhileInlineCallWaits: Close ends a pool whose reader runs a call
// inline that waits for its invocation to end, which only the cell's end of
// file, read by someone, brings. The watcher is too slow to help here.
func TestCloseWhileInlineCallWaits(t *testing.T) {
	p, err := NewPool(Options{Cells: 1, WatchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	c := p.shared[0]
	p.mu.Unlock()
	entered := make(chan struct{})
	var once sync.Once
	env := map[string]sandbox.Binding{"b": sandbox.Methods{"m": func(ctx context.Context, a []any) (any, error) {
		if c.inline.running.Load() != 0 {
			once.Do(func() { close(entered) })
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return a[0], nil
	}}}
	mod := compile(t, `export default { async run(n, env) { for (let i = 0; i < n; i++) await env.b.m(i); return "no call ran inline" } }`)
	ran := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: 1000.0, Env: env})
		ran <- err
	}()
	select {
	case <-entered:
	case err := <-ran:
		p.Close()
		t.Fatalf("the invocation ended (%v) before a call ran inline", err)
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return while an inline call waited for its invocation's end")
	}
	if err := <-ran; err == nil {
		t.Fatal("the invocation succeeded after Close")
	}
}
