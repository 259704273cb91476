package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// run compiles src and runs its entry point with the given env and limits.
func run(t *testing.T, src string, input any, env map[string]Binding, limits Limits) (*Result, error) {
	t.Helper()
	mod, err := Compile("agent.ts", src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return NewInProcess().Run(context.Background(), &Invocation{Module: mod, Input: input, Env: env, Limits: limits})
}

func mustValue(t *testing.T, src string, input any, env map[string]Binding) any {
	t.Helper()
	res, err := run(t, src, input, env, Limits{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res.Value
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		src      string
		wantErr  string // substring of the error; empty: compiles
		wantLine int
		wantCol  int
	}{
		{name: "typescript", file: "a.ts", src: "interface In { n: number }\nexport default { async run(input: In): Promise<number> { return input.n * 2 } }"},
		{name: "javascript", file: "a.js", src: "export default { run(x) { return x } }"},
		{name: "modern syntax lowered", file: "a.ts", src: "class A { #p = 1; static s = 2; get p() { return this.#p } }\nexport default { async run(i: any) { const o = { ...{ a: 1 }, b: i?.x ?? 3 }; for await (const v of (async function* () { yield 1 })()) {} return [o, new A().p] } }"},
		{name: "syntax error", file: "bad.ts", src: "export default {\n  run( {\n}", wantErr: "bad.ts:3:2", wantLine: 3, wantCol: 2},
		{name: "type-level syntax in js", file: "bad.js", src: "let x: number = 1\nexport default { run() {} }", wantErr: "bad.js:1:6", wantLine: 1, wantCol: 6},
		{name: "missing default export", file: "nodef.ts", src: "export const run = () => 1", wantErr: "no default export", wantLine: 1, wantCol: 1},
		{name: "import refused", file: "imp.ts", src: "import fs from 'fs'\nexport default { run() { return fs } }", wantErr: `cannot import "fs"`, wantLine: 1, wantCol: 16},
		{name: "require refused", file: "req.js", src: "const x = require('os')\nexport default { run() { return x } }", wantErr: `cannot import "os"`, wantLine: 1, wantCol: 19},
		{name: "dynamic import refused", file: "dyn.js", src: "export default { async run() { return import('./x.js') } }", wantErr: `cannot import "./x.js"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.file, tt.src)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				if m.Hash == "" || m.JS == "" {
					t.Fatalf("module lacks hash or JS: %+v", m)
				}
				return
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CompileError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantLine != 0 && (ce.Messages[0].Line != tt.wantLine || ce.Messages[0].Column != tt.wantCol) {
				t.Fatalf("position = %d:%d, want %d:%d", ce.Messages[0].Line, ce.Messages[0].Column, tt.wantLine, tt.wantCol)
			}
		})
	}
}

func TestCompileCacheSharesProgram(t *testing.T) {
	src := "export default { run() { return 'cached' } }"
	a, err := Compile("c.js", src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile("c.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.prog != b.prog {
		t.Fatal("compiling the same source twice gave two programs")
	}
	c, err := Compile("c.js", src+" ")
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash == a.Hash {
		t.Fatal("different sources share a hash")
	}
}

// TestCompileSharesByContent: two files of the same text share one program,
// compiled once; the same text as TypeScript is another module.
func TestCompileSharesByContent(t *testing.T) {
	src := "export default { run() { return 'by content' } }"
	before := Stats()
	a, err := Compile("agents/a1.js", src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile("agents/a2.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.prog != b.prog {
		t.Fatal("two files of the same text got two programs")
	}
	if err := Check("agents/a3.js", src); err != nil {
		t.Fatal(err)
	}
	if got := Stats(); got.Compiles-before.Compiles != 1 || got.Checks != before.Checks || got.Hits-before.Hits != 2 {
		t.Fatalf("stats went from %+v to %+v: want one compile, no check, two hits", before, got)
	}
	ts, err := Compile("agents/a1.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	if ts == a || ts.Hash == a.Hash {
		t.Fatal("the same text as TypeScript and as JavaScript share a module")
	}
}

// TestCheck: Check refuses what Compile refuses, naming the file it was
// given, and checks a text once.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"syntax error", "export default { run() { return ( } }", "bad.ts:1:"},
		{"no default export", "export const x = 1", "no default export"},
		{"an import", "import x from 'fs'\nexport default { run() { return x } }", "cannot import"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"bad.ts", "other.ts"} {
				err := Check(name, tc.src)
				var ce *CompileError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), strings.Replace(tc.want, "bad.ts", name, 1)) {
					t.Fatalf("Check(%s) = %v, want a compile error with %q", name, err, tc.want)
				}
				if _, cerr := Compile(name, tc.src); cerr == nil || cerr.Error() != err.Error() {
					t.Errorf("Compile(%s) = %v, Check said %v", name, cerr, err)
				}
			}
		})
	}
	src := "export default { run() { return 'checked once' } }"
	before := Stats()
	for _, name := range []string{"x.ts", "y.ts", "x.ts"} {
		if err := Check(name, src); err != nil {
			t.Fatal(err)
		}
	}
	if got := Stats(); got.Checks-before.Checks != 1 || got.Compiles != before.Compiles {
		t.Fatalf("stats went from %+v to %+v: want one check and no compile", before, got)
	}
}

func TestModuleCacheEvicts(t *testing.T) {
	c := newModuleCache(2)
	for i := 0; i < 3; i++ {
		c.put(&Module{Hash: fmt.Sprint(i)})
	}
	if c.get("0") != nil || c.get("1") == nil || c.get("2") == nil {
		t.Fatal("LRU did not evict the oldest module")
	}
}

func TestRuntimeErrorMapsToSource(t *testing.T) {
	src := "interface X { a: number }\n\nexport default {\n  async run() {\n    const x: any = undefined\n    return x.boom\n  }\n}\n"
	_, err := run(t, src, nil, nil, Limits{})
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *ScriptError", err)
	}
	if se.Name != "TypeError" || !strings.Contains(se.Stack, "agent.ts:6:") {
		t.Fatalf("got %s with stack %q, want TypeError at agent.ts:6", se.Name, se.Stack)
	}
}

func TestEntryPoints(t *testing.T) {
	src := `export default {
		async run(input, env, ctx) { return ["run", input, ctx.agent] },
		async onMessage(msg) { return ["msg", msg] },
		sync() { return "not async" },
	}`
	mod, err := Compile("e.js", src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		entry string
		want  any
		err   error
	}{
		{"", []any{"run", 1.0, "a1"}, nil},
		{EntryOnMessage, []any{"msg", 1.0}, nil},
		{"sync", "not async", nil},
		{EntryOnApproval, nil, ErrNoEntry},
	}
	for _, tt := range tests {
		t.Run("entry "+tt.entry, func(t *testing.T) {
			res, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod, Entry: tt.entry, Input: 1, Context: map[string]any{"agent": "a1"}})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.err == nil && !reflect.DeepEqual(res.Value, tt.want) {
				t.Fatalf("value = %#v, want %#v", res.Value, tt.want)
			}
		})
	}
}

func TestNothingSurvivesBetweenInvocations(t *testing.T) {
	src := `export default { run() { const had = [typeof globalThis.leak, typeof ({}).polluted]; globalThis.leak = 1; Object.prototype.polluted = 1; return had } }`
	mod, err := Compile("s.js", src)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod})
		if err != nil {
			t.Fatal(err)
		}
		if want := []any{"undefined", "undefined"}; !reflect.DeepEqual(res.Value, want) {
			t.Fatalf("run %d: %v, want %v", i, res.Value, want)
		}
	}
}

func TestGlobals(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want any
	}{
		{"no require", "typeof require", "undefined"},
		{"no fetch", "typeof fetch", "undefined"},
		{"no process", "typeof process", "undefined"},
		{"no module globals", "'module' in globalThis || 'exports' in globalThis", false},
		{"no Deno or Bun", "typeof Deno + typeof Bun", "undefinedundefined"},
		{"no setInterval", "typeof setInterval", "undefined"},
		{"console", "typeof console.log", "function"},
		{"setTimeout", "typeof setTimeout + typeof clearTimeout", "functionfunction"},
		{"queueMicrotask", "typeof queueMicrotask", "function"},
		{"atob btoa", "atob(btoa('hi'))", "hi"},
		{"TextEncoder", "new TextEncoder().encode('é').length", 2.0},
		{"TextDecoder", "new TextDecoder().decode(new Uint8Array([104, 105]))", "hi"},
		{"URL", "new URL('/b?x=1', 'https://Example.com/a').href", "https://example.com/b?x=1"},
		{"URLSearchParams", "new URLSearchParams('a=1&b=2').get('b')", "2"},
		{"randomUUID", "/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())", true},
		{"getRandomValues", "crypto.getRandomValues(new Uint8Array(16)).length", 16.0},
		{"ECMAScript built-ins", "[typeof Promise, typeof Map, typeof Proxy, typeof Reflect, typeof Symbol, typeof BigInt].join()", "function,function,function,object,function,function"},
		{"globalThis has no host objects", "Object.getOwnPropertyNames(globalThis).filter(n => /^(require|process|fetch|Deno|Bun|global|os|fs)$/.test(n)).length", 0.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustValue(t, "export default { run() { return "+tt.expr+" } }", nil, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%s = %#v, want %#v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestConsoleCaptured(t *testing.T) {
	src := `export default { run() {
		console.log("a", 1, true, null, undefined, {k: [1]}, new Uint8Array([7]));
		console.warn(new TypeError("bad"));
		console.error(() => 1, function named() {}, new Map());
		console.info("i"); console.debug("d");
	} }`
	res, err := run(t, src, nil, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ConsoleLine{
		{"log", `a 1 true null undefined {"k":[1]} "Bw=="`},
		{"warn", "TypeError: bad"},
		{"error", "[Function: (anonymous)] [Function: named] [object Map]"},
		{"info", "i"},
		{"debug", "d"},
	}
	if !reflect.DeepEqual(res.Console, want) {
		t.Fatalf("console = %#v\nwant %#v", res.Console, want)
	}
}

func TestTimers(t *testing.T) {
	src := `export default { async run() {
		const order = [];
		const a = setTimeout(() => order.push("cancelled"), 5);
		clearTimeout(a);
		setTimeout((x) => order.push(x), 20, "late");
		setTimeout(() => order.push("early"), 1);
		queueMicrotask(() => order.push("micro"));
		await new Promise(r => setTimeout(r, 40));
		return order;
	} }`
	got := mustValue(t, src, nil, nil)
	if want := []any{"micro", "early", "late"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestTimersCancelledAtEnd(t *testing.T) {
	var fired atomic.Int32
	env := map[string]Binding{"t": Methods{"mark": func(context.Context, []any) (any, error) { fired.Add(1); return nil, nil }}}
	src := `export default { async run(_, env) { setTimeout(() => env.t.mark(), 50); return "done" } }`
	if got := mustValue(t, src, nil, env); got != "done" {
		t.Fatalf("got %v", got)
	}
	time.Sleep(100 * time.Millisecond)
	if fired.Load() != 0 {
		t.Fatal("a timer fired after the invocation ended")
	}
}

func TestUncaughtTimerErrorFailsInvocation(t *testing.T) {
	src := `export default { async run() { setTimeout(() => { throw new RangeError("in timer") }, 1); await new Promise(r => setTimeout(r, 30)); return 1 } }`
	_, err := run(t, src, nil, nil, Limits{})
	var se *ScriptError
	if !errors.As(err, &se) || se.Name != "RangeError" || se.Message != "in timer" {
		t.Fatalf("err = %v, want RangeError: in timer", err)
	}
}

func TestUnhandledRejectionLogged(t *testing.T) {
	src := `export default { async run() { Promise.reject(new Error("lost")); return 1 } }`
	res, err := run(t, src, nil, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Console) != 1 || res.Console[0].Level != "error" || !strings.Contains(res.Console[0].Text, "Uncaught (in promise) Error: lost") {
		t.Fatalf("console = %#v", res.Console)
	}
}

func TestNeverSettlingPromise(t *testing.T) {
	_, err := run(t, "export default { run() { return new Promise(() => {}) } }", nil, nil, Limits{})
	if err == nil || !strings.Contains(err.Error(), "never settles") {
		t.Fatalf("err = %v", err)
	}
}

func TestCallerCancel(t *testing.T) {
	mod, err := Compile("c.js", "export default { run() { return new Promise(r => setTimeout(r, 10000)) } }")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = NewInProcess().Run(ctx, &Invocation{Module: mod})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context deadline", err)
	}
}

func TestLimitsValidate(t *testing.T) {
	if _, err := (Limits{MaxTimers: -1}).WithDefaults(); err == nil || !strings.Contains(err.Error(), "timers") {
		t.Fatalf("negative limit: %v", err)
	}
	l, err := (Limits{MaxTimers: 7}).WithDefaults()
	if err != nil || l.MaxTimers != 7 || l.Deadline != DefaultDeadline {
		t.Fatalf("WithDefaults = %+v, %v", l, err)
	}
}

// TestLimits checks every limit: each ends the invocation with a
// *LimitError naming it, also when the agent tries to catch it.
func TestLimits(t *testing.T) {
	slow := Methods{"wait": func(ctx context.Context, _ []any) (any, error) { <-ctx.Done(); return nil, ctx.Err() }}
	big := Methods{"big": func(context.Context, []any) (any, error) { return strings.Repeat("x", 2000), nil }}
	tests := []struct {
		name   string
		src    string
		env    map[string]Binding
		limits Limits
		limit  string
	}{
		{"deadline busy loop", "export default { run() { while (true) {} } }", nil, Limits{Deadline: 100 * time.Millisecond}, "deadline"},
		{"deadline caught and retried", "export default { run() { for (;;) { try { while (true) {} } catch (e) {} } } }", nil, Limits{Deadline: 100 * time.Millisecond}, "deadline"},
		{"deadline waiting on a timer", "export default { run() { return new Promise(r => setTimeout(r, 60000)) } }", nil, Limits{Deadline: 100 * time.Millisecond}, "deadline"},
		{"deadline waiting on a binding", "export default { run(_, env) { return env.s.wait() } }", map[string]Binding{"s": slow}, Limits{Deadline: 100 * time.Millisecond}, "deadline"},
		{"call stack depth", "export default { run() { const f = n => f(n + 1) + 1; return f(0) } }", nil, Limits{MaxStackDepth: 200}, "call stack depth"},
		{"call stack depth caught", "export default { run() { const f = () => f(); try { f() } catch (e) { return 'caught' } } }", nil, Limits{MaxStackDepth: 200}, "call stack depth"},
		{"timers", "export default { run() { for (let i = 0; i < 11; i++) setTimeout(() => {}, 1000) } }", nil, Limits{MaxTimers: 10}, "timers"},
		{"timers caught", "export default { run() { for (let i = 0; i < 11; i++) try { setTimeout(() => {}, 1000) } catch (e) {} return 'x' } }", nil, Limits{MaxTimers: 10}, "timers"},
		{"pending binding calls", "export default { run(_, env) { for (let i = 0; i < 6; i++) env.s.wait(); } }", map[string]Binding{"s": slow}, Limits{MaxPendingCalls: 5}, "pending binding calls"},
		{"console bytes", "export default { run() { for (let i = 0; i < 100; i++) console.log('0123456789') } }", nil, Limits{MaxConsoleBytes: 500}, "console bytes"},
		{"value size of an argument", "export default { run(_, env) { return env.s.wait('x'.repeat(2000)) } }", map[string]Binding{"s": slow}, Limits{MaxValueBytes: 1000}, "value size"},
		{"value size of a call result", "export default { run(_, env) { return env.b.big() } }", map[string]Binding{"b": big}, Limits{MaxValueBytes: 1000}, "value size"},
		{"value size of the result", "export default { run() { return 'x'.repeat(2000) } }", nil, Limits{MaxValueBytes: 1000}, "value size"},
		{"value size of a wide array", "export default { run() { return new Array(5000).fill(0) } }", nil, Limits{MaxValueBytes: 1000}, "value size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := run(t, tt.src, nil, tt.env, tt.limits)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LimitError", err)
			}
			if le.Limit != tt.limit || !errors.Is(err, ErrLimit) {
				t.Fatalf("limit = %q (%v), want %q", le.Limit, err, tt.limit)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v to hit the limit", d)
			}
		})
	}
}

func TestInputOverLimit(t *testing.T) {
	_, err := run(t, "export default { run(x) { return 1 } }", strings.Repeat("x", 2000), nil, Limits{MaxValueBytes: 1000})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "value size" {
		t.Fatalf("err = %v", err)
	}
}

// echo is a binding that returns its first argument, as Go received it.
func echo(got *[]any) map[string]Binding {
	return map[string]Binding{"e": Methods{"echo": func(_ context.Context, args []any) (any, error) {
		if got != nil {
			*got = args
		}
		if len(args) == 0 {
			return nil, nil
		}
		return args[0], nil
	}}}
}

// TestBridgeRoundTrip sends each plain value type through a binding and back.
func TestBridgeRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		js     string
		goWant any
		jsBack string // JSON.stringify-able description of what JS got back
	}{
		{"null", "null", nil, "null"},
		{"undefined becomes null", "undefined", nil, "null"},
		{"true", "true", true, "true"},
		{"integer", "42", 42.0, "42"},
		{"float", "-1.5", -1.5, "-1.5"},
		{"NaN becomes null", "NaN", nil, "null"},
		{"string", `"héllo\u0000"`, "héllo\x00", `"héllo\u0000"`},
		{"array", `[1, "a", [null]]`, []any{1.0, "a", []any{nil}}, `[1,"a",[null]]`},
		{"array hole becomes null", `[1,,3]`, []any{1.0, nil, 3.0}, `[1,null,3]`},
		{"object", `{a: 1, b: {c: "d"}}`, map[string]any{"a": 1.0, "b": map[string]any{"c": "d"}}, `{"a":1,"b":{"c":"d"}}`},
		{"undefined property dropped", `{a: undefined, b: 1}`, map[string]any{"b": 1.0}, `{"b":1}`},
		{"__proto__ key is data", `JSON.parse('{"__proto__": {"x": 1}}')`, map[string]any{"__proto__": map[string]any{"x": 1.0}}, `{"__proto__":{"x":1}}`},
		{"bytes", `new Uint8Array([0, 255, 7])`, []byte{0, 255, 7}, `{"0":0,"1":255,"2":7}`},
		{"subarray bytes", `new Uint8Array([1, 2, 3, 4]).subarray(1, 3)`, []byte{2, 3}, `{"0":2,"1":3}`},
		{"ArrayBuffer bytes", `new Uint8Array([9]).buffer`, []byte{9}, `{"0":9}`},
		{"Date becomes ISO string", `new Date(0)`, "1970-01-01T00:00:00.000Z", `"1970-01-01T00:00:00.000Z"`},
		{"Error", `new RangeError("r")`, map[string]any{"name": "RangeError", "message": "r"}, `{"message":"r","name":"RangeError"}`},
		{"class instance own fields", `new (class { constructor() { this.x = 1 } m() {} })()`, map[string]any{"x": 1.0}, `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []any
			src := "export default { async run(_, env) { const v = await env.e.echo(" + tt.js + "); return JSON.stringify(v) } }"
			back := mustValue(t, src, nil, echo(&got))
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.goWant) {
				t.Fatalf("Go got %#v, want %#v", got, tt.goWant)
			}
			if back != tt.jsBack {
				t.Fatalf("JS got back %v, want %v", back, tt.jsBack)
			}
		})
	}
}

