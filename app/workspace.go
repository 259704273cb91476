package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/engine"
	"littleboxes/app/flow"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/examples"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// Pos is a position on the canvas, in flow coordinates.
type Pos struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Problem is a problem with the army: where it is in the army file and what
// is wrong.
type Problem struct {
	// Line and Column are 1-based; zero when unknown.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Path is the field path, e.g. "agents.triage.bindings.mail"; "" for
	// the army as a whole.
	Path    string `json:"path"`
	Message string `json:"message"`
}

// BindingView is one binding of an agent: env.ENV → a capability.
type BindingView struct {
	Env        string `json:"env"`
	Capability string `json:"capability"`
	// Kind is the capability's kind ("" when the capability is missing).
	Kind string `json:"kind"`
	// Role sums up what the kind's methods do: "exchange" when one both
	// reads and writes or some read and others write, else "sink",
	// "source" or "pure".
	Role string `json:"role"`
	// Verdict, Why and Audience are the flow analysis' sink for a binding
	// that writes ("" and empty otherwise, and for channels, which are
	// always safe). For a template, they sum up its instances: "approval"
	// when any instance's sink needs approval (Why says how many, then the
	// first such instance's reason, whose audience is given), else the
	// first instance's.
	Verdict  string   `json:"verdict"`
	Why      string   `json:"why"`
	Audience []string `json:"audience"`
}

// InstanceView is one item of a template: one agent instance,
// "TEMPLATE[ITEM]".
type InstanceView struct {
	Name  string   `json:"name"`
	Item  string   `json:"item"`
	Label []string `json:"label"`
	// State is "idle" (never run), "running", "ok" or "failed": its last
	// run's outcome.
	State string `json:"state"`
}

// TemplateView makes an agent a template: one instance per item of
// capability Each, bound as env.As.
type TemplateView struct {
	Each string `json:"each"`
	As   string `json:"as"`
}

// AgentView is one agent or agent template.
type AgentView struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
	// Code is the module's source.
	Code string `json:"code"`
	// CodePath is the code's file relative to the army file ("" inline).
	CodePath string `json:"codePath"`
	// Triggers are as written in army files: "manual", "every 1h", ….
	Triggers  []string       `json:"triggers"`
	Template  *TemplateView  `json:"template"`
	Instances []InstanceView `json:"instances"`
	// Label is who may know what the agent may have read. For a template
	// it is the label's shape: the principals every instance's label
	// holds, plus "AS participants" (e.g. "thread participants") standing
	// for the principals that differ from item to item.
	Label    []string      `json:"label"`
	Bindings []BindingView `json:"bindings"`
	// Pos is where the node was placed on the canvas; null when it never
	// was (the page lays such nodes out itself).
	Pos *Pos `json:"pos"`
	// State is the agent's last run's outcome (a template: "idle"); see
	// InstanceView.State.
	State string `json:"state"`
}

// CapabilityView is one capability instance.
type CapabilityView struct {
	Name  string         `json:"name"`
	Kind  string         `json:"kind"`
	Props map[string]any `json:"props"`
	// Secrets maps secret slots to secret names in the keyring. Never a
	// value.
	Secrets map[string]string `json:"secrets"`
	// Pos is where the node was placed; null when it never was.
	Pos *Pos `json:"pos"`
}

// ChannelView is a one-way channel: agent From gets a send-only env.Env;
// To receives. Channels declared as capabilities of kind channel appear
// here too (and as bindings of their sender).
type ChannelView struct {
	From string `json:"from"`
	Env  string `json:"env"`
	To   string `json:"to"`
	// Label is what flows along the edge: the sender's label.
	Label []string `json:"label"`
}

// SinkView is the verdict on one binding that sends data out, per agent
// node (a template's items as "TEMPLATE[ITEM]").
type SinkView struct {
	Agent    string   `json:"agent"`
	Binding  string   `json:"binding"`
	Audience []string `json:"audience"`
	Verdict  string   `json:"verdict"`
	Why      string   `json:"why"`
}

