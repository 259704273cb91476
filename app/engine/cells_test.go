package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// The agents these tests run in cells are this test binary: TestMain calls
// cell.MaybeServe first.

func newPool(t *testing.T, o cell.Options) *cell.Pool {
	t.Helper()
	p, err := cell.NewPool(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// killCellRunning waits for a cell of pool to run agent, kills it
// (SIGKILL) and returns its pid.
func killCellRunning(t *testing.T, pool *cell.Pool, agent string) int {
	t.Helper()
	var victim int
	waitFor(t, 20*time.Second, agent+" running in a cell", func() bool {
		for _, c := range pool.Cells() {
			if slices.Contains(c.Agents, agent) {
				victim = c.PID
				return true
			}
		}
		return false
	})
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the cell running %s: %v", agent, err)
	}
	return victim
}

func selfRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// TestHostileAgentsInCells runs, inside an army whose agents run in cells,
// each agent the issue names as one a single process cannot survive, next
// to a heartbeat agent run every 100 ms. Each hostile run must end with a
// clear error within its deadline plus the cells' grace, the heartbeat must
// keep ticking, and this process must stay small.
func TestHostileAgentsInCells(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hostile agents for several seconds")
	}
	const deadline, grace = time.Second, time.Second
	cases := []struct{ name, code string }{
		{"array fill", `new Array(3e7).fill(1).length`},
		{"string repeat", `'x'.repeat(2**29).length`},
		{"deep JSON.parse", `JSON.parse('['.repeat(1e6) + ']'.repeat(1e6))`},
		{"busy loop", `(() => { while (true) {} })()`},
		{"endless microtasks", `await new Promise(() => { const f = () => queueMicrotask(f); f(); })`},
		{"growing array", `(() => { const a = []; for (;;) a.push({n: a.length, s: "xxxxxxxxxxxxxxxx" + a.length}); })()`},
	}
	src := "name: hostile\nagents:\n  heartbeat:\n    code: |\n      export default { async run(n) { return n + 1 } }\n"
	for i, c := range cases {
		src += fmt.Sprintf("  h%d:\n    limits: {deadline: 1s}\n    code: |\n      export default { async run() { return %s } }\n", i, c.code)
	}
	a := parse(t, src)
	pool := newPool(t, cell.Options{Cells: 2, MemoryCap: 256 << 20, Grace: grace})
	st := openBolt(t, t.TempDir())
	e := newEngine(t, a, st, func(o *Options) { o.Runner = pool })
	defer e.Close(context.Background())

	// The heartbeat: one run every 100 ms, for as long as the hostile runs go.
	stop := make(chan struct{})
	var beats, beatErrs atomic.Int64
	var longest atomic.Int64
	var peakRSS atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := e.Run(context.Background(), "heartbeat", 1); err != nil {
				beatErrs.Add(1)
				t.Errorf("heartbeat: %v", err)
			}
			beats.Add(1)
			now := time.Now()
			if gap := now.Sub(last); gap > time.Duration(longest.Load()) {
				longest.Store(int64(gap))
			}
			last = now
			if r := selfRSS(); r > peakRSS.Load() {
				peakRSS.Store(r)
			}
		}
	}()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := e.Run(context.Background(), fmt.Sprintf("h%d", i), nil)
			took := time.Since(start)
			if err == nil {
				t.Fatalf("ran to the end in %v; want a limit error", took)
			}
			var le *sandbox.LimitError
			var se *sandbox.ScriptError
			switch {
			case errors.As(err, &le):
				t.Logf("%v after %v", err, took.Round(time.Millisecond))
			case errors.As(err, &se) && strings.Contains(err.Error(), "nests deeper than"):
				t.Logf("the nesting guard: %v after %v", err, took.Round(time.Millisecond))
			default:
				t.Fatalf("error %v (%T): want a limit error", err, err)
			}
			if took > deadline+grace+500*time.Millisecond {
				t.Errorf("took %v: want at most deadline %v + grace %v", took, deadline, grace)
			}
		})
	}
	close(stop)
	wg.Wait()
	if beats.Load() < 10 || beatErrs.Load() > 0 {
		t.Errorf("heartbeat: %d beats, %d failed", beats.Load(), beatErrs.Load())
	}
	if g := time.Duration(longest.Load()); g > time.Second {
		t.Errorf("the heartbeat stalled for %v", g)
	}
	if r := peakRSS.Load(); r > 300<<20 {
		t.Errorf("this process reached %d MiB RSS; want under 300", r>>20)
	}
	t.Logf("heartbeat: %d beats, longest gap %v; peak RSS here %d MiB", beats.Load(), time.Duration(longest.Load()).Round(time.Millisecond), peakRSS.Load()>>20)
}

// TestCellKilledMidMessage kills the cell handling a message: the engine
// runs the invocation again in a live cell, the message is handled once
// and removed, not lost, and the agent runs in a cell of its own after.
func TestCellKilledMidMessage(t *testing.T) {
	a := parse(t, `
name: killed
capabilities:
  seen: {kind: kv, props: {namespace: killed}}
agents:
  a:
    code: |
      export default { async run(input, env) { await env.next.send("hello") } }
  b:
    triggers: [message]
    bindings: {seen: seen}
    code: |
      export default { async onMessage(m, env, ctx) {
        await new Promise((r) => setTimeout(r, 500));
        await env.seen.put("seen/" + m, "1");
      } }
channels:
  - {from: a, env: next, to: b}
`)
	pool := newPool(t, cell.Options{Cells: 1, QuietPeriod: time.Hour})
	st := openBolt(t, t.TempDir())
	e := newEngine(t, a, st, func(o *Options) { o.Runner = pool })
	defer e.Close(context.Background())
	if _, err := e.Run(context.Background(), "a", nil); err != nil {
		t.Fatal(err)
	}
	victim := killCellRunning(t, pool, "b")
	waitFor(t, 20*time.Second, "the message handled and removed", func() bool {
		q, _ := Queued(st, "killed", "b")
		runs, _ := e.Runs("b", 10)
		return countKeys(t, st, "killed", "seen/hello") == 1 && q == 0 && len(runs) == 1
	})
	runs, err := e.Runs("b", 10)
	if err != nil || len(runs) != 1 || runs[0].Status != RunOK {
		t.Errorf("runs of b = %+v, %v: want one good run (the killed try was run again)", runs, err)
	}
	if !pool.Cordoned("b") {
		t.Error("b is not in a cell of its own after its cell died under it")
	}
	for _, c := range pool.Cells() {
		if c.PID == victim {
			t.Errorf("the killed cell %d is still listed", victim)
		}
	}
}
