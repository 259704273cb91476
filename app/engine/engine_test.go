package engine

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities"
	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

func TestMain(m *testing.M) {
	cell.MaybeServe() // cells_test.go runs agents in cells: this binary
	goleak.VerifyTestMain(m)
}

// Test kinds: a private source and a public sink that counts what it sends.
var sent atomic.Int64

type testSource struct{ n int }

func (*testSource) read(context.Context, []any) (any, error) {
	return "private", nil
}
func (testSource) Flow() capabilities.Flow {
	return capabilities.Flow{Label: capabilities.NewLabel(capabilities.Owner), Audience: capabilities.NewLabel(capabilities.Owner)}
}

type testSink struct{ n int }

func (*testSink) send(_ context.Context, args []any) (any, error) {
	sent.Add(1)
	return map[string]any{"sent": args[0]}, nil
}
func (testSink) Flow() capabilities.Flow {
	return capabilities.Flow{Label: capabilities.NewLabel(capabilities.Public), Audience: capabilities.NewLabel(capabilities.Public)}
}

func init() {
	capabilities.Register(capabilities.Kind{ID: "enginetest.src", Doc: "test source", New: func() capabilities.Instance { return &testSource{} },
		Table: capabilities.MustTable(capabilities.Spec{Interface: "Src", Doc: "A test source.", Methods: []capabilities.Method{{
			Name: "read", Role: capabilities.Source, Doc: "reads", TS: "read(): Promise<string>", Fn: capabilities.Of((*testSource).read)}}})})
	capabilities.Register(capabilities.Kind{ID: "enginetest.out", Doc: "test sink", New: func() capabilities.Instance { return &testSink{} },
		Table: capabilities.MustTable(capabilities.Spec{Interface: "Out", Doc: "A test sink.", Methods: []capabilities.Method{{
			Name: "send", Role: capabilities.Sink, Doc: "sends", TS: "send(x: unknown): Promise<unknown>",
			Params: []capabilities.Param{{Name: "x", Type: capabilities.TypeAny}}, Fn: capabilities.Of((*testSink).send)}}})})
}