// Workspace is the army open in the app, with its flow analysis. Every
// slice is non-nil.
type Workspace struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
	// Path is the army file on disk.
	Path         string           `json:"path"`
	Agents       []AgentView      `json:"agents"`
	Capabilities []CapabilityView `json:"capabilities"`
	Channels     []ChannelView    `json:"channels"`
	Sinks        []SinkView       `json:"sinks"`
	// Problems stop the army from running; empty when it runs. Besides the
	// army file's problems, a problem with an empty path says why a valid
	// army is not running (no keyring, a capability that failed to start).
	Problems []Problem `json:"problems"`
	// Running is whether the engine is running this army.
	Running bool `json:"running"`
}

// workspace is the army open in the app.
type workspace struct {
	path     string // the army file, absolute
	army     *army.Army
	problems []army.Problem // validation problems, positioned in the file
}

// Store layout, in the store's army bucket: workspace/open holds the open
// army file's path; positions/ARMYPATH holds one JSON Pos per node, keyed
// "agent:NAME" or "capability:NAME".
const (
	bucketWorkspace = "workspace"
	bucketPositions = "positions"
	keyOpen         = "open"
)

// engineCloseTimeout bounds how long a restart waits for in-flight
// invocations before cancelling them.
const engineCloseTimeout = 5 * time.Second

// errNotOpen is the error of workspace methods before the workspace opens.
var errNotOpen = errors.New("no workspace is open")

// open opens the store and the army last open (or the inbox example).
func (a *API) open(ctx context.Context, opts Options) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if a.st != nil {
		return nil
	}
	a.opts = opts
	if a.opts.Runner == nil && !a.opts.InProcess {
		pool, closePool, err := armyrun.NewRunner(false, 0, opts.Logf)
		if err != nil {
			a.openErr = err
			return a.openErr
		}
		a.closePool = closePool
		a.opts.Runner = pool
		a.mu.Lock()
		a.exec.runner = pool
		a.mu.Unlock()
	}
	err := func() error {
		dir, err := store.DataDir(opts.DataDir)
		if err != nil {
			return err
		}
		st, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: another littleboxes (the window, serve or run) is using %s; close it first", err, dir)
		}
		if err != nil {
			return err
		}
		a.dataDir, a.st = dir, st
		return nil
	}()
	if err != nil {
		a.openErr = fmt.Errorf("opening the workspace: %w", err)
		return a.openErr
	}
	path := a.openPath()
	var notice error
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			notice = fmt.Errorf("the army last open, %s, is gone (%v): opened the %s example instead", path, err, examples.Default)
			path = ""
		}
	}
	if path == "" {
		if path, err = a.materialize(examples.Default); err != nil {
			a.openErr = fmt.Errorf("opening the workspace: %w", err)
			return a.openErr
		}
	}
	if err := a.load(ctx, path); err != nil {
		notice = err
		p, merr := a.materialize(examples.Default)
		if merr == nil {
			merr = a.load(ctx, p)
		}
		if merr != nil {
			a.openErr = fmt.Errorf("opening the workspace: %w", errors.Join(err, merr))
			return a.openErr
		}
	}
	if notice != nil && a.ws != nil {
		a.ws.problems = append(a.ws.problems, army.Problem{Msg: notice.Error()})
	}
	return nil
}

// armiesDir is where the workspace's armies live.
func (a *API) armiesDir() string { return filepath.Join(a.dataDir, "armies") }

// materialize writes the example name into DATA/armies/NAME unless it is
// already there (so the person's edits survive), and returns its file.
func (a *API) materialize(name string) (string, error) {
	dir := filepath.Join(a.armiesDir(), name)
	path := filepath.Join(dir, name+".yaml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return examples.Materialize(name, dir)
}

// openPath returns the army file remembered as open, or "".
func (a *API) openPath() string {
	var p string
	_ = a.st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(store.BucketArmy, bucketWorkspace)
		if err != nil {
			return nil
		}
		v, err := b.Get([]byte(keyOpen))
		if err == nil {
			p = string(v)
		}
		return nil
	})
	return p
}

