package army

import "time"

// Army is a whole army: what the canvas shows and what the engine runs.
type Army struct {
	// Name names the army ("inbox").
	Name string
	// Doc is a free-form description.
	Doc string
	// Capabilities are the capability instances, by unique name.
	Capabilities []*Capability
	// Agents are the agents and agent templates, by unique name.
	Agents []*Agent
	// Channels are the one-way channels between agents.
	Channels []*Channel
	// Dir is the directory relative code paths and props paths resolve
	// against (the army file's directory); empty for an embedded army.
	Dir string
}

// Capability is one capability instance: a kind plus its props and the
// secrets it is given, by slot.
type Capability struct {
	Name string
	// Kind is the registered kind id ("mail", "http", …).
	Kind string
	// Props is the kind's configuration as JSON-like data (decoded strictly
	// by the kind when provisioned).
	Props map[string]any
	// Secrets maps the kind's secret slots to secret names in the vault.
	Secrets map[string]string
	// Pos is where the capability is defined in the army file.
	Pos Pos
}

// Agent is one agent, or an agent template when Template is set.
type Agent struct {
	Name string
	// Doc is a free-form description.
	Doc string
	// Code is the module's source (inline, or read from CodePath).
	Code string
	// CodePath is the module's file, relative to the army's Dir; empty when
	// the code is inline. Export writes the path, not the code.
	CodePath string
	// Instructions, given instead of Code, make an instructions agent: a
	// model writes its code from these words and its env declaration (Code
	// Mode). Exactly one of Code and Instructions is set.
	Instructions string
	// Model names the llm capability that writes an instructions agent's
	// code.
	Model string
	// Mode is an instructions agent's Code Mode: ModePlan (the default,
	// also when empty) or ModePerCall.
	Mode string
	// Attempts counts an instructions agent's tries per run, the first
	// included; zero means the default (3).
	Attempts int
	// Triggers say when the agent runs.
	Triggers []Trigger
	// Limits override the sandbox's defaults for this agent.
	Limits Limits
	// Bindings are the agent's env entries that name capabilities.
	Bindings []*Binding
	// Template, when set, makes this an agent template: one agent per item
	// of the named capability (which must enumerate items, as mail does),
	// each bound under Template.As to that item's scoped capability.
	Template *Template
	// Pos is where the agent is defined in the army file.
	Pos Pos
}

// Code Mode modes of an instructions agent.
const (
	// ModePlan: the model writes the code once from the instructions and
	// the env declaration, never seeing the data; the code is cached.
	ModePlan = "plan"
	// ModePerCall: the model sees each trigger's input and writes code for
	// it; that call is a sink to the model's provider.
	ModePerCall = "per-call"
)

// MaxAttempts is the most attempts an instructions agent may ask for.
const MaxAttempts = 10

// MaxInstructionsBytes bounds an instructions agent's instructions.
const MaxInstructionsBytes = 64 << 10

// CodeWriterEnv is the name the flow analysis and the approvals give the
// code-writing call of a per-call instructions agent: a sink to the model's
// provider that the agent's code cannot call (it is not a JavaScript
// identifier, so no env entry can take it).
const CodeWriterEnv = "(code writer)"

// Instructed reports whether ag is an instructions agent.
func (ag *Agent) Instructed() bool { return ag.Instructions != "" }

// PerCall reports whether ag is an instructions agent in per-call mode.
func (ag *Agent) PerCall() bool { return ag.Instructed() && ag.Mode == ModePerCall }

// CodeWriter returns the binding the flow analysis gives a per-call
// instructions agent's code-writing call (the model capability under
// CodeWriterEnv), or nil: a plan-mode agent's model never sees its data.
func (ag *Agent) CodeWriter() *Binding {
	if !ag.PerCall() || ag.Model == "" {
		return nil
	}
	return &Binding{Env: CodeWriterEnv, Capability: ag.Model, Pos: ag.Pos}
}

// Template makes an agent a template.
type Template struct {
	// Each names the enumerating capability ("mailbox").
	Each string
	// As is the env name the scoped capability gets in each instance ("thread").
	As string
}

// TriggerKind is what starts an invocation.
type TriggerKind string

// Trigger kinds.
const (
	TriggerManual  TriggerKind = "manual"  // the owner runs it (the Run button, run --once)
	TriggerMessage TriggerKind = "message" // a channel delivers a message: onMessage
	TriggerEvery   TriggerKind = "every"   // on a schedule: run, every Every
	TriggerItem    TriggerKind = "item"    // a template's new item appeared: run
)

// Trigger is one trigger of an agent.
type Trigger struct {
	Kind TriggerKind
	// Every is the period of an "every" trigger.
	Every time.Duration
}

// Limits override the sandbox's per-invocation defaults; zero means default.
type Limits struct {
	Deadline        time.Duration
	MaxStackDepth   int
	MaxTimers       int
	MaxPendingCalls int
	MaxConsoleBytes int
	MaxValueBytes   int
	// Concurrency is how many messages the agent handles at once (0 means
	// 1: one at a time, in order).
	Concurrency int
}

// limitCount is one whole-number limit: its key in an army file and the
// field of a Limits holding it.
type limitCount struct {
	key string
	n   *int
}

// counts returns l's whole-number limits in file order, each pointing into
// l: the one list that reading, writing and checking an army file share.
func (l *Limits) counts() []limitCount {
	return []limitCount{
		{"max_stack_depth", &l.MaxStackDepth},
		{"max_timers", &l.MaxTimers},
		{"max_pending_calls", &l.MaxPendingCalls},
		{"max_console_bytes", &l.MaxConsoleBytes},
		{"max_value_bytes", &l.MaxValueBytes},
		{"concurrency", &l.Concurrency},
	}
}

// Binding gives an agent env.Env bound to the capability named Capability.
type Binding struct {
	Env        string
	Capability string
	Pos        Pos
}

// Channel is a one-way edge: From gets a send-only env.Env that delivers to
// To's onMessage.
type Channel struct {
	From string
	Env  string
	To   string
	Pos  Pos
}

// Pos is a position in an army file (1-based; zero when unknown).
type Pos struct {
	Line   int
	Column int
}

// Agent returns the agent named name, or nil.
func (a *Army) Agent(name string) *Agent {
	for _, ag := range a.Agents {
		if ag.Name == name {
			return ag
		}
	}
	return nil
}

// Capability returns the capability named name, or nil.
func (a *Army) Capability(name string) *Capability {
	for _, c := range a.Capabilities {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ChannelsFrom returns the channels whose sender is agent.
func (a *Army) ChannelsFrom(agent string) []*Channel {
	var out []*Channel
	for _, c := range a.Channels {
		if c.From == agent {
			out = append(out, c)
		}
	}
	return out
}

// ChannelsTo returns the channels whose receiver is agent.
func (a *Army) ChannelsTo(agent string) []*Channel {
	var out []*Channel
	for _, c := range a.Channels {
		if c.To == agent {
			out = append(out, c)
		}
	}
	return out
}
