package engine

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event types.
const (
	EventRunStart        = "run.start"
	EventRunEnd          = "run.end"
	EventMessage         = "message"      // a message was queued along an edge
	EventDeadLetter      = "message.dead" // a message failed its last try
	EventApprovalNew     = "approval.new"
	EventApprovalDecided = "approval.decided"
	EventReport          = "report"
	EventAgents          = "agents" // new template items made new agents (Detail: the capability, Data: how many)
)

// Event is one thing the window shows: a run starting or ending, a message
// along an edge, an approval requested or decided, a report.
type Event struct {
	Type  string    `json:"type"`
	Time  time.Time `json:"time"`
	Agent string    `json:"agent,omitempty"` // the agent running, sending or asking
	To    string    `json:"to,omitempty"`    // a message's receiver
	ID    string    `json:"id,omitempty"`    // an approval's id
	// Detail is the trigger (run.start), status (run.end), channel
	// (message), method (approval) or reporting capability (report).
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Data   any    `json:"data,omitempty"`
}

// subBuffer is each subscriber's buffer; events beyond it are dropped.
const subBuffer = 1024

type events struct {
	mu      sync.Mutex
	subs    map[int]chan Event
	next    int
	closed  bool
	dropped atomic.Int64
}

func newEvents() *events { return &events{subs: map[int]chan Event{}} }

func (ev *events) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, c := range ev.subs {
		select {
		case c <- e:
		default:
			ev.dropped.Add(1)
		}
	}
}

func (ev *events) subscribe() (<-chan Event, func()) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	c := make(chan Event, subBuffer)
	if ev.closed {
		close(c)
		return c, func() {}
	}
	id := ev.next
	ev.next++
	ev.subs[id] = c
	return c, func() {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		if c, ok := ev.subs[id]; ok {
			delete(ev.subs, id)
			close(c)
		}
	}
}

func (ev *events) close() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.closed = true
	for id, c := range ev.subs {
		delete(ev.subs, id)
		close(c)
	}
}

// Subscribe returns a stream of events and a func that ends it. A
// subscriber that falls more than 1024 events behind misses events (counted
// by Dropped); Close ends every stream.
func (e *Engine) Subscribe() (<-chan Event, func()) { return e.ev.subscribe() }

// Dropped returns how many events slow subscribers missed.
func (e *Engine) Dropped() int64 { return e.ev.dropped.Load() }
