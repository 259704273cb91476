package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Memory is a Store in memory, for tests of other packages. It behaves as
// Bolt does (the conformance suite checks both) but keeps nothing once
// dropped. Its buckets are persistent trees: a read-write transaction copies
// only the paths it changes, so readers keep an immutable snapshot, at
// O(log n) per write.
type Memory struct {
	wmu     sync.Mutex // held by the one read-write transaction
	root    atomic.Pointer[node]
	version int

	mu     sync.Mutex // guards closed and active
	cond   sync.Cond
	closed bool
	active int
}

// node is one bucket. A committed node is never modified again.
type node struct {
	keys *tnode // immutable: changed by replacing the root
	subs map[string]*node
	seq  uint64
}

func newNode() *node {
	return &node{subs: map[string]*node{}}
}

func (n *node) clone() *node {
	return &node{keys: n.keys, subs: maps.Clone(n.subs), seq: n.seq}
}

// OpenMemory returns an empty Memory store with its schema applied.
func OpenMemory(opts Options) (*Memory, error) {
	s := &Memory{}
	s.cond.L = &s.mu
	s.root.Store(newNode())
	ms := opts.migrations()
	err := s.run(true, func(t *memTx) error {
		if _, err := t.mutPath([]string{metaBucket}, true); err != nil {
			return err
		}
		return migrate(t, &memBucket{t: t, path: []string{metaBucket}}, ms)
	})
	if err != nil {
		return nil, fmt.Errorf("store: open memory: %w", err)
	}
	s.version = len(ms)
	return s, nil
}

// SchemaVersion returns the store's schema version.
func (s *Memory) SchemaVersion() int { return s.version }

// View implements Store.
func (s *Memory) View(fn func(Tx) error) error {
	return s.do("view", false, fn)
}

// Update implements Store.
func (s *Memory) Update(fn func(Tx) error) error {
	return s.do("update", true, fn)
}

// Batch implements Store; in memory it is Update.
func (s *Memory) Batch(fn func(Tx) error) error {
	return s.do("batch", true, fn)
}

func (s *Memory) do(op string, write bool, fn func(Tx) error) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("store: %s: %w", op, ErrClosed)
	}
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		if s.active == 0 {
			s.cond.Broadcast()
		}
		s.mu.Unlock()
	}()
	return s.run(write, func(t *memTx) error { return fn(t) })
}

// run runs fn in a transaction and, for a write that returns nil, commits
// it by publishing the new root.
func (s *Memory) run(write bool, fn func(*memTx) error) error {
	if write {
		s.wmu.Lock()
		defer s.wmu.Unlock()
	}
	t := &memTx{root: s.root.Load(), writable: write}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	if write {
		s.root.Store(t.root)
	}
	return nil
}

// Close implements Store.
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for s.active > 0 {
		s.cond.Wait()
	}
	return nil
}

type memTx struct {
	root     *node
	writable bool
	owned    map[*node]bool // nodes copied by this transaction: mutable
	done     bool
}

func (t *memTx) check(write bool) error {
	if t.done {
		return ErrTxClosed
	}
	if write && !t.writable {
		return ErrReadOnly
	}
	return nil
}

// find walks path from the root, or returns nil.
func (t *memTx) find(path []string) *node {
	n := t.root
	for _, name := range path {
		if n = n.subs[name]; n == nil {
			return nil
		}
	}
	return n
}

func (t *memTx) own(n *node) *node {
	if t.owned == nil {
		t.owned = map[*node]bool{}
	}
	t.owned[n] = true
	return n
}

// mutPath returns the mutable bucket at path, copying it and its parents
// on first write, and creating missing ones if create is set.
func (t *memTx) mutPath(path []string, create bool) (*node, error) {
	if !t.owned[t.root] {
		t.root = t.own(t.root.clone())
	}
	n := t.root
	for _, name := range path {
		child, ok := n.subs[name]
		switch {
		case !ok && !create:
			return nil, ErrNotFound
		case !ok:
			if tget(n.keys, name) != nil {
				return nil, ErrConflict
			}
			child = t.own(newNode())
			n.subs[name] = child
		case !t.owned[child]:
			child = t.own(child.clone())
			n.subs[name] = child
		}
		n = child
	}
	return n, nil
}

func (t *memTx) Writable() bool { return t.writable }

func (t *memTx) Bucket(path ...string) (Bucket, error) {
	if err := t.check(false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if t.find(path) == nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), ErrNotFound)
	}
	return &memBucket{t: t, path: slices.Clone(path)}, nil
}

