package secrets

import (
	"littleboxes/app/store"
	"littleboxes/vault"
)

// RedactStore returns st with every key and value written through it
// redacted by r: kv data, channel messages, held effects, run records and
// reports reach the disk with each known secret replaced by
// "[secret:NAME]". Keys given to Get, Delete and Scan are redacted the
// same way, so a key written with a secret in it is found again by the
// same key. Bucket names are not redacted (they come from the army, not from
// agents). Reads return what was stored.
func RedactStore(st store.Store, r *vault.Redactor) store.Store {
	return redactStore{st: st, r: r}
}

type redactStore struct {
	st store.Store
	r  *vault.Redactor
}

func (s redactStore) View(fn func(store.Tx) error) error {
	return s.st.View(func(tx store.Tx) error { return fn(redactTx{tx, s.r}) })
}

func (s redactStore) Update(fn func(store.Tx) error) error {
	return s.st.Update(func(tx store.Tx) error { return fn(redactTx{tx, s.r}) })
}

func (s redactStore) Batch(fn func(store.Tx) error) error {
	return s.st.Batch(func(tx store.Tx) error { return fn(redactTx{tx, s.r}) })
}

func (s redactStore) Close() error { return s.st.Close() }

type redactTx struct {
	store.Tx
	r *vault.Redactor
}

func (t redactTx) Bucket(path ...string) (store.Bucket, error) {
	b, err := t.Tx.Bucket(path...)
	return wrapBucket(b, t.r), err
}

func (t redactTx) CreateBucket(path ...string) (store.Bucket, error) {
	b, err := t.Tx.CreateBucket(path...)
	return wrapBucket(b, t.r), err
}

type redactBucket struct {
	b store.Bucket
	r *vault.Redactor
}

func wrapBucket(b store.Bucket, r *vault.Redactor) store.Bucket {
	if b == nil {
		return nil
	}
	return redactBucket{b, r}
}

func (b redactBucket) Get(key []byte) ([]byte, error) { return b.b.Get(b.r.Bytes(key)) }

func (b redactBucket) Put(key, value []byte) error {
	return b.b.Put(b.r.Bytes(key), b.r.Bytes(value))
}

func (b redactBucket) Delete(key []byte) error { return b.b.Delete(b.r.Bytes(key)) }

func (b redactBucket) Scan(opts store.ScanOptions, fn func(key, value []byte) error) error {
	opts.Prefix, opts.After = b.redactKey(opts.Prefix), b.redactKey(opts.After)
	return b.b.Scan(opts, fn)
}

func (b redactBucket) redactKey(k []byte) []byte {
	if k == nil {
		return nil
	}
	return b.r.Bytes(k)
}

func (b redactBucket) NextSequence() (uint64, error)       { return b.b.NextSequence() }
func (b redactBucket) Sequence() uint64                    { return b.b.Sequence() }
func (b redactBucket) SetSequence(n uint64) error          { return b.b.SetSequence(n) }
func (b redactBucket) DeleteBucket(name string) error      { return b.b.DeleteBucket(name) }
func (b redactBucket) Buckets(fn func(string) error) error { return b.b.Buckets(fn) }

func (b redactBucket) Bucket(name string) (store.Bucket, error) {
	c, err := b.b.Bucket(name)
	return wrapBucket(c, b.r), err
}

func (b redactBucket) CreateBucket(name string) (store.Bucket, error) {
	c, err := b.b.CreateBucket(name)
	return wrapBucket(c, b.r), err
}

var _ store.Store = redactStore{}
