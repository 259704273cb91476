// Package workspace is the army open in the app: a YAML file under the data
// directory (DATA/armies/NAME/NAME.yaml), the store, and the engine running
// that army, with the other armies running beside it. It loads the army,
// edits it, restarts the engine after every change, keeps the nodes'
// positions and the agents' states, and owns the lock that serializes all
// of that. Package app is the thin front over it (the window's bindings and
// serve's API); what the page shows is made from a Snapshot.
//
// # Several armies
//
// The workspace runs every army of its running set side by side, each on
// an engine of its own over the one store (its own triggers, queues, runs
// and approvals). The open army is the one the window shows and edits;
// opening another runs it and leaves the one open before running. Only
// Stop stops an army (Start runs one without opening it). The set is kept
// in the store, so the next workspace on the directory (after a crash too)
// runs what ran. See running.go.
//
// # Edits
//
// Every edit (AddAgent, Bind, Connect, ImportYAML, …) is made on a copy of
// the army, validated with package army, saved with army.Export (agent code
// stays in its file; a new agent gets ./agents/NAME.ts), analysed with
// package flow, and the engine is restarted on the new army. An edit that
// adds a problem the person caused (a name that is taken or invalid, a
// binding to nothing, a prop the kind does not have, a value of the wrong
// type) is refused with an error and changes nothing. An edit that leaves
// the army incomplete (army.ProblemIncomplete: an agent with no code yet, a
// required prop or secret not given yet, a message trigger with no channel
// yet) is saved, and the workspace lists the problems and does not run
// until they are fixed. Node positions are UI-only: they live in the
// store, not in the army file.
//
// # Events
//
// The engines' events (runs, messages, approvals, reports), passed through
// the redactor and marked with their army (events.Event's Army), and an
// EventWorkspace after every change go to the hub the workspace is given.
package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/engine"
	"littleboxes/app/events"
	"littleboxes/app/flow"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/examples"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// EventWorkspace is the type of the event sent after every change of the
// workspace, its Detail naming what changed; the page fetches the
// workspace again.
const EventWorkspace = "workspace"

// Agent states, as Snapshot.States holds them.
const (
	StateIdle    = "idle"    // never run
	StateRunning = "running" // running now
	StateOK      = "ok"      // its last run succeeded
	StateFailed  = "failed"  // its last run failed
)

// Store layout, in the store's army bucket: workspace/open holds the open
// army file's path; positions/ARMYPATH holds one JSON Pos per node, keyed
// "agent:NAME" or "capability:NAME".
const (
	bucketWorkspace = "workspace"
	bucketPositions = "positions"
	keyOpen         = "open"
)

// engineCloseTimeout bounds how long a restart waits for in-flight
// invocations before cancelling them.
const engineCloseTimeout = 5 * time.Second

// ErrClosed is the error of every method after Close.
var ErrClosed = errors.New("littleboxes is shutting down")

// Pos is a position on the canvas, in flow coordinates.
type Pos struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Options configures Open.
type Options struct {
	// DataDir is the data directory; "" means store.DataDir's default
	// ($XDG_DATA_HOME/littleboxes).
	DataDir string
	// Runner runs the engine's invocations. Required.
	Runner sandbox.Runner
	// Hub receives the engine's events and the workspace's. Required.
	Hub *events.Hub
	// Redactor redacts what leaves the workspace (events, errors, records);
	// nil makes one. It is never replaced, so it knows every secret seen
	// since the workspace opened.
	Redactor *vault.Redactor
	// Logf logs the engine's messages (redacted); nil discards them.
	Logf func(format string, args ...any)
	// ArmyPath, when set, is the army file to open (and remember as open)
	// instead of the one last open.
	ArmyPath string
}

// Workspace is the army open in the app. Its methods are safe for
// concurrent use; changes are serialized.
type Workspace struct {
	opts    Options
	dataDir string
	st      *store.Bolt
	red     *vault.Redactor

	// mu serializes changes and guards the fields below.
	mu       sync.Mutex
	path     string // the army file, absolute
	army     *army.Army
	problems []army.Problem // validation problems, positioned in the file
	eng      *engine.Engine
	engErr   error // why the engine is not running, when the army is valid
	an       *flow.Analysis
	anErr    error
	fwdDone  chan struct{} // closed when eng's event forwarder has ended
	closed   bool
	// stopped is whether the open army was stopped (Stop): it is shown,
	// not run, until it is started or opened again.
	stopped bool
	// runName is the name the open army is kept under in the running set
	// ("" when it is not in it).
	runName string
	// others are the armies running besides the open one, by name.
	others map[string]*background
	// openStarted is whether Open started Options.ArmyPath's army (it was
	// not in the running set).
	openStarted bool
	// openEng is eng, for the forwarders, which must not take mu.
	openEng atomic.Pointer[engine.Engine]

	pmu sync.Mutex // one passive engine at a time (WithArmy)

	smu    sync.Mutex
	states map[string]string // agent node name → StateIdle, …
}