func TestBridgeBytesComeBackAsUint8Array(t *testing.T) {
	src := `export default { async run(_, env) { const v = await env.e.echo(new Uint8Array([1, 2])); return [v instanceof Uint8Array, v.length, v[1]] } }`
	if got := mustValue(t, src, nil, echo(nil)); !reflect.DeepEqual(got, []any{true, 2.0, 2.0}) {
		t.Fatalf("got %v", got)
	}
}

func TestBridgeCopiesNotShares(t *testing.T) {
	var got []any
	src := `export default { async run(_, env) {
		const o = {a: [1]}; const b = new Uint8Array([5]);
		const p = env.e.echo(o, b); o.a.push(2); b[0] = 6;
		const r = await p; r.a.push(3);
		return [o.a.length, r === o] } }`
	v := mustValue(t, src, nil, echo(&got))
	if !reflect.DeepEqual(v, []any{2.0, false}) {
		t.Fatalf("JS side: %v", v)
	}
	if !reflect.DeepEqual(got, []any{map[string]any{"a": []any{1.0}}, []byte{5}}) {
		t.Fatalf("Go side saw later mutations: %#v", got)
	}
}

// TestBridgeRejects checks each value that is not plain data is a TypeError
// the agent can catch, naming the argument and the binding.
func TestBridgeRejects(t *testing.T) {
	tests := []struct {
		name string
		js   string
		want string
	}{
		{"function", "() => 1", "a function is not plain data"},
		{"symbol", "Symbol('s')", "a Symbol is not plain data"},
		{"bigint", "10n", "a BigInt is not plain data"},
		{"cycle", "(() => { const o = {}; o.self = o; return o })()", "contains a cycle"},
		{"nested cycle", "(() => { const a = []; a.push({a}); return a })()", "contains a cycle"},
		{"function in object", "{f() {}}", "a function is not plain data"},
		{"Map", "new Map()", "a Map is not plain data"},
		{"Set", "new Set([1])", "a Set is not plain data"},
		{"Promise", "Promise.resolve(1)", "a Promise is not plain data"},
		{"RegExp", "/x/", "a RegExp is not plain data"},
		{"Int32Array", "new Int32Array(2)", "typed array other than Uint8Array"},
		{"boxed string", "new String('s')", "a String is not plain data"},
		{"too deep", "(() => { let o = {}; for (let i = 0; i < 150; i++) o = {o}; return o })()", "nests deeper than 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "export default { async run(_, env) { try { await env.e.echo(" + tt.js + "); return 'sent' } catch (e) { return [e.name, e.message] } } }"
			got, ok := mustValue(t, src, nil, echo(nil)).([]any)
			if !ok || got[0] != "TypeError" || !strings.Contains(got[1].(string), tt.want) || !strings.Contains(got[1].(string), "argument 1 of env.e.echo") {
				t.Fatalf("got %v, want TypeError containing %q", got, tt.want)
			}
		})
	}
}

