// Package engine runs an army: it provisions the capabilities, expands agent
// templates, hands each invocation a fresh isolate with guarded bindings,
// delivers channel messages durably, holds unsafe sink calls as effects for
// the owner's approval, keeps run records and publishes an event stream.
//
// # Bindings
//
// Each env name an agent sees is its capability instance wrapped twice: in a
// flow guard and in vault.RedactBinding. The guard lets a call through unless
// the method writes (capabilities.Role.Writes) and the flow analysis
// (flow.Analyze over the provisioned instances; flow.Analysis.RecheckCall at
// call time for Dynamic instances) gives the binding the verdict approval.
// Such a call becomes an effect stored in the store and resolves at once to
// {status: "pending_approval", id}: isolates never wait on a human.
//
// # Approvals
//
// Approve moves an effect from pending to approving in one transaction, so
// approving twice performs it once; performs it on the Go side by calling the
// unguarded instance; records the result (redacted); and runs the agent's
// onApproval(result, env, ctx) if it exports one. Deny records the denial and
// runs onApproval({status: "denied", id}). Effects are performed at most
// once: a crash between marking an effect approving and recording its result
// leaves it "interrupted", never performed twice.
//
// # Durable delivery
//
// A channel send appends the message to the receiving agent's queue in the
// store. All writes go through one committer goroutine that groups whatever
// is waiting into one store transaction, in submission order. One worker per
// receiving agent takes messages in order, runs onMessage in a fresh isolate,
// waits until the messages that invocation sent are committed, and only then
// removes the message (in a later transaction). A crash at any point loses
// no message; a message whose invocation was cut short by the crash is
// handled again (at-least-once). A failed invocation is retried with
// exponential backoff; the attempt count is stored with the message, and
// after Options.MaxAttempts tries the message moves to the dead-letter list.
//
// # Store layout
//
// Everything lives under the top-level bucket "engine", in one bucket per
// army, keyed by the army's name (its `name:` field: the file's path changes
// when it moves, the name is what the owner sees and edits on purpose; two
// files with the same name are one army, and renaming an army leaves its
// queues, effects and runs behind under the old name). Under engine/ARMY:
// queue/AGENT (message sequence → message JSON), dead (sequence → dead
// letter JSON), effects (sequence → effect JSON; the id is the decimal
// sequence, per army), runs/AGENT (sequence → run record JSON, the last
// Options.KeepRuns kept), seen/AGENT (template items already run), reports,
// meta (the army file's path). Two armies sharing a data directory share
// none of it: an agent of the same name in each has its own queue and runs,
// and an effect held by one cannot be approved or denied by the other's
// engine. Files from before per-army data are moved under the army their
// engine/meta named by the store's schema (store.Schema).
//
// # Shared stores and their labels
//
// kv namespaces stay shared by name across armies, on purpose; that is why
// they carry persisted labels and persisted integrity (package capstore).
// The analysis starts each store at its persisted label and integrity, read
// when the engine provisions (and again when it re-analyses), and the guard
// hands each write to a shared store the writing agent's label and
// integrity from the analysis in force, so the namespace's label narrows,
// and its integrity grows, in the same transaction as the write.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/events"
	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/capabilities/channel" // the engine makes channel instances itself
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// Defaults of Options.
const (
	DefaultMaxAttempts = 5
	DefaultKeepRuns    = 200
	DefaultBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultItemPoll    = 5 * time.Second
	// MaxRecordedConsole caps the console bytes kept in one run record.
	MaxRecordedConsole = 8 << 10
	// batchSize is how many queued messages a worker takes at once.
	batchSize = 256
)

// Sentinel errors.
var (
	// ErrNoAgent: the army has no agent (or template instance) of that name.
	ErrNoAgent = errors.New("no such agent")
	// ErrNoEffect: no effect has that id.
	ErrNoEffect = errors.New("no such approval")
	// ErrDecided: the effect was already approved or denied.
	ErrDecided = errors.New("approval already decided")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("engine is closed")
)

