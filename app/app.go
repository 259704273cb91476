// Package app is the application's thin front: the API bound to the
// desktop window and served to a browser by `littleboxes serve` (package
// app/serve), nothing more.
//
// One *API holds the workspace (package app/workspace: the army open in
// the app, its store and its engine) and turns what it holds into what the
// page shows (view: a pure function of a workspace.Snapshot). Every
// exported method of API is a function the page calls, with the names,
// arguments and JSON shapes of frontend/wailsjs, which Wails generates
// from them: inside the window through those bindings, in a browser
// through package serve's POST /api/call/METHOD. Methods that can fail
// return an error whose text is what the person sees; none panics across
// the bridge, and none returns a secret value. How edits are made, refused
// or saved incomplete is package workspace's to say.
//
// # Events
//
// The engine's events (runs, messages, approvals, reports) and a
// "workspace" event after every change go to one hub; the window forwards
// them as the Wails event "lb:event", package serve as server-sent events.
//
// # Serve
//
// Package app/serve serves the page and this API to a browser
// (`littleboxes serve`): Served opens the API for it. The methods it serves
// are those the window binds, read from the same list (bound): every
// exported method of *API, and nothing else.
//
// # Attached
//
// One engine runs per data directory (`littleboxes daemon`, package
// app/daemon), and the long-lived front ends are its clients: the window
// (RunWindow) and serve (Served) dial it, and when none answers start one
// (this executable, `daemon --data DIR`, detached, with --idle-exit
// DefaultIdleExit unless the person's setting "keep running after the
// window closes" is on, and with --in-process when the front end was given
// it) and attach to that. An attached API hosts no workspace: every
// exported method forwards to the engine by name with its arguments
// (forward, in remote.go) and decodes the result into its own type, errors
// keeping their text. The engine's events are re-emitted on the API's hub,
// so the window's "lb:event" and serve's event stream are unchanged. When
// the engine's stream ends (the engine stopped or was killed) the API sends
// an "engine" event with Detail "reconnecting", methods fail with
// ErrEngineGone, and it reconnects with backoff, starting a new engine when
// none answers; then it sends "engine"/"attached" and a "workspace" event.
//
// When attaching is impossible (no engine package in this build, a test
// binary that cannot be started as an engine, a failed start) the front end
// opens the store in its own process, as before engines ran on their own,
// and logs why. --no-daemon (the window's flag; Options.NoDaemon) or
// LITTLEBOXES_NO_DAEMON=1 (the window and serve) asks for that explicitly,
// for tests and debugging. --in-process keeps its meaning: agents run in
// the engine's process instead of cells.
//
// The engine runs several armies side by side (package workspace,
// "Several armies"); the page shows one, the workspace's open army, and its
// event stream carries that army's events only (subscribe), and those
// that change the list of running armies (army.started, army.stopped):
// Running lists them, OpenRunning shows another, StopArmy stops one
// (armies.go).
//
// The window's title counts the approvals pending: "littleboxes (2)". A
// click on the engine's desktop notification shows its approval: the
// engine sends EventOpenApproval to the front ends attached (a window comes
// to the front, the page opens the approval), and starts a window on it
// (--approval ID) when none holds DATA/window.lock (openapproval.go).
//
// This is the only package that imports Wails. Built without the Wails build
// tags (desktop,production or dev), it still compiles, and RunWindow returns
// Wails' error saying the tags are missing.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"littleboxes/app/armyrun"
	"littleboxes/app/events"
	"littleboxes/app/serve"
	"littleboxes/app/store"
	"littleboxes/app/workspace"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// Title is the window title. build/test-window.sh finds the window by it.
const Title = "littleboxes"

// EventName is the name of the Wails event carrying engine and workspace
// events to the window (EVENT in frontend/src/lib/api.ts).
const EventName = "lb:event"

// version is the application version shown in the window. Release builds
// may set it with -ldflags "-X littleboxes/app.version=…".
var version = "0.1.0-dev"

// Window geometry, in device-independent pixels.
const (
	windowWidth     = 1280
	windowHeight    = 860
	windowMinWidth  = 960
	windowMinHeight = 600
)

