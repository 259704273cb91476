package workspace

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"littleboxes/app/army"
	"littleboxes/app/daemon"
	"littleboxes/app/engine"
	"littleboxes/app/events"
	"littleboxes/app/store"
)

// Several armies run side by side in one workspace (issue 13): the open
// army, which the window and serve show and edit, and the others in the
// running set. Opening another army starts it and leaves the one open
// before running; only Stop stops an army. The running set is kept in the
// store (army/running: NAME → army file), so an engine that starts (after
// a kill -9 too) runs every army that ran before. Each army has its own
// engine on the one store: its own triggers, queues, runs and approvals.

// bucketRunning is the running set's bucket, in the store's army bucket.
const bucketRunning = "running"

// ErrStopped is the error (NotRunning) of an army that was stopped.
var ErrStopped = errors.New("the army is stopped")

// ErrNotRunning is Stop's error for an army that does not run here.
var ErrNotRunning = errors.New("the army is not running")

// background is a running army other than the open one.
type background struct {
	path   string
	army   *army.Army
	eng    *engine.Engine // nil when it could not start (err)
	done   chan struct{}  // closed when eng's forwarder has ended
	engErr error
}

// Running is one army of the running set, as ListRunning reports it: the
// local API's type (package daemon sits beneath the workspace).
type Running = daemon.Running

// runningSet returns the running set as stored, and whether there is one
// (a data directory from before it has none).
func (w *Workspace) runningSet() (map[string]string, bool) {
	set := map[string]string{}
	found := false
	_ = w.st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(store.BucketArmy, bucketRunning)
		if err != nil {
			return nil
		}
		found = true
		return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
			set[string(k)] = string(v)
			return nil
		})
	})
	return set, found
}

// remember adds army name (file path) to the stored running set.
func (w *Workspace) remember(name, path string) {
	if err := w.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketRunning)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), []byte(path))
	}); err != nil {
		w.logf("remembering that army %s runs: %v", name, err)
	}
}

// forget removes army name from the stored running set.
func (w *Workspace) forget(name string) {
	if err := w.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketRunning)
		if err != nil {
			return err
		}
		return b.Delete([]byte(name))
	}); err != nil {
		w.logf("forgetting that army %s runs: %v", name, err)
	}
}

// detachOpen moves the open army, when it runs, to the others, keeping its
// engine running; one that does not run leaves the running set. Call with
// mu held, before another army becomes the open one.
func (w *Workspace) detachOpen() {
	if w.army == nil {
		return
	}
	if w.eng != nil {
		w.openEng.Store(nil)
		w.others[w.army.Name] = &background{path: w.path, army: w.army, eng: w.eng, done: w.fwdDone}
		w.eng, w.fwdDone = nil, nil
	} else if w.runName != "" && w.others[w.runName] == nil {
		w.forget(w.runName)
	}
	w.runName = ""
}

// adopt makes the open army's engine the one already running it in the
// background, when one runs the same file (and the army is not stopped):
// switching the view restarts nothing. Otherwise a background army of the
// same name stops, for restart to start the open one. Call with mu held,
// after the open army's fields are set.
func (w *Workspace) adopt(ctx context.Context) bool {
	bg := w.others[w.army.Name]
	if bg == nil {
		return false
	}
	delete(w.others, w.army.Name)
	if bg.path != w.path || bg.eng == nil || w.stopped || len(w.problems) > 0 {
		if bg.eng != nil {
			w.closeEngine(w.army.Name, bg.eng, bg.done)
		}
		return false
	}
	w.army, w.eng, w.fwdDone, w.runName = bg.army, bg.eng, bg.done, bg.army.Name
	w.openEng.Store(bg.eng)
	w.engErr, w.an, w.anErr = nil, bg.eng.Analysis(), nil
	w.loadStates()
	return true
}

// startOthers starts every army of the stored running set but the open
// one. Call with mu held (at Open).
func (w *Workspace) startOthers(ctx context.Context) {
	set, _ := w.runningSet()
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == w.army.Name || w.others[name] != nil {
			continue
		}
		w.startBackground(ctx, name, set[name])
	}
}

// startBackground starts army name from its file path besides the open
// one. One that cannot start stays in the set with why (ListRunning says
// it). Call with mu held.
func (w *Workspace) startBackground(ctx context.Context, name, path string) *background {
	bg := &background{path: path}
	w.others[name] = bg
	ar, err := army.Load(path)
	if err == nil && ar.Name != name {
		err = fmt.Errorf("%s now names its army %q", path, ar.Name)
	}
	if err != nil {
		bg.engErr = fmt.Errorf("army %s: %w", name, err)
		w.logf("%v", bg.engErr)
		return bg
	}
	bg.army = ar
	bg.eng, bg.done, err = w.startEngine(ctx, ar, path, false)
	if err != nil {
		bg.engErr = fmt.Errorf("army %s is not running: %w", name, err)
		w.logf("%v", bg.engErr)
	}
	return bg
}

