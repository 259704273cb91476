// Package flow is the information-flow analysis of an army: who could learn
// what, and which sinks are safe or need the owner's approval. It runs
// nothing and needs no secret values; `littleboxes check` prints it, the
// canvas colours the graph with it, and the engine guards each sink call with
// it.
//
// # Labels
//
// A label is the set of external readers allowed to know a piece of data:
// [capabilities.Owner], people ("person:alice@example.com"), web origins
// ("origin:https://hooks.example.com"), service providers
// ("provider:api.openai.com"), and [capabilities.Public], everyone, the top
// of the lattice. The owner is in every label. Agents ("agent:NAME") are not
// readers of labels: they are nodes of the graph, and an audience's agent
// principals are dropped (a channel is an internal edge, not an external
// sink). The meet of two labels is their intersection, with public as the
// identity and the owner always kept.
//
// # The graph
//
// Nodes are the agents, with templates expanded (one node per item of the
// enumerating capability, named "TEMPLATE[ITEM]", e.g. "triage[3fa8c1d2e4b5]"),
// and the shared stores (one node per distinct [capabilities.Flow.Shared]
// key, e.g. "kv:notes"). Data moves along three kinds of edges:
//
//   - source: a binding whose kind has a method that reads (Source or
//     Exchange) gives the agent the instance's Label;
//   - channel: a channel From → To (or a binding whose audience names
//     agent:To) makes To's label meet From's. Sending on a channel is always
//     safe; it is the receiver's label that drops. A channel from or to a
//     template joins every item of it (all pairs, conservatively);
//   - shared: a binding to an instance with a Shared key makes the store's
//     label meet the agent's when the kind can write, and the agent's meet
//     the store's when it can read: a two-way path between all agents of a
//     namespace.
//
// Every agent node starts at public (an agent with no inputs, a pure timer,
// stays public). A store node starts at its persisted label when the Facts
// know one ([StoreLabeler]: the meet of everything ever written to the
// namespace, by this army or any other sharing the data directory), else at
// public; so removing a writer from the army, or reading the namespace from
// another army, never widens what its data may reach. The persisted label
// acts as a source of the store node. The meets are iterated until nothing
// changes. Labels only go down a finite lattice, so this terminates, cycles
// included.
//
// # Sinks and verdicts
//
// Each binding to a capability whose kind has a method that writes (Sink or
// Exchange), that is not shared and not of kind "channel", is one sink, with
// the instance's Audience (minus agent principals). It is [Safe] when every
// principal of the audience is in the agent's label (the owner always is; a
// public label holds everyone), else [Approval]: the engine holds each call
// for the owner. The explanation names each principal missing from the
// label and the shortest path (breadth-first over incoming edges) back to a
// source whose label lacks it, preferring a source other than the sink's own
// binding (an http fetch is both), for example:
//
//	summarizer can read triage[1a2b3c4d5e6f]'s env.thread (mail
//	mailbox[1a2b3c4d5e6f]; readers owner, person:alice@example.com) via
//	channel triage[1a2b3c4d5e6f] → summarizer; webhook sends to
//	origin:https://hooks.example.com, who may not read it
//
// An edge is flagged ([Approval]) when data crossing it reaches an approval
// sink and the edge's sending end (a source's label, or a node's) lacks a
// principal that sink is missing: the canvas shows the whole leaking path.
//
// The work grows with the size of the graph, not with its square, however
// many sinks are flagged: the readers missing downstream of each node are
// propagated once over the graph (kept to one more than the largest label),
// and a search from a sink that runs long turns to distances computed once
// per principal. When thousands of template items share a kv namespace,
// every item reaches every other, and a search per flagged sink was
// quadratic (10,000 threads: minutes; now about a second, reading the
// Maildir included).
//
// # Integrity
//
// The dual of a label: who could have written, and so steered, what an agent
// reads. Trusted (nil) is the owner alone; else a set of principals. Each
// source declares its writers ([capabilities.Flow.Writers]: a thread's
// senders, a web origin, an MCP server); an agent's integrity is the join
// (union) of its sources' writers and the integrity of every node with an
// edge into it, a store carrying the writers of everything written there:
// a fixpoint from trusted, like the labels. A model adds no writers: its
// reply carries its prompt's, which the agent already has.
//
// A sink is consequential when its table has a writing method not marked
// [capabilities.Method.Inconsequential] (a report, a channel send, a kv
// write and a model call are not) and the instance is not declared
// inconsequential (the prop `consequential: false`, or an http capability
// allowed only GET). The integrity rule holds a consequential sink called
// by an untrusted agent unless the people it reaches could have steered it
// themselves: everyone in its audience but the owner is among the agent's
// writers, and no writer is outside its audience. So a reply to a thread's
// only sender stays automatic, while a reply reaching a cc'd person who
// wrote nothing, or a webhook POST a mail shaped, is held; the explanation
// names each writer outside the audience with the shortest path back to a
// source it wrote:
//
//	webhook could be steered by person:security@examp1e.com (mail
//	mailbox[0f9e8d7c6b5a], via channel triage[0f9e8d7c6b5a] → summarizer),
//	outside its audience (origin:https://hooks.example.com)
//
// A sink's Verdict is the combined one: Approval when either rule holds it.
// A plan-mode instructions agent's control flow is trusted (its code was
// written without the data), but data others wrote can still reach a sink's
// arguments; at the level of bindings the analysis cannot tell, counts it,
// and says so.
//
// A store keeps a persisted integrity beside its persisted label
// ([StoreIntegrityer]: the join of the writers of everything ever written
// to the namespace, by this army or any other sharing the data directory),
// a source of the store node like the persisted label: so a namespace a
// steered agent of another army wrote steers every agent that reads it,
// until the owner clears it.
//
// # Static and run time
//
// The analysis sees the flows as [Facts] report them: [StaticFacts]
// provisions every capability without secret values (a mail thread's
// participants as the Maildir holds them now) and lists each template's
// items. Flows can change later (a thread gains a participant; an instance
// whose Flow is Dynamic); the engine checks each sink call again on the
// instance's actual flow with [Recheck] or [Analysis.RecheckCall]. Items that
// appear later are not in the static analysis: the engine should analyse
// again when a template spawns.
package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// Verdict is the analysis' answer for a sink or an edge.
type Verdict string