// Snapshot is the open army at one moment: what the page's view is made
// of. Its army and analysis are shared: read them, never change them.
type Snapshot struct {
	// Path is the army file, absolute.
	Path string
	Army *army.Army
	// Problems are the army file's problems.
	Problems []army.Problem
	// NotRunning says why an army without problems is not running (no
	// keyring, a capability that failed to start); nil when it runs.
	NotRunning error
	// AnalysisErr says why the flow analysis failed; Analysis is then nil.
	AnalysisErr error
	Analysis    *flow.Analysis
	// Running is whether the engine is running the army.
	Running bool
	// Positions are the saved node positions by key ("agent:NAME",
	// "capability:NAME"); a node never placed has none.
	Positions map[string]Pos
	// States are the agent nodes' states (a template's instances as
	// "TEMPLATE[ITEM]"); a node not in it is StateIdle.
	States map[string]string
}

// Open opens the store in the data directory and the army last open there
// (the built-in default example on first launch, or when that army is
// gone or unreadable, with a problem saying so), and starts its engine if
// it can run. An error means the workspace could not be opened (another
// littleboxes holds the store, say). Close it when done.
func Open(ctx context.Context, opts Options) (*Workspace, error) {
	if opts.Runner == nil || opts.Hub == nil {
		return nil, errors.New("workspace: Runner and Hub are required")
	}
	dir, err := store.DataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	st, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("opening the workspace: %w: another littleboxes (the window, serve or run) is using %s; close it first", err, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	w := &Workspace{opts: opts, dataDir: dir, st: st, red: opts.Redactor, states: map[string]string{}, others: map[string]*background{}}
	if w.red == nil {
		w.red = vault.NewRedactor()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	path := w.openPath()
	if opts.ArmyPath != "" {
		// Asked for: no fallback to an example when it cannot be read.
		before, _ := w.runningSet()
		if err := w.load(ctx, opts.ArmyPath); err != nil {
			st.Close()
			return nil, fmt.Errorf("opening the workspace: %s: %w", opts.ArmyPath, err)
		}
		w.openStarted = before[w.army.Name] != w.path
		w.startOthers(ctx)
		return w, nil
	}
	var notice error
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			notice = fmt.Errorf("the army last open, %s, is gone (%v): opened the %s example instead", path, err, examples.Default)
			path = ""
		}
	}
	if path == "" {
		if path, err = w.materialize(examples.Default); err != nil {
			st.Close()
			return nil, fmt.Errorf("opening the workspace: %w", err)
		}
	}
	if err := w.loadAs(ctx, path, false); err != nil {
		notice = err
		p, merr := w.materialize(examples.Default)
		if merr == nil {
			merr = w.load(ctx, p)
		}
		if merr != nil {
			w.stopEngine()
			st.Close()
			return nil, fmt.Errorf("opening the workspace: %w", errors.Join(err, merr))
		}
	}
	if notice != nil {
		w.problems = append(w.problems, army.Problem{Msg: notice.Error()})
	}
	w.startOthers(ctx)
	return w, nil
}

// Close stops the engine and closes the store. It is idempotent; every
// method fails with ErrClosed afterwards.
func (w *Workspace) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.stopEngine()
	w.stopOthers()
	if err := w.st.Close(); err != nil {
		return fmt.Errorf("closing the store: %w", err)
	}
	return nil
}

// Redactor returns the workspace's redactor, which knows every secret the
// army references and every one littleboxes keeps.
func (w *Workspace) Redactor() *vault.Redactor { return w.red }

// Snapshot returns the open army as it is now.
func (w *Workspace) Snapshot() (Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	return w.snapshot(), nil
}

// snapshot returns the open army. Call with mu held.
func (w *Workspace) snapshot() Snapshot {
	s := Snapshot{Path: w.path, Army: w.army, Problems: w.problems, NotRunning: w.engErr, AnalysisErr: w.anErr,
		Analysis: w.an, Running: w.eng != nil, Positions: w.positions()}
	w.smu.Lock()
	s.States = maps.Clone(w.states)
	w.smu.Unlock()
	return s
}