// Options configures Open.
type Options struct {
	// DataDir is the data directory; "" means store.DataDir's default
	// ($XDG_DATA_HOME/littleboxes).
	DataDir string
	// Runner runs the engine's and the playground's invocations; nil means
	// a pool of cells (sandbox/cell): worker processes that can be capped
	// and killed, so a hostile agent cannot take the app down.
	Runner sandbox.Runner
	// InProcess, with a nil Runner, runs invocations in this process
	// instead of cells (for debugging).
	InProcess bool
	// Logf logs the engine's messages (redacted); nil discards them.
	Logf func(format string, args ...any)
	// ArmyPath, when set, is the army file to open instead of the one
	// last open (`littleboxes run ARMY` hosting the engine).
	ArmyPath string
	// Approval, in a window, is the approval its page opens on (--approval
	// ID: the window a click on a notification started).
	Approval string
	// NoDaemon makes a long-lived front end (the window, serve) open the
	// store in this process, as before engines ran on their own, instead
	// of attaching to the data directory's engine (see "Attached" in the
	// package doc).
	NoDaemon bool
}

// API is the set of methods bound to the desktop window and served by
// package serve. Create one with NewAPI (Exec and Version only, until the
// workspace is opened) or Open; its methods are safe for concurrent use.
type API struct {
	exec executor
	hub  *events.Hub
	red  *vault.Redactor // for the API's life: never replaced

	// mu guards the fields below.
	mu        sync.Mutex
	ctx       context.Context      // the Wails context, set at startup; cancelled at shutdown
	ws        *workspace.Workspace // the open army; nil until open
	openErr   error                // why the workspace could not be opened
	closePool func()               // closes the cells that run agents (nil: Options.Runner or InProcess)
	remote    *remote              // the engine this API forwards to; nil when it hosts ws itself
	dataDir   string               // the data directory, once opened or attached
	closed    bool

	settingsMu sync.Mutex // serialises SetKeepRunning's read-modify-write
}

// errNotOpen is the error of workspace methods before the workspace opens.
var errNotOpen = errors.New("no workspace is open")

// NewAPI returns an API that runs agent modules in-process. Its workspace
// methods fail until it is opened (Open, or the window's startup).
func NewAPI() *API {
	return &API{
		exec: executor{
			compile:  sandbox.Compile,
			runner:   sandbox.NewInProcess(),
			deadline: DefaultExecDeadline,
		},
		hub: events.New(),
		red: vault.NewRedactor(),
	}
}

// Open returns an API with its workspace open: the store in the data
// directory, the army last open there (the built-in inbox example on first
// launch), and its engine, started if the army can run. An error means the
// store could not be opened (another littleboxes holds it, say); an army
// that cannot run still opens, with its problems. close it when done.
func Open(ctx context.Context, opts Options) (*API, error) {
	a := NewAPI()
	if err := a.open(ctx, opts); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// open opens the workspace, once: a pool of cells unless opts gives a
// runner or asks for this process, then the workspace.
func (a *API) open(ctx context.Context, opts Options) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != nil || a.closed {
		return nil
	}
	if opts.Runner == nil && !opts.InProcess {
		pool, closePool, err := armyrun.NewRunner(false, 0, opts.Logf)
		if err != nil {
			a.openErr = err
			return err
		}
		a.closePool = closePool
		opts.Runner = pool
		a.exec.runner = pool
	}
	if opts.Runner == nil {
		opts.Runner = sandbox.NewInProcess()
	}
	dir, err := store.DataDir(opts.DataDir)
	if err != nil {
		a.openErr = err
		return err
	}
	a.dataDir = dir
	ws, err := workspace.Open(ctx, workspace.Options{DataDir: opts.DataDir, Runner: opts.Runner, Hub: a.hub,
		Redactor: a.red, Logf: opts.Logf, ArmyPath: opts.ArmyPath})
	if err != nil {
		a.openErr = err
		return err
	}
	a.ws = ws
	return nil
}

// openFront opens a for a long-lived front end (the window, serve):
// attached to the data directory's engine, started when none runs, or,
// when that is impossible, with the workspace in this process as before
// (the reason logged).
func (a *API) openFront(ctx context.Context, opts Options) error {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := store.DataDir(opts.DataDir)
	if err != nil {
		a.mu.Lock()
		a.openErr = err
		a.mu.Unlock()
		return err
	}
	connect, why := engineConnector(dir, opts)
	if connect != nil {
		r, err := attach(ctx, a.hub, connect, opts.Logf)
		if err == nil {
			a.mu.Lock()
			closed := a.closed
			if !closed {
				a.remote, a.dataDir = r, dir
			}
			a.mu.Unlock()
			if closed {
				r.close()
			} else {
				logf("attached to the engine of %s", dir)
			}
			return nil
		}
		why = err.Error()
	}
	logf("the engine runs in this process: %s", why)
	return a.open(ctx, opts)
}