// Verdicts.
const (
	// Safe means everyone in the audience may already read all the agent
	// can read: the call runs.
	Safe Verdict = "safe"
	// Approval means someone in the audience may not: each call is held
	// for the owner to allow or deny.
	Approval Verdict = "approval"
)

// EdgeKind says how data moves along an edge.
type EdgeKind string

// Edge kinds.
const (
	// EdgeSource is a capability instance read by an agent.
	EdgeSource EdgeKind = "source"
	// EdgeChannel is a one-way channel between two agents.
	EdgeChannel EdgeKind = "channel"
	// EdgeShared joins an agent and a shared store (a kv namespace), in the
	// direction the data goes: agent → store for a writer, store → agent for
	// a reader.
	EdgeShared EdgeKind = "shared"
)

// ErrDangling is wrapped by the errors of Analyze for a binding, template or
// channel that names an agent or capability the army lacks.
var ErrDangling = errors.New("names nothing in the army")

// Facts is what the analysis needs to know of the capabilities: their flows,
// and each enumerating capability's items with the flows of their scoped
// instances. It needs no secret values.
type Facts interface {
	// Flow returns the flow of the capability instance named capability.
	Flow(capability string) (capabilities.Flow, error)
	// Items returns the items of the enumerating capability named
	// capability, each with the flow of its scoped instance, in a stable
	// order.
	Items(capability string) ([]Item, error)
}

// Tables is implemented by Facts that hold provisioned instances: Table
// returns the method table of the instance named capability
// (capabilities.TableOf), and false when it has none to offer. The analysis
// reads a binding's roles from its instance's table, else from its kind's:
// a dynamic kind's methods are known only from its instance.
type Tables interface {
	Table(capability string) (*capabilities.Table, bool)
}

// StoreLabeler is implemented by Facts that know the persisted labels of
// shared stores: StoreLabel returns the label a store (by its Shared key,
// "kv:notes") carries from data written before, and false when it carries
// none (nothing was ever written: public).
type StoreLabeler interface {
	StoreLabel(shared string) (capabilities.Label, bool)
}

// StoreIntegrityer is implemented by Facts that know the persisted
// integrity of shared stores: StoreIntegrity returns who besides the owner
// could have written the data a store (by its Shared key, "kv:notes") holds
// from earlier writes (nil: the owner alone, trusted), and false when it
// carries none (nothing was ever written).
type StoreIntegrityer interface {
	StoreIntegrity(shared string) (capabilities.Label, bool)
}

// WithStoreLabels returns f with the persisted store labels ls (Shared key
// → label); every store not in ls carries otherwise (nil: none, public).
// `littleboxes check` passes the labels of the data directory, and the
// owner's label as otherwise when it cannot read them. What else f knows
// (its instances' tables, the stores' persisted integrity) is kept.
func WithStoreLabels(f Facts, ls map[string]capabilities.Label, otherwise capabilities.Label) Facts {
	p := persistedOf(f)
	p.ls, p.lsOtherwise, p.hasLs = ls, otherwise, true
	return p
}

// WithStoreIntegrity returns f with the persisted store integrity ws
// (Shared key → writers; nil writers: trusted); every store not in ws
// carries otherwise, when it is not nil (`littleboxes check` passes the
// writers of the data directory, and an unknown writer as otherwise when it
// cannot read them). What else f knows (tables, persisted labels) is kept.
func WithStoreIntegrity(f Facts, ws map[string]capabilities.Label, otherwise capabilities.Label) Facts {
	p := persistedOf(f)
	p.ws, p.wsOtherwise, p.hasWs = ws, otherwise, true
	return p
}

