package engine

import "littleboxes/app/events"

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
	// EventCordoned: an agent's run killed its cell, and the runner moved
	// the agent into a cell of its own (Agent: the agent, Error: the run's
	// error).
	EventCordoned = "agent.cordoned"
)

// Event is one thing the window shows (see package events).
type Event = events.Event

// Subscribe returns a stream of events and a func that ends it. A
// subscriber that falls more than 1024 events behind misses events (counted
// by Dropped); Close ends every stream.
func (e *Engine) Subscribe() (<-chan Event, func()) { return e.ev.Subscribe() }

// Dropped returns how many events slow subscribers missed.
func (e *Engine) Dropped() int64 { return e.ev.Dropped() }
