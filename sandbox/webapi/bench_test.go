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

// BenchmarkFirstUseURL measures the first use of URL in a runtime: building
// URL and URLSearchParams and parsing one URL.
func BenchmarkFirstUseURL(b *testing.B) {
	prog := mustCompile(`new URL("https://example.com/a?b=c").href`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkFirstUseURLBaseline runs a comparable script without URL, to
// subtract the cost of running a program at all.
func BenchmarkFirstUseURLBaseline(b *testing.B) {
	prog := mustCompile(`String("https://example.com/a?b=c")`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkFirstUseURLSearchParams(b *testing.B) {
	prog := mustCompile(`new URLSearchParams("a=1&b=2").get("b")`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkFirstUseAll touches every global once.
func BenchmarkFirstUseAll(b *testing.B) {
	prog := mustCompile(`[typeof atob, typeof btoa, typeof TextEncoder, typeof TextDecoder, typeof URL, typeof URLSearchParams, typeof crypto].join()`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkFirstUseTextEncoder(b *testing.B) {
	prog := mustCompile(`new TextEncoder().encode("hello")`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkFirstUseAtob(b *testing.B) {
	prog := mustCompile(`atob("aGVsbG8=")`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkFirstUseCrypto(b *testing.B) {
	prog := mustCompile(`crypto.randomUUID()`)
	benchFresh(b, Install, func(rt *goja.Runtime) {
		if _, err := rt.RunProgram(prog); err != nil {
			b.Fatal(err)
		}
	})
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