// persisted wraps Facts with what the data directory keeps of the shared
// stores: their labels and their integrity. It passes Table through, so a
// dynamic kind's instance table is not lost in the wrapping.
type persisted struct {
	Facts
	ls, ws                   map[string]capabilities.Label
	lsOtherwise, wsOtherwise capabilities.Label
	hasLs, hasWs             bool
}

// persistedOf returns f as a persisted to add to (a copy when f is one).
func persistedOf(f Facts) persisted {
	if p, ok := f.(persisted); ok {
		return p
	}
	return persisted{Facts: f}
}

// StoreLabel implements StoreLabeler.
func (p persisted) StoreLabel(shared string) (capabilities.Label, bool) {
	if !p.hasLs {
		if sl, ok := p.Facts.(StoreLabeler); ok {
			return sl.StoreLabel(shared)
		}
		return nil, false
	}
	if l, ok := p.ls[shared]; ok {
		return l, true
	}
	return p.lsOtherwise, p.lsOtherwise != nil
}

// StoreIntegrity implements StoreIntegrityer.
func (p persisted) StoreIntegrity(shared string) (capabilities.Label, bool) {
	if !p.hasWs {
		if si, ok := p.Facts.(StoreIntegrityer); ok {
			return si.StoreIntegrity(shared)
		}
		return nil, false
	}
	if w, ok := p.ws[shared]; ok {
		return w, true
	}
	return p.wsOtherwise, p.wsOtherwise != nil
}

// Table implements Tables when the wrapped Facts do.
func (p persisted) Table(capability string) (*capabilities.Table, bool) {
	if t, ok := p.Facts.(Tables); ok {
		return t.Table(capability)
	}
	return nil, false
}

// Item is one item of an enumerating capability (a mail thread).
type Item struct {
	// ID is the item's id ("1a2b3c4d5e6f").
	ID string
	// Flow is the flow of the instance scoped to the item.
	Flow capabilities.Flow
	// Table is the method table of the scoped instance; nil means the
	// kind's.
	Table *capabilities.Table
}

// AgentLabel is the label the analysis found for one agent (one item of a
// template).
type AgentLabel struct {
	// Name is the agent's node name: the agent's name, or "TEMPLATE[ITEM]".
	Name string
	// Template is the template's name for an item agent, else empty.
	Template string
	// Item is the item's id for an item agent, else empty.
	Item string
	// Label is who may know what the agent may have read.
	Label capabilities.Label
	// LabelWhy lists the inputs whose meet the label is.
	LabelWhy string
	// Integrity is who besides the owner could have written what the agent
	// may have read, and so steered what it does; nil means trusted.
	Integrity capabilities.Label
	// Plan is true for a plan-mode instructions agent: its code was written
	// without seeing any data, so only its arguments can be steered.
	Plan bool
}

// StoreLabel is the label of a shared store (a kv namespace).
type StoreLabel struct {
	// Name is the Shared key ("kv:notes").
	Name string
	// Label is who may know what was written there.
	Label capabilities.Label
	// Persisted is the label the store carried from earlier writes (any
	// army's), when the Facts know one; nil otherwise.
	Persisted capabilities.Label
	// PersistedIntegrity is who besides the owner could have written the
	// data the store carried from earlier writes (any army's), when the
	// Facts know it; nil when trusted or unknown.
	PersistedIntegrity capabilities.Label
	// Writers and Readers are the agents (node names) that write and read
	// the store, sorted.
	Writers, Readers []string
	// Integrity is who besides the owner could have written what the store
	// holds (through the agents that write it); nil means trusted.
	Integrity capabilities.Label
}

// Sink is the verdict on one binding that sends data out.
type Sink struct {
	// Agent is the agent's node name.
	Agent string
	// Binding is the env name ("webhook" for env.webhook).
	Binding string
	// Capability is the instance's name ("mailbox[1a2b3c4d5e6f]" for a
	// template's scoped instance).
	Capability string
	// Kind is the capability kind's id.
	Kind string
	// Audience is who will see what the sink sends (agents dropped).
	Audience capabilities.Label
	// Missing lists the audience's principals not in the agent's label;
	// empty when safe.
	Missing capabilities.Label
	// Verdict is the combined verdict: Approval when either rule holds
	// the sink (Confidentiality or Integrity), else Safe.
	Verdict Verdict
	// Why explains the confidentiality verdict in a sentence; Explain
	// explains the combined one.
	Why string
	// Confidentiality is the label rule's verdict: Approval when someone
	// in the audience may not read all the agent can read.
	Confidentiality Verdict
	// Integrity is the integrity rule's verdict: Approval when the sink is
	// consequential, the agent's integrity is not trusted, and someone in
	// the audience (the owner aside) is not among its writers.
	Integrity Verdict
	// IntegrityWhy explains the integrity verdict in a sentence, with the
	// shortest path to each writer when it is Approval.
	IntegrityWhy string
	// Consequential is true when the binding has a consequential writing
	// method and the owner did not declare it not consequential.
	Consequential bool
	// Steerers is the calling agent's integrity: who could have steered
	// the call (nil: trusted).
	Steerers capabilities.Label
	// Dynamic is true when the instance's flow can change at run time, so
	// the engine must check each call again.
	Dynamic bool
}

