package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"littleboxes/app/store"
)

// TestOldLayoutMigrated opens a file written before per-army data (schema
// version 1: engine/effects, engine/meta at the top of the engine bucket),
// holding a pending effect of army leaky; after the migration the engine of
// army leaky finds it and performs it, and the next effect gets a new id.
func TestOldLayoutMigrated(t *testing.T) {
	dir := t.TempDir()
	armyFile := filepath.Join(dir, "leaky.yaml")
	if err := os.WriteFile(armyFile, []byte(leakyArmy), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, store.FileName)
	old, err := store.Open(path, store.Options{Migrations: store.Schema[:1]})
	if err != nil {
		t.Fatal(err)
	}
	err = old.Update(func(tx store.Tx) error {
		m, err := tx.CreateBucket("engine", "meta")
		if err != nil {
			return err
		}
		if err := m.Put([]byte("army"), []byte(armyFile)); err != nil {
			return err
		}
		b, err := tx.CreateBucket("engine", "effects")
		if err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		return putEffect(b, Effect{ID: "1", Agent: "leaker", Env: "out", Method: "send", Args: []byte(`["old"]`), Status: StatusPending})
	})
	old.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := openBolt(t, dir)
	if p := ArmyPath(st, "leaky"); p != armyFile {
		t.Fatalf("army leaky's path after the migration: %q", p)
	}
	e := newEngine(t, parse(t, leakyArmy), st, nil)
	defer e.Close(context.Background())
	before := sent.Load()
	ef, err := e.Approve(context.Background(), "1")
	if err != nil || ef.Status != StatusApproved || sent.Load() != before+1 {
		t.Fatalf("approving the migrated effect: %+v, %v", ef, err)
	}
	if id := holdOne(t, e); id != "2" {
		t.Fatalf("the next effect's id is %s, want 2 (the sequence moved with the data)", id)
	}
}
