package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"littleboxes/app/army"
	"littleboxes/app/codemode"
	"littleboxes/capabilities"
	"littleboxes/capabilities/llm"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// ErrNoModel means no llm capability can write an agent's code.
var ErrNoModel = errors.New("no model to write the code")

// Simulated is a writing call a dry run did not perform.
type Simulated struct {
	Env    string `json:"env"`
	Method string `json:"method"`
	Args   []any  `json:"args"`
}

// String says the call as the agent wrote it: env.thread.reply(["…"]).
func (s Simulated) String() string {
	b, err := json.Marshal(s.Args)
	args := string(b)
	if err != nil {
		args = "[…]"
	}
	if len(args) > 200 {
		args = args[:200] + "…]"
	}
	return fmt.Sprintf("env.%s.%s(%s)", s.Env, s.Method, args[1:len(args)-1])
}

// Authored is what Describe made: the code a model wrote, the dry run's
// result and simulated writes, and the diff against the agent's code.
type Authored struct {
	Agent    string                `json:"agent"`
	Model    string                `json:"model"`
	Code     string                `json:"code"`
	Diff     string                `json:"diff"`
	Value    any                   `json:"value"`
	Console  []sandbox.ConsoleLine `json:"console,omitempty"`
	Calls    []Simulated           `json:"calls"`
	Attempts []codemode.Attempt    `json:"attempts"`
	// Error is why the model's code was not kept, when every attempt
	// failed (Attempts says how each did); empty when Code is the module
	// to keep. Set by callers that hand failed attempts on (the app's
	// Describe); Engine.Describe returns the error itself.
	Error string `json:"error,omitempty"`
}

// ModelFor names the llm capability that writes agent's code: model when
// given, else the agent's own model, else the army's only llm capability.
func (e *Engine) ModelFor(agentName, model string) (string, error) {
	if model != "" {
		if c := e.opts.Army.Capability(model); c == nil || c.Kind != llm.ID {
			return "", fmt.Errorf("engine: model %q: %w: it is not an llm capability of the army", model, ErrNoModel)
		}
		return model, nil
	}
	if ag := e.opts.Army.Agent(templateOf(agentName)); ag != nil && ag.Model != "" {
		return ag.Model, nil
	}
	var llms []string
	for _, c := range e.opts.Army.Capabilities {
		if c.Kind == llm.ID {
			llms = append(llms, c.Name)
		}
	}
	switch len(llms) {
	case 1:
		return llms[0], nil
	case 0:
		return "", fmt.Errorf("engine: %w: the army has no llm capability; add one", ErrNoModel)
	default:
		sort.Strings(llms)
		return "", fmt.Errorf("engine: %w: the army has several llm capabilities (%v); choose one", ErrNoModel, llms)
	}
}

// templateOf returns the template name of a node name "T[ITEM]", or name.
func templateOf(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '[' {
			return name[:i]
		}
	}
	return name
}

// Describe has a model write agentName's code from the owner's
// description, against the agent's env declaration, and dry-runs each
// attempt on input (the owner's sample; nil for none) with every writing
// method simulated: reads are real, nothing is sent. Failures go back to the
// model, bounded by attempts (0 for the default). The code is not saved: the
// caller shows the diff and the owner accepts it or not.
func (e *Engine) Describe(ctx context.Context, agentName, description, model string, input any, attempts int) (*Authored, error) {
	g, err := e.agent(agentName)
	if err != nil {
		return nil, err
	}
	if model, err = e.ModelFor(agentName, model); err != nil {
		return nil, err
	}
	e.mu.RLock()
	inst := e.byName[model]
	e.mu.RUnlock()
	if inst == nil {
		return nil, fmt.Errorf("engine: model %q is not provisioned", model)
	}
	decl, err := e.declaration(g)
	if err != nil {
		return nil, fmt.Errorf("engine: %s: its env declaration: %w", g.name, err)
	}
	entry := sandbox.EntryRun
	if g.onMsg && !hasTrigger(g.def, army.TriggerManual) {
		entry = sandbox.EntryOnMessage
	}
	var mu sync.Mutex
	var calls []Simulated
	var last *sandbox.Result
	exec := func(ctx context.Context, m *sandbox.Module) (*sandbox.Result, error) {
		mu.Lock()
		calls = nil
		mu.Unlock()
		env := map[string]sandbox.Binding{}
		for name, in := range g.raw {
			if name == army.CodeWriterEnv {
				continue
			}
			env[name] = vault.RedactBinding(&dryBinding{env: name, inst: in, record: func(s Simulated) {
				mu.Lock()
				calls = append(calls, s)
				mu.Unlock()
			}}, e.red)
		}
		res, err := e.runner.Run(ctx, &sandbox.Invocation{Module: m, Entry: entry, Input: input, Env: env,
			Context: map[string]any{"agent": g.name, "trigger": "dry run"}, Limits: g.limits})
		last = res
		return res, err
	}
	task := codemode.Task{Agent: g.name, Instructions: description, Declaration: decl, Input: input, Attempts: attempts, Author: true}
	writer := vault.RedactBinding(capabilities.Bind(inst), e.red)
	out, err := codemode.Write(ctx, task, codemode.LLMModel(writer), exec)
	a := &Authored{Agent: g.name, Model: model, Calls: []Simulated{}}
	if out != nil {
		a.Attempts = out.Attempts
		a.Code, a.Value = e.red.String(out.Code), e.red.Value(out.Value)
	}
	if last != nil {
		a.Console = last.Console
	}
	if err != nil {
		return a, fmt.Errorf("engine: %w", e.red.Error(err))
	}
	a.Calls = append(a.Calls, calls...)
	name := g.def.CodePath
	if name == "" {
		name = g.def.Name + ".ts"
	}
	a.Diff = codemode.Diff("a/"+name, "b/"+name, g.def.Code, a.Code)
	return a, nil
}

// dryBinding performs an instance's reading methods and records, without
// performing, the writing ones.
type dryBinding struct {
	env    string
	inst   capabilities.Instance
	record func(Simulated)
}

func (d *dryBinding) Methods() []string { return capabilities.TableOf(d.inst).Names() }

func (d *dryBinding) Call(ctx context.Context, method string, args []any) (any, error) {
	t := capabilities.TableOf(d.inst)
	m, err := t.Lookup(method)
	if err != nil {
		return nil, err
	}
	if err := m.Check(args); err != nil {
		return nil, err
	}
	if m.Role.Writes() {
		d.record(Simulated{Env: d.env, Method: method, Args: args})
		return map[string]any{"simulated": true}, nil
	}
	return m.Fn(ctx, d.inst, args)
}