// Edge is one edge of the graph, for drawing.
type Edge struct {
	// From is the sending end: a capability instance for a source edge, else
	// an agent's node name or a store's Shared key.
	From string
	// To is the receiving end: an agent's node name or a store's key.
	To   string
	Kind EdgeKind
	// Verdict is Approval when data crossing the edge reaches an approval
	// sink whose missing readers it lacks, else Safe.
	Verdict Verdict
}

// Analysis is the result of Analyze: every agent's label, every sink's
// verdict, and the edges, each sorted (agents and stores by name, sinks by
// agent and binding, edges by from, to and kind).
type Analysis struct {
	Agents []AgentLabel
	Stores []StoreLabel
	Sinks  []Sink
	Edges  []Edge

	// reads maps an agent's node name to its bindings that are sources.
	reads map[string]map[string]bool
	// agentAt and sinkAt index Agents by name and Sinks by agent and
	// binding (the engine asks once per binding of ten thousand agents).
	agentAt map[string]int
	sinkAt  map[sinkKey]int
	// tables are the provisioned instances' method tables by capability
	// name, when the Facts offered them (Tables).
	tables map[string]*capabilities.Table
}

// Table returns the method table of the army's capability named
// capability as provisioned for the analysis (a dynamic kind's methods
// exist only there: an MCP server's tools, an OpenAPI document's
// operations), and false when the Facts offered none.
func (a *Analysis) Table(capability string) (*capabilities.Table, bool) {
	t, ok := a.tables[capability]
	return t, ok
}

type sinkKey struct{ agent, binding string }

// index fills agentAt and sinkAt from the sorted Agents and Sinks.
func (a *Analysis) index() {
	a.agentAt = make(map[string]int, len(a.Agents))
	for i, l := range a.Agents {
		a.agentAt[l.Name] = i
	}
	a.sinkAt = make(map[sinkKey]int, len(a.Sinks))
	for i, s := range a.Sinks {
		a.sinkAt[sinkKey{s.Agent, s.Binding}] = i
	}
}

// Label returns the label of the agent with node name agent.
func (a *Analysis) Label(agent string) (capabilities.Label, bool) {
	if l := a.agent(agent); l != nil {
		return l.Label, true
	}
	return nil, false
}

// Integrity returns the integrity of the agent with node name agent: who
// besides the owner could have written what it may read (nil: trusted).
func (a *Analysis) Integrity(agent string) (capabilities.Label, bool) {
	if l := a.agent(agent); l != nil {
		return l.Integrity, true
	}
	return nil, false
}

// agent returns the agent with node name agent, or nil.
func (a *Analysis) agent(agent string) *AgentLabel {
	if i, ok := a.agentAt[agent]; ok && i < len(a.Agents) && a.Agents[i].Name == agent {
		return &a.Agents[i]
	}
	if a.agentAt != nil {
		return nil
	}
	for i := range a.Agents { // an Analysis not made by Analyze
		if a.Agents[i].Name == agent {
			return &a.Agents[i]
		}
	}
	return nil
}

// Sink returns the sink of agent's binding env.
func (a *Analysis) Sink(agent, binding string) (Sink, bool) {
	if i, ok := a.sinkAt[sinkKey{agent, binding}]; ok && i < len(a.Sinks) && a.Sinks[i].Agent == agent && a.Sinks[i].Binding == binding {
		return a.Sinks[i], true
	}
	if a.sinkAt != nil {
		return Sink{}, false
	}
	for _, s := range a.Sinks { // an Analysis not made by Analyze
		if s.Agent == agent && s.Binding == binding {
			return s, true
		}
	}
	return Sink{}, false
}

// bind is one binding of a node, resolved.
type bind struct {
	env, capability, kind string
	flow                  capabilities.Flow
	reads, writes         bool
	consequential         bool               // the table has a consequential writing method
	norm                  capabilities.Label // norm(flow.Label), once computed
	// persisted marks a store node's persisted label, held as its source.
	persisted bool
}

// node is an agent (one item of a template) or a shared store.
type node struct {
	name           string
	store          bool
	template, item string
	binds          []*bind
	srcs           []*bind            // unshared bindings that read; a store's persisted label
	persisted      capabilities.Label // a store's label from earlier writes, or nil
	persistedW     capabilities.Label // a store's integrity from earlier writes, or nil
	in             []*edge            // incoming channel and shared edges
	label          capabilities.Label
	integrity      capabilities.Label // who could have written what it reads; nil: trusted
	plan           bool               // a plan-mode instructions agent
}

// edge is a node-to-node edge.
type edge struct {
	from, to int
	kind     EdgeKind
}