func (t *memTx) CreateBucket(path ...string) (Bucket, error) {
	if err := t.check(true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if _, err := t.mutPath(path, true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	return &memBucket{t: t, path: slices.Clone(path)}, nil
}

func (t *memTx) DeleteBucket(path ...string) error {
	if err := t.check(true); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	return (&memBucket{t: t, path: path[:len(path)-1]}).deleteBucket(path[len(path)-1], path)
}

func (t *memTx) Buckets(fn func(name string) error) error {
	if err := t.check(false); err != nil {
		return fmt.Errorf("store: list buckets: %w", err)
	}
	return eachName(t.root.subs, func(name string) error {
		if strings.HasPrefix(name, "_") {
			return nil
		}
		return fn(name)
	})
}

func eachName(subs map[string]*node, fn func(string) error) error {
	for _, name := range slices.Sorted(maps.Keys(subs)) {
		if err := fn(name); err != nil {
			if errors.Is(err, ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}

type memBucket struct {
	t    *memTx
	path []string
}

func (b *memBucket) errf(op string, key []byte, err error) error {
	if key == nil {
		return fmt.Errorf("store: %s in %s: %w", op, showPath(b.path), err)
	}
	return fmt.Errorf("store: %s %s in %s: %w", op, showKey(key), showPath(b.path), err)
}

// read returns the bucket's node for reading.
func (b *memBucket) read(op string, key []byte) (*node, error) {
	if err := b.t.check(false); err != nil {
		return nil, b.errf(op, key, err)
	}
	n := b.t.find(b.path)
	if n == nil {
		return nil, b.errf(op, key, fmt.Errorf("bucket was deleted: %w", ErrNotFound))
	}
	return n, nil
}

// write returns the bucket's node for writing.
func (b *memBucket) write(op string, key []byte) (*node, error) {
	if err := b.t.check(true); err != nil {
		return nil, b.errf(op, key, err)
	}
	if b.t.find(b.path) == nil {
		return nil, b.errf(op, key, fmt.Errorf("bucket was deleted: %w", ErrNotFound))
	}
	n, err := b.t.mutPath(b.path, false)
	if err != nil {
		return nil, b.errf(op, key, err)
	}
	return n, nil
}

func (b *memBucket) Get(key []byte) ([]byte, error) {
	n, err := b.read("get", key)
	if err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, b.errf("get", key, err)
	}
	t := tget(n.keys, string(key))
	if t == nil {
		return nil, b.errf("get", key, ErrNotFound)
	}
	return append([]byte{}, t.val...), nil
}

func (b *memBucket) Put(key, value []byte) error {
	if err := b.t.check(true); err != nil {
		return b.errf("put", key, err)
	}
	if err := checkKey(key); err != nil {
		return b.errf("put", key, err)
	}
	if err := checkValue(value); err != nil {
		return b.errf("put", key, err)
	}
	n, err := b.write("put", key)
	if err != nil {
		return err
	}
	k := string(key)
	if _, isSub := n.subs[k]; isSub {
		return b.errf("put", key, ErrConflict)
	}
	n.keys = tput(n.keys, k, append([]byte{}, value...), priority(k))
	return nil
}

func (b *memBucket) Delete(key []byte) error {
	if err := b.t.check(true); err != nil {
		return b.errf("delete", key, err)
	}
	if err := checkKey(key); err != nil {
		return b.errf("delete", key, err)
	}
	n, err := b.write("delete", key)
	if err != nil {
		return err
	}
	k := string(key)
	if _, isSub := n.subs[k]; isSub {
		return b.errf("delete", key, ErrConflict)
	}
	n.keys, _ = tdel(n.keys, k)
	return nil
}

func (b *memBucket) Scan(opts ScanOptions, fn func(key, value []byte) error) error {
	n, err := b.read("scan", nil)
	if err != nil {
		return err
	}
	prefix := string(opts.Prefix)
	count := 0
	var ferr error
	visit := func(t *tnode) bool {
		if !strings.HasPrefix(t.key, prefix) {
			return false
		}
		if err := fn([]byte(t.key), append([]byte{}, t.val...)); err != nil {
			if !errors.Is(err, ErrStopScan) {
				ferr = err
			}
			return false
		}
		count++
		return opts.Limit <= 0 || count < opts.Limit
	}
	if !opts.Reverse {
		lo := prefix
		if opts.After != nil && bytes.Compare(opts.After, opts.Prefix) >= 0 {
			lo = string(opts.After) + "\x00" // the first key after After
		}
		tascend(n.keys, lo, visit)
		return ferr
	}
	bound := prefixEnd(opts.Prefix)
	if opts.After != nil && (bound == nil || bytes.Compare(opts.After, bound) < 0) {
		bound = opts.After
	}
	tdescend(n.keys, string(bound), bound != nil, visit)
	return ferr
}

func (b *memBucket) NextSequence() (uint64, error) {
	n, err := b.write("next sequence", nil)
	if err != nil {
		return 0, err
	}
	n.seq++
	return n.seq, nil
}

func (b *memBucket) Sequence() uint64 {
	n, err := b.read("sequence", nil)
	if err != nil {
		return 0
	}
	return n.seq
}

func (b *memBucket) SetSequence(v uint64) error {
	n, err := b.write("set sequence", nil)
	if err != nil {
		return err
	}
	n.seq = v
	return nil
}

func (b *memBucket) sub(name string) []string {
	return append(slices.Clone(b.path), name)
}

func (b *memBucket) Bucket(name string) (Bucket, error) {
	path := b.sub(name)
	if err := b.t.check(false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if b.t.find(path) == nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), ErrNotFound)
	}
	return &memBucket{t: b.t, path: path}, nil
}

func (b *memBucket) CreateBucket(name string) (Bucket, error) {
	path := b.sub(name)
	if err := b.t.check(true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if b.t.find(b.path) == nil {
		return nil, fmt.Errorf("store: create bucket %s: parent was deleted: %w", showPath(path), ErrNotFound)
	}
	if _, err := b.t.mutPath(path, true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	return &memBucket{t: b.t, path: path}, nil
}

func (b *memBucket) DeleteBucket(name string) error {
	path := b.sub(name)
	if err := b.t.check(true); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	return b.deleteBucket(name, path)
}

// deleteBucket deletes the nested bucket name of b (the root when b.path is
// empty); full is the deleted bucket's path, for errors.
func (b *memBucket) deleteBucket(name string, full []string) error {
	parent := b.t.find(b.path)
	if parent == nil {
		return nil
	}
	if _, ok := parent.subs[name]; !ok {
		if tget(parent.keys, name) != nil {
			return fmt.Errorf("store: delete bucket %s: %w", showPath(full), ErrConflict)
		}
		return nil
	}
	n, err := b.t.mutPath(b.path, false)
	if err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(full), err)
	}
	delete(n.subs, name)
	return nil
}

func (b *memBucket) Buckets(fn func(name string) error) error {
	n, err := b.read("list buckets", nil)
	if err != nil {
		return err
	}
	return eachName(n.subs, fn)
}

// Interface guards.
var (
	_ Store  = (*Memory)(nil)
	_ Tx     = (*memTx)(nil)
	_ Bucket = (*memBucket)(nil)
)

// tnode is a node of a persistent treap: a binary search tree on key, a
// heap on prio. It is never modified once shared; tput and tdel return a
// new root, copying the O(log n) nodes on the way.
type tnode struct {
	key         string
	val         []byte
	prio        uint64
	left, right *tnode
}

var prioSeed = maphash.MakeSeed()

// priority is key's heap priority: a hash, so the tree's shape depends on
// its keys only.
func priority(key string) uint64 { return maphash.String(prioSeed, key) }

func tget(t *tnode, key string) *tnode {
	for t != nil {
		switch {
		case key < t.key:
			t = t.left
		case key > t.key:
			t = t.right
		default:
			return t
		}
	}
	return nil
}

func tput(t *tnode, key string, val []byte, prio uint64) *tnode {
	if t == nil {
		return &tnode{key: key, val: val, prio: prio}
	}
	c := *t
	switch {
	case key < t.key:
		c.left = tput(t.left, key, val, prio)
		if c.left.prio > c.prio { // rotate right; both nodes are new
			l := c.left
			c.left, l.right = l.right, &c
			return l
		}
	case key > t.key:
		c.right = tput(t.right, key, val, prio)
		if c.right.prio > c.prio { // rotate left
			r := c.right
			c.right, r.left = r.left, &c
			return r
		}
	default:
		c.val = val
	}
	return &c
}

func tdel(t *tnode, key string) (*tnode, bool) {
	if t == nil {
		return nil, false
	}
	var ok bool
	c := *t
	switch {
	case key < t.key:
		if c.left, ok = tdel(t.left, key); !ok {
			return t, false
		}
	case key > t.key:
		if c.right, ok = tdel(t.right, key); !ok {
			return t, false
		}
	default:
		return tmerge(t.left, t.right), true
	}
	return &c, true
}

// tmerge joins two treaps, every key of a below every key of b.
func tmerge(a, b *tnode) *tnode {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		c := *a
		c.right = tmerge(a.right, b)
		return &c
	default:
		c := *b
		c.left = tmerge(a, b.left)
		return &c
	}
}

// tascend calls fn on the nodes with key >= lo in ascending order until fn
// returns false; it returns false if fn did.
func tascend(t *tnode, lo string, fn func(*tnode) bool) bool {
	if t == nil {
		return true
	}
	if t.key >= lo {
		if !tascend(t.left, lo, fn) || !fn(t) {
			return false
		}
	}
	return tascend(t.right, lo, fn)
}

// tdescend calls fn on the nodes with key < hi (all nodes if !bounded) in
// descending order until fn returns false; it returns false if fn did.
func tdescend(t *tnode, hi string, bounded bool, fn func(*tnode) bool) bool {
	if t == nil {
		return true
	}
	if !bounded || t.key < hi {
		if !tdescend(t.right, hi, bounded, fn) || !fn(t) {
			return false
		}
	}
	return tdescend(t.left, hi, bounded, fn)
}
