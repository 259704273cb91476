package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"littleboxes/app/army"
	"littleboxes/app/events"
	"littleboxes/capabilities"
	"littleboxes/examples"
)

// AgentChange is a change to an agent: in UpdateAgent, a field left nil
// keeps its value.
type AgentChange struct {
	// Name is the agent's (new) name; "" in UpdateAgent keeps it.
	Name     string
	Doc      *string
	Code     *string
	Triggers []string // as written in army files: "manual", "every 1h", …
	// Instructions (not empty) make the agent an instructions agent; Model,
	// Mode and Attempts set its Code Mode. Code makes it a code agent again.
	Instructions, Model, Mode *string
	Attempts                  *int
	// Template makes the agent a template; ClearTemplate a plain agent
	// again.
	Template      *army.Template
	ClearTemplate bool
	Pos           *Pos
}

// CapabilityChange is a change to a capability: in UpdateCapability, Kind
// "" and nil Props and Secrets keep their values; given, they replace them
// whole.
type CapabilityChange struct {
	Name    string
	Kind    string
	Props   map[string]any
	Secrets map[string]string
	Pos     *Pos
}

// edit is one change to the army, made on a copy.
type edit struct {
	army *army.Army
	// pos are node positions to save (nil deletes), by node key.
	pos map[string]*Pos
	// removed are code files (relative to the army's folder) no agent uses
	// any more, to delete after saving.
	removed []string
}

// mutate runs fn on a copy of the open army, refuses the result if fn
// failed or the copy has a problem the edit caused (see the package doc),
// and otherwise saves it, reloads it, restarts the engine, publishes a
// workspace event named what and returns the new snapshot.
func (w *Workspace) mutate(ctx context.Context, what string, fn func(e *edit) error) (Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	e := &edit{army: cloneArmy(w.army), pos: map[string]*Pos{}}
	if err := fn(e); err != nil {
		return Snapshot{}, err
	}
	if err := refuse(w.problems, e.army); err != nil {
		return Snapshot{}, err
	}
	if err := w.save(w.path, e); err != nil {
		return Snapshot{}, err
	}
	if err := w.load(ctx, w.path); err != nil {
		return Snapshot{}, fmt.Errorf("the army was saved but does not read back: %w", err)
	}
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: what})
	return w.snapshot(), nil
}

// incomplete reports whether a problem is one of an army still being
// built, which an edit may leave (a missing required field, code not
// written yet, a message trigger waiting for its channel), rather than one
// the edit caused.
func incomplete(p army.Problem) bool { return p.Kind == army.ProblemIncomplete }

// refuse returns an error listing the problems of next that are neither
// in before nor incomplete.
func refuse(before []army.Problem, next *army.Army) error {
	var e *army.Error
	err := next.Validate()
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) {
		return err
	}
	had := map[string]bool{}
	for _, p := range before {
		had[p.Field+"\x00"+p.Msg] = true
	}
	var bad []string
	for _, p := range e.Problems {
		if !had[p.Field+"\x00"+p.Msg] && !incomplete(p) {
			bad = append(bad, p.String())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(bad, "\n"))
}

// save writes the agents' code files, then the army file (atomically), then
// the positions, then deletes code files no longer used.
func (w *Workspace) save(path string, e *edit) error {
	ar := e.army
	dir := filepath.Dir(path)
	for _, ag := range ar.Agents {
		if ag.CodePath == "" {
			continue
		}
		f := filepath.Join(dir, filepath.FromSlash(ag.CodePath))
		if old, err := os.ReadFile(f); err == nil && string(old) == ag.Code {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return fmt.Errorf("saving agent %s: %w", ag.Name, err)
		}
		if err := army.WriteFile(f, []byte(ag.Code)); err != nil {
			return fmt.Errorf("saving agent %s's code: %w", ag.Name, err)
		}
	}
	data, err := ar.Export()
	if err != nil {
		return err
	}
	if err := army.WriteFile(path, data); err != nil {
		return fmt.Errorf("saving the army: %w", err)
	}
	if err := w.savePositions(path, e.pos); err != nil {
		return fmt.Errorf("saving positions: %w", err)
	}
	for _, rel := range e.removed {
		used := false
		for _, ag := range ar.Agents {
			used = used || ag.CodePath == rel
		}
		if !used {
			_ = os.Remove(filepath.Join(dir, filepath.FromSlash(rel)))
		}
	}
	return nil
}