type graph struct {
	nodes   []*node
	agents  map[string][]int // army agent name → its nodes
	names   map[string]int   // agent node name → node
	stores  map[string]int   // Shared key → node
	edges   map[edge]bool
	srcEdge []srcEdge

	// out lists each node's successors, and dist the distances of a
	// principal (see distances); both are made when first needed.
	out  [][]int
	dist map[capabilities.Principal][]int
	// persisted knows the stores' persisted labels, or is nil;
	// persistedW their persisted integrity, or is nil.
	persisted  StoreLabeler
	persistedW StoreIntegrityer
}

// srcEdge is a source edge: a bound instance read by a node.
type srcEdge struct {
	b  *bind
	to int
}

// Analyze computes the labels of every agent of a and the verdict of every
// sink, from the flows f reports. It fails on a reference to a missing agent
// or capability (wrapping ErrDangling), an unknown kind, or an error of f.
func Analyze(a *army.Army, f Facts) (*Analysis, error) {
	g := &graph{agents: map[string][]int{}, names: map[string]int{}, stores: map[string]int{}, edges: map[edge]bool{}}
	g.persisted, _ = f.(StoreLabeler)
	g.persistedW, _ = f.(StoreIntegrityer)
	if err := g.build(a, f); err != nil {
		return nil, err
	}
	g.solve()
	g.solveIntegrity()
	an := g.analysis()
	an.index()
	if t, ok := f.(Tables); ok {
		an.tables = map[string]*capabilities.Table{}
		for _, c := range a.Capabilities {
			if tb, ok := t.Table(c.Name); ok && tb != nil {
				an.tables[c.Name] = tb
			}
		}
	}
	return an, nil
}

func (g *graph) addNode(n *node) (int, error) {
	if _, dup := g.names[n.name]; dup {
		return 0, fmt.Errorf("agent %q: two agents have this name (a template's item agent is named TEMPLATE[ITEM])", n.name)
	}
	g.nodes = append(g.nodes, n)
	g.names[n.name] = len(g.nodes) - 1
	return len(g.nodes) - 1, nil
}

func (g *graph) store(key string) int {
	if i, ok := g.stores[key]; ok {
		return i
	}
	n := &node{name: key, store: true}
	// What was written before is a source of the store: its label (the
	// meet of its writers' labels) and its integrity (the join of their
	// writers), kept by the data directory across runs and armies.
	var src *bind
	if g.persisted != nil {
		if l, ok := g.persisted.StoreLabel(key); ok {
			n.persisted = norm(l)
			src = &bind{capability: key, kind: "store", persisted: true, reads: true,
				flow: capabilities.Flow{Label: n.persisted}}
		}
	}
	if g.persistedW != nil {
		if w, ok := g.persistedW.StoreIntegrity(key); ok {
			if src == nil {
				src = &bind{capability: key, kind: "store", persisted: true, reads: true,
					flow: capabilities.Flow{Label: capabilities.NewLabel(capabilities.Public)}}
			}
			n.persistedW = capabilities.Join(w)
			src.flow.Writers = n.persistedW
		}
	}
	if src != nil {
		n.srcs = []*bind{src}
	}
	g.nodes = append(g.nodes, n)
	g.stores[key] = len(g.nodes) - 1
	return len(g.nodes) - 1
}

func (g *graph) addEdge(from, to int, kind EdgeKind) {
	e := edge{from: from, to: to, kind: kind}
	if g.edges[e] {
		return
	}
	g.edges[e] = true
	g.nodes[to].in = append(g.nodes[to].in, &e)
}

