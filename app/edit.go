package app

import (
	"encoding/json"

	"littleboxes/app/army"
	"littleboxes/app/workspace"
	"littleboxes/examples"
)

// AgentSpec is what the page sends to create or replace an agent. In
// UpdateAgent, a field left out keeps its value (doc, code, triggers,
// template, pos); template: null makes a template a plain agent again.
type AgentSpec struct {
	Name string  `json:"name"`
	Doc  *string `json:"doc,omitempty"`
	// Code makes the agent a code agent with this module (an instructions
	// agent's instructions, model, mode and attempts are dropped).
	Code *string `json:"code,omitempty"`
	// Instructions, when not empty, make the agent an instructions agent
	// (its code is dropped); Model, Mode and Attempts set its Code Mode.
	Instructions *string       `json:"instructions,omitempty"`
	Model        *string       `json:"model,omitempty"`
	Mode         *string       `json:"mode,omitempty"`
	Attempts     *int          `json:"attempts,omitempty"`
	Triggers     []string      `json:"triggers,omitempty"`
	Template     *TemplateView `json:"template,omitempty"`
	Pos          *Pos          `json:"pos,omitempty"`

	templateSet bool // the JSON had a template key (null included)
}

// UnmarshalJSON decodes a spec, noting whether it names a template (a null
// template clears it; no template key keeps it).
func (s *AgentSpec) UnmarshalJSON(b []byte) error {
	type plain AgentSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	*s = AgentSpec(p)
	_, s.templateSet = keys["template"]
	return nil
}

// CapabilitySpec is what the page sends to create or replace a
// capability. In UpdateCapability, props and secrets left out keep their
// values; given, they replace them whole.
type CapabilitySpec struct {
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Props   map[string]any    `json:"props,omitempty"`
	Secrets map[string]string `json:"secrets,omitempty"`
	Pos     *Pos              `json:"pos,omitempty"`
}

// change is what the workspace makes of the spec.
func (s AgentSpec) change() workspace.AgentChange {
	c := workspace.AgentChange{Name: s.Name, Doc: s.Doc, Code: s.Code, Triggers: s.Triggers, Pos: s.Pos.pos(),
		ClearTemplate: s.templateSet && s.Template == nil,
		Instructions:  s.Instructions, Model: s.Model, Mode: s.Mode, Attempts: s.Attempts}
	if s.Template != nil {
		c.Template = &army.Template{Each: s.Template.Each, As: s.Template.As}
	}
	return c
}

// change is what the workspace makes of the spec.
func (s CapabilitySpec) change() workspace.CapabilityChange {
	return workspace.CapabilityChange{Name: s.Name, Kind: s.Kind, Props: s.Props, Secrets: s.Secrets, Pos: s.Pos.pos()}
}

// pos is p as the workspace keeps it (nil for nil).
func (p *Pos) pos() *workspace.Pos {
	if p == nil {
		return nil
	}
	return &workspace.Pos{X: p.X, Y: p.Y}
}

// edit runs fn on the open workspace and returns the view after it.
func (a *API) edit(fn func(ws *workspace.Workspace) (workspace.Snapshot, error)) (Workspace, error) {
	ws, err := a.workspace()
	if err != nil {
		return emptyWorkspace(), err
	}
	return a.render(fn(ws))
}

// Examples lists the built-in example armies by name.
func (a *API) Examples() []string {
	if v, ok, err := forward[[]string](a, "Examples"); ok && err == nil {
		return v
	}
	return examples.Names()
}

// OpenExample opens the built-in example army name. The first time, it is
// written into the data directory (DATA/armies/NAME); after that the copy
// there, with the person's edits, is opened.
func (a *API) OpenExample(name string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "OpenExample", name); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) { return ws.OpenExample(a.context(), name) })
}

// ImportYAML replaces the open army with the army file text. Its code
// paths (./agents/x.ts) and props paths resolve against the open army's
// folder. An army of the same name is saved over the open one; an army of
// another name goes to DATA/armies/NAME/NAME.yaml, with its code files,
// and becomes the open army. Text that does not read as an army, or whose
// army has problems other than those of an incomplete army, is refused
// with the problems.
func (a *API) ImportYAML(text string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "ImportYAML", text); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) { return ws.ImportYAML(a.context(), text) })
}

