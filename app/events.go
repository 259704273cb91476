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
// ends it. Close ends every stream. A subscriber more than 1024 events
// behind misses events.
func (a *API) subscribe() (<-chan Event, func()) { return a.hub.Subscribe() }