// armiesDir is where the workspace's armies live.
func (w *Workspace) armiesDir() string { return filepath.Join(w.dataDir, "armies") }

// materialize writes the example name into DATA/armies/NAME unless it is
// already there (so the person's edits survive), and returns its file.
func (w *Workspace) materialize(name string) (string, error) {
	dir := filepath.Join(w.armiesDir(), name)
	path := filepath.Join(dir, name+".yaml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return examples.Materialize(name, dir)
}

// openPath returns the army file remembered as open, or "".
func (w *Workspace) openPath() string {
	var p string
	_ = w.st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(store.BucketArmy, bucketWorkspace)
		if err != nil {
			return nil
		}
		v, err := b.Get([]byte(keyOpen))
		if err == nil {
			p = string(v)
		}
		return nil
	})
	return p
}

// load reads the army file at path (problems and all), remembers it as
// open and (re)starts its engine: opening another army than the open one
// starts it, and leaves the one open before running (package doc,
// "Several armies"). A file that cannot be read is an error and leaves the
// workspace as it was. Call with mu held.
func (w *Workspace) load(ctx context.Context, path string) error { return w.loadAs(ctx, path, true) }

// loadAs is load; with run false, an army opened in place of the open one
// runs only when the running set holds it (or when there is no running set
// yet: a data directory from before it). Call with mu held.
func (w *Workspace) loadAs(ctx context.Context, path string, run bool) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	ar, err := army.LoadDraft(path)
	if ar == nil {
		if err == nil {
			err = errors.New("invalid army")
		}
		return err
	}
	if err := w.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketWorkspace)
		if err != nil {
			return err
		}
		return b.Put([]byte(keyOpen), []byte(path))
	}); err != nil {
		return fmt.Errorf("remembering the open army: %w", err)
	}
	if path != w.path {
		w.detachOpen()
		if !run {
			set, ok := w.runningSet()
			run = !ok || set[ar.Name] == path
		}
		w.stopped = !run
		w.path, w.army, w.problems = path, ar, problemsOf(err)
		if w.adopt(ctx) {
			return nil
		}
	} else {
		w.path, w.army, w.problems = path, ar, problemsOf(err)
	}
	w.restart(ctx)
	return nil
}

// problemsOf returns the problems an army error lists.
func problemsOf(err error) []army.Problem {
	var e *army.Error
	if errors.As(err, &e) {
		return append([]army.Problem(nil), e.Problems...)
	}
	if err != nil {
		return []army.Problem{{Msg: err.Error()}}
	}
	return nil
}

// stopEngine closes the open army's engine, if any, and waits for its
// event forwarder. Call with mu held.
func (w *Workspace) stopEngine() {
	if w.eng == nil {
		return
	}
	w.openEng.Store(nil)
	w.closeEngine(w.army.Name, w.eng, w.fwdDone)
	w.eng, w.fwdDone = nil, nil
}

// closeEngine closes eng, bounded, and waits for its forwarder (done).
func (w *Workspace) closeEngine(name string, eng *engine.Engine, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), engineCloseTimeout)
	defer cancel()
	if err := eng.Close(ctx); err != nil {
		w.logf("closing the engine of %s: %v", name, err)
	}
	<-done
}

func (w *Workspace) logf(format string, args ...any) {
	if w.opts.Logf != nil {
		w.opts.Logf(format, args...)
	}
}

