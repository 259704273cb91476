// Package store is littleboxes' persistence: the army (agents, capabilities,
// channels), capability configs, secret names (never their values),
// per-capability data such as a kv capability's namespace with its persisted
// label, and, from the engine, per army, durable channel queues, pending
// approvals and run records.
//
// A [Store] is a tree of named buckets holding ordered byte keys and byte
// values, read and written only inside transactions: [Store.View] for a
// consistent read-only snapshot, [Store.Update] for one atomic read-write
// transaction (several writes in one commit: the way to batch), and
// [Store.Batch] to let concurrent writers share a commit. Keys are ordered
// bytewise, so big-endian sequence numbers ([Uint64Key], [Bucket.NextSequence])
// give FIFO queues and newest-first listings for free.
//
// The implementation is [Bolt], a single file in bbolt (this is the only
// package of littleboxes that imports bbolt); package storetest holds the
// conformance suite every Store passes, wrappers included, and the helpers
// other packages' tests open a store with.
//
// The file carries a schema version. [Open] runs the pending [Migration]s of
// [Options.Migrations] (default [Schema]) in one transaction, and refuses a
// file written by a newer littleboxes with [ErrNewerSchema]. A second process
// opening the same file gets [ErrLocked] once [Options.LockTimeout] passes.
//
// Values the store hands out are copies, safe to keep after the transaction,
// except inside [Bucket.Scan], whose key and value are valid only during the
// callback. Handles ([Tx], [Bucket]) must not be used after the function that
// received them returns, nor from several goroutines at once.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Errors callers test for with errors.Is. Every error the store returns
// carries context (the operation, the bucket path, the key) and wraps one of
// these, or the error returned by the caller's own transaction function.
var (
	// ErrNotFound: no value under that key, or no bucket at that path.
	ErrNotFound = errors.New("not found")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store is closed")
	// ErrTxClosed: a Tx or Bucket was used after its transaction ended.
	ErrTxClosed = errors.New("transaction has ended")
	// ErrReadOnly: a write was attempted in a read-only (View) transaction.
	ErrReadOnly = errors.New("transaction is read-only")
	// ErrInvalidKey: a key is empty or longer than MaxKeySize, or a value
	// is longer than MaxValueSize.
	ErrInvalidKey = errors.New("invalid key or value")
	// ErrInvalidName: a bucket name is empty, longer than MaxKeySize, or a
	// top-level name starts with '_' (reserved for the store).
	ErrInvalidName = errors.New("invalid bucket name")
	// ErrConflict: a key is used as both a value and a nested bucket in
	// the same bucket.
	ErrConflict = errors.New("name is both a key and a bucket")
	// ErrLocked: another process holds the database file.
	ErrLocked = errors.New("database is in use by another littleboxes process")
	// ErrNewerSchema: the file was written by a newer littleboxes.
	ErrNewerSchema = errors.New("database was written by a newer littleboxes")
	// ErrStopScan may be returned by a Bucket.Scan callback to end the scan
	// early; Scan then returns nil.
	ErrStopScan = errors.New("stop scan")
)

// Limits on keys and values, the same for every implementation (bbolt's).
const (
	MaxKeySize   = 32768
	MaxValueSize = 1<<31 - 2
)

// DefaultLockTimeout is how long Open waits for another process to release
// the database file when Options.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// Store is a transactional tree of buckets. Its methods are safe for
// concurrent use: any number of View transactions run alongside at most one
// read-write transaction, and each sees a consistent snapshot.
type Store interface {
	// View runs fn in a read-only transaction and returns its error.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed if fn returns
	// nil and rolled back (nothing written) if it returns an error or
	// panics. Its error is fn's error, unwrapped, or a commit error.
	Update(fn func(Tx) error) error
	// Batch is Update for many concurrent small writers: calls made at
	// about the same time from different goroutines may share one
	// transaction and one disk sync. fn may therefore run more than once
	// and must have no effect but on the transaction. If fn fails, the
	// others in the batch are retried without it.
	Batch(fn func(Tx) error) error
	// Close releases the store. Transactions started after Close fail with
	// ErrClosed; Close waits for running ones. Close is idempotent.
	Close() error
}

// Tx is a transaction: the root of the bucket tree. Only buckets live at the
// top level. Paths are bucket names from the top, e.g. ("data", "kv-main").
type Tx interface {
	// Writable reports whether this is a read-write transaction.
	Writable() bool
	// Bucket returns the existing bucket at path, or ErrNotFound.
	Bucket(path ...string) (Bucket, error)
	// CreateBucket returns the bucket at path, creating it and any missing
	// parent (read-write transactions only).
	CreateBucket(path ...string) (Bucket, error)
	// DeleteBucket deletes the bucket at path with all it holds. Deleting a
	// bucket that does not exist is not an error.
	DeleteBucket(path ...string) error
	// Buckets calls fn with each top-level bucket name, in order.
	Buckets(fn func(name string) error) error
}

