package store_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"littleboxes/app/store"
)

// writeOldLayout makes a file of schema version 1 with the engine's data as
// littleboxes kept it before per-army data: engine/queue/AGENT,
// engine/effects with its sequence, engine/meta naming the army file.
func writeOldLayout(t *testing.T, path, armyFile string) {
	t.Helper()
	st, err := store.Open(path, store.Options{Migrations: store.Schema[:1]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(func(tx store.Tx) error {
		q, err := tx.CreateBucket("engine", "queue", "b")
		if err != nil {
			return err
		}
		if err := q.Put(store.Uint64Key(7), []byte(`{"msg":1}`)); err != nil {
			return err
		}
		ef, err := tx.CreateBucket("engine", "effects")
		if err != nil {
			return err
		}
		if err := ef.Put(store.Uint64Key(3), []byte(`{"id":"3","status":"pending"}`)); err != nil {
			return err
		}
		if err := ef.SetSequence(3); err != nil {
			return err
		}
		if armyFile != "" {
			m, err := tx.CreateBucket("engine", "meta")
			if err != nil {
				return err
			}
			return m.Put([]byte("army"), []byte(armyFile))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigratePerArmyEngine(t *testing.T) {
	tests := []struct {
		name     string
		armyYAML string // "" for no army file recorded
		want     string
	}{
		{"plain name", "# my army\nname: inbox # the inbox\nagents: {}\n", "inbox"},
		{"quoted name", "name: \"my inbox\"\n", "my inbox"},
		{"single-quoted name", "name: 'it''s mine'\n", "it's mine"},
		{"named like an old bucket", "name: queue\n", "queue"},
		{"no army recorded", "", store.DefaultArmy},
		{"army file without a name", "agents: {}\n", store.DefaultArmy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			armyFile := ""
			if tt.armyYAML != "" {
				armyFile = filepath.Join(dir, "army.yaml")
				if err := os.WriteFile(armyFile, []byte(tt.armyYAML), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, store.FileName)
			writeOldLayout(t, path, armyFile)
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.SchemaVersion() != len(store.Schema) {
				t.Fatalf("schema version %d, want %d", st.SchemaVersion(), len(store.Schema))
			}
			err = st.View(func(tx store.Tx) error {
				var top []string
				if err := tx.Buckets(func(n string) error { top = append(top, n); return nil }); err != nil {
					return err
				}
				for _, n := range top {
					if n == "engine-migrating" {
						t.Errorf("the temporary bucket is left: %v", top)
					}
				}
				var armies []string
				eng, err := tx.Bucket("engine")
				if err != nil {
					return err
				}
				if err := eng.Buckets(func(n string) error { armies = append(armies, n); return nil }); err != nil {
					return err
				}
				if len(armies) != 1 || armies[0] != tt.want {
					t.Errorf("engine holds %q, want only the army %q", armies, tt.want)
				}
				q, err := tx.Bucket("engine", tt.want, "queue", "b")
				if err != nil {
					return err
				}
				if v, err := q.Get(store.Uint64Key(7)); err != nil || string(v) != `{"msg":1}` {
					t.Errorf("queued message: %q, %v", v, err)
				}
				ef, err := tx.Bucket("engine", tt.want, "effects")
				if err != nil {
					return err
				}
				if ef.Sequence() != 3 {
					t.Errorf("effects sequence %d, want 3 (ids must not be reused)", ef.Sequence())
				}
				if _, err := tx.Bucket("labels"); err != nil {
					t.Errorf("labels bucket: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, store.FileName)
	if _, err := store.OpenReadOnly(path, store.Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenReadOnly created the file")
	}
	writeOldLayout(t, path, "")
	ro, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ro.SchemaVersion() != 1 {
		t.Errorf("read-only open migrated: version %d", ro.SchemaVersion())
	}
	if err := ro.Update(func(tx store.Tx) error { return nil }); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("update of a read-only store: %v, want ErrReadOnly", err)
	}
	// A second reader shares the file; a writer waits for both.
	ro2, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	ro2.Close()
	ro.Close()
	rw, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := store.OpenReadOnly(path, store.Options{LockTimeout: 50e6}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("reader while a writer holds the file: %v, want ErrLocked", err)
	}
}