// load reads the army file at path (problems and all), remembers it as
// open and (re)starts the engine. A file that cannot be read is an error and
// leaves the workspace as it was.
func (a *API) load(ctx context.Context, path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	ar, err := army.LoadDraft(path)
	if ar == nil {
		if err == nil {
			err = errors.New("invalid army")
		}
		return err
	}
	if err := a.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketWorkspace)
		if err != nil {
			return err
		}
		return b.Put([]byte(keyOpen), []byte(path))
	}); err != nil {
		return fmt.Errorf("remembering the open army: %w", err)
	}
	a.ws = &workspace{path: path, army: ar, problems: problemsOf(err)}
	a.restart(ctx)
	return nil
}

// problemsOf returns the problems an army error lists.
func problemsOf(err error) []army.Problem {
	var e *army.Error
	if errors.As(err, &e) {
		return append([]army.Problem(nil), e.Problems...)
	}
	if err != nil {
		return []army.Problem{{Msg: err.Error()}}
	}
	return nil
}

// stopEngine closes the running engine, if any, and waits for its event
// forwarder.
func (a *API) stopEngine() {
	if a.eng == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), engineCloseTimeout)
	defer cancel()
	if err := a.eng.Close(ctx); err != nil {
		a.logf("closing the engine: %v", err)
	}
	a.fwd.Wait()
	a.eng = nil
}

func (a *API) logf(format string, args ...any) {
	if a.opts.Logf != nil {
		a.opts.Logf(format, args...)
	}
}

// restart stops the engine, and starts one on the open army when it has no
// problems; it analyses the army either way.
func (a *API) restart(ctx context.Context) {
	a.stopEngine()
	a.engErr, a.an, a.anErr = nil, nil, nil
	ar := a.ws.army
	// One redactor for the workspace's life, never a fresh one per
	// restart: it knows every secret the army references and every one
	// littleboxes keeps before anything runs, and every value seen since.
	if a.red == nil {
		a.red = vault.NewRedactor()
	}
	if len(a.ws.problems) == 0 {
		e, err := armyrun.Start(ctx, armyrun.Options{Army: ar, ArmyPath: a.ws.path, Store: a.st, Redactor: a.red,
			Runner: a.opts.Runner, Logf: a.logf})
		if err == nil {
			a.eng = e
			a.an = e.Analysis()
			events, _ := e.Subscribe() // ended by e.Close
			a.fwd.Add(1)
			go a.forward(events)
		} else {
			a.engErr = fmt.Errorf("the army is not running: %w", err)
		}
	} else if err := secrets.Seed(ctx, ar, a.st, a.red); err != nil {
		// An army that cannot run yet still has its secrets redacted.
		a.logf("%v", err)
	}
	if a.an == nil {
		facts, cleanup, err := flow.StaticFacts(ctx, ar)
		if err == nil {
			a.an, err = flow.Analyze(ar, facts)
			cleanup()
		}
		if err != nil {
			a.anErr = fmt.Errorf("flow analysis: %w", err)
		}
	}
	a.loadStates()
}

// loadStates sets each agent node's state from its last run record.
func (a *API) loadStates() {
	if a.an == nil {
		return
	}
	states := map[string]string{}
	for _, ag := range a.an.Agents {
		runs, err := engine.Runs(a.st, a.armyName(), ag.Name, 1)
		if err != nil || len(runs) == 0 {
			continue
		}
		states[ag.Name] = stateOf(runs[0].Status)
	}
	a.smu.Lock()
	defer a.smu.Unlock()
	for k, v := range a.states {
		if v == StateRunning {
			states[k] = v
		}
	}
	a.states = states
}

// close stops the engine, closes the store and ends every event stream.
// It is idempotent. (Unexported: Wails binds every exported method, and the
// page must not be able to close the workspace.)
func (a *API) close() error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	a.stopEngine()
	a.hub.Close()
	if a.closePool != nil {
		a.mu.Lock()
		a.exec.runner = sandbox.NewInProcess()
		a.mu.Unlock()
		a.closePool()
	}
	if a.st != nil {
		if err := a.st.Close(); err != nil {
			return fmt.Errorf("closing the store: %w", err)
		}
	}
	return nil
}

// ready returns an error unless the workspace is open. Call with wmu held.
func (a *API) ready() error {
	switch {
	case a.closed:
		return errors.New("littleboxes is shutting down")
	case a.openErr != nil:
		return a.openErr
	case a.ws == nil:
		return errNotOpen
	}
	return nil
}