// workspace returns the open workspace, or why there is none.
func (a *API) workspace() (*workspace.Workspace, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return nil, workspace.ErrClosed
	case a.openErr != nil:
		return nil, a.openErr
	case a.ws == nil:
		return nil, errNotOpen
	}
	return a.ws, nil
}

// close closes the workspace and ends every event stream. It is
// idempotent. (Unexported: Wails binds every exported method, and the page
// must not be able to close the workspace.)
func (a *API) close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	ws, closePool, r := a.ws, a.closePool, a.remote
	a.mu.Unlock()
	if r != nil {
		r.close()
	}
	var err error
	if ws != nil {
		err = ws.Close()
	}
	a.hub.Close()
	if closePool != nil {
		a.mu.Lock()
		a.exec.runner = sandbox.NewInProcess()
		a.mu.Unlock()
		closePool()
	}
	return err
}

// Workspace returns the army open in the app, with its flow analysis.
func (a *API) Workspace() (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "Workspace"); ok {
		return orEmpty(v, err)
	}
	return a.render(a.snapshot())
}

// snapshot returns the open army as it is now.
func (a *API) snapshot() (workspace.Snapshot, error) {
	ws, err := a.workspace()
	if err != nil {
		return workspace.Snapshot{}, err
	}
	return ws.Snapshot()
}

// render returns the view of a snapshot, or the error.
func (a *API) render(s workspace.Snapshot, err error) (Workspace, error) {
	if err != nil {
		return emptyWorkspace(), err
	}
	return view(s), nil
}

// startup is Wails' OnStartup hook: it keeps the application context, which
// Wails cancels when the window closes, opens the workspace and forwards
// events to the window.
func (a *API) startup(ctx context.Context, opts Options) {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	// Forward events from the start, so none the page waits for is missed
	// while the engine is attached: those of the army the window shows.
	stream, stop := a.subscribe()
	go func() {
		// Ends when the hub closes (Close, at shutdown) or the window goes.
		defer stop()
		for {
			select {
			case ev, ok := <-stream:
				if !ok {
					return
				}
				toWindow(ev, func(ev Event) { wruntime.EventsEmit(ctx, EventName, ev) }, func() {
					wruntime.WindowUnminimise(ctx)
					wruntime.WindowShow(ctx)
				})
			case <-ctx.Done():
				return
			}
		}
	}()
	if opts.Approval != "" {
		// The page says when it listens; then it is shown the approval.
		wruntime.EventsOnce(ctx, ReadyEvent, func(...any) {
			a.hub.Publish(Event{Type: EventOpenApproval, ID: opts.Approval})
		})
	}
	if err := a.openFront(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "littleboxes:", err)
	}
	if dir, err := a.settingsDir(); err == nil {
		// Held until this process exits: the engine sends a click on a
		// notification here rather than starting another window.
		if _, err := holdWindowLock(dir); err != nil {
			opts.Logf("%v", err)
		}
	}
	badge, stopBadge := a.hub.Subscribe()
	go func() {
		// Ends as the event forwarder above does.
		defer stopBadge()
		a.watchTitle(ctx, badge, func(title string) { wruntime.WindowSetTitle(ctx, title) }, badgeDelay)
	}()
}

func (a *API) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// Version returns the application version, such as "0.1.0-dev".
func (a *API) Version() string {
	if v, ok, err := forward[string](a, "Version"); ok && err == nil {
		return v
	}
	return version
}

// Exec compiles source as an agent module (TypeScript or JavaScript) and runs
// its run(input, env, ctx) entry point once, with an empty env and the
// default limits (a 5 s deadline). inputJSON is the input as JSON text; an
// empty string means null. Every failure, including invalid input, is
// reported in the result's Error, never as a Go error or a panic.
func (a *API) Exec(source string, inputJSON string) ExecResult {
	if v, ok, err := forward[ExecResult](a, "Exec", source, inputJSON); ok {
		if err != nil {
			return ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: ErrorKindInternal, Message: err.Error()}}
		}
		return v
	}
	a.mu.Lock()
	ex := a.exec
	a.mu.Unlock()
	return ex.run(a.context(), source, inputJSON)
}

