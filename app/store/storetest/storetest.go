// Package storetest is the conformance suite every store.Store
// implementation passes (the bbolt file store, and wrappers of it such as
// the secrets redactor), and the helpers other packages' tests open and use
// a store with: [Open] (a new store in a temporary file), [OpenFile],
// [Update] and [View].
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"littleboxes/app/store"
)

// Open returns a new bbolt store, its schema applied, in a file under
// t.TempDir(). It is closed when the test ends; closing it sooner is fine.
func Open(t testing.TB) *store.Bolt {
	t.Helper()
	return OpenFile(t, t.TempDir()+"/"+store.FileName)
}

// OpenFile opens the bbolt store at path (creating it, with the default
// schema, if need be), failing the test if it cannot. It is closed when
// the test ends; closing it sooner, to reopen the file, is fine.
func OpenFile(t testing.TB, path string) *store.Bolt {
	t.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Run runs the conformance suite. open returns a new, empty store (its
// schema applied) for each case; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"CopiesValues", testCopiesValues},
		{"InvalidInput", testInvalidInput},
		{"ScanOrder", testScanOrder},
		{"ScanStop", testScanStop},
		{"NestedNamespaces", testNestedNamespaces},
		{"KeyBucketConflict", testConflict},
		{"Sequence", testSequence},
		{"RollbackOnError", testRollbackOnError},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"BatchAtomicity", testBatchAtomicity},
		{"ConcurrentBatch", testConcurrentBatch},
		{"ReadOnly", testReadOnly},
		{"HandleAfterTx", testHandleAfterTx},
		{"ConcurrentReadersWriter", testConcurrentReadersWriter},
		{"Close", testClose},
		{"CloseWaitsForTx", testCloseWaits},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			c.fn(t, s)
		})
	}
}

