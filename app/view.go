package app

import (
	"fmt"
	"sort"

	"littleboxes/app/army"
	"littleboxes/app/flow"
	"littleboxes/app/workspace"
	"littleboxes/capabilities"
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
	// Tools, when set, names the mcp capability whose server's tools
	// changed since they were pinned, which stops the army until the owner
	// accepts them (AcceptTools).
	Tools string `json:"tools,omitempty"`
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
	// Rule says which rule holds an "approval" verdict: "confidentiality"
	// (the audience may not read what the agent read), "integrity" (others
	// could steer a consequential call) or "both"; "" when safe. For a
	// template, over all its instances.
	Rule string `json:"rule"`
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
	// Instructions, for an instructions agent, are the owner's words a
	// model writes its code from ("" for a code agent); Model names the llm
	// capability that writes it, Mode is "plan" or "per-call", Attempts
	// the tries per run (0: the default).
	Instructions string `json:"instructions"`
	Model        string `json:"model"`
	Mode         string `json:"mode"`
	Attempts     int    `json:"attempts"`
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
	// Methods, for a dynamic kind (mcp, openapi), are the instance's
	// methods with their roles, as provisioned for the flow analysis (an
	// MCP server's tools, an OpenAPI document's allowed operations); empty
	// for a kind whose methods are the kind's own (Kinds lists them), and
	// when the instance could not be provisioned.
	Methods []MethodView `json:"methods"`
}