// restart stops the open army's engine, and starts one on it when it has
// no problems and is not stopped; it analyses the army either way, and
// keeps the running set up to date. Call with mu held.
func (w *Workspace) restart(ctx context.Context) {
	w.stopEngine()
	w.engErr, w.an, w.anErr = nil, nil, nil
	ar := w.army
	if w.runName != "" && w.runName != ar.Name {
		// Renamed (or another army): the old name no longer runs here.
		w.forget(w.runName)
		w.runName = ""
	}
	bg := w.others[ar.Name]
	switch {
	case w.stopped:
		w.engErr = fmt.Errorf("%w: army %s (start it with littleboxes run, or open it again)", ErrStopped, ar.Name)
	case bg != nil:
		w.engErr = fmt.Errorf("the army is not running: an army named %s already runs from %s: stop it first", ar.Name, bg.path)
	case len(w.problems) == 0:
		if w.runName == "" {
			w.remember(ar.Name, w.path)
			w.runName = ar.Name
		}
		e, done, err := w.startEngine(ctx, ar, w.path, false)
		if err == nil {
			w.eng, w.fwdDone = e, done
			w.openEng.Store(e)
			w.an = e.Analysis()
		} else {
			w.engErr = fmt.Errorf("the army is not running: %w", err)
		}
	default:
		if w.runName == "" {
			w.remember(ar.Name, w.path)
			w.runName = ar.Name
		}
	}
	if w.eng == nil {
		if err := secrets.Seed(ctx, ar, w.st, w.red); err != nil {
			// An army that cannot run yet still has its secrets redacted.
			w.logf("%v", err)
		}
	}
	if w.an == nil {
		facts, cleanup, err := flow.StaticFacts(ctx, ar)
		if err == nil {
			w.an, err = flow.Analyze(ar, facts)
			cleanup()
		}
		if err != nil {
			w.anErr = fmt.Errorf("flow analysis: %w", err)
		}
	}
	w.loadStates()
}

// startEngine starts army ar (file path) on the store, passively or not,
// and forwards its events to the hub; done is closed when the forwarder
// has ended (after the engine closes).
func (w *Workspace) startEngine(ctx context.Context, ar *army.Army, path string, passive bool) (*engine.Engine, chan struct{}, error) {
	e, err := armyrun.Start(ctx, armyrun.Options{Army: ar, ArmyPath: path, Store: w.st, Redactor: w.red,
		Runner: w.opts.Runner, Logf: w.opts.Logf, Passive: passive})
	if err != nil {
		return nil, nil, err
	}
	stream, _ := e.Subscribe() // ended by e.Close
	done := make(chan struct{})
	go w.forward(e, e.ArmyName(), stream, done)
	return e, done, nil
}

// forward copies one engine's events to the hub, redacted and marked with
// the army's name, keeping the agents' states while it is the open army's,
// until the engine closes its stream; then it closes done.
func (w *Workspace) forward(e *engine.Engine, name string, stream <-chan engine.Event, done chan struct{}) {
	defer close(done)
	for ev := range stream {
		ev.Error, ev.Data = w.red.String(ev.Error), w.red.Value(ev.Data)
		ev.Army = name
		if w.openEng.Load() == e {
			switch ev.Type {
			case engine.EventRunStart:
				w.setState(ev.Agent, StateRunning)
			case engine.EventRunEnd:
				w.setState(ev.Agent, stateOf(ev.Detail))
			}
		}
		w.opts.Hub.Publish(ev)
	}
}

// stateOf maps a run record's status to an agent state.
func stateOf(status string) string {
	if status == engine.RunOK {
		return StateOK
	}
	return StateFailed
}

func (w *Workspace) setState(node, state string) {
	w.smu.Lock()
	defer w.smu.Unlock()
	w.states[node] = state
}

// loadStates sets each agent node's state from its last run record,
// keeping those running now. Call with mu held.
func (w *Workspace) loadStates() {
	states := map[string]string{}
	if w.an != nil {
		for _, ag := range w.an.Agents {
			runs, err := engine.Runs(w.st, w.army.Name, ag.Name, 1)
			if err != nil || len(runs) == 0 {
				continue
			}
			states[ag.Name] = stateOf(runs[0].Status)
		}
	}
	w.smu.Lock()
	defer w.smu.Unlock()
	for k, v := range w.states {
		if v == StateRunning {
			states[k] = v
		}
	}
	w.states = states
}

// positions returns the saved node positions of the open army. Call with
// mu held.
func (w *Workspace) positions() map[string]Pos {
	out := map[string]Pos{}
	_ = w.st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(store.BucketArmy, bucketPositions, w.path)
		if err != nil {
			return nil
		}
		return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
			var p Pos
			if json.Unmarshal(v, &p) == nil {
				out[string(k)] = p
			}
			return nil
		})
	})
	return out
}

// savePositions sets (or, for nil, deletes) node positions of the army at
// path.
func (w *Workspace) savePositions(path string, ps map[string]*Pos) error {
	if len(ps) == 0 {
		return nil
	}
	return w.st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket(store.BucketArmy, bucketPositions, path)
		if err != nil {
			return err
		}
		for k, p := range ps {
			if p == nil {
				if err := b.Delete([]byte(k)); err != nil {
					return err
				}
				continue
			}
			v, _ := json.Marshal(p)
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}