// RunPersistence checks that a file-backed store keeps what was committed
// across a close and a reopen. open opens the store at path; the suite
// closes it.
func RunPersistence(t *testing.T, open func(t *testing.T, path string) store.Store) {
	t.Helper()
	path := t.TempDir() + "/persist.db"
	s := open(t, path)
	err := s.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket("persist", "inner")
		if err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			n, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(store.Uint64Key(n), []byte(fmt.Sprint("msg", n))); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	// A rolled back write must not survive either.
	errBoom := errors.New("boom")
	err = s.Update(func(tx store.Tx) error {
		b, err := tx.Bucket("persist", "inner")
		if err != nil {
			return err
		}
		if err := b.Put([]byte("rolled-back"), []byte("x")); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	must(t, s.Close())

	s = open(t, path)
	defer s.Close()
	must(t, s.View(func(tx store.Tx) error {
		b, err := tx.Bucket("persist", "inner")
		if err != nil {
			return err
		}
		if got := b.Sequence(); got != 3 {
			t.Errorf("Sequence after reopen = %d, want 3", got)
		}
		got := scanKeys(t, b, store.ScanOptions{})
		want := []string{string(store.Uint64Key(1)), string(store.Uint64Key(2)), string(store.Uint64Key(3))}
		if !slices.Equal(got, want) {
			t.Errorf("keys after reopen = %q, want %q", got, want)
		}
		v, err := b.Get(store.Uint64Key(2))
		if err != nil || string(v) != "msg2" {
			t.Errorf("Get after reopen = %q, %v; want msg2", v, err)
		}
		return nil
	}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

// Update runs fn in an Update on the bucket at path, creating it, and
// fails the test on an error.
func Update(t testing.TB, s store.Store, path []string, fn func(store.Bucket) error) {
	t.Helper()
	inBucket(t, s.Update, store.Tx.CreateBucket, path, fn)
}

// View runs fn in a View on the existing bucket at path, and fails the
// test on an error (a missing bucket included).
func View(t testing.TB, s store.Store, path []string, fn func(store.Bucket) error) {
	t.Helper()
	inBucket(t, s.View, store.Tx.Bucket, path, fn)
}

// inBucket runs fn, in a transaction run starts, on the bucket at path as
// bucket gives it, and fails the test on an error.
func inBucket(t testing.TB, run func(func(store.Tx) error) error, bucket func(store.Tx, ...string) (store.Bucket, error), path []string, fn func(store.Bucket) error) {
	t.Helper()
	must(t, run(func(tx store.Tx) error {
		b, err := bucket(tx, path...)
		if err != nil {
			return err
		}
		return fn(b)
	}))
}

func scanKeys(t *testing.T, b store.Bucket, opts store.ScanOptions) []string {
	t.Helper()
	keys := []string{}
	must(t, b.Scan(opts, func(k, _ []byte) error {
		keys = append(keys, string(k))
		return nil
	}))
	return keys
}

func testRoundTrip(t *testing.T, s store.Store) {
	path := []string{"suite"}
	cases := []struct {
		name       string
		key, value []byte
	}{
		{"ascii", []byte("agent/mailer"), []byte(`{"name":"mailer"}`)},
		{"empty value", []byte("empty"), []byte{}},
		{"nil value", []byte("nil"), nil},
		{"binary key", []byte{0, 0xff, 1, '\n'}, []byte{0, 1, 2}},
		{"unicode", []byte("ключ/🔑"), []byte("значение\nwith newline")},
		{"max key", bytes.Repeat([]byte("k"), store.MaxKeySize), []byte("v")},
		{"large value", []byte("big"), bytes.Repeat([]byte("0123456789"), 100_000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			Update(t, s, path, func(b store.Bucket) error { return b.Put(c.key, c.value) })
			View(t, s, path, func(b store.Bucket) error {
				got, err := b.Get(c.key)
				if err != nil {
					return err
				}
				if got == nil || !bytes.Equal(got, c.value) {
					t.Errorf("Get = %.40q (nil %v), want %.40q", got, got == nil, c.value)
				}
				return nil
			})
			Update(t, s, path, func(b store.Bucket) error { return b.Put(c.key, []byte("second")) })
			View(t, s, path, func(b store.Bucket) error {
				got, err := b.Get(c.key)
				if err != nil || string(got) != "second" {
					t.Errorf("Get after overwrite = %q, %v", got, err)
				}
				return nil
			})
			Update(t, s, path, func(b store.Bucket) error { return b.Delete(c.key) })
			View(t, s, path, func(b store.Bucket) error {
				_, err := b.Get(c.key)
				wantErr(t, "Get after Delete", err, store.ErrNotFound)
				return nil
			})
		})
	}
	t.Run("missing", func(t *testing.T) {
		View(t, s, path, func(b store.Bucket) error {
			_, err := b.Get([]byte("never-put"))
			wantErr(t, "Get missing", err, store.ErrNotFound)
			return nil
		})
		Update(t, s, path, func(b store.Bucket) error {
			if err := b.Delete([]byte("never-put")); err != nil {
				t.Errorf("Delete missing = %v, want nil", err)
			}
			return nil
		})
		err := s.View(func(tx store.Tx) error {
			_, err := tx.Bucket("no-such-bucket")
			return err
		})
		wantErr(t, "Bucket missing", err, store.ErrNotFound)
	})
	t.Run("read own writes", func(t *testing.T) {
		Update(t, s, path, func(b store.Bucket) error {
			if err := b.Put([]byte("row"), []byte("1")); err != nil {
				return err
			}
			got, err := b.Get([]byte("row"))
			if err != nil || string(got) != "1" {
				t.Errorf("Get in the same tx = %q, %v", got, err)
			}
			return nil
		})
	})
}

func testCopiesValues(t *testing.T, s store.Store) {
	path := []string{"suite"}
	key := []byte("key")
	val := []byte("value")
	Update(t, s, path, func(b store.Bucket) error {
		if err := b.Put(key, val); err != nil {
			return err
		}
		// The caller reuses its buffers at once.
		copy(key, "XXX")
		copy(val, "XXXXX")
		return nil
	})
	View(t, s, path, func(b store.Bucket) error {
		got, err := b.Get([]byte("key"))
		if err != nil || string(got) != "value" {
			t.Fatalf("Get = %q, %v; Put must copy key and value", got, err)
		}
		got[0] = 'Z'
		return nil
	})
	var kept []byte
	View(t, s, path, func(b store.Bucket) error {
		got, err := b.Get([]byte("key"))
		if err != nil || string(got) != "value" {
			t.Errorf("Get = %q, %v; Get must return a copy", got, err)
		}
		kept = got
		return nil
	})
	Update(t, s, path, func(b store.Bucket) error { return b.Put([]byte("key"), []byte("other")) })
	if string(kept) != "value" {
		t.Errorf("a value kept after its transaction changed to %q", kept)
	}
}

func testInvalidInput(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		fn   func(store.Tx) error
		want error
	}{
		{"empty key put", func(tx store.Tx) error { return put(tx, []string{"suite"}, nil, []byte("v")) }, store.ErrInvalidKey},
		{"empty key get", func(tx store.Tx) error {
			b, err := tx.CreateBucket("suite")
			if err != nil {
				return err
			}
			_, err = b.Get([]byte{})
			return err
		}, store.ErrInvalidKey},
		{"key too large", func(tx store.Tx) error {
			return put(tx, []string{"suite"}, make([]byte, store.MaxKeySize+1), nil)
		}, store.ErrInvalidKey},
		{"empty path", func(tx store.Tx) error { _, err := tx.CreateBucket(); return err }, store.ErrInvalidName},
		{"empty name", func(tx store.Tx) error { _, err := tx.CreateBucket("suite", ""); return err }, store.ErrInvalidName},
		{"reserved top-level name", func(tx store.Tx) error { _, err := tx.CreateBucket("_littleboxes"); return err }, store.ErrInvalidName},
		{"reserved name read", func(tx store.Tx) error { _, err := tx.Bucket("_littleboxes"); return err }, store.ErrInvalidName},
		{"nested empty name", func(tx store.Tx) error {
			b, err := tx.CreateBucket("suite")
			if err != nil {
				return err
			}
			_, err = b.CreateBucket("")
			return err
		}, store.ErrInvalidName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Update(c.fn)
			wantErr(t, "Update", err, c.want)
		})
	}
	t.Run("underscore allowed below the top", func(t *testing.T) {
		Update(t, s, []string{"suite", "_private"}, func(b store.Bucket) error { return b.Put([]byte("_k"), nil) })
	})
}

func put(tx store.Tx, path []string, k, v []byte) error {
	b, err := tx.CreateBucket(path...)
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

func testScanOrder(t *testing.T, s store.Store) {
	path := []string{"suite", "scan"}
	keys := []string{"a", "a/1", "a/2", "a/10", "ab", "b", "b/x", "\x00", "\xff", "\xff\xff", "a\xff", "c"}
	Update(t, s, path, func(b store.Bucket) error {
		for _, k := range keys {
			if err := b.Put([]byte(k), []byte("v:"+k)); err != nil {
				return err
			}
		}
		// A nested bucket among the keys is not listed by Scan.
		_, err := b.CreateBucket("a/3")
		return err
	})
	cases := []struct {
		name string
		opts store.ScanOptions
		want []string
	}{
		{"all", store.ScanOptions{}, []string{"\x00", "a", "a/1", "a/10", "a/2", "ab", "a\xff", "b", "b/x", "c", "\xff", "\xff\xff"}},
		{"prefix", store.ScanOptions{Prefix: []byte("a/")}, []string{"a/1", "a/10", "a/2"}},
		{"prefix a", store.ScanOptions{Prefix: []byte("a")}, []string{"a", "a/1", "a/10", "a/2", "ab", "a\xff"}},
		{"prefix none", store.ScanOptions{Prefix: []byte("zz")}, []string{}},
		{"prefix ff", store.ScanOptions{Prefix: []byte("\xff")}, []string{"\xff", "\xff\xff"}},
		{"limit", store.ScanOptions{Limit: 2}, []string{"\x00", "a"}},
		{"after", store.ScanOptions{After: []byte("b")}, []string{"b/x", "c", "\xff", "\xff\xff"}},
		{"after absent key", store.ScanOptions{After: []byte("a/15")}, []string{"a/2", "ab", "a\xff", "b", "b/x", "c", "\xff", "\xff\xff"}},
		{"after with prefix", store.ScanOptions{Prefix: []byte("a/"), After: []byte("a/1")}, []string{"a/10", "a/2"}},
		{"after before prefix", store.ScanOptions{Prefix: []byte("b"), After: []byte("a")}, []string{"b", "b/x"}},
		{"after past prefix", store.ScanOptions{Prefix: []byte("a/"), After: []byte("b")}, []string{}},
		{"reverse", store.ScanOptions{Reverse: true}, []string{"\xff\xff", "\xff", "c", "b/x", "b", "a\xff", "ab", "a/2", "a/10", "a/1", "a", "\x00"}},
		{"reverse prefix", store.ScanOptions{Prefix: []byte("a/"), Reverse: true}, []string{"a/2", "a/10", "a/1"}},
		{"reverse prefix ff", store.ScanOptions{Prefix: []byte("\xff"), Reverse: true}, []string{"\xff\xff", "\xff"}},
		{"reverse limit", store.ScanOptions{Reverse: true, Limit: 3}, []string{"\xff\xff", "\xff", "c"}},
		{"reverse after", store.ScanOptions{Reverse: true, After: []byte("a/2")}, []string{"a/10", "a/1", "a", "\x00"}},
		{"reverse after with prefix", store.ScanOptions{Prefix: []byte("a"), Reverse: true, After: []byte("a\xff")}, []string{"ab", "a/2", "a/10", "a/1", "a"}},
		{"reverse after past prefix", store.ScanOptions{Prefix: []byte("a/"), Reverse: true, After: []byte("zzz")}, []string{"a/2", "a/10", "a/1"}},
		{"reverse after before prefix", store.ScanOptions{Prefix: []byte("b"), Reverse: true, After: []byte("a")}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			View(t, s, path, func(b store.Bucket) error {
				got := []string{}
				err := b.Scan(c.opts, func(k, v []byte) error {
					if string(v) != "v:"+string(k) {
						t.Errorf("value of %q = %q", k, v)
					}
					got = append(got, string(k))
					return nil
				})
				if !slices.Equal(got, c.want) {
					t.Errorf("Scan = %q, want %q", got, c.want)
				}
				return err
			})
		})
	}
	t.Run("uint64 keys in numeric order", func(t *testing.T) {
		nums := []uint64{1 << 40, 3, 256, 0, 255, 1<<64 - 1}
		Update(t, s, []string{"suite", "nums"}, func(b store.Bucket) error {
			for _, n := range nums {
				if err := b.Put(store.Uint64Key(n), nil); err != nil {
					return err
				}
			}
			return nil
		})
		View(t, s, []string{"suite", "nums"}, func(b store.Bucket) error {
			var got []uint64
			err := b.Scan(store.ScanOptions{}, func(k, _ []byte) error {
				n, err := store.KeyUint64(k)
				got = append(got, n)
				return err
			})
			want := slices.Sorted(slices.Values(nums))
			if !slices.Equal(got, want) {
				t.Errorf("order = %v, want %v", got, want)
			}
			return err
		})
	})
}

func testScanStop(t *testing.T, s store.Store) {
	path := []string{"suite"}
	Update(t, s, path, func(b store.Bucket) error {
		for i := range 10 {
			if err := b.Put([]byte{byte('a' + i)}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	errBoom := errors.New("boom")
	View(t, s, path, func(b store.Bucket) error {
		n := 0
		err := b.Scan(store.ScanOptions{}, func(k, _ []byte) error {
			if n++; n == 3 {
				return store.ErrStopScan
			}
			return nil
		})
		if err != nil || n != 3 {
			t.Errorf("Scan stopped = %v after %d, want nil after 3", err, n)
		}
		n = 0
		err = b.Scan(store.ScanOptions{}, func(k, _ []byte) error {
			if n++; n == 2 {
				return errBoom
			}
			return nil
		})
		if !errors.Is(err, errBoom) || n != 2 {
			t.Errorf("Scan failing = %v after %d, want %v after 2", err, n, errBoom)
		}
		return nil
	})
}

func testNestedNamespaces(t *testing.T, s store.Store) {
	for _, cap := range []string{"kv-a", "kv-b"} {
		Update(t, s, []string{"data", cap}, func(b store.Bucket) error {
			for _, k := range []string{"shared", cap + "-only"} {
				if err := b.Put([]byte(k), []byte(cap)); err != nil {
					return err
				}
			}
			_, err := b.CreateBucket("deeper")
			return err
		})
	}
	Update(t, s, []string{"data"}, func(b store.Bucket) error { return b.Put([]byte("top"), []byte("data")) })
	for _, cap := range []string{"kv-a", "kv-b"} {
		View(t, s, []string{"data", cap}, func(b store.Bucket) error {
			got := scanKeys(t, b, store.ScanOptions{})
			if want := []string{cap + "-only", "shared"}; !slices.Equal(got, want) {
				t.Errorf("%s keys = %q, want %q", cap, got, want)
			}
			v, err := b.Get([]byte("shared"))
			if err != nil || string(v) != cap {
				t.Errorf("%s shared = %q, %v", cap, v, err)
			}
			return nil
		})
	}
	View(t, s, []string{"data"}, func(b store.Bucket) error {
		if got := scanKeys(t, b, store.ScanOptions{}); !slices.Equal(got, []string{"top"}) {
			t.Errorf("parent keys = %q, want only its own", got)
		}
		var names []string
		must(t, b.Buckets(func(n string) error { names = append(names, n); return nil }))
		if want := []string{"kv-a", "kv-b"}; !slices.Equal(names, want) {
			t.Errorf("Buckets = %q, want %q", names, want)
		}
		_, err := b.Get([]byte("kv-a"))
		wantErr(t, "Get of a bucket name", err, store.ErrNotFound)
		return nil
	})
	must(t, s.Update(func(tx store.Tx) error { return tx.DeleteBucket("data", "kv-a") }))
	must(t, s.View(func(tx store.Tx) error {
		_, err := tx.Bucket("data", "kv-a")
		wantErr(t, "deleted bucket", err, store.ErrNotFound)
		_, err = tx.Bucket("data", "kv-a", "deeper")
		wantErr(t, "child of deleted bucket", err, store.ErrNotFound)
		b, err := tx.Bucket("data", "kv-b")
		if err != nil {
			return err
		}
		if got := scanKeys(t, b, store.ScanOptions{}); len(got) != 2 {
			t.Errorf("sibling lost keys: %q", got)
		}
		_, err = tx.Bucket("data", "kv-b", "deeper")
		return err
	}))
	must(t, s.Update(func(tx store.Tx) error {
		// Deleting what is not there is not an error.
		if err := tx.DeleteBucket("data", "kv-a"); err != nil {
			return err
		}
		if err := tx.DeleteBucket("no-such", "bucket"); err != nil {
			return err
		}
		b, err := tx.Bucket("data")
		if err != nil {
			return err
		}
		return b.DeleteBucket("kv-a")
	}))
	var top []string
	must(t, s.View(func(tx store.Tx) error {
		return tx.Buckets(func(n string) error { top = append(top, n); return nil })
	}))
	if !slices.Contains(top, "data") || slices.ContainsFunc(top, func(n string) bool { return strings.HasPrefix(n, "_") }) {
		t.Errorf("top-level Buckets = %q: want data, and no reserved name", top)
	}
	if !slices.IsSorted(top) {
		t.Errorf("top-level Buckets not sorted: %q", top)
	}
}

func testConflict(t *testing.T, s store.Store) {
	path := []string{"suite"}
	Update(t, s, path, func(b store.Bucket) error {
		if err := b.Put([]byte("key"), []byte("v")); err != nil {
			return err
		}
		_, err := b.CreateBucket("sub")
		return err
	})
	cases := []struct {
		name string
		fn   func(store.Bucket) error
	}{
		{"put over bucket", func(b store.Bucket) error { return b.Put([]byte("sub"), []byte("v")) }},
		{"delete bucket as key", func(b store.Bucket) error { return b.Delete([]byte("sub")) }},
		{"create bucket over key", func(b store.Bucket) error { _, err := b.CreateBucket("key"); return err }},
		{"delete key as bucket", func(b store.Bucket) error { return b.DeleteBucket("key") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Update(func(tx store.Tx) error {
				b, err := tx.Bucket(path...)
				if err != nil {
					return err
				}
				return c.fn(b)
			})
			wantErr(t, c.name, err, store.ErrConflict)
		})
	}
	View(t, s, path, func(b store.Bucket) error {
		_, err := b.Bucket("key")
		wantErr(t, "Bucket of a key", err, store.ErrNotFound)
		return nil
	})
}

func testSequence(t *testing.T, s store.Store) {
	next := func(path ...string) uint64 {
		t.Helper()
		var n uint64
		Update(t, s, path, func(b store.Bucket) (err error) { n, err = b.NextSequence(); return err })
		return n
	}
	for i := uint64(1); i <= 3; i++ {
		if got := next("suite", "q1"); got != i {
			t.Errorf("q1 NextSequence = %d, want %d", got, i)
		}
	}
	if got := next("suite", "q2"); got != 1 {
		t.Errorf("q2 NextSequence = %d, want 1: sequences are per bucket", got)
	}
	errBoom := errors.New("boom")
	err := s.Update(func(tx store.Tx) error {
		b, err := tx.Bucket("suite", "q1")
		if err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "Update", err, errBoom)
	if got := next("suite", "q1"); got != 4 {
		t.Errorf("NextSequence after a rolled back one = %d, want 4", got)
	}
	Update(t, s, []string{"suite", "q1"}, func(b store.Bucket) error { return b.SetSequence(100) })
	View(t, s, []string{"suite", "q1"}, func(b store.Bucket) error {
		if got := b.Sequence(); got != 100 {
			t.Errorf("Sequence = %d, want 100", got)
		}
		return nil
	})
	if got := next("suite", "q1"); got != 101 {
		t.Errorf("NextSequence after SetSequence(100) = %d, want 101", got)
	}
}

func testRollbackOnError(t *testing.T, s store.Store) {
	setUpRollback(t, s)
	errBoom := errors.New("boom")
	err := s.Update(func(tx store.Tx) error {
		b, err := tx.Bucket("suite")
		if err != nil {
			return err
		}
		if err := b.Put([]byte("kept"), []byte("new")); err != nil {
			return err
		}
		if err := b.Put([]byte("added"), []byte("x")); err != nil {
			return err
		}
		if _, err := tx.CreateBucket("rolled-back-bucket"); err != nil {
			return err
		}
		if err := tx.DeleteBucket("doomed"); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	wantErr(t, "Update", err, errBoom)
	checkUnchanged(t, s)
}

func setUpRollback(t *testing.T, s store.Store) {
	t.Helper()
	Update(t, s, []string{"suite"}, func(b store.Bucket) error { return b.Put([]byte("kept"), []byte("old")) })
	Update(t, s, []string{"doomed"}, func(b store.Bucket) error { return b.Put([]byte("k"), nil) })
}

func checkUnchanged(t *testing.T, s store.Store) {
	t.Helper()
	must(t, s.View(func(tx store.Tx) error {
		b, err := tx.Bucket("suite")
		if err != nil {
			return err
		}
		if v, err := b.Get([]byte("kept")); err != nil || string(v) != "old" {
			t.Errorf("kept = %q, %v; want old", v, err)
		}
		_, err = b.Get([]byte("added"))
		wantErr(t, "added key", err, store.ErrNotFound)
		_, err = tx.Bucket("rolled-back-bucket")
		wantErr(t, "added bucket", err, store.ErrNotFound)
		if _, err := tx.Bucket("doomed"); err != nil {
			t.Errorf("deleted bucket = %v, want it back", err)
		}
		return nil
	}))
}

func testRollbackOnPanic(t *testing.T, s store.Store) {
	setUpRollback(t, s)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic to propagate", r)
			}
		}()
		_ = s.Update(func(tx store.Tx) error {
			b, _ := tx.Bucket("suite")
			_ = b.Put([]byte("kept"), []byte("new"))
			_ = b.Put([]byte("added"), []byte("x"))
			_, _ = tx.CreateBucket("rolled-back-bucket")
			_ = tx.DeleteBucket("doomed")
			panic("boom")
		})
	}()
	checkUnchanged(t, s)
	// The store still takes writes after a panic.
	Update(t, s, []string{"suite"}, func(b store.Bucket) error { return b.Put([]byte("after"), nil) })
}

func testBatchAtomicity(t *testing.T, s store.Store) {
	const n = 1000
	key := func(i int) []byte { return fmt.Appendf(nil, "msg/%05d", i) }
	errBoom := errors.New("boom")
	for _, fail := range []bool{true, false} {
		err := s.Update(func(tx store.Tx) error {
			b, err := tx.CreateBucket("suite", "batch")
			if err != nil {
				return err
			}
			for i := range n {
				if err := b.Put(key(i), key(i)); err != nil {
					return err
				}
			}
			if fail {
				return errBoom
			}
			return nil
		})
		if fail {
			wantErr(t, "failing batch", err, errBoom)
			err := s.View(func(tx store.Tx) error {
				_, err := tx.Bucket("suite", "batch")
				return err
			})
			wantErr(t, "bucket of a failed batch", err, store.ErrNotFound)
			continue
		}
		must(t, err)
		View(t, s, []string{"suite", "batch"}, func(b store.Bucket) error {
			if got := scanKeys(t, b, store.ScanOptions{}); len(got) != n {
				t.Errorf("batch wrote %d keys, want %d", len(got), n)
			}
			return nil
		})
	}
}

func testConcurrentBatch(t *testing.T, s store.Store) {
	const writers, each = 16, 20
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := s.Batch(func(tx store.Tx) error {
					b, err := tx.CreateBucket("suite", "batch")
					if err != nil {
						return err
					}
					if err := b.Put(fmt.Appendf(nil, "w%02d/%02d", w, i), nil); err != nil {
						return err
					}
					if i == 7 { // one failing call per writer: only it is lost
						return errBoom
					}
					return nil
				})
				if (i == 7) != errors.Is(err, errBoom) {
					t.Errorf("Batch w%d/%d = %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	View(t, s, []string{"suite", "batch"}, func(b store.Bucket) error {
		got := scanKeys(t, b, store.ScanOptions{})
		if len(got) != writers*(each-1) {
			t.Errorf("concurrent Batch wrote %d keys, want %d", len(got), writers*(each-1))
		}
		for _, k := range got {
			if strings.HasSuffix(k, "/07") {
				t.Errorf("failed Batch call's key %q was committed", k)
			}
		}
		return nil
	})
}

func testReadOnly(t *testing.T, s store.Store) {
	Update(t, s, []string{"suite"}, func(b store.Bucket) error { return b.Put([]byte("k"), nil) })
	cases := []struct {
		name string
		fn   func(tx store.Tx, b store.Bucket) error
	}{
		{"put", func(_ store.Tx, b store.Bucket) error { return b.Put([]byte("k"), []byte("v")) }},
		{"delete", func(_ store.Tx, b store.Bucket) error { return b.Delete([]byte("k")) }},
		{"next sequence", func(_ store.Tx, b store.Bucket) error { _, err := b.NextSequence(); return err }},
		{"set sequence", func(_ store.Tx, b store.Bucket) error { return b.SetSequence(3) }},
		{"create bucket", func(_ store.Tx, b store.Bucket) error { _, err := b.CreateBucket("x"); return err }},
		{"delete bucket", func(_ store.Tx, b store.Bucket) error { return b.DeleteBucket("x") }},
		{"tx create bucket", func(tx store.Tx, _ store.Bucket) error { _, err := tx.CreateBucket("suite"); return err }},
		{"tx delete bucket", func(tx store.Tx, _ store.Bucket) error { return tx.DeleteBucket("suite") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.View(func(tx store.Tx) error {
				if tx.Writable() {
					t.Error("View's Tx is Writable")
				}
				b, err := tx.Bucket("suite")
				if err != nil {
					return err
				}
				return c.fn(tx, b)
			})
			wantErr(t, c.name, err, store.ErrReadOnly)
		})
	}
}

func testHandleAfterTx(t *testing.T, s store.Store) {
	var kept store.Bucket
	var keptTx store.Tx
	Update(t, s, []string{"suite"}, func(b store.Bucket) error {
		kept = b
		return nil
	})
	must(t, s.Update(func(tx store.Tx) error { keptTx = tx; return nil }))
	wantErr(t, "Put after the tx", kept.Put([]byte("k"), nil), store.ErrTxClosed)
	_, err := kept.Get([]byte("k"))
	wantErr(t, "Get after the tx", err, store.ErrTxClosed)
	wantErr(t, "Scan after the tx", kept.Scan(store.ScanOptions{}, func(k, v []byte) error { return nil }), store.ErrTxClosed)
	_, err = keptTx.CreateBucket("x")
	wantErr(t, "CreateBucket after the tx", err, store.ErrTxClosed)
	_, err = keptTx.Bucket("suite")
	wantErr(t, "Bucket after the tx", err, store.ErrTxClosed)
}

// testConcurrentReadersWriter moves units between two keys while readers
// check that every snapshot they see sums to the same total.
func testConcurrentReadersWriter(t *testing.T, s store.Store) {
	const total, moves, readers = 1000, 200, 4
	enc := func(n int) []byte { return fmt.Append(nil, n) }
	dec := func(b []byte) int {
		var n int
		fmt.Sscan(string(b), &n)
		return n
	}
	// balances reads the two keys.
	balances := func(b store.Bucket) (a, bb int, err error) {
		va, err := b.Get([]byte("a"))
		if err != nil {
			return 0, 0, err
		}
		vb, err := b.Get([]byte("b"))
		return dec(va), dec(vb), err
	}
	Update(t, s, []string{"suite"}, func(b store.Bucket) error {
		if err := b.Put([]byte("a"), enc(total)); err != nil {
			return err
		}
		return b.Put([]byte("b"), enc(0))
	})
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(func(tx store.Tx) error {
					b, err := tx.Bucket("suite")
					if err != nil {
						return err
					}
					a, bb, err := balances(b)
					if err != nil {
						return err
					}
					if sum := a + bb; sum != total {
						return fmt.Errorf("snapshot sums to %d, want %d", sum, total)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range moves {
		Update(t, s, []string{"suite"}, func(b store.Bucket) error {
			a, bb, err := balances(b)
			if err != nil {
				return err
			}
			if err := b.Put([]byte("a"), enc(a-1)); err != nil {
				return err
			}
			return b.Put([]byte("b"), enc(bb+1))
		})
	}
	close(done)
	wg.Wait()
	View(t, s, []string{"suite"}, func(b store.Bucket) error {
		v, _ := b.Get([]byte("b"))
		if dec(v) != moves {
			t.Errorf("b = %s, want %d", v, moves)
		}
		return nil
	})
}

func testClose(t *testing.T, s store.Store) {
	Update(t, s, []string{"suite"}, func(b store.Bucket) error { return b.Put([]byte("k"), nil) })
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	noop := func(store.Tx) error { return nil }
	wantErr(t, "View after Close", s.View(noop), store.ErrClosed)
	wantErr(t, "Update after Close", s.Update(noop), store.ErrClosed)
	wantErr(t, "Batch after Close", s.Batch(noop), store.ErrClosed)
}

func testCloseWaits(t *testing.T, s store.Store) {
	Update(t, s, []string{"suite"}, func(b store.Bucket) error { return nil })
	started, release := make(chan struct{}), make(chan struct{})
	viewDone := make(chan error, 1)
	go func() {
		viewDone <- s.View(func(tx store.Tx) error {
			close(started)
			<-release
			_, err := tx.Bucket("suite")
			return err
		})
	}()
	<-started
	closeDone := make(chan error, 1)
	go func() { closeDone <- s.Close() }()
	select {
	case err := <-closeDone:
		t.Errorf("Close returned (%v) while a View was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-viewDone; err != nil {
		t.Errorf("View running across Close = %v", err)
	}
	if err := <-closeDone; err != nil {
		t.Errorf("Close = %v", err)
	}
}