// Options configures New.
type Options struct {
	// Army is the army to run. Required.
	Army *army.Army
	// Store keeps queues, effects, run records and capability data. Required.
	Store store.Store
	// Secrets reads secret values for capabilities; nil for none.
	Secrets capabilities.Secrets
	// Redactor redacts known secret values on every path out; nil for a
	// fresh one.
	Redactor *vault.Redactor
	// Runner runs invocations; nil means sandbox.NewInProcess().
	Runner sandbox.Runner
	// Logf logs (redacted); nil discards.
	Logf func(format string, args ...any)
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Passive, when true, starts no trigger and no delivery worker: the
	// engine only runs what it is asked to (Run, Approve, Deny). Messages
	// sent are queued for the next active engine. `run --once` and the
	// approvals command use it.
	Passive bool
	// MaxAttempts is how many times a message is tried before it goes to
	// the dead-letter list; zero means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the first retry delay, doubled per attempt up to
	// MaxBackoff; zero means the defaults.
	Backoff, MaxBackoff time.Duration
	// KeepRuns is how many run records are kept per agent; zero means
	// DefaultKeepRuns.
	KeepRuns int
	// ArmyPath is the army file's path, remembered in the store (under the
	// army's name) so that the approvals command can find the army;
	// optional.
	ArmyPath string
	// ItemPoll is how often the capabilities templates spawn over are asked
	// for new items (default DefaultItemPoll).
	ItemPoll time.Duration
}

// agent is one runnable agent: an army agent, or one item of a template.
type agent struct {
	name string // node name: "NAME" or "TEMPLATE[ITEM]"
	def  *army.Agent
	item string
	code *lazyModule // compiled at the first invocation; nil for an instructions agent
	// instr and decl, for an instructions agent: its Code Mode, and its env
	// declaration, rendered at its first run.
	instr  *instructed
	decl   func() (string, error)
	limits sandbox.Limits
	raw    map[string]capabilities.Instance // env → unguarded instance
	env    map[string]sandbox.Binding       // env → guarded, redacted binding
	onMsg  bool
	wake   chan struct{}
	// concurrency is how many messages the agent handles at once.
	concurrency int
}

// Engine runs one army. Its methods are safe for concurrent use.
type Engine struct {
	opts    Options
	armyKey string // the army's name: its bucket under "engine"
	st      store.Store
	red     *vault.Redactor
	runner  sandbox.Runner
	logf    func(string, ...any)
	now     func() time.Time

	// mu guards the army as provisioned, which grows while the engine runs
	// when a template's capability lists new items.
	mu        sync.RWMutex
	agents    map[string]*agent
	order     []string
	templates map[string][]string // template name → node names
	instances []capabilities.Instance
	analysis  *flow.Analysis
	kinds     map[string]capabilities.Kind
	instKind  map[capabilities.Instance]string
	facts     *facts
	scoped    map[string]map[string]capabilities.Instance // each → item → scoped instance
	enums     map[string]capabilities.Enumerator          // each → the instance listing its items
	defs      map[string]*agentDef                        // template name → how to make an instance

	itemQ chan *agent // template instances whose item is new, to run once

	plans  planLocks                        // plan mode: the first run of a plan writes it
	byName map[string]capabilities.Instance // the army's capabilities, by name

	com *committer
	ev  *events.Hub

	stopCtx  context.Context // cancelled by Close: stop taking new work
	stop     context.CancelFunc
	runCtx   context.Context // cancelled when Close gives up waiting
	runAbort context.CancelFunc
	wg       sync.WaitGroup
	closeMu  sync.Mutex
	closed   bool
}

// Facts over provisioned instances.
type facts struct {
	flows  map[string]capabilities.Flow
	tables map[string]*capabilities.Table // each instance's method table (flow.Tables)
	items  map[string][]flow.Item
	stores map[string]capabilities.Label // persisted labels of shared stores
	wrote  map[string]capabilities.Label // persisted integrity of shared stores
}

// StoreLabel implements flow.StoreLabeler.
func (f *facts) StoreLabel(shared string) (capabilities.Label, bool) {
	l, ok := f.stores[shared]
	return l, ok
}

// StoreIntegrity implements flow.StoreIntegrityer.
func (f *facts) StoreIntegrity(shared string) (capabilities.Label, bool) {
	w, ok := f.wrote[shared]
	return w, ok
}

func (f *facts) Flow(name string) (capabilities.Flow, error) {
	fl, ok := f.flows[name]
	if !ok {
		return capabilities.Flow{}, fmt.Errorf("capability %q: %w", name, flow.ErrDangling)
	}
	return fl, nil
}

func (f *facts) Items(name string) ([]flow.Item, error) {
	its, ok := f.items[name]
	if !ok {
		return nil, fmt.Errorf("capability %q enumerates nothing: %w", name, flow.ErrDangling)
	}
	return its, nil
}

