package webapi

import (
	"testing"

	"github.com/dop251/goja"
)

// freshRuntimes returns n fresh runtimes, made outside the timed region.
func freshRuntimes(b *testing.B, n int) []*goja.Runtime {
	b.Helper()
	rts := make([]*goja.Runtime, n)
	for i := range rts {
		rts[i] = goja.New()
	}
	return rts
}

// benchFresh runs f once per fresh runtime, creating the runtimes in batches
// with the timer stopped, so only f is measured.
func benchFresh(b *testing.B, setup func(*goja.Runtime), f func(*goja.Runtime)) {
	b.ReportAllocs()
	const batch = 256
	var rts []*goja.Runtime
	refill := func() {
		b.StopTimer()
		rts = freshRuntimes(b, batch)
		if setup != nil {
			for _, rt := range rts {
				setup(rt)
			}
		}
		b.StartTimer()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(rts) == 0 {
			refill()
		}
		f(rts[0])
		rts = rts[1:]
	}
}

// BenchmarkInstall measures Install on a fresh runtime when nothing is used.
func BenchmarkInstall(b *testing.B) {
	benchFresh(b, nil, Install)
}

// BenchmarkNewRuntime is goja.New alone, for scale.
func BenchmarkNewRuntime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = goja.New()
	}
}

func mustCompile(src string) *goja.Program {
	return goja.MustCompile("bench.js", src, true)
}

// BenchmarkFirstUse measures the first use of the globals in a fresh
// runtime, Install included: URL builds URL and URLSearchParams and parses
// one URL; baseline runs a comparable script that uses no global, to
// subtract the cost of running a program at all; all touches every global
// once.
func BenchmarkFirstUse(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"URL", `new URL("https://example.com/a?b=c").href`},
		{"baseline", `String("https://example.com/a?b=c")`},
		{"URLSearchParams", `new URLSearchParams("a=1&b=2").get("b")`},
		{"all", `[typeof atob, typeof btoa, typeof TextEncoder, typeof TextDecoder, typeof URL, typeof URLSearchParams, typeof crypto].join()`},
		{"TextEncoder", `new TextEncoder().encode("hello")`},
		{"atob", `atob("aGVsbG8=")`},
		{"crypto", `crypto.randomUUID()`},
	} {
		prog := mustCompile(c.src)
		b.Run(c.name, func(b *testing.B) {
			benchFresh(b, Install, func(rt *goja.Runtime) {
				if _, err := rt.RunProgram(prog); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkURLParse measures new URL in a runtime where URL is built.
func BenchmarkURLParse(b *testing.B) {
	rt := goja.New()
	Install(rt)
	prog := mustCompile(`new URL("https://user:pw@example.com:8080/a/./b/../c?x=1&y=2#frag").href`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseURLGo is the Go parser alone.
func BenchmarkParseURLGo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		u, ok := parseURL("https://user:pw@example.com:8080/a/./b/../c?x=1&y=2#frag", nil)
		if !ok {
			b.Fatal("parse failed")
		}
		_ = u.serialize(false)
	}
}
