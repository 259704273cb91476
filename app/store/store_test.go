package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.Open(t) })
}

func TestBoltPersistence(t *testing.T) {
	storetest.RunPersistence(t, func(t *testing.T, path string) store.Store {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestBoltFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "littleboxes.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
	if s.Path() != path {
		t.Errorf("Path = %q, want %q", s.Path(), path)
	}
}

func TestBoltLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "littleboxes.db")
	first, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file, so a second Open in this process
	// contends as a second process would.
	start := time.Now()
	second, err := store.Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open succeeded while the file was held")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "database is in use by another littleboxes process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// bbolt polls the lock every 50ms and gives up one poll early.
	if d := time.Since(start); d < 40*time.Millisecond || d > 5*time.Second {
		t.Errorf("second Open gave up after %v, want about the 100ms timeout", d)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := store.Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the holder closed = %v", err)
	}
	again.Close()
}

func TestBoltNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not bolt"), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(path, store.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a junk file succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

// migrations returns n steps, each creating bucket "vN" and counting its
// runs in *runs.
func migrations(n int, runs *int) []store.Migration {
	ms := make([]store.Migration, n)
	for i := range ms {
		ms[i] = store.Migration{
			Name: fmt.Sprintf("create v%d", i+1),
			Up: func(tx store.Tx) error {
				*runs++
				_, err := tx.CreateBucket(fmt.Sprintf("v%d", i+1))
				return err
			},
		}
	}
	return ms
}

func hasBucket(t *testing.T, s store.Store, name string) bool {
	t.Helper()
	found := false
	if err := s.View(func(tx store.Tx) error {
		_, err := tx.Bucket(name)
		found = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "littleboxes.db")
	open := func(ms []store.Migration) (*store.Bolt, error) {
		return store.Open(path, store.Options{Migrations: ms})
	}
	runs := 0
	s, err := open(migrations(2, &runs))
	if err != nil {
		t.Fatal(err)
	}
	if s.SchemaVersion() != 2 || runs != 2 || !hasBucket(t, s, "v1") || !hasBucket(t, s, "v2") {
		t.Errorf("fresh file: version %d, %d runs; want 2 and 2, with both buckets", s.SchemaVersion(), runs)
	}
	s.Close()

	t.Run("up to date runs nothing", func(t *testing.T) {
		runs = 0
		s, err := open(migrations(2, &runs))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if runs != 0 {
			t.Errorf("reopen ran %d migrations, want 0", runs)
		}
	})
	t.Run("pending steps run once, in order", func(t *testing.T) {
		var order []string
		ms := migrations(4, new(int))
		for i := range ms {
			up := ms[i].Up
			ms[i].Up = func(tx store.Tx) error { order = append(order, ms[i].Name); return up(tx) }
		}
		s, err := open(ms)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if want := []string{"create v3", "create v4"}; !slices.Equal(order, want) {
			t.Errorf("ran %q, want %q", order, want)
		}
		if s.SchemaVersion() != 4 {
			t.Errorf("version = %d, want 4", s.SchemaVersion())
		}
	})
	t.Run("failing step leaves the file as it was", func(t *testing.T) {
		ms := migrations(6, new(int))
		ms[5].Name = "explode"
		ms[5].Up = func(tx store.Tx) error { return errors.New("kaboom") }
		_, err := open(ms)
		if err == nil || !strings.Contains(err.Error(), "migration 6 (explode): kaboom") {
			t.Fatalf("Open = %v, want the failing migration named", err)
		}
		s, err := open(migrations(4, new(int)))
		if err != nil {
			t.Fatalf("reopen at version 4 after a failed upgrade: %v", err)
		}
		defer s.Close()
		if hasBucket(t, s, "v5") {
			t.Error("step 5 of the failed upgrade was committed")
		}
	})
	t.Run("newer schema is refused", func(t *testing.T) {
		_, err := open(migrations(3, new(int)))
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Fatalf("Open = %v, want ErrNewerSchema", err)
		}
		for _, want := range []string{"schema version 4", "knows up to 3", "upgrade littleboxes"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

func TestDefaultSchema(t *testing.T) {
	s := storetest.Open(t)
	for _, b := range []string{store.BucketArmy, store.BucketCapabilities, store.BucketSecrets, store.BucketData} {
		if !hasBucket(t, s, b) {
			t.Errorf("bucket %q missing", b)
		}
	}
}

func TestNameSet(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	names := store.NewNameSet(s, store.BucketSecrets, "names")
	if got, err := names.List(ctx); err != nil || len(got) != 0 {
		t.Fatalf("List of a new set = %q, %v", got, err)
	}
	if err := names.Remove(ctx, "absent"); err != nil {
		t.Errorf("Remove from a set never written = %v", err)
	}
	for _, n := range []string{"b", "a", "c", "a"} {
		if err := names.Add(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := names.Remove(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	got, err := names.List(ctx)
	if err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("List = %q, %v; want [a b]", got, err)
	}
	if ok, err := names.Contains(ctx, "a"); !ok || err != nil {
		t.Errorf("Contains(a) = %v, %v", ok, err)
	}
	if ok, err := names.Contains(ctx, "c"); ok || err != nil {
		t.Errorf("Contains(c) = %v, %v", ok, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := names.Add(cancelled, "d"); !errors.Is(err, context.Canceled) {
		t.Errorf("Add with a cancelled context = %v", err)
	}
}

func TestInBucket(t *testing.T) {
	s := storetest.Open(t)
	update := func(path []string) (called bool, err error) {
		err = s.Update(func(tx store.Tx) error {
			return store.InBucket(tx, path, func(b store.Bucket) error {
				called = true
				return b.Put([]byte("k"), []byte("v"))
			})
		})
		return called, err
	}
	if called, err := update([]string{"missing"}); called || err != nil {
		t.Errorf("on a missing bucket: called %v, err %v; want neither", called, err)
	}
	if hasBucket(t, s, "missing") {
		t.Error("InBucket created the missing bucket")
	}
	if err := s.Update(func(tx store.Tx) error { _, err := tx.CreateBucket("here"); return err }); err != nil {
		t.Fatal(err)
	}
	if called, err := update([]string{"here"}); !called || err != nil {
		t.Errorf("on an existing bucket: called %v, err %v", called, err)
	}
	if called, err := update([]string{""}); called || !errors.Is(err, store.ErrInvalidName) {
		t.Errorf("on an invalid path: called %v, err %v; want ErrInvalidName", called, err)
	}
}

func TestUint64Key(t *testing.T) {
	cases := []struct {
		name string
		n    uint64
	}{
		{"zero", 0},
		{"one", 1},
		{"byte boundary", 256},
		{"max", 1<<64 - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := store.KeyUint64(store.Uint64Key(c.n))
			if err != nil || got != c.n {
				t.Errorf("round trip = %d, %v", got, err)
			}
		})
	}
	if _, err := store.KeyUint64([]byte("short")); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("KeyUint64(short) = %v, want ErrInvalidKey", err)
	}
}
