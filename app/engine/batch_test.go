package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"littleboxes/sandbox/cell"
)

// batchCounter is a pool that records the size of each batch it is given.
type batchCounter struct {
	*cell.Pool
	mu    sync.Mutex
	sizes []int
}

func (b *batchCounter) RunBatch(ctx context.Context, jobs []*cell.Batched) {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(jobs))
	b.mu.Unlock()
	b.Pool.RunBatch(ctx, jobs)
}

// TestBatchWithKiller queues messages for an agent in cells, one of which
// kills its cell (over the memory cap) every time it runs. The messages are
// handed to the cells in batches; the killer ends in the dead letters, its
// agent cordoned, and every other message is handled (removed from the
// queue) and none is dead-lettered with it.
func TestBatchWithKiller(t *testing.T) {
	a := parse(t, `
name: batches
agents:
  a:
    code: |
      export default { async run(n, env) { for (let i = 0; i < n; i++) await env.next.send(i); return n } }
  b:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) {
        if (globalThis.used) throw new Error("isolate reused");
        globalThis.used = true;
        if (m === 5) { const keep = []; for (;;) keep.push(new Array(1e6).fill(m)) }
        await env.next.send(m)
      } }
    limits: {concurrency: 1}
  c:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { } }
channels:
  - {from: a, env: next, to: b}
  - {from: b, env: next, to: c}
`)
	pool := &batchCounter{Pool: newPool(t, cell.Options{Cells: 1, MemoryCap: 128 << 20, QuietPeriod: time.Hour})}
	st := openBolt(t, t.TempDir())
	defer st.Close()
	e := newEngine(t, a, st, func(o *Options) { o.Runner = pool; o.MaxAttempts = 2 })
	defer e.Close(context.Background())

	const n = 12
	if _, err := e.Run(context.Background(), "a", n); err != nil {
		t.Fatal(err)
	}
	var dead []DeadLetter
	waitFor(t, 60*time.Second, "b's queue to empty", func() bool {
		qb, _ := Queued(st, "batches", "b")
		qc, _ := Queued(st, "batches", "c")
		dead, _ = DeadLetters(st, "batches")
		return qb+qc == 0 && len(dead) > 0
	})
	if len(dead) != 1 || string(dead[0].Msg) != "5" {
		var msgs []string
		for _, d := range dead {
			msgs = append(msgs, string(d.Msg)+": "+d.Error)
		}
		t.Fatalf("dead letters %q; want only message 5", msgs)
	}
	if !pool.Cordoned("b") {
		t.Error("b is not cordoned")
	}
	// c was sent every message but the killer.
	runs, err := Runs(st, "batches", "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status != RunOK {
			t.Errorf("c's run failed: %s", r.Error)
		}
	}
	if len(runs) != n-1 {
		t.Errorf("c ran %d times; want %d", len(runs), n-1)
	}
	pool.mu.Lock()
	sizes := append([]int(nil), pool.sizes...)
	pool.mu.Unlock()
	batched := false
	for _, s := range sizes {
		batched = batched || s > 1
	}
	if !batched {
		t.Errorf("batch sizes %v: no message was handed over in a batch", sizes)
	}
}
