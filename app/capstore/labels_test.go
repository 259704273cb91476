package capstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities"
)

func label(ps ...capabilities.Principal) capabilities.Label { return capabilities.NewLabel(ps...) }

var (
	alice  = capabilities.Principal("person:alice@example.com")
	bob    = capabilities.Principal("person:bob@example.com")
	public = label(capabilities.Public)
	owner  = label(capabilities.Owner)
)

// TestPersistedLabel writes with several writers' labels into a real bbolt
// file, reopening it between writes, and reads the namespace's label back.
func TestPersistedLabel(t *testing.T) {
	tests := []struct {
		name    string
		writers []capabilities.Label // nil: a Put with no writer label
		want    capabilities.Label
	}{
		{"public writer", []capabilities.Label{public}, public},
		{"narrows to the meet", []capabilities.Label{label(capabilities.Owner, alice, bob), label(capabilities.Owner, alice)}, label(capabilities.Owner, alice)},
		{"never widens", []capabilities.Label{label(capabilities.Owner, alice), public, label(capabilities.Owner, alice, bob)}, label(capabilities.Owner, alice)},
		{"disjoint writers leave the owner", []capabilities.Label{label(capabilities.Owner, alice), label(capabilities.Owner, bob)}, owner},
		{"no writer label is the owner's", []capabilities.Label{nil}, owner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctxs []context.Context
			for _, w := range tt.writers {
				ctx := context.Background()
				if w != nil {
					ctx = capstore.WithWriter(ctx, w)
				}
				ctxs = append(ctxs, ctx)
			}
			ls, err := capstore.Labels(putReopening(t, ctxs))
			if err != nil {
				t.Fatal(err)
			}
			if got := ls["kv:notes"]; !slices.Equal(got, tt.want) {
				t.Fatalf("label %v, want %v", got, tt.want)
			}
		})
	}
}

// putReopening puts a key into kv:notes with each context in turn, in a
// real bbolt file reopened for each write, and returns the file opened
// read-only (closed when the test ends).
func putReopening(t *testing.T, ctxs []context.Context) *store.Bolt {
	t.Helper()
	path := filepath.Join(t.TempDir(), store.FileName)
	for i, ctx := range ctxs {
		s := storetest.OpenFile(t, path)
		if err := capstore.New(s).Put(ctx, "kv:notes", "k"+string(rune('0'+i)), []byte("v")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	s, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestLabelAtomicWithWrite: a write that fails leaves the label as it was.
func TestLabelAtomicWithWrite(t *testing.T) {
	s := storetest.Open(t)
	st := capstore.New(s)
	ctx := capstore.WithWriter(context.Background(), public)
	if err := st.Put(ctx, "kv:n", "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	priv := capstore.WithWriter(context.Background(), label(capabilities.Owner, alice))
	if err := st.Put(priv, "kv:n", string(make([]byte, store.MaxKeySize+1)), []byte("x")); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("oversized key: %v", err)
	}
	ls, _ := capstore.Labels(s)
	if !slices.Equal(ls["kv:n"], public) {
		t.Fatalf("a failed write narrowed the label to %v", ls["kv:n"])
	}
}

func TestClear(t *testing.T) {
	s := storetest.Open(t)
	st := capstore.New(s)
	ctx := capstore.WithWriter(context.Background(), label(capabilities.Owner, alice))
	for _, k := range []string{"a", "b"} {
		if err := st.Put(ctx, "kv:notes", k, []byte("secret")); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(ctx, "kv:other", "a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	n, err := capstore.Clear(s, "kv:notes")
	if err != nil || n != 2 {
		t.Fatalf("Clear = %d, %v; want 2 keys", n, err)
	}
	ls, _ := capstore.Labels(s)
	if _, ok := ls["kv:notes"]; ok {
		t.Fatalf("the label survived the clear: %v", ls)
	}
	if !slices.Equal(ls["kv:other"], label(capabilities.Owner, alice)) {
		t.Fatalf("another namespace's label changed: %v", ls)
	}
	if keys, _ := st.List(context.Background(), "kv:notes", "", "", 0); len(keys) != 0 {
		t.Fatalf("keys left: %v", keys)
	}
	if _, err := capstore.Clear(s, "kv:notes"); !errors.Is(err, capstore.ErrNoNamespace) {
		t.Fatalf("clearing twice: %v, want ErrNoNamespace", err)
	}
	// After the clear, the first writer sets the label afresh.
	if err := st.Put(capstore.WithWriter(context.Background(), public), "kv:notes", "a", []byte("p")); err != nil {
		t.Fatal(err)
	}
	ls, _ = capstore.Labels(s)
	if !slices.Equal(ls["kv:notes"], public) {
		t.Fatalf("label after clear and a public write: %v", ls["kv:notes"])
	}
}

// TestUnlabelledDataIsOwners: data written before labels were kept (a file
// of schema version 1) counts as the owner's alone.
func TestUnlabelledDataIsOwners(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	s, err := store.Open(path, store.Options{Migrations: store.Schema[:1]})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketData, "kv:old")
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(store.BucketData, "kv:empty"); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("thread text"))
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, open := range []func() (*store.Bolt, error){
		func() (*store.Bolt, error) { return store.OpenReadOnly(path, store.Options{}) },
		func() (*store.Bolt, error) { return store.Open(path, store.Options{}) },
	} {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		ls, err := capstore.Labels(s)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ls["kv:old"], owner) {
			t.Errorf("unlabelled data: %v, want the owner's", ls["kv:old"])
		}
		if _, ok := ls["kv:empty"]; ok {
			t.Errorf("an empty namespace got a label: %v", ls)
		}
	}
}