// OpenExample opens the built-in example army name. The first time, it is
// written into the data directory (DATA/armies/NAME); after that the copy
// there, with the person's edits, is opened.
func (w *Workspace) OpenExample(ctx context.Context, name string) (Snapshot, error) {
	if !slices.Contains(examples.Names(), name) {
		return Snapshot{}, fmt.Errorf("no example army %q (have: %s)", name, strings.Join(examples.Names(), ", "))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	p, err := w.materialize(name)
	if err != nil {
		return Snapshot{}, err
	}
	if err := w.load(ctx, p); err != nil {
		return Snapshot{}, err
	}
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "open " + name})
	return w.snapshot(), nil
}

// ImportYAML replaces the open army with the army file text. Its code
// paths (./agents/x.ts) and props paths resolve against the open army's
// folder. An army of the same name is saved over the open one; an army of
// another name goes to DATA/armies/NAME/NAME.yaml, with its code files,
// and becomes the open army. Text that does not read as an army, or whose
// army has problems other than those of an incomplete army, is refused
// with the problems.
func (w *Workspace) ImportYAML(ctx context.Context, text string) (Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	ar, err := army.ParseDraft([]byte(text), filepath.Dir(w.path))
	if ar == nil {
		return Snapshot{}, err
	}
	if err := refuse(nil, ar); err != nil {
		return Snapshot{}, err
	}
	path := w.path
	if ar.Name != w.army.Name {
		slug := slugify(ar.Name)
		dir := filepath.Join(w.armiesDir(), slug)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Snapshot{}, err
		}
		path = filepath.Join(dir, slug+".yaml")
		ar.Dir = dir
	}
	if err := w.save(path, &edit{army: ar}); err != nil {
		return Snapshot{}, err
	}
	if err := w.load(ctx, path); err != nil {
		return Snapshot{}, fmt.Errorf("the army was saved but does not read back: %w", err)
	}
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "import"})
	return w.snapshot(), nil
}

// slugify makes a folder name of an army's name.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 64 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "army"
	}
	return s
}

// ExportYAML returns the open army as an army file.
func (w *Workspace) ExportYAML() (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return "", ErrClosed
	}
	b, err := w.army.Export()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkName returns an error unless s is a valid agent or capability name
// (what says which), the army's rule.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("give the %s a name", what)
	}
	return army.CheckName(what, s)
}

// checkEnv returns an error unless env is a valid env name, the army's
// rule.
func checkEnv(env string) error {
	if env == "" {
		return errors.New("give the env entry a name")
	}
	return army.CheckEnv(env)
}

