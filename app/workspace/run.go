package workspace

import (
	"context"
	"fmt"
	"strings"

	"littleboxes/app/engine"
	"littleboxes/app/events"
	"littleboxes/app/secrets"
	"littleboxes/vault/keyring"
)

// Engine returns the engine running the army, or an error saying why the
// army is not running.
func (w *Workspace) Engine() (*engine.Engine, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return nil, ErrClosed
	case w.eng != nil:
		return w.eng, nil
	case w.engErr != nil:
		return nil, w.engErr
	}
	return nil, fmt.Errorf("the army is not running: it has %d problem(s) to fix first", len(w.problems))
}

// NoAgent returns the error for running name, which is not among the
// agents the engine runs: for a template, which of its instances to run
// instead.
func (w *Workspace) NoAgent(running []string, name string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.army == nil {
		return fmt.Errorf("no agent named %q", name)
	}
	if ag := w.army.Agent(name); ag != nil && ag.Template != nil {
		var insts []string
		for _, n := range running {
			if strings.HasPrefix(n, name+"[") {
				insts = append(insts, n)
			}
		}
		if len(insts) == 0 {
			return fmt.Errorf("%s is a template with no instances yet (its %s has no items)", name, ag.Template.Each)
		}
		if len(insts) > 5 {
			insts = append(insts[:5], "…")
		}
		return fmt.Errorf("%s is a template: run one of its instances (%s)", name, strings.Join(insts, ", "))
	}
	return fmt.Errorf("no agent named %q", name)
}

// Runs returns up to limit of agent's run records as stored (redacted),
// newest first. For a template, its instances' runs, merged.
func (w *Workspace) Runs(agent string, limit int) ([]engine.RunRecord, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	nodes := []string{agent}
	if ag := w.army.Agent(agent); ag != nil && ag.Template != nil && w.an != nil {
		nodes = nodes[:0]
		for _, l := range w.an.Agents {
			if l.Template == agent && l.Item != "" {
				nodes = append(nodes, l.Name)
			}
		}
	}
	st, name := w.st, w.army.Name
	w.mu.Unlock()
	return engine.RunsOf(st, name, nodes, limit)
}

// Approvals lists the open army's held sink calls, oldest first: the
// pending ones, or with all the decided ones too.
func (w *Workspace) Approvals(all bool) ([]engine.Effect, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	return engine.Approvals(w.st, w.army.Name, !all)
}

// Keyring returns the OS keyring, with its names index in the store.
func (w *Workspace) Keyring() (*keyring.Keyring, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	return secrets.Keyring(w.st), nil
}

// SecretChanged is told that secret name was set to value ("" deleted): the
// redactor learns the value, and the engine restarts when the army uses
// the secret or is not running.
func (w *Workspace) SecretChanged(ctx context.Context, name, value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if value != "" {
		_ = w.red.Add(name, value)
	}
	uses := false
	for _, c := range w.army.Capabilities {
		for _, s := range c.Secrets {
			uses = uses || s == name
		}
	}
	if !uses && w.eng != nil {
		return
	}
	w.restart(ctx)
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "secret " + name})
}
