package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// ctxKey keys the engine's values in a binding call's context.
type ctxKey int

const (
	keyAgent    ctxKey = iota // the calling agent's node name
	keySends                  // *sends of the running invocation
	keyResume                 // *Resume of a per-call run, kept with its held code-writing call
	keyApproved               // string: the approved code-writing reply a resumed run starts from
)

// sends collects the writes of the messages one invocation sent, so that
// its own message is removed only after they are durable.
type sends struct {
	mu  sync.Mutex // binding calls of one invocation may send at once
	ops []*op
	// keep, when set, has the invocation leave its run record in rec
	// instead of storing it: a delivery stores it in the commit that
	// removes the message.
	keep bool
	rec  *RunRecord
}

// stored says whether the messages sent are stored, as an op submitted
// after them sees it when applied on the committer's goroutine: each one
// was committed before, or was applied in the same transaction (an error
// there would have ended it), unless it finished with an error.
func (s *sends) stored() error {
	var errs []error
	for _, o := range s.ops {
		if o.err != nil {
			errs = append(errs, o.err)
		}
	}
	return errors.Join(errs...)
}

// add collects o.
func (s *sends) add(o *op) {
	s.mu.Lock()
	s.ops = append(s.ops, o)
	s.mu.Unlock()
}

// guarded is one env binding: the flow guard over an instance. What the
// guard needs of the instance is worked out once, when the env is made: its
// method table (whose roles say which calls write), and, per analysis in
// force, the binding's sink facts.
type guarded struct {
	e       *Engine
	agent   string
	env     string
	capName string
	inst    capabilities.Instance
	table   *capabilities.Table
	facts   atomic.Pointer[sinkFacts]
}

// sinkFacts are the verdict inputs of one binding under one analysis.
type sinkFacts struct {
	an   *flow.Analysis
	sink flow.Sink
	ok   bool // the analysis has a sink for the binding
}

// guard makes g's env from its instances: each one guarded, with its method
// table looked up once, and redacted.
func (e *Engine) guard(g *agent) {
	g.env = map[string]sandbox.Binding{}
	for env, inst := range g.raw {
		gb := &guarded{e: e, agent: g.name, env: env, inst: inst, table: capabilities.TableOf(inst)}
		sink, _ := e.analysis.Sink(g.name, env)
		gb.capName = sink.Capability
		g.env[env] = vault.RedactBinding(gb, e.red)
	}
}

// sinkIn returns the binding's sink facts under an, computed once per
// analysis (the analysis changes when new template items join).
func (b *guarded) sinkIn(an *flow.Analysis) *sinkFacts {
	if f := b.facts.Load(); f != nil && f.an == an {
		return f
	}
	f := &sinkFacts{an: an}
	f.sink, f.ok = an.Sink(b.agent, b.env)
	b.facts.Store(f)
	return f
}

// Methods lists the instance's callable methods: its table's names.
func (b *guarded) Methods() []string { return b.table.Names() }

