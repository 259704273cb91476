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
//
// # Persisted labels
//
// Data outlives the army that wrote it, so a namespace keeps a label: the
// meet of the labels of everything ever written to it, in the schema's
// labels bucket, ("labels", namespace). Put narrows it in the same
// transaction as the write, with the writer's label that the caller put in
// the context with [WithWriter] (the engine's guard does, with the writing
// agent's label from the analysis in force). A Put whose context carries no
// label narrows the namespace to the owner alone: unknown data is private.
// The label never widens; only [Clear], which deletes the namespace's data
// with it, resets it. [Labels] reads them all for the flow analysis, where
// each store node starts at its persisted label instead of public. A
// namespace holding data but no label (written before labels were kept) is
// taken as the owner's alone.
//
// # Persisted integrity
//
// Beside its label a namespace keeps its integrity: who besides the owner
// could have written (and so steered) what it holds, the join of the
// integrity of everything ever written to it, in ("integrity", namespace).
// Put joins it, in the write's transaction, with the writer's integrity the
// caller put in the context with [WithIntegrity] (the engine's guard does,
// with the writing agent's integrity from the analysis in force); a Put
// whose context carries none writes as the owner (littleboxes' own records,
// such as an MCP server's pinned tools). The integrity never shrinks; only
// [Clear] resets it, with the label. [Integrities] reads them all for the
// flow analysis. A namespace holding data or a label but no integrity
// (written before integrity was kept) is taken as written by
// [UnknownWriter]: whoever wrote it could have been steered by anyone.
package capstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities"
)

// writerKey keys the writer's label in a Put's context.
type writerKey struct{}

// WithWriter returns ctx carrying label as the label of whoever writes with
// it: Put narrows the namespace's persisted label with it.
func WithWriter(ctx context.Context, label capabilities.Label) context.Context {
	return context.WithValue(ctx, writerKey{}, label)
}

// writerOf returns the writer's label in ctx, or the owner alone.
func writerOf(ctx context.Context) capabilities.Label {
	if l, ok := ctx.Value(writerKey{}).(capabilities.Label); ok && len(l) > 0 {
		return l
	}
	return capabilities.NewLabel(capabilities.Owner)
}

// integrityKey keys the writer's integrity in a Put's context.
type integrityKey struct{}

// UnknownWriter is the writer of data whose integrity was not recorded
// (written before littleboxes kept it), and of every namespace when the
// store cannot be read: the flow analysis holds what it could steer.
const UnknownWriter = capabilities.Principal("unknown:earlier writes")

// WithIntegrity returns ctx carrying writers as the integrity of whoever
// writes with it (nil: trusted, the owner alone): Put joins the namespace's
// persisted integrity with it.
func WithIntegrity(ctx context.Context, writers capabilities.Label) context.Context {
	return context.WithValue(ctx, integrityKey{}, writers)
}