// New provisions every capability of the army, expands templates, analyses
// the flows, and (unless Options.Passive) starts the triggers and delivery
// workers, which first handle the messages left queued by a previous run.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Army == nil || opts.Store == nil {
		return nil, errors.New("engine: Army and Store are required")
	}
	if opts.Army.Name == "" {
		return nil, errors.New("engine: the army has no name (its data is kept under its name)")
	}
	e := &Engine{opts: opts, armyKey: opts.Army.Name, st: opts.Store, red: opts.Redactor, runner: opts.Runner, now: opts.Now,
		agents: map[string]*agent{}, templates: map[string][]string{}, kinds: map[string]capabilities.Kind{}, instKind: map[capabilities.Instance]string{}}
	if e.red == nil {
		e.red = vault.NewRedactor()
	}
	if e.runner == nil {
		e.runner = sandbox.NewInProcess()
	}
	if e.now == nil {
		e.now = time.Now
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	e.logf = vault.RedactLogf(e.red, logf)
	if e.opts.MaxAttempts <= 0 {
		e.opts.MaxAttempts = DefaultMaxAttempts
	}
	if e.opts.Backoff <= 0 {
		e.opts.Backoff = DefaultBackoff
	}
	if e.opts.MaxBackoff <= 0 {
		e.opts.MaxBackoff = DefaultMaxBackoff
	}
	if e.opts.ItemPoll <= 0 {
		e.opts.ItemPoll = DefaultItemPoll
	}
	if e.opts.KeepRuns <= 0 {
		e.opts.KeepRuns = DefaultKeepRuns
	}
	e.stopCtx, e.stop = context.WithCancel(context.Background())
	e.runCtx, e.runAbort = context.WithCancel(context.Background())
	e.ev = events.New()
	e.com = newCommitter(e.st, e.logf, e.wakeAgent)
	if err := e.provision(ctx); err != nil {
		e.cleanup()
		e.com.close()
		e.stop()
		e.runAbort()
		return nil, err
	}
	if err := e.recover(); err != nil {
		e.cleanup()
		e.com.close()
		e.stop()
		e.runAbort()
		return nil, err
	}
	if !opts.Passive {
		e.start()
	}
	return e, nil
}

func (e *Engine) host(name string, secretRefs map[string]string) *capabilities.Host {
	h := &capabilities.Host{
		Instance:   name,
		Army:       e.armyKey,
		SecretRefs: secretRefs,
		Storage:    capstore.New(grouped{Store: e.st, com: e.com}),
		Messages:   e,
		Reports:    e,
		Logf:       e.logf,
	}
	if e.opts.Secrets != nil {
		h.Secrets = e.opts.Secrets
	}
	return h
}

func (e *Engine) kind(id string) (capabilities.Kind, error) {
	if k, ok := e.kinds[id]; ok {
		return k, nil
	}
	k, err := capabilities.Lookup(id)
	if err != nil {
		return k, err
	}
	e.kinds[id] = k
	return k, nil
}

func propsJSON(a *army.Army, c *army.Capability) ([]byte, error) {
	p := a.ResolvedProps(c)
	if p == nil {
		return nil, nil
	}
	return json.Marshal(p)
}

// provision makes every instance, agent and the analysis.
// agentDef is what making an agent of an army agent needs: its compiled
// module and the env it shares with its template's other instances.
type agentDef struct {
	ag     *army.Agent
	code   *lazyModule
	instr  *instructed
	common map[string]capabilities.Instance
}

// lazyModule is an agent's code, checked when the engine starts (so a
// compile error is reported before anything runs) and compiled when the
// agent first runs: `run --once` of one agent of ten thousand compiles one.
// The compiled module is cached by content (sandbox.Compile), so the
// agents of one text, and a template's instances, share one program.
type lazyModule struct {
	filename string
	get      func() (*sandbox.Module, error)
}

func newLazyModule(filename, source string) *lazyModule {
	return &lazyModule{filename: filename, get: sync.OnceValues(func() (*sandbox.Module, error) {
		return sandbox.Compile(filename, source)
	})}
}