// RunWindow opens the desktop window serving the frontend, which assets holds
// under frontend/dist, and returns when the window is closed. args are the
// command-line flags after the program name: --data DIR chooses the data
// directory, --in-process runs agents in this process instead of cells,
// --no-daemon opens the store in this process instead of attaching to the
// data directory's engine, --approval ID opens the page's approvals on ID; Wails reads its own (such as -devserver in dev builds) from the
// command line itself, so the others are ignored here.
func RunWindow(assets fs.FS, args []string) error {
	dist, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		return fmt.Errorf("frontend assets: %w", err)
	}
	opts := Options{DataDir: flagValue(args, "data"), InProcess: hasFlag(args, "in-process"), NoDaemon: hasFlag(args, "no-daemon"), Approval: flagValue(args, "approval"), Logf: func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "littleboxes: "+strings.TrimSuffix(format, "\n")+"\n", args...)
	}}
	api := NewAPI()
	defer api.close()
	err = wails.Run(&options.App{
		Title:            Title,
		Width:            windowWidth,
		Height:           windowHeight,
		MinWidth:         windowMinWidth,
		MinHeight:        windowMinHeight,
		BackgroundColour: &options.RGBA{R: 0x0f, G: 0x14, B: 0x1c, A: 0xff}, // --bg in frontend/src/styles.css
		AssetServer:      &assetserver.Options{Assets: dist},
		OnStartup:        func(ctx context.Context) { api.startup(ctx, opts) },
		OnShutdown:       func(context.Context) { api.close() },
		Bind:             api.bound(),
		Linux: &linux.Options{
			ProgramName: "littleboxes",
		},
	})
	if err != nil {
		return fmt.Errorf("window: %w", err)
	}
	return nil
}

// bound is what the window binds and serve serves: every exported method of
// each value is a function the page calls. It is the one list of them.
func (a *API) bound() []any { return []any{a} }

// Served opens the API for `littleboxes serve` (package app/serve): the
// values the window binds, the page's events, and how to close it.
func Served(ctx context.Context, o serve.Options) (serve.App, error) {
	a := NewAPI()
	if err := a.openFront(ctx, Options{DataDir: o.DataDir, InProcess: o.InProcess, Logf: o.Logf}); err != nil {
		a.close()
		return serve.App{}, err
	}
	return a.served(), nil
}

// served is what serve serves of a.
func (a *API) served() serve.App {
	return serve.App{Bound: a.bound(), Events: a.subscribe, Close: a.close}
}

// hasFlag reports whether the boolean flag -name or --name is in args.
func hasFlag(args []string, name string) bool {
	return slices.Contains(args, "--"+name) || slices.Contains(args, "-"+name)
}

// flagValue returns the value of the flag -name or --name in args (as
// "--name VALUE" or "--name=VALUE"), or "".
func flagValue(args []string, name string) string {
	for i, arg := range args {
		for _, p := range []string{"--" + name, "-" + name} {
			if arg == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(arg, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

// badgeDelay is how long the window waits after an event that may change
// the count of pending approvals before counting them: a burst (a template
// holding one effect per thread) is counted once.
const badgeDelay = 200 * time.Millisecond

// windowTitle is the window's title with n approvals pending:
// "littleboxes", or "littleboxes (n)". build/test-window.sh finds the
// window by it.
func windowTitle(n int) string {
	if n <= 0 {
		return Title
	}
	return fmt.Sprintf("%s (%d)", Title, n)
}

// badgeEvent reports whether ev may change the count of pending
// approvals: an approval held or decided, another army opened, the engine
// gone or back.
func badgeEvent(ev events.Event) bool {
	switch ev.Type {
	case "approval.new", "approval.decided", EventWorkspace, EventEngine:
		return true
	}
	return false
}

// pendingTitle is the window's title for the approvals pending now (the
// bare title when they cannot be listed).
func (a *API) pendingTitle() string {
	p, err := a.Approvals(false)
	if err != nil {
		return Title
	}
	return windowTitle(len(p))
}

// watchTitle sets the window's title (setTitle) to the count of pending
// approvals at once, and again delay after every event of stream that may
// change it, when it changed. It returns when stream closes or ctx ends.
func (a *API) watchTitle(ctx context.Context, stream <-chan events.Event, setTitle func(string), delay time.Duration) {
	last := a.pendingTitle()
	setTitle(last)
	var timer *time.Timer
	var due <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case ev, ok := <-stream:
			if !ok {
				return
			}
			if badgeEvent(ev) && due == nil {
				timer = time.NewTimer(delay)
				due = timer.C
			}
		case <-due:
			due = nil
			if t := a.pendingTitle(); t != last {
				last = t
				setTitle(t)
			}
		case <-ctx.Done():
			return
		}
	}
}
