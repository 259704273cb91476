// Package events is the one event hub of littleboxes: the engine publishes
// what happens while an army runs (runs, messages, approvals, reports), the
// app adds a "workspace" event after every change, and subscribers (the
// window, serve's event streams, tests) each get their own buffered stream.
// Publishing never blocks: a subscriber that falls behind misses events,
// which the hub counts.
package events

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event is one thing the window shows: a run starting or ending, a message
// along an edge, an approval requested or decided, a report, a change of
// the workspace.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// Army is the army whose engine sent it ("" for the workspace's own
	// events): an engine runs several armies side by side.
	Army  string `json:"army,omitempty"`
	Agent string `json:"agent,omitempty"` // the agent running, sending or asking
	To    string `json:"to,omitempty"`    // a message's receiver
	ID    string `json:"id,omitempty"`    // an approval's id
	// Detail is the trigger (run.start), status (run.end), channel
	// (message), method (approval), reporting capability (report) or what
	// changed (workspace).
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Data   any    `json:"data,omitempty"`
}

// ArmyStopped is the type of the event sent when an army stops (stopped by
// the owner, not by its engine's shutdown), with Army naming it.
const ArmyStopped = "army.stopped"

// Buffer is each subscriber's buffer; events beyond it are dropped for that
// subscriber.
const Buffer = 1024

// Hub fans events out to subscribers. The zero Hub is not usable: make one
// with New. Its methods are safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	subs    map[int]chan Event
	next    int
	closed  bool
	dropped atomic.Int64
}

// New returns an open hub with no subscribers.
func New() *Hub { return &Hub{subs: map[int]chan Event{}} }

// Publish sends ev to every subscriber that has room for it, stamping its
// Time if it has none. It never blocks; after Close it does nothing.
func (h *Hub) Publish(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.subs {
		select {
		case c <- ev:
		default:
			h.dropped.Add(1)
		}
	}
}

// Subscribe returns a stream of events and a func that ends it (closing
// the stream; calling it again does nothing). Close ends every stream; a
// subscription made after Close gets a closed stream.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan Event, Buffer)
	if h.closed {
		close(c)
		return c, func() {}
	}
	id := h.next
	h.next++
	h.subs[id] = c
	return c, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if c, ok := h.subs[id]; ok {
			delete(h.subs, id)
			close(c)
		}
	}
}

// Close ends every stream. It is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, c := range h.subs {
		delete(h.subs, id)
		close(c)
	}
}

// Dropped returns how many events subscribers that fell behind missed.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }
