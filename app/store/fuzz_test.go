package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"littleboxes/app/store"
)

// FuzzKeys applies the same operations, decoded from the fuzz input, to the
// bbolt store and the memory store, and checks that they agree on every
// result: keys are arbitrary bytes from outside (kv capability keys, names).
//
// Input: a sequence of ops, each [op, keylen, key...]; op%4: 0 put (value:
// the op's position), 1 delete, 2 get, 3 scan with the key as prefix
// (reversed when op&4, limited to 2 when op&8).
func FuzzKeys(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 2, 'a', 'b', 3, 1, 'a', 1, 1, 'a', 2, 1, 'a'})
	f.Add([]byte{0, 1, 0xff, 0, 2, 0xff, 0xff, 7, 1, 0xff, 11, 0})
	f.Add([]byte{0, 0, 2, 0, 1, 0})
	dir := f.TempDir()
	bolt, err := store.Open(filepath.Join(dir, "fuzz.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { bolt.Close() })
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		mem, err := store.OpenMemory(store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer mem.Close()
		n++
		bucket := fmt.Sprint("fuzz", n)
		run := func(s store.Store) []string {
			var log []string
			err := s.Update(func(tx store.Tx) error {
				b, err := tx.CreateBucket(bucket)
				if err != nil {
					return err
				}
				log = apply(b, data)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// What was committed reads back the same.
			err = s.View(func(tx store.Tx) error {
				b, err := tx.Bucket(bucket)
				if err != nil {
					return err
				}
				return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
					log = append(log, fmt.Sprintf("final %q=%q", k, v))
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			return log
		}
		got, want := run(bolt), run(mem)
		if !slices.Equal(got, want) {
			t.Fatalf("bolt and memory disagree:\nbolt:   %q\nmemory: %q", got, want)
		}
		if err := bolt.Update(func(tx store.Tx) error { return tx.DeleteBucket(bucket) }); err != nil {
			t.Fatal(err)
		}
	})
}

// apply runs the ops encoded in data on b and logs every result.
func apply(b store.Bucket, data []byte) []string {
	var log []string
	errName := func(err error) string {
		for _, e := range []error{store.ErrInvalidKey, store.ErrNotFound, store.ErrConflict} {
			if errors.Is(err, e) {
				return e.Error()
			}
		}
		if err != nil {
			return "other: " + err.Error()
		}
		return "ok"
	}
	for pos := 0; len(data) >= 2; pos++ {
		op, klen := data[0], int(data[1])%16
		data = data[2:]
		klen = min(klen, len(data))
		key := bytes.Clone(data[:klen])
		data = data[klen:]
		switch op % 4 {
		case 0:
			log = append(log, fmt.Sprintf("put %q: %s", key, errName(b.Put(key, fmt.Append(nil, pos)))))
		case 1:
			log = append(log, fmt.Sprintf("delete %q: %s", key, errName(b.Delete(key))))
		case 2:
			v, err := b.Get(key)
			log = append(log, fmt.Sprintf("get %q: %q %s", key, v, errName(err)))
		case 3:
			opts := store.ScanOptions{Prefix: key, Reverse: op&4 != 0}
			if op&8 != 0 {
				opts.Limit = 2
			}
			if op&16 != 0 && len(key) > 0 {
				opts.After, opts.Prefix = key, key[:len(key)-1]
			}
			var keys []string
			err := b.Scan(opts, func(k, v []byte) error {
				keys = append(keys, string(k))
				return nil
			})
			log = append(log, fmt.Sprintf("scan %+v: %q %s", opts, keys, errName(err)))
		}
	}
	return log
}