func parseTriggers(ts []string) ([]army.Trigger, error) {
	out := []army.Trigger{}
	for _, s := range ts {
		t, err := army.ParseTrigger(s)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// codeFile is the code file a new agent gets.
func codeFile(name string) string { return "agents/" + name + ".ts" }

// AddAgent adds an agent. Its code goes to ./agents/NAME.ts beside the army
// file; with no code yet, the workspace shows the problem until it has some.
func (w *Workspace) AddAgent(ctx context.Context, spec AgentChange) (Snapshot, error) {
	return w.mutate(ctx, "add agent "+spec.Name, func(e *edit) error {
		if err := checkName("agent", spec.Name); err != nil {
			return err
		}
		if e.army.Agent(spec.Name) != nil {
			return fmt.Errorf("there is already an agent named %q", spec.Name)
		}
		ag := &army.Agent{Name: spec.Name, CodePath: codeFile(spec.Name)}
		for _, other := range e.army.Agents {
			if other.CodePath == ag.CodePath {
				ag.CodePath = ""
			}
		}
		if err := applyAgentSpec(e.army, ag, spec); err != nil {
			return err
		}
		e.army.Agents = append(e.army.Agents, ag)
		if spec.Pos != nil {
			e.pos["agent:"+spec.Name] = spec.Pos
		}
		return nil
	})
}

// applyAgentSpec sets ag's fields from spec (all but the name); fields
// left out are kept.
func applyAgentSpec(ar *army.Army, ag *army.Agent, spec AgentChange) error {
	if spec.Doc != nil {
		ag.Doc = *spec.Doc
	}
	if spec.Code != nil {
		ag.Code = *spec.Code
		ag.Instructions, ag.Model, ag.Mode, ag.Attempts = "", "", "", 0
	}
	if spec.Instructions != nil {
		ag.Instructions = *spec.Instructions
		if ag.Instructions != "" {
			ag.Code, ag.CodePath = "", ""
		}
	}
	if spec.Model != nil {
		ag.Model = *spec.Model
	}
	if spec.Mode != nil {
		ag.Mode = *spec.Mode
	}
	if spec.Attempts != nil {
		ag.Attempts = *spec.Attempts
	}
	if spec.Triggers != nil {
		ts, err := parseTriggers(spec.Triggers)
		if err != nil {
			return fmt.Errorf("agent %s: %w", spec.Name, err)
		}
		ag.Triggers = ts
	}
	if spec.Template != nil {
		if c := ar.Capability(spec.Template.Each); c == nil {
			return fmt.Errorf("agent %s: no capability named %q to spawn over", spec.Name, spec.Template.Each)
		}
		if spec.Template.As != "" {
			if err := army.CheckEnv(spec.Template.As); err != nil {
				return fmt.Errorf("agent %s: the template's item: %w", spec.Name, err)
			}
		}
		ag.Template = &army.Template{Each: spec.Template.Each, As: spec.Template.As}
	} else if spec.ClearTemplate {
		ag.Template = nil
	}
	return nil
}

// UpdateAgent replaces agent name's settings with spec, renaming it when
// spec.Name differs (its channels, its position and its ./agents/NAME.ts
// file follow).
func (w *Workspace) UpdateAgent(ctx context.Context, name string, spec AgentChange) (Snapshot, error) {
	return w.mutate(ctx, "update agent "+name, func(e *edit) error {
		ag := e.army.Agent(name)
		if ag == nil {
			return fmt.Errorf("no agent named %q", name)
		}
		if spec.Name == "" {
			spec.Name = name
		}
		if spec.Name != name {
			if err := checkName("agent", spec.Name); err != nil {
				return err
			}
			if e.army.Agent(spec.Name) != nil {
				return fmt.Errorf("there is already an agent named %q", spec.Name)
			}
			for _, ch := range e.army.Channels {
				if ch.From == name {
					ch.From = spec.Name
				}
				if ch.To == name {
					ch.To = spec.Name
				}
			}
			for _, c := range e.army.Capabilities {
				if c.Kind == army.ChannelKind && c.Props["to"] == name {
					c.Props["to"] = spec.Name
				}
			}
			if ag.CodePath == codeFile(name) {
				e.removed = append(e.removed, ag.CodePath)
				ag.CodePath = codeFile(spec.Name)
			}
			ag.Name = spec.Name
			if p, ok := w.positions()["agent:"+name]; ok {
				e.pos["agent:"+spec.Name] = &p
			}
			e.pos["agent:"+name] = nil
		}
		if spec.Pos != nil {
			e.pos["agent:"+spec.Name] = spec.Pos
		}
		return applyAgentSpec(e.army, ag, spec)
	})
}

// DeleteAgent removes agent name and the channels from and to it. Its code
// file stays.
func (w *Workspace) DeleteAgent(ctx context.Context, name string) (Snapshot, error) {
	return w.mutate(ctx, "delete agent "+name, func(e *edit) error {
		if e.army.Agent(name) == nil {
			return fmt.Errorf("no agent named %q", name)
		}
		e.army.Agents = slices.DeleteFunc(e.army.Agents, func(ag *army.Agent) bool { return ag.Name == name })
		e.army.Channels = slices.DeleteFunc(e.army.Channels, func(ch *army.Channel) bool { return ch.From == name || ch.To == name })
		e.pos["agent:"+name] = nil
		return nil
	})
}

// SetAgentCode replaces agent name's code (in its file, when it has one).
func (w *Workspace) SetAgentCode(ctx context.Context, name, code string) (Snapshot, error) {
	return w.mutate(ctx, "code of "+name, func(e *edit) error {
		ag := e.army.Agent(name)
		if ag == nil {
			return fmt.Errorf("no agent named %q", name)
		}
		if len(code) > army.MaxCodeBytes {
			return fmt.Errorf("agent %s: the code is %d bytes, more than the limit of %d (1 MiB)", name, len(code), army.MaxCodeBytes)
		}
		ag.Code = code
		return nil
	})
}

// AddCapability adds a capability instance. Props the kind does not have,
// or of the wrong type, are refused; required props and secrets may come
// later (the workspace shows them as problems until then).
func (w *Workspace) AddCapability(ctx context.Context, spec CapabilityChange) (Snapshot, error) {
	return w.mutate(ctx, "add capability "+spec.Name, func(e *edit) error {
		if err := checkName("capability", spec.Name); err != nil {
			return err
		}
		if e.army.Capability(spec.Name) != nil {
			return fmt.Errorf("there is already a capability named %q", spec.Name)
		}
		if _, err := capabilities.Lookup(spec.Kind); err != nil {
			return err
		}
		c := &army.Capability{Name: spec.Name, Kind: spec.Kind, Props: normalizeProps(spec.Props), Secrets: cloneStrings(spec.Secrets)}
		e.army.Capabilities = append(e.army.Capabilities, c)
		if spec.Pos != nil {
			e.pos["capability:"+spec.Name] = spec.Pos
		}
		return nil
	})
}

// UpdateCapability replaces capability name with spec, renaming it when
// spec.Name differs (bindings and templates follow).
func (w *Workspace) UpdateCapability(ctx context.Context, name string, spec CapabilityChange) (Snapshot, error) {
	return w.mutate(ctx, "update capability "+name, func(e *edit) error {
		c := e.army.Capability(name)
		if c == nil {
			return fmt.Errorf("no capability named %q", name)
		}
		if spec.Name == "" {
			spec.Name = name
		}
		if spec.Kind != "" && spec.Kind != c.Kind {
			if _, err := capabilities.Lookup(spec.Kind); err != nil {
				return err
			}
			c.Kind = spec.Kind
		}
		if spec.Props != nil {
			c.Props = normalizeProps(spec.Props)
		}
		if spec.Secrets != nil {
			c.Secrets = cloneStrings(spec.Secrets)
		}
		if spec.Name != name {
			if err := checkName("capability", spec.Name); err != nil {
				return err
			}
			if e.army.Capability(spec.Name) != nil {
				return fmt.Errorf("there is already a capability named %q", spec.Name)
			}
			for _, ag := range e.army.Agents {
				for _, b := range ag.Bindings {
					if b.Capability == name {
						b.Capability = spec.Name
					}
				}
				if ag.Template != nil && ag.Template.Each == name {
					ag.Template.Each = spec.Name
				}
			}
			c.Name = spec.Name
			if p, ok := w.positions()["capability:"+name]; ok {
				e.pos["capability:"+spec.Name] = &p
			}
			e.pos["capability:"+name] = nil
		}
		if spec.Pos != nil {
			e.pos["capability:"+spec.Name] = spec.Pos
		}
		return nil
	})
}

// DeleteCapability removes capability name and every binding to it. A
// capability a template spawns over cannot be deleted until the template
// is changed or deleted.
func (w *Workspace) DeleteCapability(ctx context.Context, name string) (Snapshot, error) {
	return w.mutate(ctx, "delete capability "+name, func(e *edit) error {
		if e.army.Capability(name) == nil {
			return fmt.Errorf("no capability named %q", name)
		}
		for _, ag := range e.army.Agents {
			if ag.Template != nil && ag.Template.Each == name {
				return fmt.Errorf("template %s spawns one agent per item of %s: change or delete the template first", ag.Name, name)
			}
		}
		e.army.Capabilities = slices.DeleteFunc(e.army.Capabilities, func(c *army.Capability) bool { return c.Name == name })
		for _, ag := range e.army.Agents {
			ag.Bindings = slices.DeleteFunc(ag.Bindings, func(b *army.Binding) bool { return b.Capability == name })
		}
		e.pos["capability:"+name] = nil
		return nil
	})
}

// Bind gives agent env.ENV bound to capability (replacing what env was
// bound to).
func (w *Workspace) Bind(ctx context.Context, agent, env, capability string) (Snapshot, error) {
	return w.mutate(ctx, fmt.Sprintf("bind %s.%s", agent, env), func(e *edit) error {
		if err := checkEnv(env); err != nil {
			return err
		}
		ag := e.army.Agent(agent)
		if ag == nil {
			return fmt.Errorf("no agent named %q", agent)
		}
		if e.army.Capability(capability) == nil {
			return fmt.Errorf("no capability named %q", capability)
		}
		for _, ch := range e.army.ChannelsFrom(agent) {
			if ch.Env == env {
				return fmt.Errorf("agent %s already sends on channel env.%s (to %s): choose another env name", agent, env, ch.To)
			}
		}
		if ag.Template != nil && ag.Template.As == env {
			return fmt.Errorf("env.%s of template %s is its own item of %s: choose another env name", env, agent, ag.Template.Each)
		}
		for _, b := range ag.Bindings {
			if b.Env == env {
				b.Capability = capability
				return nil
			}
		}
		ag.Bindings = append(ag.Bindings, &army.Binding{Env: env, Capability: capability})
		return nil
	})
}

// Unbind removes agent's env.ENV binding.
func (w *Workspace) Unbind(ctx context.Context, agent, env string) (Snapshot, error) {
	return w.mutate(ctx, fmt.Sprintf("unbind %s.%s", agent, env), func(e *edit) error {
		ag := e.army.Agent(agent)
		if ag == nil {
			return fmt.Errorf("no agent named %q", agent)
		}
		n := len(ag.Bindings)
		ag.Bindings = slices.DeleteFunc(ag.Bindings, func(b *army.Binding) bool { return b.Env == env })
		if len(ag.Bindings) == n {
			return fmt.Errorf("agent %s has no binding env.%s", agent, env)
		}
		return nil
	})
}

// Connect adds a one-way channel: agent from gets a send-only env.ENV that
// delivers to agent to, which gets the message trigger if it lacks it.
func (w *Workspace) Connect(ctx context.Context, from, env, to string) (Snapshot, error) {
	return w.mutate(ctx, fmt.Sprintf("connect %s.%s → %s", from, env, to), func(e *edit) error {
		if err := checkEnv(env); err != nil {
			return err
		}
		src, dst := e.army.Agent(from), e.army.Agent(to)
		switch {
		case src == nil:
			return fmt.Errorf("no agent named %q", from)
		case dst == nil:
			return fmt.Errorf("no agent named %q", to)
		case dst.Template != nil:
			return fmt.Errorf("agent %s is a template: a channel cannot choose one of its instances to deliver to", to)
		}
		for _, ch := range e.army.ChannelsFrom(from) {
			if ch.Env == env {
				return fmt.Errorf("agent %s already sends on env.%s (to %s)", from, env, ch.To)
			}
		}
		for _, b := range src.Bindings {
			if b.Env == env {
				return fmt.Errorf("agent %s already has env.%s bound to %s: choose another env name", from, env, b.Capability)
			}
		}
		e.army.Channels = append(e.army.Channels, &army.Channel{From: from, Env: env, To: to})
		if !slices.ContainsFunc(dst.Triggers, func(t army.Trigger) bool { return t.Kind == army.TriggerMessage }) {
			dst.Triggers = append(dst.Triggers, army.Trigger{Kind: army.TriggerMessage})
		}
		return nil
	})
}

// Disconnect removes the channel agent from sends on as env.ENV (a channel
// capability's binding included).
func (w *Workspace) Disconnect(ctx context.Context, from, env string) (Snapshot, error) {
	return w.mutate(ctx, fmt.Sprintf("disconnect %s.%s", from, env), func(e *edit) error {
		n := len(e.army.Channels)
		e.army.Channels = slices.DeleteFunc(e.army.Channels, func(ch *army.Channel) bool { return ch.From == from && ch.Env == env })
		if len(e.army.Channels) < n {
			return nil
		}
		if ag := e.army.Agent(from); ag != nil {
			for i, b := range ag.Bindings {
				if c := e.army.Capability(b.Capability); b.Env == env && c != nil && c.Kind == army.ChannelKind {
					ag.Bindings = slices.Delete(ag.Bindings, i, i+1)
					return nil
				}
			}
		}
		return fmt.Errorf("agent %s sends on no channel env.%s", from, env)
	})
}

// MoveNodes saves node positions, by name: an agent's, or a capability's
// when no agent has that name ("agent:NAME" and "capability:NAME" name
// either explicitly). It does not re-analyse and sends no event.
func (w *Workspace) MoveNodes(positions map[string]Pos) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	ps := map[string]*Pos{}
	var unknown []string
	for k, p := range positions {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return fmt.Errorf("position of %s is not a number", k)
		}
		key, ok := nodeKey(w.army, k)
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		ps[key] = &p
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("no agent or capability named %s", strings.Join(unknown, ", "))
	}
	return w.savePositions(w.path, ps)
}

