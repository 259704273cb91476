package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/app/flow"
	"littleboxes/app/workspace"
	"littleboxes/examples"
)

// inboxSnapshot returns a snapshot of the inbox example, analysed, with no
// store and no engine.
func inboxSnapshot(t *testing.T) workspace.Snapshot {
	t.Helper()
	path, err := examples.Materialize("inbox", filepath.Join(t.TempDir(), "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := army.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	facts, cleanup, err := flow.StaticFacts(context.Background(), ar)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	an, err := flow.Analyze(ar, facts)
	if err != nil {
		t.Fatal(err)
	}
	return workspace.Snapshot{Path: path, Army: ar, Analysis: an, Running: true,
		Positions: map[string]workspace.Pos{"agent:summarizer": {X: 1, Y: 2}, "capability:notes": {X: 3, Y: 4}},
		States:    map[string]string{"summarizer": workspace.StateOK}}
}

// TestViewIsAPureFunction checks the view of a snapshot made by hand: no
// store, no engine.
func TestViewIsAPureFunction(t *testing.T) {
	s := inboxSnapshot(t)
	var instance string
	for _, l := range s.Analysis.Agents {
		if l.Template == "triage" && l.Item != "" {
			instance = l.Name
			break
		}
	}
	if instance == "" {
		t.Fatal("the inbox has no triage instance")
	}
	s.States[instance] = workspace.StateFailed
	w := view(s)

	if w.Name != "inbox" || !w.Running || w.Path != s.Path || len(w.Problems) != 0 {
		t.Errorf("workspace %q running %v path %q problems %v", w.Name, w.Running, w.Path, w.Problems)
	}
	sum, tri := agentView(w, "summarizer"), agentView(w, "triage")
	if sum == nil || tri == nil {
		t.Fatalf("agents %+v", w.Agents)
	}
	if sum.Pos == nil || *sum.Pos != (Pos{1, 2}) || tri.Pos != nil {
		t.Errorf("positions: summarizer %v, triage %v (never placed: null)", sum.Pos, tri.Pos)
	}
	if c := capView(w, "notes"); c.Pos == nil || *c.Pos != (Pos{3, 4}) {
		t.Errorf("notes at %v", c.Pos)
	}
	if c := capView(w, "mailbox"); c.Pos != nil {
		t.Errorf("mailbox, never placed, at %v", c.Pos)
	}
	if sum.State != workspace.StateOK || tri.State != workspace.StateIdle {
		t.Errorf("states: summarizer %q, triage %q", sum.State, tri.State)
	}
	failed := false
	for _, inst := range tri.Instances {
		failed = failed || inst.Name == instance && inst.State == workspace.StateFailed
	}
	if !failed || len(tri.Instances) < 2 {
		t.Errorf("instances %+v, want %s failed", tri.Instances, instance)
	}
	// A template's verdict sums up its instances', here as Go computes it.
	var thread *BindingView
	for i, b := range tri.Bindings {
		if b.Env == "thread" {
			thread = &tri.Bindings[i]
		}
	}
	if thread == nil || thread.Verdict != "approval" || !strings.Contains(thread.Why, "instances need approval") {
		t.Errorf("the thread binding: %+v", thread)
	}
	// carol, copied in halfway, may not read the thread's start; she wrote
	// in it, so she could have steered the reply herself: only the
	// confidentiality rule holds it.
	if thread != nil && thread.Rule != "confidentiality" {
		t.Errorf("the thread binding is held by %q, want the confidentiality rule", thread.Rule)
	}
	for _, b := range sum.Bindings {
		if b.Verdict == "safe" && b.Rule != "" {
			t.Errorf("a safe binding names a rule: %+v", b)
		}
	}
	if len(w.Channels) != 1 || w.Channels[0].From != "triage" || len(w.Sinks) == 0 {
		t.Errorf("channels %+v, %d sinks", w.Channels, len(w.Sinks))
	}
}

func TestViewProblems(t *testing.T) {
	notRunning := errors.New("the army is not running: no keyring")
	tests := []struct {
		name     string
		problems []army.Problem
		err      error
		want     []string
	}{
		{"none", nil, nil, nil},
		{"why it is not running", nil, notRunning, []string{notRunning.Error()}},
		{"the army's problems first and alone", []army.Problem{{Field: "agents.x.code", Msg: "no code", Kind: army.ProblemIncomplete}},
			notRunning, []string{"no code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := inboxSnapshot(t)
			s.Problems, s.NotRunning, s.Running = tt.problems, tt.err, tt.err == nil && tt.problems == nil
			w := view(s)
			var got []string
			for _, p := range w.Problems {
				got = append(got, p.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") || w.Running != s.Running {
				t.Errorf("problems %q running %v, want %q", got, w.Running, tt.want)
			}
		})
	}
}
