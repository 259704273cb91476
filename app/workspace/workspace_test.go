package workspace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/events"
	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
	"littleboxes/sandbox"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"))
}

func open(t *testing.T, dir string, hub *events.Hub) *Workspace {
	t.Helper()
	w, err := Open(context.Background(), Options{DataDir: dir, Runner: sandbox.NewInProcess(), Hub: hub, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w
}

func TestWorkspace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	hub := events.New()
	defer hub.Close()
	stream, stop := hub.Subscribe()
	defer stop()
	w := open(t, dir, hub)

	s, err := w.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Army.Name != "inbox" || !s.Running || len(s.Problems) != 0 || len(s.Positions) != 0 || s.Analysis == nil {
		t.Fatalf("first launch: %q running %v problems %v positions %v", s.Army.Name, s.Running, s.Problems, s.Positions)
	}
	if _, err := Open(ctx, Options{DataDir: dir, Runner: sandbox.NewInProcess(), Hub: hub}); err == nil ||
		!strings.Contains(err.Error(), "another littleboxes") {
		t.Errorf("a second workspace on the same data: %v", err)
	}

	// An edit that leaves the army incomplete is saved, its problem of
	// that kind, and the army stops running.
	s, err = w.AddAgent(ctx, AgentChange{Name: "later", Pos: &Pos{X: 7, Y: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Running || len(s.Problems) != 1 || s.Problems[0].Kind != army.ProblemIncomplete || s.Positions["agent:later"] != (Pos{7, 8}) {
		t.Fatalf("incomplete: running %v problems %v positions %v", s.Running, s.Problems, s.Positions)
	}
	for ev := range stream {
		if ev.Type == EventWorkspace {
			if ev.Detail != "add agent later" {
				t.Errorf("event %+v", ev)
			}
			break
		}
	}
	// An edit that causes a problem is refused and changes nothing.
	before, _ := w.ExportYAML()
	for _, bad := range []func() (Snapshot, error){
		func() (Snapshot, error) { return w.AddAgent(ctx, AgentChange{Name: "Bad Name"}) },
		func() (Snapshot, error) { return w.Bind(ctx, "later", "notes", "no-such-capability") },
		func() (Snapshot, error) { return w.Connect(ctx, "later", "valueOf", "summarizer") },
	} {
		if _, err := bad(); err == nil {
			t.Error("a bad edit was not refused")
		}
	}
	if after, _ := w.ExportYAML(); after != before {
		t.Errorf("a refused edit changed the army:\n%s", after)
	}
	// Fixing it runs the army again.
	if s, err = w.SetAgentCode(ctx, "later", "export default { run() { return 1 } }"); err != nil || !s.Running {
		t.Fatalf("fixed: %v running %v problems %v", err, s.Running, s.Problems)
	}
	if err := w.MoveNodes(map[string]Pos{"notes": {X: 1, Y: 2}}); err != nil {
		t.Fatal(err)
	}
	if s, _ = w.Snapshot(); s.Positions["capability:notes"] != (Pos{1, 2}) {
		t.Errorf("positions %v", s.Positions)
	}
	if err := w.MoveNodes(map[string]Pos{"ghost": {}}); err == nil {
		t.Error("moved a node that does not exist")
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Snapshot(); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot after Close: %v", err)
	}
	if _, err := w.AddAgent(ctx, AgentChange{Name: "x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("an edit after Close: %v", err)
	}

	// Reopened, the workspace has the army and positions it was left with.
	w2 := open(t, dir, hub)
	s, err = w2.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Army.Agent("later") == nil || s.Positions["agent:later"] != (Pos{7, 8}) || !s.Running {
		t.Errorf("reopened: agents %d positions %v running %v", len(s.Army.Agents), s.Positions, s.Running)
	}
}

func TestOpenNeedsRunnerAndHub(t *testing.T) {
	if _, err := Open(context.Background(), Options{DataDir: t.TempDir()}); err == nil {
		t.Error("opened with no runner and no hub")
	}
}
