package app

import (
	"littleboxes/app/engine"
)

// Event is one event for the page (Event in frontend/src/lib/api.ts): an
// engine event (run.start, run.end, message, message.dead, approval.new,
// approval.decided, report) or "workspace", sent after every change of the
// workspace with Detail naming what changed.
type Event = engine.Event

// EventWorkspace is the type of the event sent after every change of the
// workspace; the page fetches Workspace() again.
const EventWorkspace = "workspace"

// subscribe returns the stream of events the page sees, and a func that
// ends it. Close ends every stream. A subscriber more than 1024 events
// behind misses events.
func (a *API) subscribe() (<-chan Event, func()) { return a.hub.Subscribe() }

// forward copies one engine's events to the hub, keeping the agents' states,
// until the engine closes its stream.
func (a *API) forward(events <-chan engine.Event) {
	defer a.fwd.Done()
	for ev := range events {
		// What reaches the window passes the redactor (a.red is set
		// before the engine starts, and never replaced).
		ev.Error, ev.Data = a.red.String(ev.Error), a.red.Value(ev.Data)
		switch ev.Type {
		case engine.EventRunStart:
			a.setState(ev.Agent, StateRunning)
		case engine.EventRunEnd:
			a.setState(ev.Agent, stateOf(ev.Detail))
		}
		a.hub.Publish(ev)
	}
}

// Agent states, in InstanceView.State.
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StateOK      = "ok"
	StateFailed  = "failed"
)

// stateOf maps a run record's status to an agent state.
func stateOf(status string) string {
	if status == engine.RunOK {
		return StateOK
	}
	return StateFailed
}

func (a *API) setState(node, state string) {
	a.smu.Lock()
	defer a.smu.Unlock()
	a.states[node] = state
}

func (a *API) state(node string) string {
	a.smu.Lock()
	defer a.smu.Unlock()
	if s, ok := a.states[node]; ok {
		return s
	}
	return StateIdle
}
