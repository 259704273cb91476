package app

import (
	"littleboxes/app/events"
	"littleboxes/app/workspace"
)

// Event is one event for the page (Event in frontend/src/lib/api.ts): an
// engine event (run.start, run.end, message, message.dead, approval.new,
// approval.decided, report) or "workspace", sent after every change of the
// workspace with Detail naming what changed.
type Event = events.Event

// EventWorkspace is the type of the event sent after every change of the
// workspace; the page fetches Workspace() again.
const EventWorkspace = workspace.EventWorkspace

// subscribe returns the stream of events the page sees, and a func that
// ends it: the workspace's, and the engine events of the army it shows
// (the engine runs others beside it, whose events the page does not see,
// but for those that change the list of running armies: armyListEvent).
// Close ends every stream. A subscriber more than 1024 events behind
// misses events.
func (a *API) subscribe() (<-chan Event, func()) {
	src, stop := a.hub.Subscribe()
	out := make(chan Event, events.Buffer)
	go func() { // ends when src closes: stop, or the hub's Close
		defer close(out)
		for ev := range src {
			if shown := a.shownArmy(); ev.Army == "" || shown == nil || ev.Army == *shown || armyListEvent(ev) {
				select {
				case out <- ev:
				default: // fallen behind, as the hub drops
				}
			}
		}
	}()
	return out, stop
}

// shownArmy is the name of the army the page shows, as its engine's events
// name it ("" when it does not run); nil when it is not known (no
// workspace yet, an engine that cannot say): then every event passes.
func (a *API) shownArmy() *string {
	if r := a.attached(); r != nil {
		return r.openArmy()
	}
	a.mu.Lock()
	ws := a.ws
	a.mu.Unlock()
	if ws == nil {
		return nil
	}
	name := ws.OpenArmy()
	return &name
}
