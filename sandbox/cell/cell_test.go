package cell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/sandbox"
)

// TestMain lets the test binary act as a cell: a pool started by a test
// re-executes this binary with Subcommand, and MaybeServe takes over.
func TestMain(m *testing.M) {
	MaybeServe()
	goleak.VerifyTestMain(m)
}

// newPool starts a pool for one test and closes it when the test ends.
func newPool(t *testing.T, opt Options) *Pool {
	t.Helper()
	var mu sync.Mutex
	done := false
	opt.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf(format, args...)
		}
	}
	p, err := NewPool(opt)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() {
		p.Close()
		mu.Lock()
		done = true
		mu.Unlock()
	})
	return p
}

func compile(t testing.TB, src string) *sandbox.Module {
	t.Helper()
	m, err := sandbox.Compile("agent.ts", src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return m
}

func TestRunResultsAndErrors(t *testing.T) {
	p := newPool(t, Options{Cells: 1})
	ctx := context.Background()
	echo := sandbox.Methods{"echo": func(_ context.Context, args []any) (any, error) { return args, nil }}
	tests := []struct {
		name  string
		src   string
		input any
		env   map[string]sandbox.Binding
		check func(t *testing.T, res *sandbox.Result, err error)
	}{
		{
			name:  "value and console",
			src:   `export default { async run(input, env, ctx) { console.log("hi", ctx.agent); console.warn("w"); return { input, n: 1.5, ok: true, nil: null, list: [1, "a"] } } }`,
			input: "in",
			check: func(t *testing.T, res *sandbox.Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				m := res.Value.(map[string]any)
				if m["input"] != "in" || m["n"] != 1.5 || m["ok"] != true || m["nil"] != nil || len(m["list"].([]any)) != 2 {
					t.Fatalf("value %#v", res.Value)
				}
				if len(res.Console) != 2 || res.Console[0].Text != "hi a1" || res.Console[1].Level != "warn" {
					t.Fatalf("console %#v", res.Console)
				}
			},
		},
		{
			name:  "bytes survive both ways",
			src:   `export default { async run(input, env) { const [b] = await env.e.echo(input, new Uint8Array([0, 255, 7])); return { b, same: b instanceof Uint8Array } } }`,
			input: []byte{0, 1, 2, 250},
			env:   map[string]sandbox.Binding{"e": echo},
			check: func(t *testing.T, res *sandbox.Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				m := res.Value.(map[string]any)
				if !bytes.Equal(m["b"].([]byte), []byte{0, 1, 2, 250}) || m["same"] != true {
					t.Fatalf("value %#v", res.Value)
				}
			},
		},
		{
			name: "script error",
			src:  `export default { async run() { throw new TypeError("boom") } }`,
			check: func(t *testing.T, res *sandbox.Result, err error) {
				var se *sandbox.ScriptError
				if !errors.As(err, &se) || se.Name != "TypeError" || se.Message != "boom" || !strings.Contains(se.Stack, "agent.ts") {
					t.Fatalf("err %#v", err)
				}
			},
		},
		{
			name: "limit error",
			src:  `export default { async run() { function f() { f() } f() } }`,
			check: func(t *testing.T, res *sandbox.Result, err error) {
				var le *sandbox.LimitError
				if !errors.As(err, &le) || le.Limit != "call stack depth" || !errors.Is(err, sandbox.ErrLimit) {
					t.Fatalf("err %#v", err)
				}
			},
		},
		{
			name: "no entry",
			src:  `export default { async other() {} }`,
			check: func(t *testing.T, res *sandbox.Result, err error) {
				if !errors.Is(err, sandbox.ErrNoEntry) || !strings.Contains(err.Error(), "has no run method") {
					t.Fatalf("err %v", err)
				}
			},
		},
		{
			name: "binding limit",
			src:  `export default { async run(i, env) { try { await env.e.big() } catch (e) { return "caught" } } }`,
			env: map[string]sandbox.Binding{"e": sandbox.Methods{"big": func(context.Context, []any) (any, error) {
				return nil, &sandbox.LimitError{Limit: "quota", Detail: "too much"}
			}}},
			check: func(t *testing.T, res *sandbox.Result, err error) {
				var le *sandbox.LimitError
				if !errors.As(err, &le) || le.Limit != "quota" {
					t.Fatalf("res %#v err %v", res.Value, err)
				}
			},
		},
		{
			name: "binding error",
			src:  `export default { async run(i, env) { try { await env.e.nope() } catch (e) { return e.message } } }`,
			env:  map[string]sandbox.Binding{"e": sandbox.Methods{"nope": func(context.Context, []any) (any, error) { return nil, errors.New("denied") }}},
			check: func(t *testing.T, res *sandbox.Result, err error) {
				if err != nil || res.Value != "env.e.nope: denied" {
					t.Fatalf("res %#v err %v", res.Value, err)
				}
			},
		},
		{
			name: "a refused call is a TypeError, as in process",
			src:  `export default { async run(i, env) { try { await env.e.put(3) } catch (e) { return [e instanceof TypeError, e.message] } } }`,
			env: map[string]sandbox.Binding{"e": sandbox.Methods{"put": func(context.Context, []any) (any, error) {
				return nil, refused("argument 1 (key): want a string, got the number 3")
			}}},
			check: func(t *testing.T, res *sandbox.Result, err error) {
				if err != nil || fmt.Sprint(res.Value) != "[true env.e.put: argument 1 (key): want a string, got the number 3]" {
					t.Fatalf("res %#v err %v", res.Value, err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := p.Run(ctx, &sandbox.Invocation{Module: compile(t, tc.src), Input: tc.input, Env: tc.env, Context: map[string]any{"agent": "a1"}})
			if res == nil {
				t.Fatal("nil result")
			}
			tc.check(t, res, err)
		})
	}
}

// TestSameAsInProcess runs the sandbox's own fixture both ways.
func TestSameAsInProcess(t *testing.T) {
	p := newPool(t, Options{Cells: 2})
	mod := compile(t, `export default { async run(input, env, ctx) {
	  const got = await Promise.all([env.kv.get("a"), env.kv.get("b")]);
	  await new Promise(r => setTimeout(r, 5));
	  console.log("got", got.join(","));
	  return { got, input, d: new Date(0).toISOString(), u: new URL("https://x.test/a?b=1").searchParams.get("b") } } }`)
	kv := sandbox.Methods{"get": func(_ context.Context, a []any) (any, error) { return "v-" + a[0].(string), nil }}
	inv := &sandbox.Invocation{Module: mod, Input: map[string]any{"x": []any{1.0, "two", nil}}, Env: map[string]sandbox.Binding{"kv": kv}}
	want, werr := sandbox.NewInProcess().Run(context.Background(), inv)
	got, gerr := p.Run(context.Background(), inv)
	if werr != nil || gerr != nil {
		t.Fatalf("errors: in-process %v, cell %v", werr, gerr)
	}
	if compactJSONString(want.Value) != compactJSONString(got.Value) || compactJSONString(want.Console) != compactJSONString(got.Console) {
		t.Fatalf("in-process %v %v\ncell %v %v", want.Value, want.Console, got.Value, got.Console)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	p := newPool(t, Options{Cells: 2, MaxIsolatesPerCell: 8})
	mod := compile(t, `export default { async run(n, env) { let s = 0; for (let i = 0; i < 5; i++) s += await env.m.inc(i); return s + n } }`)
	env := map[string]sandbox.Binding{"m": sandbox.Methods{"inc": func(_ context.Context, a []any) (any, error) { return a[0].(float64) + 1, nil }}}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: float64(i), Env: env})
			if err == nil && res.Value != float64(15+i) {
				err = errors.New("wrong value")
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestCancel(t *testing.T) {
	p := newPool(t, Options{Cells: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Run(ctx, &sandbox.Invocation{Module: compile(t, `export default { async run() { while (true) {} } }`)})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "invocation cancelled") {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestModuleSentOnce(t *testing.T) {
	p := newPool(t, Options{Cells: 1})
	mod := compile(t, `export default { async run(i) { return i } }`)
	for i := 0; i < 3; i++ {
		if res, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: float64(i)}); err != nil || res.Value != float64(i) {
			t.Fatalf("run %d: %v %v", i, res.Value, err)
		}
	}
	c := p.shared[0]
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sent[mod.Hash] {
		t.Fatal("module not marked sent")
	}
}

func TestHardeningApplied(t *testing.T) {
	p := newPool(t, Options{Cells: 1})
	h := p.Cells()[0].Hardening
	t.Logf("hardening: %+v", h)
	if !h.Seccomp || !h.NoNewPrivs {
		t.Fatalf("cell not hardened: %+v", h)
	}
}

func compactJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// refused is an error a binding reports as a mistake in the agent's code.
type refused string

func (e refused) Error() string   { return string(e) }
func (e refused) TypeError() bool { return true }