// Workspace returns the army open in the app, with its flow analysis.
func (a *API) Workspace() (Workspace, error) {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if err := a.ready(); err != nil {
		return emptyWorkspace(), err
	}
	return a.view(), nil
}

func emptyWorkspace() Workspace {
	return Workspace{Agents: []AgentView{}, Capabilities: []CapabilityView{}, Channels: []ChannelView{},
		Sinks: []SinkView{}, Problems: []Problem{}}
}

// view renders the workspace. Call with wmu held.
func (a *API) view() Workspace {
	ar := a.ws.army
	w := emptyWorkspace()
	w.Name, w.Doc, w.Path, w.Running = ar.Name, ar.Doc, a.ws.path, a.eng != nil
	for _, p := range a.ws.problems {
		w.Problems = append(w.Problems, Problem{Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Field, Message: p.Msg})
	}
	for _, err := range []error{a.engErr, a.anErr} {
		if err != nil && len(a.ws.problems) == 0 {
			w.Problems = append(w.Problems, Problem{Message: err.Error()})
		}
	}
	pos := a.positions()
	at := func(key string) *Pos {
		if p, ok := pos[key]; ok {
			return &p
		}
		return nil
	}
	labels := a.labels()
	for _, ag := range ar.Agents {
		v := AgentView{Name: ag.Name, Doc: ag.Doc, Code: ag.Code, CodePath: ag.CodePath, Triggers: []string{},
			Instances: []InstanceView{}, Label: nonNil(labels[ag.Name]), Bindings: []BindingView{},
			Pos: at("agent:" + ag.Name), State: a.state(ag.Name)}
		if ag.CodePath != "" {
			v.CodePath = "./" + ag.CodePath
		}
		for _, t := range ag.Triggers {
			v.Triggers = append(v.Triggers, t.String())
		}
		if t := ag.Template; t != nil {
			v.Template = &TemplateView{Each: t.Each, As: t.As}
			v.State = StateIdle
			for _, inst := range a.instances(ag.Name) {
				v.Instances = append(v.Instances, InstanceView{Name: inst.Name, Item: inst.Item,
					Label: nonNil(inst.Label.Strings()), State: a.state(inst.Name)})
			}
			v.Bindings = append(v.Bindings, a.bindingView(ag, t.As, t.Each))
		}
		for _, b := range ag.Bindings {
			v.Bindings = append(v.Bindings, a.bindingView(ag, b.Env, b.Capability))
		}
		w.Agents = append(w.Agents, v)
	}
	for _, c := range ar.Capabilities {
		v := CapabilityView{Name: c.Name, Kind: c.Kind, Props: c.Props, Secrets: c.Secrets, Pos: at("capability:" + c.Name)}
		if v.Props == nil {
			v.Props = map[string]any{}
		}
		if v.Secrets == nil {
			v.Secrets = map[string]string{}
		}
		w.Capabilities = append(w.Capabilities, v)
	}
	for _, ch := range ar.Edges() {
		w.Channels = append(w.Channels, ChannelView{From: ch.From, Env: ch.Env, To: ch.To, Label: nonNil(labels[ch.From])})
	}
	if a.an != nil {
		for _, s := range a.an.Sinks {
			w.Sinks = append(w.Sinks, SinkView{Agent: s.Agent, Binding: s.Binding, Audience: nonNil(s.Audience.Strings()),
				Verdict: string(s.Verdict), Why: s.Why})
		}
	}
	return w
}

// instances returns the analysis' agents of template name.
func (a *API) instances(name string) []flow.AgentLabel {
	if a.an == nil {
		return nil
	}
	var out []flow.AgentLabel
	for _, l := range a.an.Agents {
		if l.Template == name && l.Item != "" {
			out = append(out, l)
		}
	}
	return out
}

// labels returns each agent's label (a template's shape; see
// AgentView.Label) by agent name.
func (a *API) labels() map[string][]string {
	out := map[string][]string{}
	if a.an == nil {
		return out
	}
	for _, ag := range a.ws.army.Agents {
		if ag.Template == nil {
			if l, ok := a.an.Label(ag.Name); ok {
				out[ag.Name] = l.Strings()
			}
			continue
		}
		insts := a.instances(ag.Name)
		if len(insts) == 0 {
			continue
		}
		common := map[string]int{}
		varies := false
		for _, inst := range insts {
			for _, p := range inst.Label.Strings() {
				common[p]++
			}
		}
		var shape []string
		for p, n := range common {
			if n == len(insts) {
				shape = append(shape, p)
			} else {
				varies = true
			}
		}
		sort.Strings(shape)
		if varies {
			shape = append(shape, ag.Template.As+" participants")
		}
		out[ag.Name] = shape
	}
	return out
}

