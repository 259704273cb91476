package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Bolt is a Store in one bbolt file. It holds an exclusive lock on the file
// while open: one process at a time.
type Bolt struct {
	db      *bbolt.DB
	path    string
	version int
	closed  atomic.Bool
}

// Open opens (creating it, mode 0600) the store file at path and brings its
// schema up to date. If another process holds the file, Open waits
// opts.LockTimeout and fails with ErrLocked; a file from a newer littleboxes
// fails with ErrNewerSchema, and is left untouched.
func Open(path string, opts Options) (*Bolt, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      timeout,
		FreelistType: bbolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("store: open %s: %w (no lock after %s)", path, ErrLocked, timeout)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	ms := opts.migrations()
	err = db.Update(func(btx *bbolt.Tx) error {
		t := &boltTx{tx: btx}
		defer t.end()
		meta, err := btx.CreateBucketIfNotExists([]byte(metaBucket))
		if err != nil {
			return mapErr(err)
		}
		return migrate(t, &boltBucket{t: t, b: meta, path: []string{metaBucket}}, ms)
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Bolt{db: db, path: path, version: len(ms)}, nil
}

// OpenReadOnly opens the existing store file at path for reading only: it
// creates nothing, runs no migration, and shares the file with other readers
// (a process holding it read-write still makes it wait opts.LockTimeout and
// fail with ErrLocked). A missing file fails with an error wrapping
// fs.ErrNotExist; a file from a newer littleboxes with ErrNewerSchema. A
// file of an older schema opens as it is: readers find its newer buckets
// missing. Update and Batch fail with ErrReadOnly.
func OpenReadOnly(path string, opts Options) (*Bolt, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("store: open %s: %w (no lock after %s)", path, ErrLocked, timeout)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	want := uint64(len(opts.migrations()))
	var cur uint64
	err = db.View(func(btx *bbolt.Tx) error {
		meta := btx.Bucket([]byte(metaBucket))
		if meta == nil {
			return nil
		}
		if v := meta.Get([]byte(schemaKey)); v != nil {
			n, err := KeyUint64(v)
			if err != nil {
				return fmt.Errorf("schema version: %w", err)
			}
			cur = n
		}
		return nil
	})
	if err == nil && cur > want {
		err = fmt.Errorf("schema version %d, this littleboxes knows up to %d (upgrade littleboxes): %w", cur, want, ErrNewerSchema)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Bolt{db: db, path: path, version: int(cur)}, nil
}

// Path returns the file's path.
func (s *Bolt) Path() string { return s.path }

// SchemaVersion returns the file's schema version: the number of migrations
// it has run.
func (s *Bolt) SchemaVersion() int { return s.version }

// View implements Store.
func (s *Bolt) View(fn func(Tx) error) error {
	return s.run("view", s.db.View, fn)
}

// Update implements Store.
func (s *Bolt) Update(fn func(Tx) error) error {
	return s.run("update", s.db.Update, fn)
}

// Batch implements Store with bbolt's DB.Batch: concurrent calls within
// bbolt's MaxBatchDelay (10ms) are committed together, up to MaxBatchSize
// (1000) calls per commit. A lone caller waits out the delay, so Batch only
// pays with concurrent writers; one writer with many writes uses Update.
func (s *Bolt) Batch(fn func(Tx) error) error {
	return s.run("batch", s.db.Batch, fn)
}

func (s *Bolt) run(op string, do func(func(*bbolt.Tx) error) error, fn func(Tx) error) error {
	if s.closed.Load() {
		return fmt.Errorf("store: %s: %w", op, ErrClosed)
	}
	var fnErr error
	err := do(func(btx *bbolt.Tx) error {
		t := &boltTx{tx: btx}
		defer t.end()
		fnErr = fn(t)
		return fnErr
	})
	if err == nil || (fnErr != nil && err == fnErr) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, mapErr(err))
}

// Close implements Store.
func (s *Bolt) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// mapErr turns a bbolt error into the store's sentinel, keeping both.
func mapErr(err error) error {
	var sentinel error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bberrors.ErrTxNotWritable), errors.Is(err, bberrors.ErrDatabaseReadOnly):
		sentinel = ErrReadOnly
	case errors.Is(err, bberrors.ErrTxClosed):
		sentinel = ErrTxClosed
	case errors.Is(err, bberrors.ErrDatabaseNotOpen):
		sentinel = ErrClosed
	case errors.Is(err, bberrors.ErrIncompatibleValue):
		sentinel = ErrConflict
	case errors.Is(err, bberrors.ErrKeyRequired), errors.Is(err, bberrors.ErrKeyTooLarge), errors.Is(err, bberrors.ErrValueTooLarge):
		sentinel = ErrInvalidKey
	case errors.Is(err, bberrors.ErrBucketNameRequired):
		sentinel = ErrInvalidName
	case errors.Is(err, bberrors.ErrBucketNotFound):
		sentinel = ErrNotFound
	default:
		return err
	}
	return fmt.Errorf("%w (bbolt: %w)", sentinel, err)
}