// integrityOf returns the writer's integrity in ctx, or nil (trusted).
func integrityOf(ctx context.Context) capabilities.Label {
	w, _ := ctx.Value(integrityKey{}).(capabilities.Label)
	return capabilities.Join(w)
}

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
		return store.InBucket(tx, path(namespace), func(b store.Bucket) error {
			v, err := b.Get([]byte(key))
			value, ok = v, err == nil
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		})
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
	writer, writers := writerOf(ctx), integrityOf(ctx)
	err := st.s.Update(func(tx store.Tx) error {
		// widen first: it tells data written before integrity was kept
		// from this write.
		if err := widen(tx, namespace, writers); err != nil {
			return err
		}
		b, err := tx.CreateBucket(path(namespace)...)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(key), value); err != nil {
			return err
		}
		return narrow(tx, namespace, writer)
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
		return store.InBucket(tx, path(namespace), func(b store.Bucket) error {
			return b.Delete([]byte(key))
		})
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
		return store.InBucket(tx, path(namespace), func(b store.Bucket) error {
			return b.Scan(opts, func(k, _ []byte) error {
				keys = append(keys, string(k))
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("capstore: list %q in %q: %w", prefix, namespace, err)
	}
	return keys, nil
}

// narrow meets namespace's persisted label with writer, in tx.
func narrow(tx store.Tx, namespace string, writer capabilities.Label) error {
	lb, err := tx.CreateBucket(store.BucketLabels)
	if err != nil {
		return err
	}
	cur, found := capabilities.NewLabel(capabilities.Public), false
	if v, err := lb.Get([]byte(namespace)); err == nil {
		found = true
		if cur, err = decodeLabel(v); err != nil {
			return fmt.Errorf("label of %q: %w", namespace, err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	next := flow.Meet(cur, writer)
	if found && slices.Equal(next, cur) {
		return nil // unchanged, and already recorded
	}
	v, err := json.Marshal(next.Strings())
	if err != nil {
		return err
	}
	return lb.Put([]byte(namespace), v)
}

// widen joins namespace's persisted integrity with writers, in tx. A
// namespace holding data but no integrity yet was written before integrity
// was kept: it starts at UnknownWriter.
func widen(tx store.Tx, namespace string, writers capabilities.Label) error {
	ib, err := tx.CreateBucket(store.BucketIntegrity)
	if err != nil {
		return err
	}
	var cur capabilities.Label
	v, err := ib.Get([]byte(namespace))
	switch {
	case err == nil:
		if cur, err = decodeLabel(v); err != nil {
			return fmt.Errorf("integrity of %q: %w", namespace, err)
		}
		if next := capabilities.Join(cur, writers); len(next) == len(cur) {
			return nil // unchanged, and already recorded
		}
	case errors.Is(err, store.ErrNotFound):
		if earlier, err := heldBefore(tx, namespace); err != nil {
			return err
		} else if earlier {
			cur = capabilities.NewLabel(UnknownWriter)
		}
	default:
		return err
	}
	v, err = json.Marshal(capabilities.Join(cur, writers).Strings())
	if err != nil {
		return err
	}
	return ib.Put([]byte(namespace), v)
}

// heldBefore reports whether namespace holds data or a label: it was
// written before (called before this write, when no integrity is recorded).
func heldBefore(tx store.Tx, namespace string) (bool, error) {
	if lb, err := tx.Bucket(store.BucketLabels); err == nil {
		if _, err := lb.Get([]byte(namespace)); err == nil {
			return true, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	b, err := tx.Bucket(path(namespace)...)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	n := 0
	err = b.Scan(store.ScanOptions{Limit: 1}, func(_, _ []byte) error { n++; return nil })
	return n > 0, err
}

func decodeLabel(v []byte) (capabilities.Label, error) {
	var ps []string
	if err := json.Unmarshal(v, &ps); err != nil {
		return nil, err
	}
	l := make([]capabilities.Principal, len(ps))
	for i, p := range ps {
		l[i] = capabilities.Principal(p)
	}
	return capabilities.NewLabel(l...), nil
}

// Namespace is one namespace of the data bucket, as Namespaces lists it.
type Namespace struct {
	// Name is the namespace ("kv:notes").
	Name string
	// Keys is how many keys it holds.
	Keys int
	// Label is its persisted label: who may know what was written there.
	Label capabilities.Label
	// Integrity is its persisted integrity: who besides the owner could
	// have written what is there (nil: trusted).
	Integrity capabilities.Label
}

// Labels returns the persisted label of every namespace that has one, and
// the owner alone for a namespace holding data but no label. A store of an
// older schema (no labels bucket) is read the same way.
func Labels(s store.Store) (map[string]capabilities.Label, error) {
	out := map[string]capabilities.Label{}
	err := s.View(func(tx store.Tx) error { return labelsTx(tx, out, nil) })
	if err != nil {
		return nil, fmt.Errorf("capstore: labels: %w", err)
	}
	return out, nil
}

// Integrities returns the persisted integrity of every namespace holding
// data or a label (nil: trusted), UnknownWriter for one whose integrity was
// never recorded (written before it was kept).
func Integrities(s store.Store) (map[string]capabilities.Label, error) {
	out := map[string]capabilities.Label{}
	err := s.View(func(tx store.Tx) error { return integrityTx(tx, out) })
	if err != nil {
		return nil, fmt.Errorf("capstore: integrity: %w", err)
	}
	return out, nil
}

// integrityTx fills writers with the integrity of every namespace holding
// data, a label or an integrity.
func integrityTx(tx store.Tx, writers map[string]capabilities.Label) error {
	labels := map[string]capabilities.Label{}
	if err := labelsTx(tx, labels, nil); err != nil {
		return err
	}
	if ib, err := tx.Bucket(store.BucketIntegrity); err == nil {
		err := ib.Scan(store.ScanOptions{}, func(k, v []byte) error {
			w, err := decodeLabel(v)
			if err != nil {
				return fmt.Errorf("integrity of %q: %w", k, err)
			}
			writers[string(k)] = capabilities.Join(w)
			return nil
		})
		if err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for n := range labels {
		if _, ok := writers[n]; !ok {
			writers[n] = capabilities.NewLabel(UnknownWriter)
		}
	}
	return nil
}

// Namespaces lists the namespaces holding data or a label, by name.
func Namespaces(s store.Store) ([]Namespace, error) {
	labels := map[string]capabilities.Label{}
	writers := map[string]capabilities.Label{}
	keys := map[string]int{}
	err := s.View(func(tx store.Tx) error {
		if err := labelsTx(tx, labels, keys); err != nil {
			return err
		}
		return integrityTx(tx, writers)
	})
	if err != nil {
		return nil, fmt.Errorf("capstore: namespaces: %w", err)
	}
	out := make([]Namespace, 0, len(labels))
	for n, l := range labels {
		out = append(out, Namespace{Name: n, Keys: keys[n], Label: l, Integrity: writers[n]})
	}
	slices.SortFunc(out, func(a, b Namespace) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// labelsTx fills labels (and, if not nil, each namespace's key count).
func labelsTx(tx store.Tx, labels map[string]capabilities.Label, keys map[string]int) error {
	if lb, err := tx.Bucket(store.BucketLabels); err == nil {
		err := lb.Scan(store.ScanOptions{}, func(k, v []byte) error {
			l, err := decodeLabel(v)
			if err != nil {
				return fmt.Errorf("label of %q: %w", k, err)
			}
			labels[string(k)] = l
			return nil
		})
		if err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	data, err := tx.Bucket(store.BucketData)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	var names []string
	if err := data.Buckets(func(n string) error { names = append(names, n); return nil }); err != nil {
		return err
	}
	for _, n := range names {
		b, err := data.Bucket(n)
		if err != nil {
			return err
		}
		count := 0
		err = b.Scan(store.ScanOptions{Limit: limitFor(keys)}, func(_, _ []byte) error { count++; return nil })
		if err != nil {
			return err
		}
		if keys != nil {
			keys[n] = count
		}
		if _, ok := labels[n]; !ok && count > 0 {
			labels[n] = capabilities.NewLabel(capabilities.Owner)
		}
	}
	return nil
}

// limitFor scans one key when only its presence matters.
func limitFor(keys map[string]int) int {
	if keys == nil {
		return 1
	}
	return 0
}

// ErrNoNamespace: Clear found neither data nor a label under that name.
var ErrNoNamespace = errors.New("no such namespace")

// Clear deletes namespace's data, its persisted label and its persisted
// integrity together, in one transaction: the owner's way to reset them,
// since a label is never widened (nor an integrity narrowed) otherwise. It reports how many keys were deleted; a namespace that holds
// nothing and has no label is an error wrapping ErrNoNamespace. Ask the owner
// first: this cannot be undone.
func Clear(s store.Store, namespace string) (int, error) {
	if err := checkNamespace("clear", namespace); err != nil {
		return 0, err
	}
	var n int
	err := s.Update(func(tx store.Tx) (err error) {
		n, err = ClearTx(tx, namespace)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("capstore: clear %q: %w", namespace, err)
	}
	return n, nil
}

// ClearTx is Clear inside the caller's transaction. It resets the
// namespace's integrity with its label.
func ClearTx(tx store.Tx, namespace string) (int, error) {
	n, found := 0, false
	if b, err := tx.Bucket(path(namespace)...); err == nil {
		found = true
		if err := b.Scan(store.ScanOptions{}, func(_, _ []byte) error { n++; return nil }); err != nil {
			return 0, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	for _, bucket := range []string{store.BucketLabels, store.BucketIntegrity} {
		dropped, err := dropKey(tx, bucket, namespace)
		if err != nil {
			return 0, err
		}
		found = found || dropped
	}
	if !found {
		return 0, ErrNoNamespace
	}
	if err := tx.DeleteBucket(path(namespace)...); err != nil {
		return 0, err
	}
	return n, nil
}

// dropKey deletes key from the top-level bucket named bucket, and reports
// whether it was there; a missing bucket holds no key.
func dropKey(tx store.Tx, bucket, key string) (bool, error) {
	b, err := tx.Bucket(bucket)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := b.Get([]byte(key)); err != nil {
		return false, nil
	}
	return true, b.Delete([]byte(key))
}

var _ capabilities.Storage = (*Storage)(nil)