// stopOthers closes every background engine (the running set stays as
// it is: the next engine starts them again). Call with mu held.
func (w *Workspace) stopOthers() {
	for name, bg := range w.others {
		if bg.eng != nil {
			w.closeEngine(name, bg.eng, bg.done)
		}
		delete(w.others, name)
	}
}

// Start runs the army file at path besides the others, without changing
// the open army. started is false when it ran already. An army of that name
// running from another file runs from this one instead (the open army's
// file changes with it). An army that cannot run is an error and stays out
// of the running set.
func (w *Workspace) Start(ctx context.Context, path string) (r Running, started bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Running{}, false, err
	}
	ar, err := army.Load(abs)
	if err != nil {
		return Running{}, false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Running{}, false, ErrClosed
	}
	name := ar.Name
	if w.army != nil && w.army.Name == name {
		if abs != w.path {
			// Another file of the open army: it runs from that file now,
			// and the window shows that file.
			ran := w.eng != nil
			if err := w.load(ctx, abs); err != nil {
				return Running{}, false, err
			}
			w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "open " + abs})
			if w.eng == nil {
				return Running{}, false, w.engErr
			}
			return w.runningOpen(), !ran, nil
		}
		if w.eng != nil {
			return w.runningOpen(), false, nil
		}
		w.stopped = false
		w.army, w.problems = ar, nil
		w.restart(ctx)
		w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "start " + name})
		if w.eng == nil {
			return Running{}, false, w.engErr
		}
		return w.runningOpen(), true, nil
	}
	ran := false
	if bg := w.others[name]; bg != nil {
		if bg.path == abs && bg.eng != nil {
			return bg.running(name), false, nil
		}
		// It could not start before (try again), or runs from another
		// file: it runs from this one now.
		delete(w.others, name)
		if bg.eng != nil {
			ran = true
			w.closeEngine(name, bg.eng, bg.done)
		}
	}
	bg := w.startBackground(ctx, name, abs)
	if bg.eng == nil {
		delete(w.others, name)
		if ran {
			w.forget(name)
		}
		return Running{}, false, bg.engErr
	}
	w.remember(name, abs)
	return bg.running(name), !ran, nil
}

// Stop stops army name and takes it out of the running set: it does not run
// again until started. The open army stays open, stopped.
func (w *Workspace) Stop(ctx context.Context, name string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if bg := w.others[name]; bg != nil {
		delete(w.others, name)
		if bg.eng != nil {
			w.closeEngine(name, bg.eng, bg.done)
		}
		w.forget(name)
		w.opts.Hub.Publish(events.Event{Type: events.ArmyStopped, Army: name})
		return nil
	}
	if w.army == nil || w.army.Name != name || w.stopped {
		return fmt.Errorf("%w: %s", ErrNotRunning, name)
	}
	w.stopped = true
	w.forget(name)
	w.runName = ""
	w.restart(ctx)
	w.opts.Hub.Publish(events.Event{Type: events.ArmyStopped, Army: name})
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "stop " + name})
	return nil
}

// ListRunning returns the armies of the running set, by name: the open
// one (unless stopped) and the others.
func (w *Workspace) ListRunning() ([]Running, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	out := []Running{}
	if w.army != nil && !w.stopped {
		out = append(out, w.runningOpen())
	}
	for name, bg := range w.others {
		r := bg.running(name)
		r.NotRunning = w.red.String(r.NotRunning)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Running) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// runningOpen is the open army as ListRunning reports it. Call with mu
// held.
func (w *Workspace) runningOpen() Running {
	r := Running{Name: w.army.Name, Path: w.path, Open: true}
	switch {
	case w.eng != nil:
		r.Agents = len(w.eng.Agents())
	case w.engErr != nil:
		r.NotRunning = w.red.String(w.engErr.Error())
	default:
		r.NotRunning = fmt.Sprintf("it has %d problem(s) to fix first", len(w.problems))
	}
	return r
}

// running is bg as ListRunning reports it.
func (bg *background) running(name string) Running {
	r := Running{Name: name, Path: bg.path}
	if bg.eng != nil {
		r.Agents = len(bg.eng.Agents())
	} else if bg.engErr != nil {
		r.NotRunning = bg.engErr.Error()
	}
	return r
}

// StartedByOpen returns the name of the army Options.ArmyPath opened, and
// whether Open started it (it was not running before): `run ARMY` hosting
// the engine stops, at its end, only an army it started.
func (w *Workspace) StartedByOpen() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.army == nil {
		return "", false
	}
	return w.army.Name, w.openStarted
}

// OpenArmy returns the name of the army whose engine runs as the open
// army, or "" when the open army does not run. It takes no lock: event
// filters call it for every event.
func (w *Workspace) OpenArmy() string {
	if e := w.openEng.Load(); e != nil {
		return e.ArmyName()
	}
	return ""
}
