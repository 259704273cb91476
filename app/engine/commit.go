package engine

import (
	"fmt"
	"sync"

	"littleboxes/app/store"
)

// Bucket names under the top-level engine bucket.
const (
	bucketEngine  = store.BucketEngine
	bucketQueue   = "queue"
	bucketDead    = "dead"
	bucketEffects = "effects"
	bucketRuns    = "runs"
	bucketSeen    = "seen"
	bucketMeta    = "meta"
	bucketReports = "reports"
)

// op is one write the committer applies. wakes names agents whose queue it
// appends to, woken after the commit. Once the op is finished with, its
// error goes to done (when someone waits there) and to then (when set),
// which runs on the committer's goroutine and must not block.
type op struct {
	fn    func(tx store.Tx) error
	wakes []string
	done  chan error // buffered, 1; nil when nobody waits
	then  func(error)

	// err is set, on the committer's goroutine, when the op is finished
	// with an error: an op submitted later may read it there (see
	// sends.stored).
	err error
}

// committer applies ops in submission order, grouping all that are waiting
// into one transaction: the engine's way of batching bbolt writes.
type committer struct {
	st   store.Store
	logf func(string, ...any)
	wake func(agent string)

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*op
	closed bool
	done   chan struct{}
}

func newCommitter(st store.Store, logf func(string, ...any), wake func(string)) *committer {
	c := &committer{st: st, logf: logf, wake: wake, done: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	go c.loop()
	return c
}

// submit queues fn; the returned channel gets its error once committed.
func (c *committer) submit(fn func(store.Tx) error, wakes ...string) <-chan error {
	o := &op{fn: fn, wakes: wakes, done: make(chan error, 1)}
	c.enqueue(o)
	return o.done
}

// submitted is submit returning the op itself, for an invocation to collect
// (see sends).
func (c *committer) submitted(fn func(store.Tx) error, wakes ...string) *op {
	o := &op{fn: fn, wakes: wakes, done: make(chan error, 1)}
	c.enqueue(o)
	return o
}

// later queues fn with nobody waiting: then, when not nil, gets its error
// on the committer's goroutine once committed (or at once, when the
// committer is closed).
func (c *committer) later(fn func(store.Tx) error, then func(error)) {
	c.enqueue(&op{fn: fn, then: then})
}

func (c *committer) enqueue(o *op) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		err := fmt.Errorf("engine: store write: %w", ErrClosed)
		o.err = err
		if o.done != nil {
			o.done <- err
		}
		if o.then != nil {
			o.then(err)
		}
		return
	}
	c.queue = append(c.queue, o)
	c.cond.Signal()
	c.mu.Unlock()
}

// do submits fn and waits for its commit.
func (c *committer) do(fn func(store.Tx) error, wakes ...string) error {
	return <-c.submit(fn, wakes...)
}

// close commits what is queued and ends the loop.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.closed = true
	c.cond.Signal()
	c.mu.Unlock()
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		batch := c.queue
		c.queue = nil
		closed := c.closed
		c.mu.Unlock()
		if len(batch) > 0 {
			c.apply(batch)
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

func (c *committer) apply(batch []*op) {
	err := c.st.Update(func(tx store.Tx) error {
		for _, o := range batch {
			if err := o.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// One op failed: commit each on its own, so only it fails.
		for _, o := range batch {
			c.finish(o, c.st.Update(o.fn))
		}
		return
	}
	for _, o := range batch {
		c.finish(o, err)
	}
}

func (c *committer) finish(o *op, err error) {
	if err != nil {
		o.err = err
		c.logf("engine: store write: %v", err)
	}
	if err == nil {
		for _, a := range o.wakes {
			c.wake(a)
		}
	}
	if o.done != nil {
		o.done <- err
	}
	if o.then != nil {
		o.then(err)
	}
}

// grouped is the store capabilities write through (kv and the like): its
// Update and Batch go through the committer, so the writes many agents make
// at the same time share one transaction and one disk sync, and each is
// ordered with the engine's own writes (a message's removal commits after
// the writes made while handling it).
type grouped struct {
	store.Store
	com *committer
}

func (g grouped) Update(fn func(store.Tx) error) error { return g.com.do(fn) }
func (g grouped) Batch(fn func(store.Tx) error) error  { return g.com.do(fn) }

// bucket returns (creating it) the bucket at path of army's engine data.
func bucket(tx store.Tx, army string, path ...string) (store.Bucket, error) {
	return tx.CreateBucket(append([]string{bucketEngine, army}, path...)...)
}

// viewBucket runs fn on the bucket at path of army's engine data; a missing
// bucket is skipped.
func viewBucket(st store.Store, army string, fn func(store.Bucket) error, path ...string) error {
	return st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(append([]string{bucketEngine, army}, path...)...)
		if err != nil {
			if isNotFound(err) {
				return nil
			}
			return err
		}
		return fn(b)
	})
}
