package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"littleboxes/app/flow"
	"littleboxes/capabilities"
)

const kvArmy = `
name: guardkv
capabilities:
  notes: {kind: kv, props: {namespace: guard}}
agents:
  a:
    triggers: [manual]
    bindings: {notes: notes}
    code: |
      export default { async run() {} }
`

// BenchmarkGuardKVCall measures one kv get through the agent's guarded,
// redacted binding: the per-call overhead of the guard and dispatch.
func BenchmarkGuardKVCall(b *testing.B) {
	st := openBolt(b, b.TempDir())
	e := newEngine(b, parse(b, kvArmy), st, func(o *Options) { o.Passive = true })
	defer e.Close(context.Background())
	bd := e.agents["a"].env["notes"]
	ctx := context.Background()
	if _, err := bd.Call(ctx, "put", []any{"k", "v"}); err != nil {
		b.Fatal(err)
	}
	args := []any{"k"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := bd.Call(ctx, "get", args); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGuardRefusesBadCalls checks that a call to a method the binding lacks,
// or with arguments its schema refuses, is a TypeError naming what is valid,
// in the agent as in Go, and that a refused sink call is never held for
// approval.
func TestGuardRefusesBadCalls(t *testing.T) {
	st := openBolt(t, t.TempDir())
	e := newEngine(t, parse(t, `
name: refuse
capabilities:
  src: {kind: enginetest.src}
  out: {kind: enginetest.out}
  notes: {kind: kv, props: {namespace: refuse}}
agents:
  leaker:
    triggers: [manual]
    bindings: {src: src, out: out, notes: notes}
    code: |
      export default { async run(input, env) {
        await env.src.read();
        const out = [];
        for (const f of [() => env.notes.forward(), () => env.notes.put("k", 3), () => env.out.send()]) {
          try { await f(); out.push("ran") } catch (e) { out.push(e.name + ": " + e.message) }
        }
        out.push(await env.out.send("x"));
        return out;
      } }
`), st, func(o *Options) { o.Passive = true })
	defer e.Close(context.Background())
	res, err := e.Run(context.Background(), "leaker", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Value.([]any)
	want := []any{
		"TypeError: env.notes has no method forward; it has get, put, delete, list",
		"TypeError: env.notes.put: argument 2 (value): want a string, got the number 3 (store objects with JSON.stringify)",
		"TypeError: env.out.send: argument 1 (x): want a value, got nothing",
	}
	if !reflect.DeepEqual(got[:3], want) {
		t.Fatalf("got %q\nwant %q", got[:3], want)
	}
	if m, ok := got[3].(map[string]any); !ok || m["status"] != "pending_approval" {
		t.Fatalf("a good send returned %v, want pending_approval", got[3])
	}
	effs, err := e.List()
	if err != nil || len(effs) != 1 {
		t.Fatalf("%d effects held (%v), want only the good send's", len(effs), err)
	}

	bd := e.agents["leaker"].env["notes"]
	_, err = bd.Call(context.Background(), "nope", nil)
	var ce *capabilities.CallError
	if !errors.As(err, &ce) || !ce.Unknown || ce.In("notes") != "env.notes has no method nope; it has get, put, delete, list" {
		t.Fatalf("Go call of an unknown method: %v", err)
	}
	if got := bd.Methods(); !reflect.DeepEqual(got, []string{"get", "put", "delete", "list"}) {
		t.Fatalf("Methods() = %v", got)
	}
}

// TestGuardSinkFactsOncePerAnalysis checks the guard works out a binding's
// sink facts once per analysis in force, and again when it changes.
func TestGuardSinkFactsOncePerAnalysis(t *testing.T) {
	e, _ := startEngine(t, parse(t, leakyArmy), "", func(o *Options) { o.Passive = true })
	gb := &guarded{e: e, agent: "leaker", env: "out"}
	an := e.Analysis()
	f1 := gb.sinkIn(an)
	if !f1.ok || f1.sink.Verdict != flow.Approval {
		t.Fatalf("sink facts %+v, want an approval sink", f1)
	}
	if f2 := gb.sinkIn(an); f2 != f1 {
		t.Fatal("the sink facts were worked out again for the same analysis")
	}
	an2, err := flow.Analyze(e.opts.Army, e.facts)
	if err != nil {
		t.Fatal(err)
	}
	if f3 := gb.sinkIn(an2); f3 == f1 || f3.an != an2 || !f3.ok {
		t.Fatal("the sink facts were not worked out again for a new analysis")
	}
}
