package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"littleboxes/sandbox"
)

// watchRunner counts how many invocations of each agent run at once and
// the order their inputs arrive in.
type watchRunner struct {
	inner sandbox.Runner

	mu     sync.Mutex
	now    map[string]int
	peak   map[string]int
	inputs map[string][]any
}

func newWatchRunner() *watchRunner {
	return &watchRunner{inner: sandbox.NewInProcess(), now: map[string]int{}, peak: map[string]int{}, inputs: map[string][]any{}}
}

func (w *watchRunner) Run(ctx context.Context, inv *sandbox.Invocation) (*sandbox.Result, error) {
	agent, _ := inv.Context["agent"].(string)
	w.mu.Lock()
	w.now[agent]++
	w.peak[agent] = max(w.peak[agent], w.now[agent])
	if inv.Entry == sandbox.EntryOnMessage {
		w.inputs[agent] = append(w.inputs[agent], inv.Input)
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.now[agent]--
		w.mu.Unlock()
	}()
	return w.inner.Run(ctx, inv)
}

func (w *watchRunner) stats(agent string) (peak int, inputs []any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak[agent], append([]any(nil), w.inputs[agent]...)
}

// TestConcurrency checks that an agent handles one message at a time, in
// the order they were sent, unless its limits allow more, and that then it
// handles that many at once and still every message exactly once (no
// failures here, so no repeats).
func TestConcurrency(t *testing.T) {
	const n = 40
	for _, tc := range []struct {
		name        string
		concurrency int
		wantPeak    int
	}{
		{"default: one at a time, in order", 0, 1},
		{"concurrency 4", 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limits := ""
			if tc.concurrency > 0 {
				limits = fmt.Sprintf("\n    limits: {concurrency: %d}", tc.concurrency)
			}
			a := parse(t, `
name: conc
agents:
  a:
    code: |
      export default { async run(n, env) { for (let i = 0; i < n; i++) await env.next.send(i); return n } }
  b:
    triggers: [message]`+limits+`
    bindings: {seen: seen}
    code: |
      export default { async onMessage(m, env) {
        await new Promise((r) => setTimeout(r, 5));
        await env.seen.put("seen/" + m, "1");
      } }
capabilities:
  seen: {kind: kv, props: {namespace: conc}}
channels:
  - {from: a, env: next, to: b}
`)
			st := openBolt(t, t.TempDir())
			w := newWatchRunner()
			e := newEngine(t, a, st, func(o *Options) { o.Runner = w })
			defer e.Close(context.Background())
			if _, err := e.Run(context.Background(), "a", n); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "every message handled", func() bool {
				q, _ := Queued(st, "conc", "b")
				return q == 0 && countSeen(t, st, "conc") == n
			})
			peak, inputs := w.stats("b")
			if peak != tc.wantPeak {
				t.Errorf("at most %d invocations of b ran at once, want %d", peak, tc.wantPeak)
			}
			if len(inputs) != n {
				t.Errorf("b was invoked %d times, want %d (each message once)", len(inputs), n)
			}
			if tc.concurrency == 0 {
				for i, in := range inputs {
					if fmt.Sprint(in) != fmt.Sprint(i) {
						t.Fatalf("message %d handled was %v: out of order (%v)", i, in, inputs)
					}
				}
			}
		})
	}
}

// TestRetryDoesNotBlock checks that a message waiting to be retried does
// not hold up the messages behind it.
func TestRetryDoesNotBlock(t *testing.T) {
	a := parse(t, `
name: retry
agents:
  a:
    code: |
      export default { async run(input, env) { await env.next.send("bad"); await env.next.send("good"); } }
  b:
    triggers: [message]
    bindings: {seen: seen}
    code: |
      export default { async onMessage(m, env) {
        if (m === "bad") throw new Error("not today");
        await env.seen.put("seen/" + m, "1");
      } }
capabilities:
  seen: {kind: kv, props: {namespace: retry}}
channels:
  - {from: a, env: next, to: b}
`)
	e, st := startEngine(t, a, "", func(o *Options) { o.Backoff = time.Hour; o.MaxBackoff = time.Hour })
	if _, err := e.Run(context.Background(), "a", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the good message handled while the bad one waits an hour", func() bool {
		q, _ := Queued(st, "retry", "b")
		return countSeen(t, st, "retry") == 1 && q == 1 // the bad one, waiting for its retry
	})
	runs, err := e.Runs("b", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Errorf("b ran %d times, want 2 (the bad message once, the good one once)", len(runs))
	}
}
