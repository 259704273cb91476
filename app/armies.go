package app

import (
	"errors"
	"fmt"

	"littleboxes/app/daemon"
	"littleboxes/app/events"
	"littleboxes/app/workspace"
)

// The engine runs several armies side by side (package workspace, "Several
// armies"); the page shows one. Running lists them all, OpenRunning shows
// another one, StopArmy stops one. The page keeps its list current on the
// events EventArmyStarted and EventArmyStopped, which pass subscribe's
// filter whichever army they name, and on "workspace" events.

// EventArmyStarted is the type of the event sent when a client (the CLI's
// `run ARMY` attached, say) starts an army besides those running, with
// Army naming it.
const EventArmyStarted = "army.started"

// EventArmyStopped is the type of the event sent when an army is stopped,
// with Army naming it (events.ArmyStopped).
const EventArmyStopped = events.ArmyStopped

// armyListEvent reports whether ev changes the list of running armies
// rather than what one army does: the page sees it whichever army it
// shows.
func armyListEvent(ev Event) bool {
	return ev.Type == EventArmyStarted || ev.Type == EventArmyStopped
}

// RunningArmy is one army the engine runs (Running).
type RunningArmy struct {
	Name string `json:"name"`
	// Path is the army file it runs from.
	Path string `json:"path"`
	// Shown is whether it is the army the window shows.
	Shown bool `json:"shown"`
	// Agents is how many agents it runs (a template's instances each).
	Agents int `json:"agents"`
	// NotRunning says why it does not run ("" when it runs): an army of
	// the running set that could not start.
	NotRunning string `json:"notRunning,omitempty"`
}

func runningArmy(r daemon.Running) RunningArmy {
	return RunningArmy{Name: r.Name, Path: r.Path, Shown: r.Open, Agents: r.Agents, NotRunning: r.NotRunning}
}

// Running lists the armies the engine runs, by name: the one the window
// shows (unless it was stopped) and those running beside it.
func (a *API) Running() ([]RunningArmy, error) {
	if v, ok, err := forward[[]RunningArmy](a, "Running"); ok {
		if v == nil && err == nil {
			v = []RunningArmy{}
		}
		return v, err
	}
	ws, err := a.workspace()
	if err != nil {
		return nil, err
	}
	rs, err := ws.ListRunning()
	if err != nil {
		return nil, err
	}
	out := []RunningArmy{}
	for _, r := range rs {
		out = append(out, runningArmy(r))
	}
	return out, nil
}

// OpenRunning shows the running army name in the window in place of the
// one shown, which keeps running; nothing restarts. An army that is not
// running is an error.
func (a *API) OpenRunning(name string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "OpenRunning", name); ok {
		return orEmpty(v, err)
	}
	ws, err := a.workspace()
	if err != nil {
		return emptyWorkspace(), err
	}
	rs, err := ws.ListRunning()
	if err != nil {
		return emptyWorkspace(), err
	}
	for _, r := range rs {
		if r.Name == name {
			s, err := ws.OpenFile(a.context(), r.Path)
			if err != nil {
				return emptyWorkspace(), fmt.Errorf("opening army %s: %s", name, a.redactString(err.Error()))
			}
			return a.render(s, nil)
		}
	}
	return emptyWorkspace(), fmt.Errorf("army %s is not running", name)
}

// StopArmy stops the army name and takes it out of the running set: it does
// not run again until it is started (opened in the window, or `littleboxes
// run`). The army shown stays shown, stopped.
func (a *API) StopArmy(name string) error {
	if _, ok, err := forward[struct{}](a, "StopArmy", name); ok {
		return err
	}
	ws, err := a.workspace()
	if err != nil {
		return err
	}
	if err := ws.Stop(a.context(), name); err != nil {
		if errors.Is(err, workspace.ErrNotRunning) {
			return fmt.Errorf("army %s is not running", name)
		}
		return fmt.Errorf("stopping army %s: %s", name, a.redactString(err.Error()))
	}
	return nil
}
