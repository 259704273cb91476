package app

import (
	"errors"
	"fmt"

	"littleboxes/capabilities"
	"littleboxes/sandbox"
)

// PropField is one props field of a capability kind.
type PropField struct {
	Name string `json:"name"`
	// Type is string, number, integer, boolean, array or object.
	Type     string `json:"type"`
	Doc      string `json:"doc"`
	Required bool   `json:"required,omitempty"`
	// Items is the element type of an array.
	Items string `json:"items,omitempty"`
}

// MethodInfo is one method of a kind with its flow role.
type MethodInfo struct {
	Name string `json:"name"`
	// Role is pure, source, sink or exchange.
	Role string `json:"role"`
}

// KindInfo describes a capability kind, for the palette and the capability
// editor.
type KindInfo struct {
	ID      string       `json:"id"`
	Doc     string       `json:"doc"`
	Props   []PropField  `json:"props"`
	Secrets []string     `json:"secrets"`
	Methods []MethodInfo `json:"methods"`
	// Declaration is the TypeScript declaration of what an agent sees.
	Declaration string `json:"declaration"`
	// Enumerates is whether an instance enumerates items, so that a
	// template can spawn over it.
	Enumerates bool `json:"enumerates"`
}

// Diagnostic is a compile error at a place in an agent's source.
type Diagnostic struct {
	// Line and Column are 1-based (zero when unknown).
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Text   string `json:"text"`
}

// Kinds lists the registered capability kinds, by id.
func (a *API) Kinds() ([]KindInfo, error) {
	if v, ok, err := forward[[]KindInfo](a, "Kinds"); ok {
		return v, err
	}
	out := []KindInfo{}
	for _, k := range capabilities.Kinds() {
		schema, err := capabilities.PropsSchema(k)
		if err != nil {
			return nil, fmt.Errorf("kind %s: %w", k.ID, err)
		}
		ki := KindInfo{ID: k.ID, Doc: k.Doc, Props: []PropField{}, Secrets: []string{}, Methods: []MethodInfo{},
			Declaration: k.Table.TypeScript()}
		for _, f := range schema {
			ki.Props = append(ki.Props, PropField{Name: f.Name, Type: f.Type, Doc: f.Doc, Required: f.Required, Items: f.Items})
		}
		for _, s := range k.Secrets {
			ki.Secrets = append(ki.Secrets, s.Name)
		}
		for _, m := range k.Table.Methods() {
			ki.Methods = append(ki.Methods, MethodInfo{Name: m.Name, Role: string(m.Role)})
		}
		_, ki.Enumerates = k.New().(capabilities.Enumerator)
		out = append(out, ki)
	}
	return out, nil
}

// AgentEnv returns the TypeScript declaration of agent name's env (its
// bindings, its template's item, the channels it sends on), for the editor
// beside its code.
func (a *API) AgentEnv(name string) (string, error) {
	if v, ok, err := forward[string](a, "AgentEnv", name); ok {
		return v, err
	}
	s, err := a.snapshot()
	if err != nil {
		return "", err
	}
	ar := s.Army
	ag := ar.Agent(name)
	if ag == nil {
		return "", fmt.Errorf("no agent named %q", name)
	}
	var bs []capabilities.Binding
	kindOf := func(env, capName string) (string, error) {
		c := ar.Capability(capName)
		if c == nil {
			return "", fmt.Errorf("agent %s: env.%s is bound to %q, which is no capability", name, env, capName)
		}
		return c.Kind, nil
	}
	for _, b := range ag.Bindings {
		k, err := kindOf(b.Env, b.Capability)
		if err != nil {
			return "", err
		}
		bs = append(bs, capabilities.Binding{Name: b.Env, Kind: k})
	}
	for _, ch := range ar.ChannelsFrom(name) {
		bs = append(bs, capabilities.Binding{Name: ch.Env, Kind: "channel", Note: "sends to agent " + ch.To})
	}
	if t := ag.Template; t != nil {
		k, err := kindOf(t.As, t.Each)
		if err != nil {
			return "", err
		}
		bs = append(bs, capabilities.Binding{Name: t.As, Kind: k, Note: "this instance's own item of " + t.Each})
	}
	env, err := capabilities.RenderEnv(bs)
	if err != nil {
		return "", fmt.Errorf("agent %s: %w", name, err)
	}
	return env, nil
}

// CheckCode compiles code as an agent module and returns its compile
// errors; none when it compiles.
func (a *API) CheckCode(code string) ([]Diagnostic, error) {
	if v, ok, err := forward[[]Diagnostic](a, "CheckCode", code); ok {
		return v, err
	}
	out := []Diagnostic{}
	_, err := sandbox.Compile(ExecFilename, code)
	if err == nil {
		return out, nil
	}
	var ce *sandbox.CompileError
	if !errors.As(err, &ce) {
		return out, fmt.Errorf("checking the code: %w", err)
	}
	for _, m := range ce.Messages {
		out = append(out, Diagnostic{Line: m.Line, Column: m.Column, Text: m.Text})
	}
	if len(out) == 0 {
		out = append(out, Diagnostic{Text: err.Error()})
	}
	return out, nil
}

// nonNil returns s, or an empty slice for nil (JSON [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
