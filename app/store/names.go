package store

import (
	"context"
	"errors"
	"fmt"
)

// NameSet is a persistent, ordered set of names kept as the keys of one
// bucket, with empty values. It backs the names index of the OS keyring
// (which cannot list its items): NewNameSet(s, BucketSecrets) has the
// Add/Remove/List methods the keyring package asks for, without either
// package importing the other. It holds names only, never values.
type NameSet struct {
	s    Store
	path []string
}

// NewNameSet returns the set kept in the bucket at path of s, created on
// the first Add.
func NewNameSet(s Store, path ...string) *NameSet {
	return &NameSet{s: s, path: append([]string(nil), path...)}
}

// Add puts name in the set; adding a name already there is not an error.
func (n *NameSet) Add(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: add name %q: %w", name, err)
	}
	return n.s.Update(func(tx Tx) error {
		b, err := tx.CreateBucket(n.path...)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nil)
	})
}

// Remove takes name out of the set; removing a missing name is not an
// error.
func (n *NameSet) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: remove name %q: %w", name, err)
	}
	return n.s.Update(func(tx Tx) error {
		return InBucket(tx, n.path, func(b Bucket) error {
			return b.Delete([]byte(name))
		})
	})
}

// Contains reports whether name is in the set.
func (n *NameSet) Contains(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("store: look up name %q: %w", name, err)
	}
	found := false
	err := n.s.View(func(tx Tx) error {
		return InBucket(tx, n.path, func(b Bucket) error {
			_, err := b.Get([]byte(name))
			found = err == nil
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		})
	})
	return found, err
}

// List returns the names in the set, in byte order.
func (n *NameSet) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list names: %w", err)
	}
	names := []string{}
	err := n.s.View(func(tx Tx) error {
		return InBucket(tx, n.path, func(b Bucket) error {
			return b.Scan(ScanOptions{}, func(k, _ []byte) error {
				names = append(names, string(k))
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}