// ExportYAML returns the open army as an army file.
func (a *API) ExportYAML() (string, error) {
	if v, ok, err := forward[string](a, "ExportYAML"); ok {
		return v, err
	}
	ws, err := a.workspace()
	if err != nil {
		return "", err
	}
	return ws.ExportYAML()
}

// AddAgent adds an agent. Its code goes to ./agents/NAME.ts beside the army
// file; with no code yet, the workspace shows the problem until it has some.
func (a *API) AddAgent(spec AgentSpec) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "AddAgent", spec); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.AddAgent(a.context(), spec.change())
	})
}

// UpdateAgent replaces agent name's settings with spec, renaming it when
// spec.Name differs (its channels, its position and its ./agents/NAME.ts
// file follow).
func (a *API) UpdateAgent(name string, spec AgentSpec) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "UpdateAgent", name, spec); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.UpdateAgent(a.context(), name, spec.change())
	})
}

// DeleteAgent removes agent name and the channels from and to it. Its code
// file stays.
func (a *API) DeleteAgent(name string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "DeleteAgent", name); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) { return ws.DeleteAgent(a.context(), name) })
}

// SetAgentCode replaces agent name's code (in its file, when it has one).
func (a *API) SetAgentCode(name, code string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "SetAgentCode", name, code); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.SetAgentCode(a.context(), name, code)
	})
}

// AddCapability adds a capability instance. Props the kind does not have,
// or of the wrong type, are refused; required props and secrets may come
// later (the workspace shows them as problems until then).
func (a *API) AddCapability(spec CapabilitySpec) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "AddCapability", spec); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.AddCapability(a.context(), spec.change())
	})
}

// UpdateCapability replaces capability name with spec, renaming it when
// spec.Name differs (bindings and templates follow).
func (a *API) UpdateCapability(name string, spec CapabilitySpec) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "UpdateCapability", name, spec); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.UpdateCapability(a.context(), name, spec.change())
	})
}

// DeleteCapability removes capability name and every binding to it. A
// capability a template spawns over cannot be deleted until the template
// is changed or deleted.
func (a *API) DeleteCapability(name string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "DeleteCapability", name); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.DeleteCapability(a.context(), name)
	})
}

// Bind gives agent env.ENV bound to capability (replacing what env was
// bound to).
func (a *API) Bind(agent, env, capability string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "Bind", agent, env, capability); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.Bind(a.context(), agent, env, capability)
	})
}

// Unbind removes agent's env.ENV binding.
func (a *API) Unbind(agent, env string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "Unbind", agent, env); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) { return ws.Unbind(a.context(), agent, env) })
}

// Connect adds a one-way channel: agent from gets a send-only env.ENV that
// delivers to agent to, which gets the message trigger if it lacks it.
func (a *API) Connect(from, env, to string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "Connect", from, env, to); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.Connect(a.context(), from, env, to)
	})
}

// Disconnect removes the channel agent from sends on as env.ENV (a channel
// capability's binding included).
func (a *API) Disconnect(from, env string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "Disconnect", from, env); ok {
		return orEmpty(v, err)
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.Disconnect(a.context(), from, env)
	})
}

// MoveNodes saves node positions, by name: an agent's, or a capability's
// when no agent has that name ("agent:NAME" and "capability:NAME" name
// either explicitly). It does not re-analyse and sends no event.
func (a *API) MoveNodes(positions map[string]Pos) error {
	if _, ok, err := forward[struct{}](a, "MoveNodes", positions); ok {
		return err
	}
	ws, err := a.workspace()
	if err != nil {
		return err
	}
	ps := make(map[string]workspace.Pos, len(positions))
	for k, p := range positions {
		ps[k] = workspace.Pos{X: p.X, Y: p.Y}
	}
	return ws.MoveNodes(ps)
}
