package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"littleboxes/app/army"
	"littleboxes/app/flow"
	_ "littleboxes/capabilities/standard" // every built-in capability kind
	"littleboxes/examples"
)

// ArmyView is a read-only picture of an army for the window: its agents with
// their labels, its sinks with the flow analysis' verdicts, and its channels.
// Every slice is non-nil; Error says why the army could not be shown (the
// rest may then be partly empty).
type ArmyView struct {
	// Name and Doc are the army's.
	Name string `json:"name"`
	Doc  string `json:"doc"`
	// Path is the army file shown.
	Path string `json:"path"`
	// Agents are the agents, a template's items as "TEMPLATE[ITEM]".
	Agents []ArmyAgent `json:"agents"`
	// Sinks are the bindings that send data out, with their verdicts.
	Sinks []ArmySink `json:"sinks"`
	// Channels are the one-way channels between agents (node names).
	Channels []ArmyChannel `json:"channels"`
	// Error says why the army could not be loaded or analysed.
	Error string `json:"error,omitempty"`
}

// ArmyAgent is one agent (or one item of a template) and its label.
type ArmyAgent struct {
	// Name is the node name: the agent's name, or "TEMPLATE[ITEM]".
	Name string `json:"name"`
	// Template and Item are set for an item of a template.
	Template string `json:"template"`
	Item     string `json:"item"`
	// Label is who may know what the agent may have read.
	Label []string `json:"label"`
}

// ArmySink is the verdict on one binding that sends data out.
type ArmySink struct {
	Agent    string   `json:"agent"`
	Binding  string   `json:"binding"`
	Audience []string `json:"audience"`
	// Verdict is "safe" or "approval".
	Verdict string `json:"verdict"`
	Why     string `json:"why"`
}

// ArmyChannel is one channel edge between two agents' node names.
type ArmyChannel struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Army returns the built-in default example army (examples.Default),
// written under the app's data directory (DATA/examples/NAME, apart from the
// workspace's armies), with its flow analysis. A failure is reported in the
// view's Error. The workspace (Workspace) supersedes it; it stays while the
// page still uses it.
func (a *API) Army() ArmyView {
	a.wmu.Lock()
	dir := a.dataDir
	a.wmu.Unlock()
	if dir == "" {
		var err error
		if dir, err = dataDir(); err != nil {
			return emptyView(fmt.Sprintf("data directory: %v", err))
		}
	}
	return loadArmyView(a.context(), dir, examples.Default)
}

// dataDir is $XDG_DATA_HOME/littleboxes, else ~/.local/share/littleboxes.
func dataDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "littleboxes"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "littleboxes"), nil
}

func emptyView(msg string) ArmyView {
	return ArmyView{Agents: []ArmyAgent{}, Sinks: []ArmySink{}, Channels: []ArmyChannel{}, Error: msg}
}

// loadArmyView materializes the example army name under
// dataDir/examples/name, loads and analyses it. It never panics.
func loadArmyView(ctx context.Context, dataDir, name string) (v ArmyView) {
	v = emptyView("")
	defer func() {
		if p := recover(); p != nil {
			v.Error = fmt.Sprintf("internal error: %v", p)
		}
	}()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		v.Error = err.Error()
		return v
	}
	path, err := examples.Materialize(name, filepath.Join(dataDir, "examples", name))
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Path = path
	a, err := army.Load(path)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Name, v.Doc = a.Name, a.Doc
	facts, cleanup, err := flow.StaticFacts(ctx, a)
	if err != nil {
		v.Error = fmt.Sprintf("%s: %v", path, err)
		return v
	}
	defer cleanup()
	an, err := flow.Analyze(a, facts)
	if err != nil {
		v.Error = fmt.Sprintf("%s: %v", path, err)
		return v
	}
	for _, ag := range an.Agents {
		v.Agents = append(v.Agents, ArmyAgent{Name: ag.Name, Template: ag.Template, Item: ag.Item, Label: nonNil(ag.Label.Strings())})
	}
	for _, s := range an.Sinks {
		v.Sinks = append(v.Sinks, ArmySink{Agent: s.Agent, Binding: s.Binding, Audience: nonNil(s.Audience.Strings()), Verdict: string(s.Verdict), Why: s.Why})
	}
	for _, e := range an.Edges {
		if e.Kind == flow.EdgeChannel {
			v.Channels = append(v.Channels, ArmyChannel{From: e.From, To: e.To})
		}
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