func parse(t testing.TB, src string) *army.Army {
	t.Helper()
	a, err := army.Parse([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// load loads the army file at path.
func load(t testing.TB, path string) *army.Army {
	t.Helper()
	a, err := army.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newEngine(t testing.TB, a *army.Army, st store.Store, mod func(*Options)) *Engine {
	t.Helper()
	o := Options{Army: a, Store: st, Logf: t.Logf, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	e, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// openBolt opens the store in dir; it closes at the test's end (closing it
// sooner, to open the file again, is fine).
func openBolt(t testing.TB, dir string) *store.Bolt {
	t.Helper()
	return storetest.OpenFile(t, filepath.Join(dir, store.FileName))
}

// startEngine runs a on a store in dir (a temporary directory when dir is
// ""), with the options mod sets (nil: none). The engine, then the store,
// close at the test's end.
func startEngine(t testing.TB, a *army.Army, dir string, mod func(*Options)) (*Engine, *store.Bolt) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st := openBolt(t, dir)
	e := newEngine(t, a, st, mod)
	t.Cleanup(func() { e.Close(context.Background()) })
	return e, st
}

// leakyArmy's agent leaker reads a private source and sends its input to a
// public sink: each send is held for approval.
var leakyArmy = leakerArmy("leaky", "enginetest.src")

// leakerArmy is an army named name whose agent leaker reads src, of kind
// srcKind, then sends its input to out, a public sink (enginetest.out).
func leakerArmy(name, srcKind string) string {
	return `
name: ` + name + `
capabilities:
  src: {kind: ` + srcKind + `}
  out: {kind: enginetest.out}
agents:
  leaker:
    triggers: [manual]
    bindings: {src: src, out: out}
    code: |
      export default {
        async run(input, env) { await env.src.read(); return await env.out.send(input) },
        async onApproval(r, env) { return r },
      }
`
}

func holdOne(t *testing.T, e *Engine) string {
	t.Helper()
	res, err := e.Run(context.Background(), "leaker", "hello")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := res.Value.(map[string]any)
	if !ok || m["status"] != "pending_approval" {
		t.Fatalf("run returned %#v, want pending_approval", res.Value)
	}
	return m["id"].(string)
}

func TestApprovals(t *testing.T) {
	ctx := context.Background()
	t.Run("approve performs once", func(t *testing.T) {
		sent.Store(0)
		e, _ := startEngine(t, parse(t, leakyArmy), "", nil)
		id := holdOne(t, e)
		if sent.Load() != 0 {
			t.Fatal("the sink ran before approval")
		}
		ef, err := e.Approve(ctx, id)
		if err != nil || ef.Status != StatusApproved {
			t.Fatalf("approve: %+v, %v", ef, err)
		}
		if _, err := e.Approve(ctx, id); !errors.Is(err, ErrDecided) {
			t.Fatalf("second approve: %v, want ErrDecided", err)
		}
		if n := sent.Load(); n != 1 {
			t.Fatalf("sink ran %d times, want 1", n)
		}
		runs, _ := e.Runs("leaker", 1)
		if len(runs) != 1 || runs[0].Trigger != "approval" || !strings.Contains(string(runs[0].Result), `"approved"`) {
			t.Fatalf("onApproval run: %+v", runs)
		}
	})
	t.Run("deny never performs", func(t *testing.T) {
		sent.Store(0)
		e, _ := startEngine(t, parse(t, leakyArmy), "", nil)
		id := holdOne(t, e)
		if ef, err := e.Deny(ctx, id); err != nil || ef.Status != StatusDenied {
			t.Fatalf("deny: %+v, %v", ef, err)
		}
		if _, err := e.Approve(ctx, id); !errors.Is(err, ErrDecided) {
			t.Fatalf("approve after deny: %v, want ErrDecided", err)
		}
		if n := sent.Load(); n != 0 {
			t.Fatalf("sink ran %d times, want 0", n)
		}
	})
	t.Run("restart keeps it pending", func(t *testing.T) {
		sent.Store(0)
		dir := t.TempDir()
		st := openBolt(t, dir)
		e := newEngine(t, parse(t, leakyArmy), st, nil)
		id := holdOne(t, e)
		e.Close(ctx)
		st.Close()
		st = openBolt(t, dir)
		e = newEngine(t, parse(t, leakyArmy), st, nil)
		defer e.Close(ctx)
		pend, err := Approvals(st, "leaky", true)
		if err != nil || len(pend) != 1 || pend[0].ID != id {
			t.Fatalf("pending after restart: %+v, %v", pend, err)
		}
		if _, err := e.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
		if n := sent.Load(); n != 1 {
			t.Fatalf("sink ran %d times, want 1", n)
		}
	})
	t.Run("approve concurrently performs once", func(t *testing.T) {
		sent.Store(0)
		e, _ := startEngine(t, parse(t, leakyArmy), "", nil)
		id := holdOne(t, e)
		errs := make(chan error, 8)
		for range 8 {
			go func() { _, err := e.Approve(ctx, id); errs <- err }()
		}
		ok := 0
		for range 8 {
			if err := <-errs; err == nil {
				ok++
			} else if !errors.Is(err, ErrDecided) {
				t.Error(err)
			}
		}
		if ok != 1 || sent.Load() != 1 {
			t.Fatalf("%d approvals succeeded, sink ran %d times; want 1 and 1", ok, sent.Load())
		}
	})
}

func chainArmy(ns string) string {
	return `
name: chain
capabilities:
  count: {kind: kv, props: {namespace: ` + ns + `}}
agents:
  a:
    triggers: [manual]
    code: |
      export default { async run(n, env) { for (let i = 0; i < n; i++) await env.next.send({i}); return n } }
  b:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { await env.next.send(m) } }
    limits: {concurrency: 2}
  c:
    triggers: [message]
    bindings: {count: count}
    code: |
      export default { async onMessage(m, env) { await env.count.put("seen/" + String(m.i).padStart(8, "0"), "1") } }
channels:
  - {from: a, env: next, to: b}
  - {from: b, env: next, to: c}
`
}

func countSeen(t testing.TB, st store.Store, ns string) int {
	t.Helper()
	return countKeys(t, st, ns, "seen/")
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestChain(t *testing.T) {
	const n = 300
	e, st := startEngine(t, parse(t, chainArmy("chain")), "", nil)
	if _, err := e.Run(context.Background(), "a", n); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the chain", func() bool { return countSeen(t, st, "chain") == n })
	waitFor(t, 5*time.Second, "empty queues", func() bool {
		qb, _ := Queued(st, "chain", "b")
		qc, _ := Queued(st, "chain", "c")
		return qb == 0 && qc == 0
	})
}

func TestDeadLetter(t *testing.T) {
	a := parse(t, `
name: fail
agents:
  a:
    code: |
      export default { async run(x, env) { await env.out.send(x) } }
  b:
    triggers: [message]
    code: |
      export default { async onMessage(m, env, ctx) { throw new Error("no good, attempt " + ctx.attempt) } }
channels:
  - {from: a, env: out, to: b}
`)
	e, st := startEngine(t, a, "", func(o *Options) { o.MaxAttempts = 3 })
	events, stop := e.Subscribe()
	defer stop()
	if _, err := e.Run(context.Background(), "a", "m1"); err != nil {
		t.Fatal(err)
	}
	var dl []DeadLetter
	waitFor(t, 5*time.Second, "a dead letter", func() bool { dl, _ = DeadLetters(st, "fail"); return len(dl) == 1 })
	if dl[0].Attempts != 3 || !strings.Contains(dl[0].Error, "attempt 3") || string(dl[0].Msg) != `"m1"` {
		t.Fatalf("dead letter %+v", dl[0])
	}
	if q, _ := Queued(st, "fail", "b"); q != 0 {
		t.Fatalf("%d messages still queued", q)
	}
	runs, _ := e.Runs("b", 10)
	if len(runs) != 3 {
		t.Fatalf("%d runs of b, want 3", len(runs))
	}
	seen := map[string]bool{}
	for len(seen) < 4 {
		select {
		case ev := <-events:
			seen[ev.Type] = true
		case <-time.After(time.Second):
			t.Fatalf("events seen: %v", seen)
		}
	}
}

// BenchmarkChain sends b.N messages through a → b → c, each handled in a
// fresh isolate in this process, and reports messages through the chain
// per second (each one is two durable deliveries).
func BenchmarkChain(b *testing.B) { benchChain(b, nil) }

// BenchmarkChainCells is BenchmarkChain with the agents in cells, as
// `littleboxes run` runs them.
func BenchmarkChainCells(b *testing.B) {
	pool, err := cell.NewPool(cell.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	benchChain(b, pool)
}

func benchChain(b *testing.B, runner sandbox.Runner) {
	TuneGC() // as armyrun.Start does for run, serve and the window
	st := openBolt(b, b.TempDir())
	a := parse(b, `
name: bench
agents:
  a:
    code: |
      export default { async run(n, env) { for (let i = 0; i < n; i++) await env.next.send(i); return n } }
  b:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { await env.next.send(m) } }
    limits: {concurrency: 2}
  c:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { } }
    limits: {concurrency: 2}
channels:
  - {from: a, env: next, to: b}
  - {from: b, env: next, to: c}
`)
	e := newEngine(b, a, st, func(o *Options) { o.Logf = nil; o.Runner = runner })
	defer e.Close(context.Background())
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		k := min(b.N-sent, 1000)
		if _, err := e.Run(context.Background(), "a", k); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	for {
		qb, _ := Queued(st, "bench", "b")
		qc, _ := Queued(st, "bench", "c")
		if qb+qc == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