// bindingView describes agent ag's env bound to capability capName.
func (a *API) bindingView(ag *army.Agent, env, capName string) BindingView {
	v := BindingView{Env: env, Capability: capName, Audience: []string{}}
	c := a.ws.army.Capability(capName)
	if c == nil {
		return v
	}
	v.Kind = c.Kind
	k, err := capabilities.Lookup(c.Kind)
	if err != nil {
		return v
	}
	v.Role = roleOf(k)
	if a.an == nil || !capabilities.Role(v.Role).Writes() || c.Kind == army.ChannelKind {
		return v
	}
	nodes := []string{ag.Name}
	if ag.Template != nil {
		nodes = nodes[:0]
		for _, inst := range a.instances(ag.Name) {
			nodes = append(nodes, inst.Name)
		}
	}
	var first, firstApproval *flow.Sink
	approvals := 0
	for _, n := range nodes {
		s, ok := a.an.Sink(n, env)
		if !ok {
			continue
		}
		if first == nil {
			first = &s
		}
		if s.Verdict == flow.Approval {
			approvals++
			if firstApproval == nil {
				firstApproval = &s
			}
		}
	}
	switch {
	case firstApproval != nil && ag.Template != nil:
		v.Verdict, v.Audience = string(flow.Approval), nonNil(firstApproval.Audience.Strings())
		v.Why = fmt.Sprintf("%d of %d instances need approval; %s: %s", approvals, len(nodes), firstApproval.Agent, firstApproval.Why)
	case firstApproval != nil:
		v.Verdict, v.Why, v.Audience = string(flow.Approval), firstApproval.Why, nonNil(firstApproval.Audience.Strings())
	case first != nil:
		v.Verdict, v.Why, v.Audience = string(first.Verdict), first.Why, nonNil(first.Audience.Strings())
	}
	return v
}

// roleOf sums up a kind's method roles.
func roleOf(k capabilities.Kind) string {
	reads, writes := false, false
	for _, m := range k.Methods {
		if m.Role == capabilities.Exchange {
			return string(capabilities.Exchange)
		}
		reads = reads || m.Role.Reads()
		writes = writes || m.Role.Writes()
	}
	switch {
	case reads && writes:
		return string(capabilities.Exchange)
	case writes:
		return string(capabilities.Sink)
	case reads:
		return string(capabilities.Source)
	}
	return string(capabilities.Pure)
}

// positions returns the saved node positions of the open army.
func (a *API) positions() map[string]Pos {
	out := map[string]Pos{}
	_ = a.st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(store.BucketArmy, bucketPositions, a.ws.path)
		if err != nil {
			return nil
		}
		return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
			var p Pos
			if json.Unmarshal(v, &p) == nil {
				out[string(k)] = p
			}
			return nil
		})
	})
	return out
}

// savePositions sets (or, for nil, deletes) node positions of the army at
// path.
func (a *API) savePositions(path string, ps map[string]*Pos) error {
	if len(ps) == 0 {
		return nil
	}
	return a.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketPositions, path)
		if err != nil {
			return err
		}
		for k, p := range ps {
			if p == nil {
				if err := b.Delete([]byte(k)); err != nil {
					return err
				}
				continue
			}
			v, _ := json.Marshal(p)
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// nodeKey is the key of a node's position for a MoveNodes key: "agent:X"
// and "capability:X" as they are; a plain name is the agent of that name,
// else the capability.
func nodeKey(ar *army.Army, key string) (string, bool) {
	if strings.HasPrefix(key, "agent:") || strings.HasPrefix(key, "capability:") {
		return key, true
	}
	if ar.Agent(key) != nil {
		return "agent:" + key, true
	}
	if ar.Capability(key) != nil {
		return "capability:" + key, true
	}
	return "", false
}
