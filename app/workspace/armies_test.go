package workspace

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"littleboxes/app/engine"
	"littleboxes/app/events"
	"littleboxes/examples"
)

// TestWithArmy: the open army is reached through its running engine;
// another army through a passive engine made for the call; a second file
// of the open army's name, or an army with no known file, is refused.
func TestWithArmy(t *testing.T) {
	ctx := context.Background()
	hub := events.New()
	defer hub.Close()
	w := open(t, t.TempDir(), hub)
	running, err := w.Engine()
	if err != nil {
		t.Fatal(err)
	}
	var got *engine.Engine
	if err := w.WithArmy(ctx, "inbox", "", false, func(e *engine.Engine) error { got = e; return nil }); err != nil || got != running {
		t.Fatalf("the open army: %v (its running engine: %v)", err, got == running)
	}
	notes, err := examples.Materialize("notes", filepath.Join(t.TempDir(), "notes"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WithArmy(ctx, "notes", notes, true, func(e *engine.Engine) error { got = e; return nil }); err != nil || got == running || got == nil {
		t.Fatalf("another army: %v (a passive engine of its own: %v)", err, got != running)
	}
	if p := w.ArmyPath("notes"); p != notes {
		t.Errorf("ArmyPath(notes) = %q, want %q (recorded)", p, notes)
	}
	if names, err := w.ArmyNames(); err != nil || !slices.Contains(names, "notes") {
		t.Errorf("ArmyNames: %v, %v", names, err)
	}
	// Without a file: the one recorded.
	if err := w.WithArmy(ctx, "notes", "", false, func(*engine.Engine) error { return nil }); err != nil {
		t.Errorf("notes by its recorded file: %v", err)
	}
	if err := w.WithArmy(ctx, "inbox", notes, false, func(*engine.Engine) error { return nil }); !errors.Is(err, ErrOtherFile) {
		t.Errorf("the open army's name from another file: %v, want ErrOtherFile", err)
	}
	if err := w.WithArmy(ctx, "nope", "", false, func(*engine.Engine) error { return nil }); err == nil || !strings.Contains(err.Error(), "no army file known") {
		t.Errorf("an unknown army: %v", err)
	}
	// OpenFile makes notes the open army: then its running engine is used.
	s, err := w.OpenFile(ctx, notes)
	if err != nil || s.Army.Name != "notes" || !s.Running {
		t.Fatalf("OpenFile(notes): %v, running %v", err, s.Running)
	}
	running, err = w.Engine()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WithArmy(ctx, "notes", notes, false, func(e *engine.Engine) error { got = e; return nil }); err != nil || got != running {
		t.Fatalf("notes once open: %v (its running engine: %v)", err, got == running)
	}
	if _, err := w.OpenFile(ctx, filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("OpenFile of a missing file succeeded")
	}
	if s, _ := w.Snapshot(); s.Army.Name != "notes" {
		t.Errorf("a failed OpenFile changed the open army to %q", s.Army.Name)
	}
}
