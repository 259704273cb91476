package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// armyYAML is a one-agent army named name.
func armyYAML(name string) string {
	return "name: " + name + "\nagents:\n  one:\n    triggers: [manual]\n    code: |\n      " + strings.TrimSpace(helloCode) + "\n"
}

// runningNames returns the armies a lists as running, "*" marking the
// shown one ("inbox*").
func runningNames(t *testing.T, a *API) []string {
	t.Helper()
	rs, err := a.Running()
	if err != nil {
		t.Fatalf("Running: %v", err)
	}
	out := []string{}
	for _, r := range rs {
		if r.NotRunning != "" || r.Agents == 0 || r.Path == "" {
			t.Errorf("army %s: %+v, want it running from its file", r.Name, r)
		}
		n := r.Name
		if r.Shown {
			n += "*"
		}
		out = append(out, n)
	}
	return out
}

// TestRunningArmies: the window lists the armies the engine runs with the
// shown one marked, shows another one without stopping the first, and
// stops one; a client sees the list change by events, whichever army it
// shows; what does not run cannot be opened or stopped. In-process and
// attached to an engine, through the same methods.
func TestRunningArmies(t *testing.T) {
	for _, tc := range []struct {
		name string
		// open returns the API the test drives and a second client of
		// the same engine, which watches.
		open func(t *testing.T) (a, other *API)
	}{
		{"in-process", func(t *testing.T) (*API, *API) {
			a := openTest(t, "")
			return a, a
		}},
		{"attached", func(t *testing.T) (*API, *API) {
			e := startEngine(t, "")
			return attachTest(t, dialer(e)), attachTest(t, dialer(e))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, other := tc.open(t)
			first, err := a.Workspace()
			if err != nil || !first.Running {
				t.Fatalf("the first army: running %v, %v", first.Running, err)
			}
			if got, want := runningNames(t, a), []string{first.Name + "*"}; !slices.Equal(got, want) {
				t.Fatalf("Running() = %v, want %v", got, want)
			}
			stream, stop := other.subscribe()
			defer stop()

			// Another army opened: the first keeps running beside it.
			w, err := a.ImportYAML(armyYAML("second"))
			if err != nil || !w.Running || w.Name != "second" {
				t.Fatalf("import: %+v %v", w.Problems, err)
			}
			if got, want := runningNames(t, a), []string{first.Name, "second*"}; !slices.Equal(got, want) {
				t.Fatalf("after opening another, Running() = %v, want %v", got, want)
			}

			// Shown again, as it runs: nothing restarts, the list marks it.
			w, err = a.OpenRunning(first.Name)
			if err != nil || w.Name != first.Name || !w.Running || agentView(w, first.Agents[0].Name) == nil {
				t.Fatalf("OpenRunning(%s) = %s running %v, %v", first.Name, w.Name, w.Running, err)
			}
			if got, want := runningNames(t, a), []string{first.Name + "*", "second"}; !slices.Equal(got, want) {
				t.Fatalf("after OpenRunning, Running() = %v, want %v", got, want)
			}

			// Stopped in the background: the other client hears of it,
			// though it shows another army.
			if err := a.StopArmy("second"); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, stream, "second's army.stopped", func(ev Event) bool { return ev.Type == EventArmyStopped && ev.Army == "second" })
			if got, want := runningNames(t, other), []string{first.Name + "*"}; !slices.Equal(got, want) {
				t.Fatalf("after StopArmy, Running() = %v, want %v", got, want)
			}
			for what, err := range map[string]error{
				"StopArmy":    a.StopArmy("second"),
				"OpenRunning": func() error { _, err := a.OpenRunning("second"); return err }(),
			} {
				if err == nil || !strings.Contains(err.Error(), "army second is not running") {
					t.Errorf("%s of a stopped army: %v", what, err)
				}
			}

			// The shown army stopped: still shown, not running, not listed.
			if err := a.StopArmy(first.Name); err != nil {
				t.Fatal(err)
			}
			if got := runningNames(t, a); len(got) != 0 {
				t.Errorf("after stopping the shown army, Running() = %v", got)
			}
			if w, err := a.Workspace(); err != nil || w.Name != first.Name || w.Running {
				t.Errorf("the stopped shown army: %s running %v, %v", w.Name, w.Running, err)
			}
		})
	}
}

// TestArmyStartedEvent: an army another client starts beside the others
// (the CLI's `run ARMY` attached: the engine's Start) is an event every
// window sees, whichever army it shows, and is listed.
func TestArmyStartedEvent(t *testing.T) {
	a := openTest(t, "")
	stream, stop := a.subscribe()
	defer stop()
	file := filepath.Join(t.TempDir(), "third.yaml")
	if err := os.WriteFile(file, []byte(armyYAML("third")), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := (&Engine{a: a}).Start(file)
	if err != nil || !st.Started {
		t.Fatalf("Start: %+v %v", st, err)
	}
	waitEvent(t, stream, "third's army.started", func(ev Event) bool { return ev.Type == EventArmyStarted && ev.Army == "third" })
	if got := runningNames(t, a); !slices.Contains(got, "third") {
		t.Errorf("Running() = %v, want third in it", got)
	}
	// Started again: it ran already, no event, so none is sent twice.
	if st, err := (&Engine{a: a}).Start(file); err != nil || st.Started {
		t.Fatalf("Start again: %+v %v", st, err)
	}
	if err := a.StopArmy("third"); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, stream, "third's army.stopped or a second army.started", func(ev Event) bool { return ev.Army == "third" && armyListEvent(ev) })
	if ev.Type != EventArmyStopped {
		t.Errorf("after Start of a running army, %s", ev.Type)
	}
}
