// Package channel is the channel capability kind: the sending end of a
// one-way channel from the agent bound to it to one other agent, named in the
// instance's props.
//
// An agent sees it as env.NAME with one method, send(msg), a sink: msg is
// plain data, at most max_message_bytes once encoded as JSON, and is handed
// to the host's Deliverer (the engine's durable queue), which later triggers
// the receiving agent's onMessage with it. The sender cannot read the channel
// and gets no reply.
//
// Flow: the audience of send is the owner and the receiving agent
// (capabilities.Agent(to)); the instance has no source method, so its label
// is the owner alone. A send from an agent that has read data the receiver
// may not see is therefore flagged, and the engine holds it for approval.
package channel

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"

	"littleboxes/capabilities"
)

// ID is the kind's id.
const ID = "channel"

// Caps on messages.
const (
	// DefaultMaxMessageBytes is the message cap when max_message_bytes is
	// unset.
	DefaultMaxMessageBytes = 64 << 10
	// MessageBytesCeiling is the largest max_message_bytes allowed.
	MessageBytesCeiling = 16 << 20
	// MaxDepth is how deeply a message's arrays and objects may nest, the
	// same as the sandbox bridge's limit.
	MaxDepth = 100
)

// Channel is a channel capability instance. Its exported fields are the
// props.
type Channel struct {
	To              string `json:"to" doc:"The name of the agent that receives the messages; the sending agent cannot change it."`
	MaxMessageBytes int    `json:"max_message_bytes,omitempty" doc:"The largest message accepted, in bytes of its JSON encoding; 0 or unset means 65536 (64 KiB), at most 16777216 (16 MiB)."`

	messages capabilities.Deliverer
	name     string // the capability's name in the army: the channel
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:    ID,
		Doc:   "The sending end of a one-way channel to another agent, which receives each message in its onMessage.",
		New:   func() capabilities.Instance { return new(Channel) },
		Table: table,
	})
}

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{
	Interface: "Channel",
	Doc: `The sending end of a one-way channel to one other agent, fixed by the
owner's settings: this agent cannot choose or change who receives. Each
message sent is queued and later delivered to the receiving agent's
onMessage(msg, env, ctx). Nothing comes back: there is no reply and no way
to read the channel.

Flow: the receiving agent learns whatever is sent. When this agent has read
data the receiver may not see (a mail thread it is not on, say), littleboxes
holds each send for the owner's approval: the call then resolves at once to
{ status: "pending_approval", id } and the message is delivered only if the
owner approves; this agent does not wait for the decision.`,
	Methods: []capabilities.Method{
		{
			Name: "send", Role: capabilities.Sink, Inconsequential: true,
			Doc: "Queues a message of plain data for the receiving agent.",
			TS:  "send(msg: unknown): Promise<{ queued: true } | { status: \"pending_approval\"; id: string }>",
			TSDoc: `Queues msg for the receiving agent and resolves to { queued: true }, or
to { status: "pending_approval", id } when it is held for the owner.
msg is plain data: an object, array, string, number, boolean or
Uint8Array, nested at most 100 deep; not null or undefined, not a
function. It is at most 64 KiB as JSON (a Uint8Array counts as base64)
unless this capability was configured otherwise; a larger message throws
an Error naming the limit.
Send one small message per item rather than one huge batch.`,
			Params: []capabilities.Param{{Name: "msg", Type: capabilities.TypeAny, Want: "a message of plain data"}},
			Fn:     capabilities.Of((*Channel).send),
		},
	},
})

// Provision implements capabilities.Provisioner. It keeps the host's
// Deliverer and the capability's name; a host without a Deliverer is not an
// error until send is called.
func (c *Channel) Provision(_ context.Context, h *capabilities.Host) error {
	c.messages = h.Messages
	c.name = h.Instance
	return nil
}

// CheckProps implements capabilities.PropsChecker.
func (c *Channel) CheckProps(map[string]string) error {
	var ps capabilities.Problems
	switch {
	case c.To == "":
		ps.Addf("to", "to is required: name the agent that receives the messages")
	case strings.TrimSpace(c.To) != c.To:
		ps.Addf("to", "to %q has spaces around the agent's name", c.To)
	case strings.IndexFunc(c.To, unicode.IsControl) >= 0:
		ps.Addf("to", "to %q holds a control character", c.To)
	}
	capabilities.CheckLimit(&ps, "max_message_bytes", c.MaxMessageBytes, MessageBytesCeiling, DefaultMaxMessageBytes)
	return ps.Err()
}

// Flow implements capabilities.Instance: what is sent reaches the owner and
// the receiving agent; nothing is read.
func (c *Channel) Flow() capabilities.Flow {
	return capabilities.Flow{
		Label:    capabilities.NewLabel(capabilities.Owner),
		Audience: capabilities.NewLabel(capabilities.Owner, capabilities.Agent(c.To)),
	}
}

func (c *Channel) maxMessage() int {
	return capabilities.Limit(c.MaxMessageBytes, DefaultMaxMessageBytes)
}

func (c *Channel) send(ctx context.Context, args []any) (any, error) {
	var msg any
	if len(args) > 0 {
		msg = args[0]
	}
	if msg == nil {
		return nil, fmt.Errorf("channel send to %q: %w", c.To, &capabilities.ArgError{Index: 0, Name: "msg", Want: "a message of plain data", Got: nil})
	}
	if err := checkPlain(msg, "msg", 0); err != nil {
		return nil, fmt.Errorf("channel send to %q: argument 1 (msg): %w", c.To, err)
	}
	if err := capabilities.CheckJSONSize(msg, "the message", "max_message_bytes", c.maxMessage()); err != nil {
		return nil, fmt.Errorf("channel send to %q: %w", c.To, err)
	}
	if c.messages == nil {
		return nil, fmt.Errorf("channel send to %q: message delivery: %w", c.To, capabilities.ErrUnavailable)
	}
	if err := c.messages.Deliver(ctx, c.name, c.To, msg); err != nil {
		return nil, fmt.Errorf("channel send to %q: %w", c.To, err)
	}
	return map[string]any{"queued": true}, nil
}

// checkPlain reports the first part of v, named by its path, that is not
// plain data (nil, bool, finite float64, string, []byte, []any,
// map[string]any), or that nests deeper than MaxDepth.
func checkPlain(v any, path string, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%s nests deeper than %d levels", path, MaxDepth)
	}
	switch e := v.(type) {
	case nil, bool, string, []byte:
		return nil
	case float64:
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return fmt.Errorf("%s is %v, which JSON cannot carry", path, e)
		}
		return nil
	case []any:
		for i, it := range e {
			if err := checkPlain(it, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(e)) {
			if err := checkPlain(e[k], path+"."+k, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%s is a Go %T, not plain data", path, v)
	}
}

// Interface guards.
var (
	_ capabilities.Instance     = (*Channel)(nil)
	_ capabilities.Provisioner  = (*Channel)(nil)
	_ capabilities.PropsChecker = (*Channel)(nil)
)