// build makes the nodes and edges.
func (g *graph) build(a *army.Army, f Facts) error {
	kinds := map[string]capabilities.Kind{}
	tables, _ := f.(Tables)
	resolve := func(env, name, kind string, fl capabilities.Flow, t *capabilities.Table) (*bind, error) {
		k, ok := kinds[kind]
		if !ok {
			var err error
			if k, err = capabilities.Lookup(kind); err != nil {
				return nil, fmt.Errorf("capability %q: %w", name, err)
			}
			kinds[kind] = k
		}
		if t == nil && tables != nil {
			t, _ = tables.Table(name)
		}
		if t == nil {
			t = k.Table
		}
		return &bind{env: env, capability: name, kind: kind, flow: fl, reads: t.Reads(), writes: t.Writes(), consequential: t.Consequential()}, nil
	}
	items := map[string][]Item{}
	for _, ag := range a.Agents {
		var common []*bind
		plan := ag.Instructed() && !ag.PerCall()
		bindings := ag.Bindings
		if cw := ag.CodeWriter(); cw != nil {
			// A per-call instructions agent's code-writing call carries its
			// input to the model's provider: a sink like any llm call.
			bindings = append(slices.Clip(bindings), cw)
		}
		for _, bd := range bindings {
			if ag.Template != nil && bd.Env == ag.Template.As {
				continue // the scoped instance takes this name
			}
			c := a.Capability(bd.Capability)
			if c == nil {
				return fmt.Errorf("agent %q: env.%s: capability %q %w", ag.Name, bd.Env, bd.Capability, ErrDangling)
			}
			fl, err := f.Flow(c.Name)
			if err != nil {
				return fmt.Errorf("agent %q: env.%s: flow of %q: %w", ag.Name, bd.Env, c.Name, err)
			}
			b, err := resolve(bd.Env, c.Name, c.Kind, fl, nil)
			if err != nil {
				return fmt.Errorf("agent %q: env.%s: %w", ag.Name, bd.Env, err)
			}
			common = append(common, b)
		}
		if ag.Template == nil {
			i, err := g.addNode(&node{name: ag.Name, binds: common, plan: plan})
			if err != nil {
				return err
			}
			g.agents[ag.Name] = append(g.agents[ag.Name], i)
			continue
		}
		each := a.Capability(ag.Template.Each)
		if each == nil {
			return fmt.Errorf("template %q: each: capability %q %w", ag.Name, ag.Template.Each, ErrDangling)
		}
		its, ok := items[each.Name]
		if !ok {
			var err error
			if its, err = f.Items(each.Name); err != nil {
				return fmt.Errorf("template %q: items of %q: %w", ag.Name, each.Name, err)
			}
			items[each.Name] = its
		}
		g.agents[ag.Name] = []int{}
		for _, it := range its {
			scoped := each.Name + "[" + it.ID + "]"
			b, err := resolve(ag.Template.As, scoped, each.Kind, it.Flow, it.Table)
			if err != nil {
				return fmt.Errorf("template %q: %w", ag.Name, err)
			}
			i, err := g.addNode(&node{
				name: ag.Name + "[" + it.ID + "]", template: ag.Name, item: it.ID,
				binds: append([]*bind{b}, common...), plan: plan,
			})
			if err != nil {
				return err
			}
			g.agents[ag.Name] = append(g.agents[ag.Name], i)
		}
	}
	for _, c := range a.Channels {
		from, ok := g.agents[c.From]
		if !ok {
			return fmt.Errorf("channel %s → %s: agent %q %w", c.From, c.To, c.From, ErrDangling)
		}
		to, ok := g.agents[c.To]
		if !ok {
			return fmt.Errorf("channel %s → %s: agent %q %w", c.From, c.To, c.To, ErrDangling)
		}
		for _, i := range from {
			for _, j := range to {
				g.addEdge(i, j, EdgeChannel)
			}
		}
	}
	for i := range len(g.nodes) {
		n := g.nodes[i]
		if n.store {
			continue
		}
		slices.SortStableFunc(n.binds, func(x, y *bind) int { return strings.Compare(x.env, y.env) })
		for _, b := range n.binds {
			if b.flow.Shared != "" {
				s := g.store(b.flow.Shared)
				if b.writes {
					g.addEdge(i, s, EdgeShared)
				}
				if b.reads {
					g.addEdge(s, i, EdgeShared)
				}
				if !b.flow.External {
					continue
				}
				// An external store (a folder) also holds what no agent
				// wrote: its label is a source of the store. What is
				// written there is seen by its audience: a sink, below.
				if b.reads {
					sn := g.nodes[s]
					if !slices.ContainsFunc(sn.srcs, func(x *bind) bool { return x.capability == b.capability }) {
						sn.srcs = append(sn.srcs, b)
						g.srcEdge = append(g.srcEdge, srcEdge{b: b, to: s})
					}
				}
				if !b.writes {
					continue
				}
			} else if b.reads {
				n.srcs = append(n.srcs, b)
				g.srcEdge = append(g.srcEdge, srcEdge{b: b, to: i})
			}
			if !b.writes {
				continue
			}
			for _, p := range b.flow.Audience {
				name, ok := strings.CutPrefix(string(p), "agent:")
				if !ok {
					continue
				}
				to, ok := g.agents[name]
				if !ok {
					return fmt.Errorf("agent %q: env.%s: audience names agent %q, which %w", n.name, b.env, name, ErrDangling)
				}
				for _, j := range to {
					g.addEdge(i, j, EdgeChannel)
				}
			}
		}
	}
	for _, n := range g.nodes {
		slices.SortFunc(n.in, func(x, y *edge) int {
			return strings.Compare(g.nodes[x.from].name, g.nodes[y.from].name)
		})
	}
	return nil
}

// solve iterates the meets from public until nothing changes.
func (g *graph) solve() {
	top := capabilities.NewLabel(capabilities.Public)
	for _, n := range g.nodes {
		n.label = top
	}
	for changed := true; changed; {
		changed = false
		for _, n := range g.nodes {
			l := top
			for _, b := range n.srcs {
				l = meet(l, b.flow.Label)
			}
			for _, e := range n.in {
				l = meet(l, g.nodes[e.from].label)
			}
			if !slices.Equal(l, n.label) {
				n.label = l
				changed = true
			}
		}
	}
}

