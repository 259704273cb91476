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

var phisher = capabilities.Principal("person:security@examp1e.com")

// TestPersistedIntegrity writes with several writers' integrity into a real
// bbolt file, reopening it between writes, and reads the namespace's
// integrity back: the join of them all, which never shrinks.
func TestPersistedIntegrity(t *testing.T) {
	type write struct {
		set     bool               // a Put whose context carries an integrity
		writers capabilities.Label // nil: trusted
	}
	tests := []struct {
		name   string
		writes []write
		want   capabilities.Label // nil: trusted
	}{
		{"a trusted writer", []write{{true, nil}}, nil},
		{"no integrity in the context is the owner's", []write{{false, nil}}, nil},
		{"a steered writer", []write{{true, label(phisher)}}, label(phisher)},
		{"grows to the join", []write{{true, label(alice)}, {true, label(phisher)}}, label(alice, phisher)},
		{"never shrinks", []write{{true, label(phisher)}, {true, nil}, {false, nil}}, label(phisher)},
		{"the owner is never a writer", []write{{true, label(capabilities.Owner, alice)}}, label(alice)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctxs []context.Context
			for _, w := range tt.writes {
				ctx := context.Background()
				if w.set {
					ctx = capstore.WithIntegrity(ctx, w.writers)
				}
				ctxs = append(ctxs, ctx)
			}
			s := putReopening(t, ctxs)
			ws, err := capstore.Integrities(s)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ws["kv:notes"]
			if !ok || !slices.Equal(got, tt.want) {
				t.Fatalf("integrity of kv:notes = %v (recorded %v), want %v", got, ok, tt.want)
			}
			nss, err := capstore.Namespaces(s)
			if err != nil || len(nss) != 1 || !slices.Equal(nss[0].Integrity, tt.want) {
				t.Fatalf("Namespaces = %+v, %v; want kv:notes written by %v", nss, err, tt.want)
			}
		})
	}
}

// TestClearResetsIntegrity: only clearing the namespace forgets its
// writers, and leaves other namespaces' alone.
func TestClearResetsIntegrity(t *testing.T) {
	s := storetest.OpenFile(t, filepath.Join(t.TempDir(), store.FileName))
	defer s.Close()
	st := capstore.New(s)
	steered := capstore.WithIntegrity(context.Background(), label(phisher))
	for _, ns := range []string{"kv:notes", "kv:other"} {
		if err := st.Put(steered, ns, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := capstore.Clear(s, "kv:notes"); err != nil {
		t.Fatal(err)
	}
	ws, err := capstore.Integrities(s)
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := ws["kv:notes"]; ok {
		t.Fatalf("kv:notes' writers survived the clear: %v", w)
	}
	if !slices.Equal(ws["kv:other"], label(phisher)) {
		t.Fatalf("another namespace's writers changed: %v", ws["kv:other"])
	}
	if _, err := capstore.Clear(s, "kv:notes"); !errors.Is(err, capstore.ErrNoNamespace) {
		t.Fatalf("clearing twice: %v, want ErrNoNamespace", err)
	}
	// After the clear, a trusted writer starts it afresh: trusted.
	if err := st.Put(capstore.WithIntegrity(context.Background(), nil), "kv:notes", "a", []byte("p")); err != nil {
		t.Fatal(err)
	}
	ws, _ = capstore.Integrities(s)
	if w, ok := ws["kv:notes"]; !ok || w != nil {
		t.Fatalf("writers after the clear and a trusted write: %v (recorded %v), want trusted", w, ok)
	}
}

// TestUnrecordedIntegrityIsUnknown: data written before integrity was kept
// (a label and keys, no integrity) counts as written by someone unknown,
// and stays so when a trusted writer adds to it.
func TestUnrecordedIntegrityIsUnknown(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	s := storetest.OpenFile(t, path)
	err := s.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketData, "kv:old")
		if err != nil {
			return err
		}
		lb, err := tx.CreateBucket(store.BucketLabels)
		if err != nil {
			return err
		}
		if err := lb.Put([]byte("kv:old"), []byte(`["owner"]`)); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("text an agent stored"))
	})
	if err != nil {
		t.Fatal(err)
	}
	unknown := label(capstore.UnknownWriter)
	ws, err := capstore.Integrities(s)
	if err != nil || !slices.Equal(ws["kv:old"], unknown) {
		t.Fatalf("unrecorded integrity: %v, %v; want %v", ws["kv:old"], err, unknown)
	}
	if err := capstore.New(s).Put(capstore.WithIntegrity(context.Background(), nil), "kv:old", "k2", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := capstore.New(s).Put(capstore.WithIntegrity(context.Background(), nil), "kv:new", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	ws, _ = capstore.Integrities(s)
	if !slices.Equal(ws["kv:old"], unknown) {
		t.Fatalf("a trusted write forgot the unknown writers: %v", ws["kv:old"])
	}
	if w, ok := ws["kv:new"]; !ok || w != nil {
		t.Fatalf("a new namespace written by a trusted writer: %v (recorded %v)", w, ok)
	}
}
