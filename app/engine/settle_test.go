package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
)

// A handled message's run record, its removal and the messages its
// invocation sent are settled in one write queued behind those messages
// (settle). These tests break the store under that write.

// errCrashed is what a crashedStore's writes fail with.
var errCrashed = errors.New("test: the process crashed")

// crashedStore commits the first n writes after arm and fails every write
// after them, as a process that crashed there would have left the file:
// what the engine does next is never stored.
type crashedStore struct {
	store.Store
	mu    sync.Mutex
	armed bool
	left  int
}

func (s *crashedStore) arm(n int) {
	s.mu.Lock()
	s.armed, s.left = true, n
	s.mu.Unlock()
}

func (s *crashedStore) write(do func(func(store.Tx) error) error, fn func(store.Tx) error) error {
	s.mu.Lock()
	if s.armed {
		if s.left == 0 {
			s.mu.Unlock()
			return errCrashed
		}
		s.left--
	}
	s.mu.Unlock()
	return do(fn)
}

func (s *crashedStore) Update(fn func(store.Tx) error) error { return s.write(s.Store.Update, fn) }
func (s *crashedStore) Batch(fn func(store.Tx) error) error  { return s.write(s.Store.Batch, fn) }

func (s *crashedStore) crashed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed && s.left == 0
}

// TestSettleCrash stops the store's writes after a number of commits while
// messages go through a → b → c, as a crash there would, then runs the army
// again on what was stored: every message stored before the crash (queued
// for b or c, or seen by c) reaches c.
func TestSettleCrash(t *testing.T) {
	const n = 60
	for _, commits := range []int{0, 1, 2, 3, 5, 8, 13} {
		t.Run(fmt.Sprintf("after %d commits", commits), func(t *testing.T) {
			st := openBolt(t, t.TempDir())
			cs := &crashedStore{Store: st}
			a := parse(t, chainArmy("crash"))
			quiet := func(o *Options) { o.Logf = nil }
			e := newEngine(t, a, cs, quiet)
			cs.arm(commits)
			if _, err := e.Run(context.Background(), "a", n); err != nil && !errors.Is(err, errCrashed) {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "the crash or the end", func() bool { return cs.crashed() || chainQueued(st) == 0 })
			if err := e.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := storedIDs(t, st)
			if !cs.crashed() && len(want) != n {
				t.Fatalf("no crash, and %d messages of %d stored", len(want), n)
			}
			e = newEngine(t, a, st, quiet)
			defer e.Close(context.Background())
			waitFor(t, 20*time.Second, "empty queues after the crash", func() bool { return chainQueued(st) == 0 })
			got := storedIDs(t, st)
			for id := range want {
				if !got[id] {
					t.Errorf("message %s was stored before the crash and never reached c", id)
				}
			}
			if dl, _ := DeadLetters(st, "chain"); len(dl) != 0 {
				t.Fatalf("%d dead letters: %+v", len(dl), dl[0])
			}
		})
	}
}

// chainQueued returns how many messages wait in chainArmy's queues (-1
// when they cannot be read).
func chainQueued(st store.Store) int {
	qb, errb := Queued(st, "chain", "b")
	qc, errc := Queued(st, "chain", "c")
	if errb != nil || errc != nil {
		return -1
	}
	return qb + qc
}

// storedIDs returns the ids of chainArmy's messages in the store: queued
// for b or c, or seen by c.
func storedIDs(t *testing.T, st store.Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, to := range []string{"b", "c"} {
		err := viewBucket(st, "chain", func(b store.Bucket) error {
			return b.Scan(store.ScanOptions{}, func(_, v []byte) error {
				var m struct {
					Msg struct{ I int } `json:"msg"`
				}
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				ids[fmt.Sprintf("%08d", m.Msg.I)] = true
				return nil
			})
		}, bucketQueue, to)
		if err != nil {
			t.Fatal(err)
		}
	}
	keys, err := capstore.New(st).List(context.Background(), "kv:crash", "seen/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		ids[strings.TrimPrefix(k, "seen/")] = true
	}
	return ids
}

// failingQueue fails the write transactions that append to agent to's
// queue, the first n times.
type failingQueue struct {
	store.Store
	to string
	mu sync.Mutex
	n  int
}

func (s *failingQueue) Update(fn func(store.Tx) error) error {
	return s.Store.Update(func(tx store.Tx) error { return fn(&failingTx{Tx: tx, s: s}) })
}
func (s *failingQueue) Batch(fn func(store.Tx) error) error { return s.Update(fn) }

type failingTx struct {
	store.Tx
	s *failingQueue
}

func (tx *failingTx) CreateBucket(path ...string) (store.Bucket, error) {
	b, err := tx.Tx.CreateBucket(path...)
	if err != nil || len(path) < 2 || !slices.Equal(path[len(path)-2:], []string{bucketQueue, tx.s.to}) {
		return b, err
	}
	return &failingBucket{storeBucket: b, s: tx.s}, nil
}

// storeBucket names store.Bucket for embedding: its field would be named
// Bucket, as one of its methods is.
type storeBucket = store.Bucket

type failingBucket struct {
	storeBucket
	s *failingQueue
}

func (b *failingBucket) NextSequence() (uint64, error) {
	// Only an append asks for a sequence number; a removal or a retry
	// writes a key it has.
	b.s.mu.Lock()
	fail := b.s.n > 0
	if fail {
		b.s.n--
	}
	b.s.mu.Unlock()
	if fail {
		return 0, errors.New("test: disk full")
	}
	return b.storeBucket.NextSequence()
}

// TestSettleSendNotStored fails the writes of messages b sends to c: the
// messages b was handling stay queued and are tried again, and all reach
// c. Were a message removed though what it sent was not stored, it would
// be lost.
func TestSettleSendNotStored(t *testing.T) {
	const n, fails = 40, 6
	st := openBolt(t, t.TempDir())
	fq := &failingQueue{Store: st, to: "c", n: fails}
	a := parse(t, strings.Replace(chainArmy("unstored"), `
  b:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { await env.next.send(m) } }`, `
  b:
    triggers: [message]
    bindings: {count: count}
    code: |
      export default { async onMessage(m, env, ctx) {
        if (ctx.attempt > 1) await env.count.put("retry/" + m.i, "1")
        await env.next.send(m)
      } }`, 1))
	e := newEngine(t, a, fq, nil)
	defer e.Close(context.Background())
	if _, err := e.Run(context.Background(), "a", n); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the chain", func() bool { return countSeen(t, st, "unstored") == n })
	waitFor(t, 5*time.Second, "empty queues", func() bool { return chainQueued(st) == 0 })
	if r := countKeys(t, st, "unstored", "retry/"); r == 0 {
		t.Fatalf("no message of b was tried again, though %d of its sends failed", fails)
	}
	if dl, _ := DeadLetters(st, "chain"); len(dl) != 0 {
		t.Fatalf("%d dead letters: %+v", len(dl), dl[0])
	}
}