// isSink reports whether b is an external sink.
func isSink(b *bind) bool {
	return b.writes && (b.flow.Shared == "" || b.flow.External) && b.kind != "channel"
}

// analysis reads the verdicts off the solved graph.
func (g *graph) analysis() *Analysis {
	an := &Analysis{reads: map[string]map[string]bool{}}
	readers := map[int][]string{}
	for e := range g.edges {
		if g.nodes[e.from].store {
			readers[e.from] = append(readers[e.from], g.nodes[e.to].name)
		}
	}
	approvals := g.judge(an, readers, g.approvalWhy)
	// Flag every edge whose data reaches an approval sink lacking one of
	// the readers that sink is missing.
	down := g.downstreamMissing(approvals)
	flag := map[edge]bool{}
	flagSrc := map[int]bool{}
	for e := range g.edges {
		if lacksAny(g.nodes[e.from].label, down[e.to]) {
			flag[e] = true
		}
	}
	for k, se := range g.srcEdge {
		if lacksAny(g.norm(se.b), down[se.to]) {
			flagSrc[k] = true
		}
	}
	g.finish(an, flag, flagSrc)
	return an
}

// judge adds to an each store (read by the agents readers names), each
// agent and each sink, a sink whose audience lacks readers explained by why,
// and returns those sinks.
func (g *graph) judge(an *Analysis, readers map[int][]string, why func(z int, sink *bind, miss capabilities.Label) string) []flagged {
	var approvals []flagged
	for i, n := range g.nodes {
		if n.store {
			an.Stores = append(an.Stores, g.storeLabel(i, readers[i]))
			continue
		}
		an.Agents = append(an.Agents, g.agentLabel(n))
		an.reads[n.name] = map[string]bool{}
		for _, b := range n.binds {
			an.reads[n.name][b.env] = b.reads && b.flow.Shared == ""
			if !isSink(b) {
				continue
			}
			s := g.judgeSink(i, b, why)
			if len(s.Missing) > 0 {
				approvals = append(approvals, flagged{i, s.Missing})
			}
			an.Sinks = append(an.Sinks, s)
		}
	}
	return approvals
}

// storeLabel is what the analysis says of store node i, which the agents
// named by readers read.
func (g *graph) storeLabel(i int, readers []string) StoreLabel {
	n := g.nodes[i]
	st := StoreLabel{Name: n.name, Label: n.label, Persisted: n.persisted, PersistedIntegrity: n.persistedW, Writers: []string{}, Readers: append([]string{}, readers...), Integrity: n.integrity}
	for _, e := range n.in {
		st.Writers = append(st.Writers, g.nodes[e.from].name)
	}
	slices.Sort(st.Writers)
	slices.Sort(st.Readers)
	return st
}

// judgeSink judges the sink binding b of agent node i: safe when its
// audience holds every reader of the node's label, else held for approval
// and explained by why; then by integrity.
func (g *graph) judgeSink(i int, b *bind, why func(z int, sink *bind, miss capabilities.Label) string) Sink {
	n := g.nodes[i]
	s := Sink{Agent: n.name, Binding: b.env, Capability: b.capability, Kind: b.kind, Audience: audience(b.flow), Dynamic: b.flow.Dynamic}
	s.Missing = missing(n.label, s.Audience)
	if len(s.Missing) == 0 {
		s.Verdict, s.Why = Safe, safeWhy(n.name, b.env, n.label, s.Audience)
	} else {
		s.Verdict, s.Why = Approval, why(i, b, s.Missing)
	}
	g.judgeIntegrity(i, b, &s)
	return s
}

// agentLabel is the label and integrity found for agent node n.
func (g *graph) agentLabel(n *node) AgentLabel {
	return AgentLabel{Name: n.name, Template: n.template, Item: n.item, Label: n.label, LabelWhy: g.labelWhy(n), Integrity: n.integrity, Plan: n.plan}
}