func (e *Engine) provision(ctx context.Context) error {
	a := e.opts.Army
	var err error
	f := &facts{flows: map[string]capabilities.Flow{}, tables: map[string]*capabilities.Table{}, items: map[string][]flow.Item{}}
	e.facts = f
	e.scoped = map[string]map[string]capabilities.Instance{}
	e.enums = map[string]capabilities.Enumerator{}
	e.defs = map[string]*agentDef{}
	e.byName = map[string]capabilities.Instance{}
	insts := map[string]capabilities.Instance{}
	each := map[string]bool{}
	for _, ag := range a.Agents {
		if ag.Template != nil {
			each[ag.Template.Each] = true
		}
	}
	for _, c := range a.Capabilities {
		props, err := propsJSON(a, c)
		if err != nil {
			return fmt.Errorf("engine: capability %q props: %w", c.Name, err)
		}
		inst, err := capabilities.New(ctx, c.Kind, props, e.host(c.Name, c.Secrets))
		if err != nil {
			return fmt.Errorf("engine: capability %q: %w", c.Name, err)
		}
		e.instances = append(e.instances, inst)
		e.instKind[inst] = c.Kind
		insts[c.Name] = inst
		e.byName[c.Name] = inst
		f.flows[c.Name] = inst.Flow()
		f.tables[c.Name] = capabilities.TableOf(inst)
		if !each[c.Name] {
			continue
		}
		en, ok := inst.(capabilities.Enumerator)
		if !ok {
			return fmt.Errorf("engine: capability %q: a template spawns over it, but kind %s does not enumerate items", c.Name, c.Kind)
		}
		e.enums[c.Name] = en
		e.scoped[c.Name] = map[string]capabilities.Instance{}
		f.items[c.Name] = []flow.Item{}
		ids, err := en.Items(ctx)
		if err != nil {
			return fmt.Errorf("engine: capability %q: listing items: %w", c.Name, err)
		}
		for _, id := range ids {
			if err := e.scope(ctx, c, en, id); err != nil {
				return err
			}
		}
	}
	if f.stores, err = capstore.Labels(e.st); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if f.wrote, err = capstore.Integrities(e.st); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	an, err := flow.Analyze(a, f)
	if err != nil {
		return fmt.Errorf("engine: flow analysis: %w", err)
	}
	e.analysis = an

	// One channel instance per channel of the army's channels list.
	chans := map[*army.Channel]capabilities.Instance{}
	for _, ch := range a.Channels {
		props, _ := json.Marshal(map[string]any{"to": ch.To})
		inst, err := capabilities.New(ctx, channel.ID, props, e.host(ch.From+"."+ch.Env, nil))
		if err != nil {
			return fmt.Errorf("engine: channel %s → %s: %w", ch.From, ch.To, err)
		}
		e.instances = append(e.instances, inst)
		e.instKind[inst] = channel.ID
		chans[ch] = inst
	}

	for _, ag := range a.Agents {
		def := &agentDef{ag: ag, common: map[string]capabilities.Instance{}}
		if ag.Instructed() {
			// A model writes its code at run time. Its model capability is
			// in its raw env under a name no code can use: guarded like any
			// binding (a per-call agent's code-writing call is a sink), and
			// taken out of the env the code sees.
			model, ok := insts[ag.Model]
			c := a.Capability(ag.Model)
			if !ok || c == nil {
				return fmt.Errorf("engine: agent %q model: capability %q: %w", ag.Name, ag.Model, flow.ErrDangling)
			}
			props, err := propsJSON(a, c)
			if err != nil {
				return fmt.Errorf("engine: agent %q model %q props: %w", ag.Name, ag.Model, err)
			}
			def.instr = newInstructed(ag, props)
			def.common[army.CodeWriterEnv] = model
		} else {
			filename := ag.Name + ".ts"
			if ag.CodePath != "" {
				filename = filepath.Base(ag.CodePath)
			}
			if err := sandbox.Check(filename, ag.Code); err != nil {
				return fmt.Errorf("engine: agent %q: %w", ag.Name, err)
			}
			def.code = newLazyModule(filename, ag.Code)
		}
		for _, b := range ag.Bindings {
			if ag.Template != nil && b.Env == ag.Template.As {
				continue
			}
			inst, ok := insts[b.Capability]
			if !ok {
				return fmt.Errorf("engine: agent %q env.%s: capability %q: %w", ag.Name, b.Env, b.Capability, flow.ErrDangling)
			}
			def.common[b.Env] = inst
		}
		for _, ch := range a.Channels {
			if ch.From == ag.Name {
				def.common[ch.Env] = chans[ch]
			}
		}
		if ag.Template == nil {
			if _, err := e.makeAgent(def, ""); err != nil {
				return err
			}
			continue
		}
		e.defs[ag.Name] = def
		ids := make([]string, 0, len(e.scoped[ag.Template.Each]))
		for id := range e.scoped[ag.Template.Each] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if _, err := e.makeAgent(def, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// scope provisions the instance of capability c scoped to item id, which en
// (c's instance) listed. The caller holds e.mu or is New.
func (e *Engine) scope(ctx context.Context, c *army.Capability, en capabilities.Enumerator, id string) error {
	sp, err := en.Scope(id)
	if err != nil {
		return fmt.Errorf("engine: capability %q item %q: %w", c.Name, id, err)
	}
	si, err := capabilities.New(ctx, c.Kind, sp, e.host(c.Name+"["+id+"]", c.Secrets))
	if err != nil {
		return fmt.Errorf("engine: capability %q item %q: %w", c.Name, id, err)
	}
	e.instances = append(e.instances, si)
	e.instKind[si] = c.Kind
	e.scoped[c.Name][id] = si
	e.facts.items[c.Name] = append(e.facts.items[c.Name], flow.Item{ID: id, Flow: si.Flow(), Table: capabilities.TableOf(si)})
	return nil
}

// makeAgent makes the agent of def, or with an item the template instance
// bound to that item's scoped capability. The caller holds e.mu or is New.
func (e *Engine) makeAgent(def *agentDef, item string) (*agent, error) {
	ag := def.ag
	name, raw := ag.Name, def.common
	if item != "" {
		name = ag.Name + "[" + item + "]"
		raw = map[string]capabilities.Instance{ag.Template.As: e.scoped[ag.Template.Each][item]}
		for k, v := range def.common {
			raw[k] = v
		}
	}
	g := &agent{name: name, def: ag, item: item, code: def.code, instr: def.instr, raw: raw,
		limits: limitsOf(ag.Limits), wake: make(chan struct{}, 1), concurrency: max(ag.Limits.Concurrency, 1)}
	for _, t := range ag.Triggers {
		if t.Kind == army.TriggerMessage {
			g.onMsg = true
		}
	}
	e.guard(g)
	if g.instr != nil {
		g.decl = sync.OnceValues(func() (string, error) { return e.declaration(g) })
	}
	e.agents[name] = g
	e.order = append(e.order, name)
	if item != "" {
		e.templates[ag.Name] = append(e.templates[ag.Name], name)
	}
	return g, nil
}

func limitsOf(l army.Limits) sandbox.Limits {
	return sandbox.Limits{Deadline: l.Deadline, MaxStackDepth: l.MaxStackDepth, MaxTimers: l.MaxTimers,
		MaxPendingCalls: l.MaxPendingCalls, MaxConsoleBytes: l.MaxConsoleBytes, MaxValueBytes: l.MaxValueBytes}
}

// Agents lists the runnable agents' names (template instances as
// "TEMPLATE[ITEM]"), in army order.
func (e *Engine) Agents() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]string(nil), e.order...)
}