// Bucket holds ordered keys with values, nested buckets, and a sequence.
// Nested buckets are namespaces: the keys of one never appear in another.
type Bucket interface {
	// Get returns a copy of the value under key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Put sets the value under key. key and value are copied.
	Put(key, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(key []byte) error
	// Scan calls fn for the key/value pairs selected by opts, in key order
	// (reversed with opts.Reverse), skipping nested buckets. key and value
	// are valid only during fn and must not be modified; the bucket must
	// not be modified during the scan. fn returning ErrStopScan ends the
	// scan without error; any other error ends it and is returned.
	Scan(opts ScanOptions, fn func(key, value []byte) error) error
	// NextSequence increments the bucket's sequence and returns it (the
	// first call returns 1). Use it, with Uint64Key, for ordered ids.
	NextSequence() (uint64, error)
	// Sequence returns the bucket's current sequence.
	Sequence() uint64
	// SetSequence sets the bucket's sequence.
	SetSequence(n uint64) error
	// Bucket returns the existing nested bucket name, or ErrNotFound.
	Bucket(name string) (Bucket, error)
	// CreateBucket returns the nested bucket name, creating it if needed.
	CreateBucket(name string) (Bucket, error)
	// DeleteBucket deletes the nested bucket name with all it holds;
	// deleting a missing one is not an error.
	DeleteBucket(name string) error
	// Buckets calls fn with each nested bucket's name, in order.
	Buckets(fn func(name string) error) error
}

// ScanOptions selects what Bucket.Scan visits.
type ScanOptions struct {
	// Prefix limits the scan to keys that start with it.
	Prefix []byte
	// After starts the scan strictly after this key (strictly before it
	// when Reverse): pass the last key seen to page through a bucket.
	After []byte
	// Reverse visits keys from the greatest to the smallest.
	Reverse bool
	// Limit stops after this many pairs; zero means no limit.
	Limit int
}

// Options configures Open and OpenReadOnly.
type Options struct {
	// Migrations is the schema: Migrations[i] upgrades a store from
	// version i to version i+1. Nil means Schema; pass an empty, non-nil
	// slice for none.
	Migrations []Migration
	// LockTimeout is how long Open waits for the file lock another process
	// holds before failing with ErrLocked; zero means DefaultLockTimeout.
	LockTimeout time.Duration
}

// Migration is one step of the schema, run once per file, in order, all
// pending steps in one transaction at open: if one fails, the file is left as
// it was.
type Migration struct {
	// Name says what the step does; it appears in errors.
	Name string
	// Up applies the step.
	Up func(tx Tx) error
}

func (o Options) migrations() []Migration {
	if o.Migrations == nil {
		return Schema
	}
	return o.Migrations
}

// InBucket runs fn on the bucket at path in tx, and does nothing, returning
// nil, when there is no bucket there: for the reads and deletes to which a
// bucket never created is an empty one.
func InBucket(tx Tx, path []string, fn func(Bucket) error) error {
	b, err := tx.Bucket(path...)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return fn(b)
}

// Uint64Key encodes n as an 8-byte big-endian key, so that numeric order is
// key order.
func Uint64Key(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// KeyUint64 decodes a key made by Uint64Key.
func KeyUint64(key []byte) (uint64, error) {
	if len(key) != 8 {
		return 0, fmt.Errorf("store: key of %d bytes is not a uint64 key: %w", len(key), ErrInvalidKey)
	}
	return binary.BigEndian.Uint64(key), nil
}

// metaBucket is the reserved top-level bucket holding the schema version.
const (
	metaBucket = "_littleboxes"
	schemaKey  = "schema"
)

func checkKey(key []byte) error {
	if len(key) == 0 || len(key) > MaxKeySize {
		return fmt.Errorf("key of %d bytes: %w", len(key), ErrInvalidKey)
	}
	return nil
}

func checkValue(value []byte) error {
	if int64(len(value)) > MaxValueSize {
		return fmt.Errorf("value of %d bytes: %w", len(value), ErrInvalidKey)
	}
	return nil
}

func checkName(name string, top bool) error {
	if name == "" || len(name) > MaxKeySize {
		return fmt.Errorf("bucket name of %d bytes: %w", len(name), ErrInvalidName)
	}
	if top && name[0] == '_' {
		return fmt.Errorf("bucket name %q is reserved: %w", name, ErrInvalidName)
	}
	return nil
}

func checkPath(path []string) error {
	if len(path) == 0 {
		return fmt.Errorf("empty bucket path: %w", ErrInvalidName)
	}
	for i, n := range path {
		if err := checkName(n, i == 0); err != nil {
			return err
		}
	}
	return nil
}

// showKey renders a key for an error message: quoted, and cut when long.
func showKey(key []byte) string {
	const max = 64
	if len(key) > max {
		return fmt.Sprintf("%q…(%d bytes)", key[:max], len(key))
	}
	return fmt.Sprintf("%q", key)
}

// showPath renders a bucket path for an error message.
func showPath(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "/"
		}
		if len(p) > 64 {
			p = p[:64] + "…"
		}
		s += p
	}
	return s
}

// migrate brings tx's schema from its stored version to len(ms).
func migrate(tx Tx, meta Bucket, ms []Migration) error {
	cur := uint64(0)
	if v, err := meta.Get([]byte(schemaKey)); err == nil {
		if cur, err = KeyUint64(v); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	want := uint64(len(ms))
	if cur > want {
		return fmt.Errorf("schema version %d, this littleboxes knows up to %d (upgrade littleboxes): %w", cur, want, ErrNewerSchema)
	}
	for i := cur; i < want; i++ {
		m := ms[i]
		if m.Up == nil {
			return fmt.Errorf("migration %d (%s): no Up function", i+1, m.Name)
		}
		if err := m.Up(tx); err != nil {
			return fmt.Errorf("migration %d (%s): %w", i+1, m.Name, err)
		}
	}
	if cur == want {
		return nil
	}
	return meta.Put([]byte(schemaKey), Uint64Key(want))
}
