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
	"littleboxes/sandbox"
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

// names returns the names of rs, with "(open)" after the open one and
// "(not running)" after one that does not run.
func names(rs []Running) []string {
	var out []string
	for _, r := range rs {
		n := r.Name
		if r.Open {
			n += "(open)"
		}
		if r.NotRunning != "" {
			n += "(not running)"
		}
		out = append(out, n)
	}
	return out
}

// TestSeveralArmies: armies run side by side, each with its own engine;
// switching the open army stops none; Stop is the one way to stop one; the
// running set outlives the workspace (a new one starts what ran).
func TestSeveralArmies(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	hub := events.New()
	defer hub.Close()
	w, err := Open(ctx, Options{DataDir: dir, Runner: sandbox.NewInProcess(), Hub: hub, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { w.Close() }()
	inboxEng, err := w.Engine()
	if err != nil {
		t.Fatal(err)
	}
	notes, err := examples.Materialize("notes", filepath.Join(t.TempDir(), "notes"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(want ...string) {
		t.Helper()
		rs, err := w.ListRunning()
		if err != nil || !slices.Equal(names(rs), want) {
			t.Fatalf("ListRunning: %v, %v; want %v", names(rs), err, want)
		}
	}
	list("inbox(open)")

	r, started, err := w.Start(ctx, notes)
	if err != nil || !started || r.Name != "notes" || r.Agents == 0 {
		t.Fatalf("Start(notes): %+v, started %v, %v", r, started, err)
	}
	if _, started, err := w.Start(ctx, notes); err != nil || started {
		t.Fatalf("Start(notes) again: started %v, %v; want it running already", started, err)
	}
	list("inbox(open)", "notes")
	var notesEng *engine.Engine
	if err := w.WithArmy(ctx, "notes", "", false, func(e *engine.Engine) error { notesEng = e; return nil }); err != nil || notesEng == inboxEng {
		t.Fatalf("WithArmy(notes): %v (the inbox's engine: %v)", err, notesEng == inboxEng)
	}

	// Viewing notes adopts its engine; inbox keeps running.
	s, err := w.OpenFile(ctx, notes)
	if err != nil || !s.Running {
		t.Fatalf("OpenFile(notes): %v, running %v", err, s.Running)
	}
	if e, _ := w.Engine(); e != notesEng {
		t.Error("opening the running notes restarted it")
	}
	list("inbox", "notes(open)")
	var got *engine.Engine
	if err := w.WithArmy(ctx, "inbox", "", false, func(e *engine.Engine) error { got = e; return nil }); err != nil || got != inboxEng {
		t.Fatalf("inbox after the switch: %v (still its engine: %v)", err, got == inboxEng)
	}

	// Stop the open one: it stays open, stopped.
	if err := w.Stop(ctx, "notes"); err != nil {
		t.Fatal(err)
	}
	if s, _ := w.Snapshot(); s.Running || !errors.Is(s.NotRunning, ErrStopped) {
		t.Errorf("the stopped open army: running %v, %v", s.Running, s.NotRunning)
	}
	if err := w.Stop(ctx, "notes"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Stop again: %v, want ErrNotRunning", err)
	}
	list("inbox")

	// A new workspace on the directory: inbox runs, notes stays stopped.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, err = Open(ctx, Options{DataDir: dir, Runner: sandbox.NewInProcess(), Hub: hub, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	list("inbox")
	if s, _ := w.Snapshot(); s.Army.Name != "notes" || s.Running {
		t.Errorf("reopened: open %s, running %v; want notes, stopped", s.Army.Name, s.Running)
	}
	if _, started, err := w.Start(ctx, notes); err != nil || !started {
		t.Fatalf("Start(notes) stopped and open: started %v, %v", started, err)
	}
	list("inbox", "notes(open)")
	if err := w.Stop(ctx, "inbox"); err != nil {
		t.Fatal(err)
	}
	list("notes(open)")

	// Another file of a running army: it runs from that file instead.
	other, err := examples.Materialize("notes", filepath.Join(t.TempDir(), "notes2"))
	if err != nil {
		t.Fatal(err)
	}
	if r, started, err := w.Start(ctx, other); err != nil || started || r.Path != other {
		t.Errorf("Start of another file of the open notes: %+v, started %v, %v; want it running from there", r, started, err)
	}
	if s, _ := w.Snapshot(); s.Path != other || !s.Running {
		t.Errorf("the open army after: %s, running %v; want %s", s.Path, s.Running, other)
	}
	inbox := filepath.Join(dir, "armies", "inbox", "inbox.yaml")
	if _, _, err := w.Start(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	inbox2, err := examples.Materialize("inbox", filepath.Join(t.TempDir(), "inbox2"))
	if err != nil {
		t.Fatal(err)
	}
	if r, started, err := w.Start(ctx, inbox2); err != nil || started || r.Path != inbox2 {
		t.Errorf("Start of another file of the running inbox: %+v, started %v, %v", r, started, err)
	}
	list("inbox", "notes(open)")
}