// finish adds the edges to an, each with its verdict (flag and flagSrc
// mark the edges into an approval), and sorts everything for output.
func (g *graph) finish(an *Analysis, flag map[edge]bool, flagSrc map[int]bool) {
	verdict := func(f bool) Verdict {
		if f {
			return Approval
		}
		return Safe
	}
	seen := map[Edge]int{}
	add := func(e Edge) {
		if k, ok := seen[Edge{From: e.From, To: e.To, Kind: e.Kind}]; ok {
			if e.Verdict == Approval {
				an.Edges[k].Verdict = Approval
			}
			return
		}
		seen[Edge{From: e.From, To: e.To, Kind: e.Kind}] = len(an.Edges)
		an.Edges = append(an.Edges, e)
	}
	for e := range g.edges {
		add(Edge{From: g.nodes[e.from].name, To: g.nodes[e.to].name, Kind: e.kind, Verdict: verdict(flag[e])})
	}
	for k, se := range g.srcEdge {
		add(Edge{From: se.b.capability, To: g.nodes[se.to].name, Kind: EdgeSource, Verdict: verdict(flagSrc[k])})
	}
	slices.SortFunc(an.Agents, func(x, y AgentLabel) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(an.Stores, func(x, y StoreLabel) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(an.Sinks, func(x, y Sink) int {
		if c := strings.Compare(x.Agent, y.Agent); c != 0 {
			return c
		}
		return strings.Compare(x.Binding, y.Binding)
	})
	slices.SortFunc(an.Edges, func(x, y Edge) int {
		if c := strings.Compare(x.From, y.From); c != 0 {
			return c
		}
		if c := strings.Compare(x.To, y.To); c != 0 {
			return c
		}
		return strings.Compare(string(x.Kind), string(y.Kind))
	})
}

// flagged is an approval sink's node and the readers the sink is missing.
type flagged struct {
	node    int
	missing capabilities.Label
}

// downstreamMissing returns, for each node, the readers missing at the
// approval sinks its data can reach (its own included), or enough of them:
// the edge verdicts only ask whether a label lacks one of them (lacksAny),
// and a set larger than every label in the graph lacks one for sure, so each
// set is kept to at most one more than the largest label. That bound keeps
// the work linear in the graph (times the bound) however many sinks are
// flagged, where a search per flagged sink was quadratic when they all reach
// one another through a shared store.
func (g *graph) downstreamMissing(approvals []flagged) [][]capabilities.Principal {
	down := make([][]capabilities.Principal, len(g.nodes))
	if len(approvals) == 0 {
		return down
	}
	bound := 0
	for _, n := range g.nodes {
		bound = max(bound, len(n.label))
	}
	for _, se := range g.srcEdge {
		bound = max(bound, len(g.norm(se.b)))
	}
	bound++
	add := func(i int, ps []capabilities.Principal) bool {
		changed := false
		for _, p := range ps {
			if len(down[i]) >= bound {
				break
			}
			if !slices.Contains(down[i], p) {
				down[i] = append(down[i], p)
				changed = true
			}
		}
		return changed
	}
	queued := make([]bool, len(g.nodes))
	var queue []int
	for _, ap := range approvals {
		if add(ap.node, ap.missing) && !queued[ap.node] {
			queued[ap.node] = true
			queue = append(queue, ap.node)
		}
	}
	// Each set only grows, to at most bound, so each node is queued at
	// most bound times.
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		queued[n] = false
		for _, e := range g.nodes[n].in {
			if add(e.from, down[n]) && !queued[e.from] {
				queued[e.from] = true
				queue = append(queue, e.from)
			}
		}
	}
	return down
}

// lacksAny reports whether label lacks one of ps (the owner aside), as
// len(missing(label, ps)) > 0 does.
func lacksAny(label capabilities.Label, ps []capabilities.Principal) bool {
	if len(ps) == 0 || label.Has(capabilities.Public) {
		return false
	}
	if len(ps) > len(label) {
		return true // ps are distinct and never the owner
	}
	for _, p := range ps {
		if p != capabilities.Owner && !label.Has(p) {
			return true
		}
	}
	return false
}

// norm returns the normalised label of a bound instance, computed once.
func (g *graph) norm(b *bind) capabilities.Label {
	if b.norm == nil {
		b.norm = norm(b.flow.Label)
	}
	return b.norm
}

// norm returns l as a label: {public} when it holds public, else l with the
// owner.
func norm(l capabilities.Label) capabilities.Label {
	if slices.Contains(l, capabilities.Public) {
		return capabilities.NewLabel(capabilities.Public)
	}
	return capabilities.NewLabel(append(slices.Clone(l), capabilities.Owner)...)
}

// meet returns the meet of two labels: their intersection, with public as
// the identity and the owner always in.
func meet(a, b capabilities.Label) capabilities.Label {
	a, b = norm(a), norm(b)
	if a[0] == capabilities.Public {
		return b
	}
	if b[0] == capabilities.Public {
		return a
	}
	var out capabilities.Label
	for _, p := range a {
		if slices.Contains(b, p) {
			out = append(out, p)
		}
	}
	return out
}

// Meet returns the meet of labels: the readers allowed to know data derived
// from all of them. Public is the identity, the owner is always in, and the
// meet of none is {public}.
func Meet(ls ...capabilities.Label) capabilities.Label {
	out := capabilities.NewLabel(capabilities.Public)
	for _, l := range ls {
		out = meet(out, l)
	}
	return out
}

// audience returns a flow's audience without agent principals.
func audience(f capabilities.Flow) capabilities.Label {
	out := capabilities.Label{}
	for _, p := range f.Audience {
		if !strings.HasPrefix(string(p), "agent:") {
			out = append(out, p)
		}
	}
	return capabilities.NewLabel(out...)
}

// missing returns the principals of aud that label does not hold.
func missing(label, aud capabilities.Label) capabilities.Label {
	var out capabilities.Label
	for _, p := range aud {
		if p != capabilities.Owner && !label.Has(p) {
			out = append(out, p)
		}
	}
	return out
}
