package workspace

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/capstore"
	"littleboxes/app/engine"
	"littleboxes/app/events"
)

// Every army with data in the store, for the engine's clients (the CLI's
// approvals and run --once): the open army is reached through its running
// engine; another one through a passive engine started for the call.

// ArmyNames returns the names of the armies with data in the store.
func (w *Workspace) ArmyNames() ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	return engine.Armies(w.st)
}

// ArmyApprovals lists army name's held sink calls, oldest first: the
// pending ones, or with all the decided ones too.
func (w *Workspace) ArmyApprovals(name string, all bool) ([]engine.Effect, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	return engine.Approvals(w.st, name, !all)
}

// ArmyPath returns the army file army name's last run used, or "".
func (w *Workspace) ArmyPath(name string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ""
	}
	return engine.ArmyPath(w.st, name)
}

// ErrOtherFile is WithArmy's error for an army of the open army's name
// given by another file.
var ErrOtherFile = errors.New("another file of the army is open")

// WithArmy calls fn with an engine running army name. A running army's is
// its engine (the open army's, or one running beside it), when path is ""
// or its file. Another army's is a passive engine (no trigger, no
// delivery) started on the store for the call and closed after it, loaded
// from path or, when path is "", from the file its last run used; passive
// engines are one at a time. record remembers path as the army's file
// (engine.ArmyPath), as `run --once` does.
func (w *Workspace) WithArmy(ctx context.Context, name, path string, record bool, fn func(*engine.Engine) error) error {
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		path = abs
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if bg := w.others[name]; bg != nil && bg.eng != nil {
		if path != "" && path != bg.path {
			w.mu.Unlock()
			return fmt.Errorf("%w: army %q runs from %s, not %s", ErrOtherFile, name, bg.path, path)
		}
		eng := bg.eng
		w.mu.Unlock()
		return fn(eng)
	}
	if w.army != nil && w.army.Name == name && !w.stopped {
		if path != "" && path != w.path {
			open := w.path
			w.mu.Unlock()
			return fmt.Errorf("%w: army %q runs from %s, not %s", ErrOtherFile, name, open, path)
		}
		eng, engErr := w.eng, w.engErr
		w.mu.Unlock()
		if eng == nil {
			if engErr == nil {
				engErr = fmt.Errorf("army %q is open but not running: it has problems to fix first", name)
			}
			return engErr
		}
		return fn(eng)
	}
	st, red, runner, logf := w.st, w.red, w.opts.Runner, w.opts.Logf
	w.mu.Unlock()
	w.pmu.Lock()
	defer w.pmu.Unlock()
	if path == "" {
		if path = engine.ArmyPath(st, name); path == "" {
			return fmt.Errorf("no army file known for army %q: pass --army FILE", name)
		}
	}
	a, err := army.Load(path)
	if err != nil {
		return fmt.Errorf("army %q: %w", name, err)
	}
	if a.Name != name {
		return fmt.Errorf("%s now names its army %q, not %q: pass --army FILE of army %q", path, a.Name, name, name)
	}
	o := armyrun.Options{Army: a, Store: st, Redactor: red, Runner: runner, Passive: true, Logf: logf}
	if record {
		o.ArmyPath = path
	}
	e, err := armyrun.Start(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), engineCloseTimeout)
		defer cancel()
		if err := e.Close(cctx); err != nil {
			w.logf("closing the passive engine of %s: %v", name, err)
		}
	}()
	return fn(e)
}

// OpenFile opens the army file at path (its problems and all) in place of
// the open army, and remembers it as open; the army open before keeps
// running. Opening the open army again starts it when it was stopped. A file that cannot be read is
// an error and changes nothing.
func (w *Workspace) OpenFile(ctx context.Context, path string) (Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Snapshot{}, err
	}
	switch {
	case abs != w.path:
		if err := w.load(ctx, abs); err != nil {
			return Snapshot{}, err
		}
		w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "open " + abs})
	case w.stopped:
		// Opening the stopped open army again starts it.
		w.stopped = false
		if err := w.load(ctx, abs); err != nil {
			return Snapshot{}, err
		}
		w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "start " + abs})
	}
	return w.snapshot(), nil
}

// Namespaces lists the kv namespaces of the store with their persisted
// labels (capstore.Namespaces).
func (w *Workspace) Namespaces() ([]capstore.Namespace, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	return capstore.Namespaces(w.st)
}

// ClearNamespace deletes namespace's data and resets its label: through
// the open army's engine when it runs (ordered with its writes), else on
// the store. It returns how many keys were deleted.
func (w *Workspace) ClearNamespace(namespace string) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.eng != nil {
		return w.eng.ClearNamespace(namespace)
	}
	return capstore.Clear(w.st, namespace)
}

// ArmyRuns returns up to limit of the run records of army name's agent
// (an agent, a template's instance "T[ITEM]", or a template: its
// instances'), newest first, as stored.
func (w *Workspace) ArmyRuns(name, agent string, limit int) ([]engine.RunRecord, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	st := w.st
	w.mu.Unlock()
	return engine.AgentRuns(st, name, agent, limit)
}
