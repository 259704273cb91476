package sandbox

import (
	"context"
	"strconv"
	"testing"
)

func noopEnv() map[string]Binding {
	noop := func(context.Context, []any) (any, error) { return nil, nil }
	env := make(map[string]Binding, 5)
	for i := 0; i < 5; i++ {
		env["b"+strconv.Itoa(i)] = Methods{"noop": noop, "get": noop, "put": noop}
	}
	return env
}

// BenchmarkSpawn is spawn + first call: a fresh isolate of a cached program
// with a binding-shaped env of five bindings, run to completion.
func BenchmarkSpawn(b *testing.B) {
	mod, err := Compile("spawn.js", "export default { async run(input, env, ctx) { return input } }")
	if err != nil {
		b.Fatal(err)
	}
	env, r := noopEnv(), NewInProcess()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(context.Background(), &Invocation{Module: mod, Input: 1.0, Env: env}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpawnParallel is spawns on all cores.
func BenchmarkSpawnParallel(b *testing.B) {
	mod, err := Compile("spawn.js", "export default { async run(input, env, ctx) { return input } }")
	if err != nil {
		b.Fatal(err)
	}
	env, r := noopEnv(), NewInProcess()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Run(context.Background(), &Invocation{Module: mod, Input: 1.0, Env: env}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBindingCall is one binding call's round trip, from JavaScript to
// Go and back, inside one isolate.
func BenchmarkBindingCall(b *testing.B) {
	mod, err := Compile("calls.js", "export default { async run(n, env) { for (let i = 0; i < n; i++) await env.b0.noop(i); return n } }")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod, Input: float64(b.N), Env: noopEnv(), Limits: Limits{Deadline: 1 << 40}}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCompileCached is compiling source that is already cached.
func BenchmarkCompileCached(b *testing.B) {
	src := "export default { async run(input) { return input } }"
	if _, err := Compile("c.js", src); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile("c.js", src); err != nil {
			b.Fatal(err)
		}
	}
}