type boltTx struct {
	tx   *bbolt.Tx
	done bool
}

func (t *boltTx) end() { t.done = true }

func (t *boltTx) check(write bool) error {
	if t.done {
		return ErrTxClosed
	}
	if write && !t.tx.Writable() {
		return ErrReadOnly
	}
	return nil
}

func (t *boltTx) Writable() bool { return t.tx.Writable() }

func (t *boltTx) Bucket(path ...string) (Bucket, error) {
	if err := t.check(false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	b := t.tx.Bucket([]byte(path[0]))
	for _, n := range path[1:] {
		if b == nil {
			break
		}
		b = b.Bucket([]byte(n))
	}
	if b == nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), ErrNotFound)
	}
	return &boltBucket{t: t, b: b, path: append([]string(nil), path...)}, nil
}

func (t *boltTx) CreateBucket(path ...string) (Bucket, error) {
	if err := t.check(true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(path[0]))
	for _, n := range path[1:] {
		if err != nil {
			break
		}
		b, err = b.CreateBucketIfNotExists([]byte(n))
	}
	if err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), mapErr(err))
	}
	return &boltBucket{t: t, b: b, path: append([]string(nil), path...)}, nil
}

func (t *boltTx) DeleteBucket(path ...string) error {
	if err := t.check(true); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	if err := checkPath(path); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	var err error
	if len(path) == 1 {
		err = t.tx.DeleteBucket([]byte(path[0]))
	} else {
		parent, perr := t.Bucket(path[:len(path)-1]...)
		if errors.Is(perr, ErrNotFound) {
			return nil
		} else if perr != nil {
			return perr
		}
		err = parent.(*boltBucket).b.DeleteBucket([]byte(path[len(path)-1]))
	}
	if errors.Is(err, bberrors.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), mapErr(err))
	}
	return nil
}

func (t *boltTx) Buckets(fn func(name string) error) error {
	if err := t.check(false); err != nil {
		return fmt.Errorf("store: list buckets: %w", err)
	}
	err := t.tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
		if len(name) > 0 && name[0] == '_' {
			return nil
		}
		return fn(string(name))
	})
	if errors.Is(err, ErrStopScan) {
		return nil
	}
	return err
}

type boltBucket struct {
	t    *boltTx
	b    *bbolt.Bucket
	path []string
}

func (b *boltBucket) errf(op string, key []byte, err error) error {
	if key == nil {
		return fmt.Errorf("store: %s in %s: %w", op, showPath(b.path), err)
	}
	return fmt.Errorf("store: %s %s in %s: %w", op, showKey(key), showPath(b.path), err)
}

func (b *boltBucket) Get(key []byte) ([]byte, error) {
	if err := b.t.check(false); err != nil {
		return nil, b.errf("get", key, err)
	}
	if err := checkKey(key); err != nil {
		return nil, b.errf("get", key, err)
	}
	k, v := b.b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) || (v == nil && b.b.Bucket(key) != nil) {
		return nil, b.errf("get", key, ErrNotFound)
	}
	return append([]byte{}, v...), nil
}

func (b *boltBucket) Put(key, value []byte) error {
	if err := b.t.check(true); err != nil {
		return b.errf("put", key, err)
	}
	if err := checkKey(key); err != nil {
		return b.errf("put", key, err)
	}
	if err := checkValue(value); err != nil {
		return b.errf("put", key, err)
	}
	// bbolt keeps the slices until commit: copy them, so a caller may reuse
	// its buffers at once.
	if err := b.b.Put(bytes.Clone(key), append([]byte{}, value...)); err != nil {
		return b.errf("put", key, mapErr(err))
	}
	return nil
}