// Call looks the method up once, checks the arguments against its schema
// (so a refused call is never held for approval), and runs it: at once for a
// method that does not write, else as the flow verdict says.
func (b *guarded) Call(ctx context.Context, method string, args []any) (any, error) {
	m, err := b.table.Lookup(method)
	if err != nil {
		return nil, err
	}
	if err := m.Check(args); err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, keyAgent, b.agent)
	if m.Role.Writes() {
		// The analysis in force now: it changes when new template items join.
		an := b.e.Analysis()
		// A write to a shared store narrows its persisted label with the
		// writer's label, and joins its persisted integrity with the
		// writer's integrity, in the write's transaction (capstore.Put).
		ctx = b.e.writer(ctx, an, b.agent)
		if f := b.sinkIn(an); f.ok {
			sink := f.sink
			if sink.Dynamic {
				s, err := an.RecheckSink(b.agent, b.env, b.inst.Flow())
				if err != nil {
					return nil, fmt.Errorf("env.%s.%s: %w", b.env, method, err)
				}
				sink = s
			}
			if m.Inconsequential && sink.Integrity == flow.Approval {
				// The integrity rule holds consequential methods only (an
				// MCP server's read-only tool beside its writing ones).
				sink.Integrity = flow.Safe
				sink.Verdict = sink.Confidentiality
			}
			if sink.Verdict == flow.Approval {
				id, err := b.e.hold(ctx, b, sink, method, args)
				if err != nil {
					return nil, fmt.Errorf("env.%s.%s: holding for approval: %w", b.env, method, err)
				}
				return map[string]any{"status": "pending_approval", "id": id}, nil
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.Fn(ctx, b.inst, args)
}

// Table implements flow.Tables: the method table of the provisioned
// instance named capability.
func (f *facts) Table(name string) (*capabilities.Table, bool) {
	t, ok := f.tables[name]
	return t, ok
}

// Effect is one sink call held for the owner's approval, and its outcome.
type Effect struct {
	ID         string          `json:"id"`
	Agent      string          `json:"agent"`
	Env        string          `json:"env"`
	Capability string          `json:"capability"`
	Method     string          `json:"method"`
	Args       json.RawMessage `json:"args"`
	Why        string          `json:"why,omitempty"`
	Created    int64           `json:"created"` // Unix milliseconds
	// Status is pending, approving (being performed), approved, denied,
	// failed (performed with an error) or interrupted (a crash came between
	// approving and recording: performed at most once).
	Status  string          `json:"status"`
	Decided int64           `json:"decided,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	// Resume is set on a per-call instructions agent's held code-writing
	// call: approving it runs the agent again on the same input, from the
	// model's approved reply.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume is how to run again a per-call instructions agent whose
// code-writing call was held: its entry and its input (redacted).
type Resume struct {
	Entry string `json:"entry"`
	Input any    `json:"input"`
}

// Effect statuses.
const (
	StatusPending     = "pending"
	StatusApproving   = "approving"
	StatusApproved    = "approved"
	StatusDenied      = "denied"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

func (e *Engine) hold(ctx context.Context, b *guarded, sink flow.Sink, method string, args []any) (string, error) {
	raw, err := json.Marshal(e.red.Value(args))
	if err != nil {
		return "", fmt.Errorf("encoding the arguments: %w", err)
	}
	var resume *Resume
	if r, ok := ctx.Value(keyResume).(*Resume); ok && b.env == army.CodeWriterEnv {
		resume = &Resume{Entry: r.Entry, Input: e.red.Value(r.Input)}
	}
	var ef Effect
	err = e.com.do(func(tx store.Tx) error {
		bk, err := bucket(tx, e.armyKey, bucketEffects)
		if err != nil {
			return err
		}
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		ef = Effect{ID: strconv.FormatUint(seq, 10), Agent: b.agent, Env: b.env, Capability: b.capName,
			Method: method, Args: raw, Why: sink.Explain(), Created: e.now().UnixMilli(), Status: StatusPending, Resume: resume}
		v, err := json.Marshal(ef)
		if err != nil {
			return err
		}
		return bk.Put(store.Uint64Key(seq), v)
	})
	if err != nil {
		return "", err
	}
	e.ev.Publish(Event{Type: EventApprovalNew, Agent: b.agent, ID: ef.ID, Detail: ef.Env + "." + ef.Method})
	return ef.ID, nil
}

// writer returns ctx carrying agent's label and integrity in an as the
// writer's for capability storage; an agent the analysis does not know
// writes as the owner alone would read, and as steered by someone unknown.
func (e *Engine) writer(ctx context.Context, an *flow.Analysis, agent string) context.Context {
	l, ok := an.Label(agent)
	if !ok {
		l = capabilities.NewLabel(capabilities.Owner)
	}
	w, ok := an.Integrity(agent)
	if !ok {
		w = capabilities.NewLabel(capstore.UnknownWriter)
	}
	return capstore.WithIntegrity(capstore.WithWriter(ctx, l), w)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
