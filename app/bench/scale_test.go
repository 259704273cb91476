package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"littleboxes/app/army"
	"littleboxes/app/engine"
	"littleboxes/app/flow"
	"littleboxes/app/store"
)

// BenchmarkCheckShared is what `littleboxes check` does with the shared
// army of 10,000 threads: load, provision every capability and scoped
// instance without secrets, analyse, explain.
func BenchmarkCheckShared(b *testing.B) {
	path, err := WriteSharedArmy(b.TempDir(), 10000)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		a, err := army.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		facts, cleanup, err := flow.StaticFacts(context.Background(), a)
		if err != nil {
			b.Fatal(err)
		}
		an, err := flow.Analyze(a, facts)
		if err != nil {
			b.Fatal(err)
		}
		_ = an.Text()
		cleanup()
	}
}

// BenchmarkOnceWide is what `littleboxes run --once` does with one agent of
// the wide army of 10,000 agents, in process: load, provision, analyse,
// check the code, compile and run the one agent.
func BenchmarkOnceWide(b *testing.B) {
	dir := b.TempDir()
	path, err := WriteWideArmy(dir, 10000)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		a, err := army.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(filepath.Join(dir, fmt.Sprintf("data%d.db", i)), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		e, err := engine.New(ctx, engine.Options{Army: a, Store: st, Passive: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Run(ctx, "a5000", nil); err != nil {
			b.Fatal(err)
		}
		if err := e.Close(ctx); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
