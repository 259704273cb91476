package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
)

// FuzzKeys applies the operations decoded from the fuzz input to a bucket
// of the bbolt store and to a reference model (a map, sorted when scanned),
// and checks that they agree on every result and on what was committed:
// keys are arbitrary bytes from outside (kv capability keys, names).
//
// Input: a sequence of ops, each [op, keylen, key...]; op%4: 0 put (value:
// the op's position), 1 delete, 2 get, 3 scan with the key as prefix
// (reversed when op&4, limited to 2 when op&8, after the key itself within
// its parent prefix when op&16).
func FuzzKeys(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 2, 'a', 'b', 3, 1, 'a', 1, 1, 'a', 2, 1, 'a'})
	f.Add([]byte{0, 1, 0xff, 0, 2, 0xff, 0xff, 7, 1, 0xff, 11, 0})
	f.Add([]byte{0, 0, 2, 0, 1, 0})
	f.Add([]byte{0, 1, 'a', 0, 1, 'b', 0, 2, 'a', 'b', 0, 1, 'c', 19, 2, 'a', 'b', 23, 1, 'b', 31, 1, 'b'})
	bolt := storetest.Open(f)
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		bucket := fmt.Sprint("fuzz", n)
		ops := decodeOps(data)
		var got []string
		err := bolt.Update(func(tx store.Tx) error {
			b, err := tx.CreateBucket(bucket)
			if err != nil {
				return err
			}
			got = applyBucket(b, ops)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// What was committed reads back as the model holds it.
		err = bolt.View(func(tx store.Tx) error {
			b, err := tx.Bucket(bucket)
			if err != nil {
				return err
			}
			return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
				got = append(got, fmt.Sprintf("final %q=%q", k, v))
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := applyModel(ops); !slices.Equal(got, want) {
			t.Fatalf("bolt and the model disagree:\nbolt:  %q\nmodel: %q", got, want)
		}
		if err := bolt.Update(func(tx store.Tx) error { return tx.DeleteBucket(bucket) }); err != nil {
			t.Fatal(err)
		}
	})
}

// fuzzOp is one decoded operation of FuzzKeys.
type fuzzOp struct {
	kind  byte // 0 put, 1 delete, 2 get, 3 scan
	key   []byte
	value []byte            // put
	scan  store.ScanOptions // scan
}

func decodeOps(data []byte) []fuzzOp {
	var ops []fuzzOp
	for pos := 0; len(data) >= 2; pos++ {
		op, klen := data[0], int(data[1])%16
		data = data[2:]
		klen = min(klen, len(data))
		o := fuzzOp{kind: op % 4, key: bytes.Clone(data[:klen])}
		data = data[klen:]
		switch o.kind {
		case 0:
			o.value = fmt.Append(nil, pos)
		case 3:
			o.scan = store.ScanOptions{Prefix: o.key, Reverse: op&4 != 0}
			if op&8 != 0 {
				o.scan.Limit = 2
			}
			if op&16 != 0 && len(o.key) > 0 {
				o.scan.After, o.scan.Prefix = o.key, o.key[:len(o.key)-1]
			}
		}
		ops = append(ops, o)
	}
	return ops
}

// logOp renders one result the same way for the bucket and the model.
func logOp(o fuzzOp, value []byte, keys []string, err error) string {
	res := "ok"
	for _, e := range []error{store.ErrInvalidKey, store.ErrNotFound, store.ErrConflict} {
		if errors.Is(err, e) {
			res = e.Error()
			break
		}
	}
	if res == "ok" && err != nil {
		res = "other: " + err.Error()
	}
	switch o.kind {
	case 0:
		return fmt.Sprintf("put %q: %s", o.key, res)
	case 1:
		return fmt.Sprintf("delete %q: %s", o.key, res)
	case 2:
		return fmt.Sprintf("get %q: %q %s", o.key, value, res)
	}
	return fmt.Sprintf("scan %+v: %q %s", o.scan, keys, res)
}

// apply runs each op with do and logs every result.
func apply(ops []fuzzOp, do func(o fuzzOp) (value []byte, keys []string, err error)) []string {
	log := make([]string, 0, len(ops))
	for _, o := range ops {
		value, keys, err := do(o)
		log = append(log, logOp(o, value, keys, err))
	}
	return log
}

// applyBucket runs ops on b and logs every result.
func applyBucket(b store.Bucket, ops []fuzzOp) []string {
	return apply(ops, func(o fuzzOp) (value []byte, keys []string, err error) {
		switch o.kind {
		case 0:
			err = b.Put(o.key, o.value)
		case 1:
			err = b.Delete(o.key)
		case 2:
			value, err = b.Get(o.key)
		case 3:
			err = b.Scan(o.scan, func(k, v []byte) error {
				keys = append(keys, string(k))
				return nil
			})
		}
		return value, keys, err
	})
}

// applyModel runs ops on an empty map as the store's contract says a
// bucket behaves, logs every result as applyBucket does, and ends with
// the final contents in key order.
func applyModel(ops []fuzzOp) []string {
	m := map[string][]byte{}
	log := apply(ops, func(o fuzzOp) (value []byte, keys []string, err error) {
		k := string(o.key)
		switch {
		case o.kind != 3 && k == "":
			err = store.ErrInvalidKey
		case o.kind == 0:
			m[k] = o.value
		case o.kind == 1:
			delete(m, k)
		case o.kind == 2:
			var ok bool
			if value, ok = m[k]; !ok {
				err = store.ErrNotFound
			}
		default:
			keys = scanModel(m, o.scan)
		}
		return value, keys, err
	})
	for _, k := range slices.Sorted(maps.Keys(m)) {
		log = append(log, fmt.Sprintf("final %q=%q", k, m[k]))
	}
	return log
}

// scanModel lists m's keys as Bucket.Scan with opts visits them.
func scanModel(m map[string][]byte, opts store.ScanOptions) []string {
	keys := slices.Sorted(maps.Keys(m))
	if opts.Reverse {
		slices.Reverse(keys)
	}
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, string(opts.Prefix)) {
			continue
		}
		if opts.After != nil {
			c := strings.Compare(k, string(opts.After))
			if (!opts.Reverse && c <= 0) || (opts.Reverse && c >= 0) {
				continue
			}
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
		out = append(out, k)
	}
	return out
}
