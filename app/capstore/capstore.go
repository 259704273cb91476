// Package capstore keeps capability data in the littleboxes store: it
// implements capabilities.Storage over a store.Store, so that capability kinds
// (which may not import the app) can persist bytes by namespace and key.
//
// Each namespace is its own nested bucket under the schema's data bucket,
// ("data", namespace), so the keys of one namespace never appear in another
// and a namespace can be listed in key order. Namespaces are chosen by the
// kinds: the kv kind uses "kv:" plus its namespace prop, so that instances
// sharing a namespace share data and other kinds cannot collide with it.
//
// Every method is one store transaction. Reads of a namespace that was never
// written find nothing rather than failing; the bucket is created by the first
// Put.
package capstore

import (
	"context"
	"errors"
	"fmt"

	"littleboxes/app/store"
	"littleboxes/capabilities"
)

// Storage is capabilities.Storage over a store.Store. It is safe for
// concurrent use, as the store is.
type Storage struct {
	s store.Store
}

// New returns the Storage keeping its data in s, under the top-level bucket
// store.BucketData. It does not take ownership of s: closing s is the
// caller's job.
func New(s store.Store) *Storage {
	return &Storage{s: s}
}

// path returns the bucket path of a namespace.
func path(namespace string) []string {
	return []string{store.BucketData, namespace}
}

func checkNamespace(op, namespace string) error {
	if namespace == "" {
		return fmt.Errorf("capstore: %s: empty namespace", op)
	}
	return nil
}

// Get returns the value under key in namespace; ok is false when there is
// none (nor any namespace of that name).
func (st *Storage) Get(ctx context.Context, namespace, key string) (value []byte, ok bool, err error) {
	if err := checkNamespace("get", namespace); err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("capstore: get %q in %q: %w", key, namespace, err)
	}
	err = st.s.View(func(tx store.Tx) error {
		b, err := tx.Bucket(path(namespace)...)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		v, err := b.Get([]byte(key))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		value, ok = v, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("capstore: get %q in %q: %w", key, namespace, err)
	}
	return value, ok, nil
}

// Put sets the value under key in namespace, creating the namespace if
// needed. An empty key, or one longer than store.MaxKeySize, is an error
// wrapping store.ErrInvalidKey.
func (st *Storage) Put(ctx context.Context, namespace, key string, value []byte) error {
	if err := checkNamespace("put", namespace); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("capstore: put %q in %q: %w", key, namespace, err)
	}
	err := st.s.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(path(namespace)...)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("capstore: put %q in %q: %w", key, namespace, err)
	}
	return nil
}

// Delete removes key from namespace. Deleting a missing key, or from a
// namespace that was never written, is not an error.
func (st *Storage) Delete(ctx context.Context, namespace, key string) error {
	if err := checkNamespace("delete", namespace); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("capstore: delete %q in %q: %w", key, namespace, err)
	}
	err := st.s.Update(func(tx store.Tx) error {
		b, err := tx.Bucket(path(namespace)...)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("capstore: delete %q in %q: %w", key, namespace, err)
	}
	return nil
}

// List returns, in byte order, up to limit keys of namespace that start with
// prefix and come strictly after after ("" for the start). A limit of zero or
// less means no limit. The result is never nil.
func (st *Storage) List(ctx context.Context, namespace, prefix, after string, limit int) ([]string, error) {
	if err := checkNamespace("list", namespace); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("capstore: list %q in %q: %w", prefix, namespace, err)
	}
	opts := store.ScanOptions{Prefix: []byte(prefix), Limit: max(limit, 0)}
	if after != "" {
		opts.After = []byte(after)
	}
	keys := []string{}
	err := st.s.View(func(tx store.Tx) error {
		b, err := tx.Bucket(path(namespace)...)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return b.Scan(opts, func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("capstore: list %q in %q: %w", prefix, namespace, err)
	}
	return keys, nil
}

var _ capabilities.Storage = (*Storage)(nil)