// cloneArmy returns a deep copy of ar.
func cloneArmy(ar *army.Army) *army.Army {
	out := *ar
	out.Capabilities = nil
	for _, c := range ar.Capabilities {
		cc := *c
		cc.Props, _ = cloneValue(c.Props).(map[string]any)
		cc.Secrets = cloneStrings(c.Secrets)
		out.Capabilities = append(out.Capabilities, &cc)
	}
	out.Agents = nil
	for _, ag := range ar.Agents {
		ac := *ag
		ac.Triggers = slices.Clone(ag.Triggers)
		ac.Bindings = nil
		for _, b := range ag.Bindings {
			bc := *b
			ac.Bindings = append(ac.Bindings, &bc)
		}
		if ag.Template != nil {
			t := *ag.Template
			ac.Template = &t
		}
		out.Agents = append(out.Agents, &ac)
	}
	out.Channels = nil
	for _, ch := range ar.Channels {
		cc := *ch
		out.Channels = append(out.Channels, &cc)
	}
	return &out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

func cloneStrings(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// normalizeProps copies props from JSON, turning whole numbers (which JSON
// decodes as float64) into int64, as an army file's integers are.
func normalizeProps(p map[string]any) map[string]any {
	if len(p) == 0 {
		return nil
	}
	out, _ := normalize(p).(map[string]any)
	return out
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	return v
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