func TestBridgeShapes(t *testing.T) {
	t.Run("shared subtree is not a cycle", func(t *testing.T) {
		got := mustValue(t, "export default { run() { const s = {x: 1}; return [s, s] } }", nil, nil)
		want := []any{map[string]any{"x": 1.0}, map[string]any{"x": 1.0}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("result function is a TypeError", func(t *testing.T) {
		_, err := run(t, "export default { run() { return {f() {}} } }", nil, nil, Limits{})
		var se *ScriptError
		if !errors.As(err, &se) || se.Name != "TypeError" || !strings.Contains(se.Message, "result of run()") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Go result not plain data", func(t *testing.T) {
		env := map[string]Binding{"b": Methods{"bad": func(context.Context, []any) (any, error) { return struct{ X int }{1}, nil }}}
		got := mustValue(t, "export default { async run(_, env) { try { await env.b.bad() } catch (e) { return e.message } } }", nil, env)
		if s, _ := got.(string); !strings.Contains(s, "env.b.bad: a Go value of type struct") {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("Go integers", func(t *testing.T) {
		env := map[string]Binding{"b": Methods{"n": func(context.Context, []any) (any, error) {
			return []any{int(1), int64(2), uint8(3), map[string]string{"k": "v"}, []string{"s"}}, nil
		}}}
		got := mustValue(t, "export default { async run(_, env) { return await env.b.n() } }", nil, env)
		want := []any{1.0, 2.0, 3.0, map[string]any{"k": "v"}, []any{"s"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v", got)
		}
	})
}

// TestGettersReadOnce checks each getter and Proxy trap runs exactly once
// during the copy, and that what Go saw is what the getter returned then.
func TestGettersReadOnce(t *testing.T) {
	var got []any
	src := `export default { async run(_, env) {
		let n = 0, k = 0, traps = 0;
		const o = { get x() { n++; return n } };
		const p = new Proxy({a: 1}, { get(t, key) { traps++; return key === 'a' ? 'proxied' : undefined }, ownKeys() { k++; return ['a'] },
			getOwnPropertyDescriptor() { return {value: 1, enumerable: true, configurable: true} } });
		await env.e.echo(o, p);
		return [n, k, traps];
	} }`
	v := mustValue(t, src, nil, echo(&got))
	if !reflect.DeepEqual(v, []any{1.0, 1.0, 1.0}) {
		t.Fatalf("getter/ownKeys/get ran %v times, want once each", v)
	}
	if !reflect.DeepEqual(got, []any{map[string]any{"x": 1.0}, map[string]any{"a": "proxied"}}) {
		t.Fatalf("Go got %#v", got)
	}
}

func TestEnvFrozen(t *testing.T) {
	src := `export default { run(_, env, ctx) {
		"use strict";
		const r = [Object.isFrozen(env), Object.isFrozen(env.e), Object.isFrozen(ctx), Object.keys(env).join(), Object.keys(env.e).join()];
		try { env.e.echo = () => 1; r.push("assigned") } catch (e) { r.push(e.name) }
		try { env.x = 1; r.push("added") } catch (e) { r.push(e.name) }
		try { ctx.agent = "me"; r.push("changed ctx") } catch (e) { r.push(e.name) }
		return r;
	} }`
	mod, err := Compile("f.js", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod, Env: echo(nil), Context: map[string]any{"agent": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{true, true, true, "e", "echo", "TypeError", "TypeError", "TypeError"}
	if !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("got %v, want %v", res.Value, want)
	}
}

// TestEnvBuiltOnRead checks env.NAME, made on its first read: the same
// frozen object on every read and through every path (a getter taken out of
// its descriptor, a spread, Object.values), its getter takes no setter, and
// a binding the agent never reads is never asked for its methods.
func TestEnvBuiltOnRead(t *testing.T) {
	src := `export default { run(_, env) {
		"use strict";
		const d = Object.getOwnPropertyDescriptor(env, "e");
		const r = [env.e === env.e, d.get.call(undefined) === env.e, ({...env}).e === env.e,
			Object.values(env)[0] === env.e, d.set === undefined, d.configurable, d.enumerable, Object.isFrozen(env.e)];
		try { env.e = {}; r.push("replaced") } catch (e) { r.push(e.name) }
		try { Object.defineProperty(env, "e", {value: 1}); r.push("redefined") } catch (e) { r.push(e.name) }
		r.push(env.e.echo === env.e.echo, typeof env.e.echo);
		return r;
	} }`
	asked := 0
	env := echo(nil)
	env["unread"] = countingMethods{n: &asked}
	got := mustValue(t, src, nil, env)
	want := []any{true, true, true, true, true, false, true, true, "TypeError", "TypeError", true, "function"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if asked != 1 {
		t.Fatalf("the unread binding was asked for its methods %d times, want once (by the spread)", asked)
	}
	asked = 0
	mustValue(t, `export default { run(_, env) { return env.e.echo.name } }`, nil, env)
	if asked != 0 {
		t.Fatalf("a binding never read was asked for its methods %d times", asked)
	}
}

// countingMethods is a binding that counts how often it is asked for its
// methods.
type countingMethods struct{ n *int }

func (c countingMethods) Methods() []string { *c.n++; return []string{"m"} }
func (c countingMethods) Call(context.Context, string, []any) (any, error) {
	return nil, nil
}

func TestBindingErrors(t *testing.T) {
	env := map[string]Binding{"b": Methods{
		"fail":  func(context.Context, []any) (any, error) { return nil, errors.New("disk on fire") },
		"panic": func(context.Context, []any) (any, error) { panic("oops") },
	}}
	src := `export default { async run(_, env) {
		const out = [];
		for (const m of ["fail", "panic"]) try { await env.b[m]() } catch (e) { out.push(e instanceof Error, e.message) }
		return out;
	} }`
	got := mustValue(t, src, nil, env)
	want := []any{true, "env.b.fail: disk on fire", true, "env.b.panic: internal error in binding: oops"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// refusal is a binding's error for a mistake in the agent's code.
type refusal struct{ msg string }

func (r *refusal) Error() string   { return r.msg }
func (r *refusal) TypeError() bool { return true }

func TestBindingTypeErrors(t *testing.T) {
	env := map[string]Binding{"thread": Methods{
		"read": func(context.Context, []any) (any, error) { return "text", nil },
		"reply": func(context.Context, []any) (any, error) {
			return nil, fmt.Errorf("sending: %w", &refusal{"argument 1 (text): want a string, got the number 3"})
		},
	}, "none": Methods{}}
	src := `export default { async run(_, env) {
		const out = [];
		try { await env.thread.forward("x") } catch (e) { out.push(e instanceof TypeError, e.message) }
		try { await env.thread.reply(3) } catch (e) { out.push(e instanceof TypeError, e.message) }
		try { env.none.get() } catch (e) { out.push(e instanceof TypeError, e.message) }
		out.push(await env.thread.read(), typeof env.thread.toString, env.thread.then === undefined,
			env.thread.toJSON === undefined, "forward" in env.thread, JSON.stringify(env.thread), Object.isFrozen(env.thread));
		return out;
	} }`
	got := mustValue(t, src, nil, env)
	want := []any{
		true, "env.thread has no method forward; it has read, reply",
		true, "env.thread.reply: sending: argument 1 (text): want a string, got the number 3",
		true, "env.none has no method get; it has no methods",
		"text", "function", true, true, false, "{}", true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestBindingCallsRunConcurrently(t *testing.T) {
	var inFlight, peak atomic.Int32
	env := map[string]Binding{"b": Methods{"slow": func(ctx context.Context, args []any) (any, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		inFlight.Add(-1)
		return args[0], nil
	}}}
	got := mustValue(t, `export default { async run(_, env) { return await Promise.all([1, 2, 3, 4].map(i => env.b.slow(i))) } }`, nil, env)
	if !reflect.DeepEqual(got, []any{1.0, 2.0, 3.0, 4.0}) || peak.Load() != 4 {
		t.Fatalf("got %v with peak %d in flight, want 4 concurrent", got, peak.Load())
	}
}

func TestBindingContextCancelledAtEnd(t *testing.T) {
	cancelled := make(chan struct{})
	env := map[string]Binding{"b": Methods{"hang": func(ctx context.Context, _ []any) (any, error) {
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	}}}
	if got := mustValue(t, `export default { run(_, env) { env.b.hang(); return "left it" } }`, nil, env); got != "left it" {
		t.Fatalf("got %v", got)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Fatal("the pending call's context was not cancelled when the invocation ended")
	}
}

// TestHostile runs the hostile agents: each must end with a clear error
// within the deadline (a 500 ms deadline here; each case is allowed 3 s).
func TestHostile(t *testing.T) {
	const deadline = 500 * time.Millisecond
	tests := []struct {
		name  string
		src   string
		limit string // a LimitError naming this, or
		err   string // an error containing this
	}{
		{"thrown object with looping toString and getters",
			`export default { run() { throw { toString() { for(;;){} }, valueOf() { for(;;){} }, get message() { for(;;){} }, get name() { for(;;){} }, get stack() { for(;;){} } } } }`,
			"", "the agent threw an object"},
		{"thrown Error with looping getters on the prototype",
			`export default { run() { const e = new Error("x"); Object.defineProperty(e, "message", { get() { for(;;){} } }); throw e } }`,
			"", "Error"},
		{"thrown Proxy whose traps loop",
			`export default { run() { throw new Proxy({}, { get() { for(;;){} }, getOwnPropertyDescriptor() { for(;;){} }, ownKeys() { for(;;){} }, getPrototypeOf() { for(;;){} } }) } }`,
			"deadline", ""},
		{"rejected with a looping toString",
			`export default { async run() { throw { toString() { for(;;){} } } } }`,
			"", "the agent threw an object"},
		{"result with a looping getter",
			`export default { run() { return { get x() { for(;;){} } } } }`,
			"deadline", ""},
		{"result Proxy with looping ownKeys",
			`export default { run() { return new Proxy({}, { ownKeys() { for(;;){} } }) } }`,
			"deadline", ""},
		{"argument with a looping getter",
			`export default { run(_, env) { return env.e.echo({ get x() { for(;;){} } }) } }`,
			"deadline", ""},
		{"microtask flood",
			`export default { async run() { (function f() { Promise.resolve().then(f) })(); await new Promise(() => {}) } }`,
			"deadline", ""},
		{"queueMicrotask flood",
			`export default { async run() { (function f() { queueMicrotask(f) })(); await new Promise(() => {}) } }`,
			"deadline", ""},
		{"promise allocation loop",
			`export default { async run() { for(;;) new Promise(() => {}) } }`,
			"deadline", ""},
		{"deep recursion",
			`export default { run() { function f() { return f() } return f() } }`,
			"call stack depth", ""},
		{"deep recursion through a native",
			`export default { run() { function f() { [1].map(f) } f() } }`,
			"call stack depth", ""},
		{"huge nested JSON.parse",
			`export default { run() { return JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)) } }`,
			"", "JSON.parse: the text nests deeper than"},
		{"a million timers",
			`export default { run() { for (let i = 0; i < 1e6; i++) setTimeout(() => {}, 0) } }`,
			"timers", ""},
		{"timer storm that reschedules itself",
			`export default { async run() { (function f() { setTimeout(f, 0); setTimeout(f, 0) })(); await new Promise(() => {}) } }`,
			"", ""},
		{"binding call flood",
			`export default { async run(_, env) { for (;;) env.e.echo(1) } }`,
			"pending binding calls", ""},
		{"console flood",
			`export default { run() { for (;;) console.log("x".repeat(1000)) } }`,
			"console bytes", ""},
		{"eval reads no source map from disk",
			`export default { run() { return eval("1\n//# sourceMappingURL=/dev/zero") } }`,
			"", "-"},
		{"Function constructor reads no source map from disk",
			`export default { run() { return new Function("return 2\n//# sourceMappingURL=/dev/zero")() } }`,
			"", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := run(t, tt.src, nil, echo(nil), Limits{Deadline: deadline})
			took := time.Since(start)
			if took > deadline+2500*time.Millisecond {
				t.Fatalf("took %v, deadline %v", took, deadline)
			}
			switch {
			case tt.err == "-":
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
			case tt.limit != "":
				var le *LimitError
				if !errors.As(err, &le) || le.Limit != tt.limit {
					t.Fatalf("err = %v, want limit %q", err, tt.limit)
				}
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
			default:
				if err == nil {
					t.Fatal("err = nil, want an error")
				}
			}
		})
	}
}

func TestTestdataAgents(t *testing.T) {
	files, err := filepath.Glob("testdata/*.ts")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata agents: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			mod, err := Compile(filepath.Base(f), string(src))
			if err != nil {
				t.Fatal(err)
			}
			res, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod, Input: map[string]any{"name": "test"}})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if ok, _ := res.Value.(map[string]any)["ok"].(bool); !ok {
				t.Fatalf("agent reported %v (console %v)", res.Value, res.Console)
			}
		})
	}
}

// TestNoGoroutineLeftAfterInvocation ends invocations in every way that
// leaves work behind (pending timers, calls in flight, a limit, the
// deadline) and checks no goroutine outlives them.
func TestNoGoroutineLeftAfterInvocation(t *testing.T) {
	slow := map[string]Binding{"s": Methods{"wait": func(ctx context.Context, _ []any) (any, error) { <-ctx.Done(); return nil, ctx.Err() }}}
	for _, src := range []string{
		`export default { run(_, env) { setTimeout(() => {}, 60000); env.s.wait(); env.s.wait(); return 1 } }`,
		`export default { run(_, env) { env.s.wait(); for (;;) {} } }`,
		`export default { async run(_, env) { env.s.wait(); for (let i = 0; i < 2000; i++) setTimeout(() => {}, 1) } }`,
		`export default { async run(_, env) { await env.s.wait() } }`,
	} {
		_, _ = run(t, src, nil, slow, Limits{Deadline: 100 * time.Millisecond})
	}
	goleak.VerifyNone(t)
}