// Analysis returns the flow analysis the guards use.
func (e *Engine) Analysis() *flow.Analysis {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.analysis
}

func (e *Engine) cleanup() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, inst := range e.instances {
		if err := capabilities.Cleanup(inst); err != nil {
			e.logf("engine: cleanup: %v", err)
		}
	}
	e.instances = nil
}

// Close stops the triggers and workers, waits for in-flight invocations
// (until ctx is done, when it cancels them), flushes the store writes, ends
// the event stream and cleans the instances up. Close is idempotent.
func (e *Engine) Close(ctx context.Context) error {
	e.closeMu.Lock()
	if e.closed {
		e.closeMu.Unlock()
		return nil
	}
	e.closed = true
	e.closeMu.Unlock()
	e.stop()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		e.runAbort()
		<-done
		err = fmt.Errorf("engine: close: %w (in-flight invocations cancelled)", ctx.Err())
	}
	e.runAbort()
	e.com.close()
	e.ev.Close()
	e.cleanup()
	return err
}

func (e *Engine) isClosed() bool {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	return e.closed
}

// agentNames returns a sorted, comma-joined list of agent names for errors.
func (e *Engine) agentNames() string {
	n := e.Agents()
	sort.Strings(n)
	if len(n) > 20 {
		n = append(n[:20], "…")
	}
	return strings.Join(n, ", ")
}

func (e *Engine) agent(name string) (*agent, error) {
	e.mu.RLock()
	g, ok := e.agents[name]
	e.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("engine: agent %q: %w (have: %s)", name, ErrNoAgent, e.agentNames())
	}
	return g, nil
}