func (b *boltBucket) Delete(key []byte) error {
	if err := b.t.check(true); err != nil {
		return b.errf("delete", key, err)
	}
	if err := checkKey(key); err != nil {
		return b.errf("delete", key, err)
	}
	if err := b.b.Delete(key); err != nil {
		return b.errf("delete", key, mapErr(err))
	}
	return nil
}

func (b *boltBucket) Scan(opts ScanOptions, fn func(key, value []byte) error) error {
	if err := b.t.check(false); err != nil {
		return b.errf("scan", nil, err)
	}
	c := b.b.Cursor()
	var k, v []byte
	step := c.Next
	if !opts.Reverse {
		if opts.After != nil && bytes.Compare(opts.After, opts.Prefix) >= 0 {
			k, v = c.Seek(opts.After)
			if k != nil && bytes.Equal(k, opts.After) {
				k, v = c.Next()
			}
		} else {
			k, v = c.Seek(opts.Prefix)
		}
	} else {
		step = c.Prev
		// The exclusive upper bound: the smaller of After and the first
		// key past the prefix range (nil: no bound).
		bound := prefixEnd(opts.Prefix)
		if opts.After != nil && (bound == nil || bytes.Compare(opts.After, bound) < 0) {
			bound = opts.After
		}
		if bound == nil {
			k, v = c.Last()
		} else if k, v = c.Seek(bound); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	n := 0
	for ; k != nil && bytes.HasPrefix(k, opts.Prefix); k, v = step() {
		if v == nil && b.b.Bucket(k) != nil {
			continue
		}
		if err := fn(k, v); err != nil {
			if errors.Is(err, ErrStopScan) {
				return nil
			}
			return err
		}
		n++
		if opts.Limit > 0 && n >= opts.Limit {
			break
		}
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func (b *boltBucket) NextSequence() (uint64, error) {
	if err := b.t.check(true); err != nil {
		return 0, b.errf("next sequence", nil, err)
	}
	n, err := b.b.NextSequence()
	if err != nil {
		return 0, b.errf("next sequence", nil, mapErr(err))
	}
	return n, nil
}

func (b *boltBucket) Sequence() uint64 {
	if b.t.done {
		return 0
	}
	return b.b.Sequence()
}

func (b *boltBucket) SetSequence(n uint64) error {
	if err := b.t.check(true); err != nil {
		return b.errf("set sequence", nil, err)
	}
	if err := b.b.SetSequence(n); err != nil {
		return b.errf("set sequence", nil, mapErr(err))
	}
	return nil
}

func (b *boltBucket) sub(name string) []string {
	return append(append(make([]string, 0, len(b.path)+1), b.path...), name)
}

func (b *boltBucket) Bucket(name string) (Bucket, error) {
	path := b.sub(name)
	if err := b.t.check(false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), err)
	}
	nb := b.b.Bucket([]byte(name))
	if nb == nil {
		return nil, fmt.Errorf("store: bucket %s: %w", showPath(path), ErrNotFound)
	}
	return &boltBucket{t: b.t, b: nb, path: path}, nil
}

func (b *boltBucket) CreateBucket(name string) (Bucket, error) {
	path := b.sub(name)
	if err := b.t.check(true); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), err)
	}
	nb, err := b.b.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", showPath(path), mapErr(err))
	}
	return &boltBucket{t: b.t, b: nb, path: path}, nil
}

func (b *boltBucket) DeleteBucket(name string) error {
	path := b.sub(name)
	if err := b.t.check(true); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	if err := checkName(name, false); err != nil {
		return fmt.Errorf("store: delete bucket %s: %w", showPath(path), err)
	}
	err := b.b.DeleteBucket([]byte(name))
	if err == nil || errors.Is(err, bberrors.ErrBucketNotFound) {
		return nil
	}
	return fmt.Errorf("store: delete bucket %s: %w", showPath(path), mapErr(err))
}

func (b *boltBucket) Buckets(fn func(name string) error) error {
	if err := b.t.check(false); err != nil {
		return b.errf("list buckets", nil, err)
	}
	err := b.b.ForEachBucket(func(k []byte) error { return fn(string(k)) })
	if errors.Is(err, ErrStopScan) {
		return nil
	}
	return err
}

// Interface guards.
var (
	_ Store  = (*Bolt)(nil)
	_ Tx     = (*boltTx)(nil)
	_ Bucket = (*boltBucket)(nil)
)