// MethodView is one method of a capability instance and its part in the
// flow analysis: "source", "sink", "exchange" or "pure".
type MethodView struct {
	Name string `json:"name"`
	Role string `json:"role"`
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

func emptyWorkspace() Workspace {
	return Workspace{Agents: []AgentView{}, Capabilities: []CapabilityView{}, Channels: []ChannelView{},
		Sinks: []SinkView{}, Problems: []Problem{}}
}

// view is what the page shows of the workspace: a pure function of the
// army, its analysis, the agents' states and the nodes' positions, as the
// snapshot holds them.
func view(s workspace.Snapshot) Workspace {
	v := viewer{s}
	ar := s.Army
	w := emptyWorkspace()
	w.Name, w.Doc, w.Path, w.Running = ar.Name, ar.Doc, s.Path, s.Running
	for _, p := range s.Problems {
		w.Problems = append(w.Problems, Problem{Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Field, Message: p.Msg})
	}
	for _, err := range []error{s.NotRunning, s.AnalysisErr} {
		if err != nil && len(s.Problems) == 0 {
			w.Problems = append(w.Problems, Problem{Message: err.Error(), Tools: toolsChanged(ar, err)})
		}
	}
	at := func(key string) *Pos {
		if p, ok := s.Positions[key]; ok {
			return &Pos{X: p.X, Y: p.Y}
		}
		return nil
	}
	labels := v.labels()
	for _, ag := range ar.Agents {
		av := AgentView{Name: ag.Name, Doc: ag.Doc, Code: ag.Code, CodePath: ag.CodePath, Triggers: []string{},
			Instructions: ag.Instructions, Model: ag.Model, Mode: modeOf(ag), Attempts: ag.Attempts,
			Instances: []InstanceView{}, Label: nonNil(labels[ag.Name]), Bindings: []BindingView{},
			Pos: at("agent:" + ag.Name), State: v.state(ag.Name)}
		if ag.CodePath != "" {
			av.CodePath = "./" + ag.CodePath
		}
		for _, t := range ag.Triggers {
			av.Triggers = append(av.Triggers, t.String())
		}
		if t := ag.Template; t != nil {
			av.Template = &TemplateView{Each: t.Each, As: t.As}
			av.State = workspace.StateIdle
			for _, inst := range v.instances(ag.Name) {
				av.Instances = append(av.Instances, InstanceView{Name: inst.Name, Item: inst.Item,
					Label: nonNil(inst.Label.Strings()), State: v.state(inst.Name)})
			}
			av.Bindings = append(av.Bindings, v.binding(ag, t.As, t.Each))
		}
		for _, b := range ag.Bindings {
			av.Bindings = append(av.Bindings, v.binding(ag, b.Env, b.Capability))
		}
		w.Agents = append(w.Agents, av)
	}
	for _, c := range ar.Capabilities {
		cv := CapabilityView{Name: c.Name, Kind: c.Kind, Props: c.Props, Secrets: c.Secrets, Pos: at("capability:" + c.Name),
			Methods: v.methods(c)}
		if cv.Props == nil {
			cv.Props = map[string]any{}
		}
		if cv.Secrets == nil {
			cv.Secrets = map[string]string{}
		}
		w.Capabilities = append(w.Capabilities, cv)
	}
	for _, ch := range ar.Edges() {
		w.Channels = append(w.Channels, ChannelView{From: ch.From, Env: ch.Env, To: ch.To, Label: nonNil(labels[ch.From])})
	}
	if s.Analysis != nil {
		for _, sk := range s.Analysis.Sinks {
			w.Sinks = append(w.Sinks, SinkView{Agent: sk.Agent, Binding: sk.Binding, Audience: nonNil(sk.Audience.Strings()),
				Verdict: string(sk.Verdict), Why: sk.Explain()})
		}
	}
	return w
}

// viewer makes the parts of a view from a snapshot.
type viewer struct{ s workspace.Snapshot }

// state returns an agent node's state.
func (v viewer) state(node string) string {
	if st, ok := v.s.States[node]; ok {
		return st
	}
	return workspace.StateIdle
}

// instances returns the analysis' agents of template name.
func (v viewer) instances(name string) []flow.AgentLabel {
	if v.s.Analysis == nil {
		return nil
	}
	var out []flow.AgentLabel
	for _, l := range v.s.Analysis.Agents {
		if l.Template == name && l.Item != "" {
			out = append(out, l)
		}
	}
	return out
}

// labels returns each agent's label (a template's shape; see
// AgentView.Label) by agent name.
func (v viewer) labels() map[string][]string {
	out := map[string][]string{}
	if v.s.Analysis == nil {
		return out
	}
	for _, ag := range v.s.Army.Agents {
		if ag.Template == nil {
			if l, ok := v.s.Analysis.Label(ag.Name); ok {
				out[ag.Name] = l.Strings()
			}
			continue
		}
		insts := v.instances(ag.Name)
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

// table returns the method table of capability c: its instance's, as
// provisioned for the analysis, for a dynamic kind (whose kind declares no
// methods); else its kind's. Nil when neither is known.
func (v viewer) table(c *army.Capability) *capabilities.Table {
	k, err := capabilities.Lookup(c.Kind)
	if err != nil {
		return nil
	}
	if len(k.Table.Methods()) == 0 && v.s.Analysis != nil {
		if t, ok := v.s.Analysis.Table(c.Name); ok {
			return t
		}
	}
	return k.Table
}

// methods returns the methods of a dynamic kind's instance c with their
// roles (see CapabilityView.Methods); never nil.
func (v viewer) methods(c *army.Capability) []MethodView {
	out := []MethodView{}
	if k, err := capabilities.Lookup(c.Kind); err != nil || len(k.Table.Methods()) > 0 || v.s.Analysis == nil {
		return out
	}
	if t, ok := v.s.Analysis.Table(c.Name); ok {
		for _, m := range t.Methods() {
			out = append(out, MethodView{Name: m.Name, Role: string(m.Role)})
		}
	}
	return out
}

// binding describes agent ag's env bound to capability capName.
func (v viewer) binding(ag *army.Agent, env, capName string) BindingView {
	bv := BindingView{Env: env, Capability: capName, Audience: []string{}}
	c := v.s.Army.Capability(capName)
	if c == nil {
		return bv
	}
	bv.Kind = c.Kind
	t := v.table(c)
	if t == nil {
		return bv
	}
	bv.Role = roleOf(t)
	if v.s.Analysis == nil || !capabilities.Role(bv.Role).Writes() || c.Kind == army.ChannelKind {
		return bv
	}
	nodes := []string{ag.Name}
	if ag.Template != nil {
		nodes = nodes[:0]
		for _, inst := range v.instances(ag.Name) {
			nodes = append(nodes, inst.Name)
		}
	}
	var first, firstApproval *flow.Sink
	approvals := 0
	for _, n := range nodes {
		s, ok := v.s.Analysis.Sink(n, env)
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
	conf, integ := false, false
	for _, n := range nodes {
		if s, ok := v.s.Analysis.Sink(n, env); ok {
			conf = conf || s.Confidentiality == flow.Approval
			integ = integ || s.Integrity == flow.Approval
		}
	}
	switch {
	case conf && integ:
		bv.Rule = "both"
	case conf:
		bv.Rule = "confidentiality"
	case integ:
		bv.Rule = "integrity"
	}
	switch {
	case firstApproval != nil && ag.Template != nil:
		bv.Verdict, bv.Audience = string(flow.Approval), nonNil(firstApproval.Audience.Strings())
		bv.Why = fmt.Sprintf("%d of %d instances need approval; %s: %s", approvals, len(nodes), firstApproval.Agent, firstApproval.Explain())
	case firstApproval != nil:
		bv.Verdict, bv.Why, bv.Audience = string(flow.Approval), firstApproval.Explain(), nonNil(firstApproval.Audience.Strings())
	case first != nil:
		bv.Verdict, bv.Why, bv.Audience = string(first.Verdict), first.Why, nonNil(first.Audience.Strings())
	}
	return bv
}

// roleOf sums up a method table's roles.
func roleOf(t *capabilities.Table) string {
	reads, writes := false, false
	for _, m := range t.Methods() {
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

// modeOf is an instructions agent's Code Mode as shown ("" for a code agent).
func modeOf(ag *army.Agent) string {
	switch {
	case !ag.Instructed():
		return ""
	case ag.Mode == "":
		return army.ModePlan
	}
	return ag.Mode
}
