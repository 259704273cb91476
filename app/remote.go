package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/app/events"
)

// engineClient is a connection to the engine of a data directory: package
// daemon's *Client. Call calls an API method by name with its arguments and
// decodes the result into out (a remote error comes back with the remote's
// text); Events streams the engine's events until the engine goes away or
// ctx ends, then closes the channel.
type engineClient interface {
	Call(ctx context.Context, method string, out any, args ...any) error
	Events(ctx context.Context) (<-chan events.Event, error)
}

// The seam to package daemon. This build knows no engine to attach to while
// engineDial is nil: every front end then opens the store in-process, as
// before. At merge, a file beside this one sets them from package daemon
// (whose *Client has Call and Events as engineClient says):
//
//	func init() {
//		engineDial = func(ctx context.Context, dir string) (engineClient, error) {
//			c, err := daemon.Dial(ctx, dir)
//			if err != nil {
//				return nil, err // not a nil *Client in a non-nil interface
//			}
//			return c, nil
//		}
//		engineSpawn = func(ctx context.Context, exe, dir string, args ...string) (engineClient, error) {
//			c, err := daemon.Spawn(ctx, exe, dir, args...)
//			if err != nil {
//				return nil, err
//			}
//			return c, nil
//		}
//		errEngineNotRunning = daemon.ErrNotRunning
//	}
var (
	// engineDial connects to the engine running for dataDir; an error
	// matching errEngineNotRunning means none runs.
	engineDial func(ctx context.Context, dataDir string) (engineClient, error)
	// engineSpawn starts `exe daemon --data DIR args…` detached and
	// connects to it.
	engineSpawn func(ctx context.Context, exe, dataDir string, args ...string) (engineClient, error)
	// errEngineNotRunning is what engineDial's error matches when no engine
	// runs for the data directory.
	errEngineNotRunning = errors.New("no littleboxes engine is running")
)

// ErrEngineGone is the error of a method called on an attached API while
// its engine does not answer; the API is reconnecting (and, in a long-lived
// front end, starting a new engine).
var ErrEngineGone = errors.New("the littleboxes engine is not running; reconnecting")

// EventEngine is the type of the events an attached API sends about its
// engine: Detail "reconnecting" when the engine's event stream ended (the
// engine stopped or was killed), "attached" when it is back. A workspace
// event follows "attached": the page fetches Workspace() again.
const EventEngine = "engine"

// Details of EventEngine.
const (
	EngineReconnecting = "reconnecting"
	EngineAttached     = "attached"
)

// DefaultIdleExit is how long an engine a front end started keeps running
// with no front end attached, unless the person chose to keep it running
// (Settings.KeepRunning).
const DefaultIdleExit = 2 * time.Minute

// noDaemonEnv, set to 1, makes the window and serve open the store in
// their own process as before, never attaching to or starting an engine
// (as the window's --no-daemon flag does).
const noDaemonEnv = "LITTLEBOXES_NO_DAEMON"

// reconnect's backoff between attempts.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// remote is an API's attachment to an engine: the current connection (nil
// while reconnecting) and the loop that re-emits the engine's events on
// the API's hub and reconnects when the stream ends.
type remote struct {
	hub     *events.Hub
	connect func(ctx context.Context) (engineClient, error) // dial, or start an engine when none answers
	logf    func(format string, args ...any)

	ctx    context.Context // ends the loop; cancelled by close
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has ended

	mu     sync.Mutex
	client engineClient // nil while reconnecting

	// shown is the name of the army the engine's open army runs as (its
	// events' Army), nil while unknown (an engine that cannot say).
	shown atomic.Pointer[string]
}

// attach connects through connect and starts re-emitting the engine's
// events on hub. The first connection must succeed: its error is returned.
// close ends it; so does the end of ctx (the front end is shutting down:
// it must not start an engine then, which would outlive it).
func attach(ctx context.Context, hub *events.Hub, connect func(context.Context) (engineClient, error), logf func(string, ...any)) (*remote, error) {
	c, err := connect(ctx)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	evs, err := c.Events(lctx)
	if err != nil {
		cancel()
		closeClient(c)
		return nil, fmt.Errorf("the engine's events: %w", err)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	r := &remote{hub: hub, connect: connect, logf: logf, ctx: lctx, cancel: cancel, done: make(chan struct{}), client: c}
	r.learnShown(c)
	go r.loop(evs) // ends at close
	return r, nil
}

// learnShown asks the engine which army its open army runs as.
func (r *remote) learnShown(c engineClient) {
	ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
	defer cancel()
	var name string
	if err := c.Call(ctx, daemon.MethodOpenArmyName, &name); err != nil {
		r.shown.Store(nil)
		return
	}
	r.shown.Store(&name)
}

// openArmy returns the name the engine's events of the open army carry
// (Army), "" when it does not run; nil while unknown.
func (r *remote) openArmy() *string { return r.shown.Load() }

// current returns the connection, or nil while reconnecting.
func (r *remote) current() engineClient {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.client
}

// setClient replaces the connection, closing the old one.
func (r *remote) setClient(c engineClient) {
	r.mu.Lock()
	old := r.client
	r.client = c
	r.mu.Unlock()
	if old != nil && old != c {
		closeClient(old)
	}
}

// close ends the loop and the connection, and waits for the loop. It is
// idempotent.
func (r *remote) close() {
	r.cancel()
	<-r.done
	r.setClient(nil)
}

// loop re-emits evs on the hub until the stream ends, then reconnects with
// backoff, forever, until close or the end of the context attach was given.
func (r *remote) loop(evs <-chan events.Event) {
	defer close(r.done)
	for {
		r.forward(evs)
		if r.ctx.Err() != nil {
			return
		}
		r.setClient(nil)
		r.logf("the engine went away; reconnecting")
		r.hub.Publish(events.Event{Type: EventEngine, Detail: EngineReconnecting})
		c, next, ok := r.reconnect()
		if !ok {
			return
		}
		r.setClient(c)
		r.learnShown(c)
		r.logf("attached to the engine again")
		r.hub.Publish(events.Event{Type: EventEngine, Detail: EngineAttached})
		r.hub.Publish(events.Event{Type: EventWorkspace, Detail: "reconnected"})
		evs = next
	}
}

// forward publishes evs on the hub until the stream ends or close.
func (r *remote) forward(evs <-chan events.Event) {
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return
			}
			if ev.Type == EventWorkspace {
				// Another army may be open now.
				if c := r.current(); c != nil {
					r.learnShown(c)
				}
			}
			r.hub.Publish(ev)
		case <-r.ctx.Done():
			return
		}
	}
}

// reconnect connects again, with backoff, until it succeeds (ok) or close.
func (r *remote) reconnect() (engineClient, <-chan events.Event, bool) {
	wait := backoffMin
	var last string
	for {
		c, err := r.connect(r.ctx)
		if err == nil {
			evs, eerr := c.Events(r.ctx)
			if eerr == nil {
				return c, evs, true
			}
			closeClient(c)
			err = eerr
		}
		if r.ctx.Err() != nil {
			return nil, nil, false
		}
		if msg := err.Error(); msg != last { // once per kind of failure, not per attempt
			r.logf("reconnecting to the engine: %v", err)
			last = msg
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return nil, nil, false
		}
		wait = min(wait*2, backoffMax)
	}
}

// call calls method on the engine and decodes its result into out. A
// remote error keeps its text; while the engine does not answer the error
// is ErrEngineGone.
func (r *remote) call(ctx context.Context, method string, out any, args ...any) error {
	c := r.current()
	if c == nil {
		return ErrEngineGone
	}
	err := c.Call(ctx, method, out, args...)
	if err != nil && transportError(err) {
		return fmt.Errorf("%w (%s: %v)", ErrEngineGone, method, err)
	}
	return err
}

// transportError reports whether err says the engine did not answer (as
// opposed to an error the engine's method returned).
func transportError(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	return errors.Is(err, errEngineNotRunning) || errors.As(err, &ue) || errors.As(err, &oe) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED)
}

// closeClient closes c if it can be closed.
func closeClient(c engineClient) {
	if cl, ok := c.(io.Closer); ok {
		_ = cl.Close()
	}
}

// forward calls method with args on a's engine when a is attached (ok),
// decoding the result into a T. Every exported method of API starts with
// it: TestEveryMethodForwards fails for one that does not.
func forward[T any](a *API, method string, args ...any) (v T, ok bool, err error) {
	r := a.attached()
	if r == nil {
		return v, false, nil
	}
	err = r.call(a.context(), method, &v, args...)
	return v, true, err
}

// attached returns a's attachment to an engine, or nil when a hosts its
// own workspace (or none).
func (a *API) attached() *remote {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.remote
}

// engineArgs are the arguments after `daemon --data DIR` a front end
// starts an engine with: --idle-exit unless the person keeps it running,
// --in-process when the front end was asked to run agents in-process.
func engineArgs(keepRunning, inProcess bool) []string {
	var args []string
	if !keepRunning {
		args = append(args, "--idle-exit", DefaultIdleExit.String())
	}
	if inProcess {
		args = append(args, "--in-process")
	}
	return args
}

// selfExe is the executable a front end starts an engine with: this one.
var selfExe = func() (string, error) {
	exe, err := os.Executable()
	if err == nil && strings.HasSuffix(exe, ".test") {
		// A test binary run as `daemon` would run the tests again.
		err = errors.New("a test binary cannot start an engine")
	}
	return exe, err
}

// engineConnector returns how a long-lived front end reaches the engine of
// dataDir: dial it, and when none runs, start one (this executable, as
// `daemon`) and attach to that. It is nil, with the reason, when this
// front end cannot attach and must open the store itself.
func engineConnector(dataDir string, opts Options) (func(context.Context) (engineClient, error), string) {
	switch {
	case opts.NoDaemon:
		return nil, "asked to run without an engine (--no-daemon)"
	case os.Getenv(noDaemonEnv) == "1":
		return nil, noDaemonEnv + "=1"
	case engineDial == nil:
		return nil, "this build has no engine to attach to"
	case opts.Runner != nil:
		return nil, "given a runner of its own"
	}
	exe, exeErr := selfExe()
	return func(ctx context.Context) (engineClient, error) {
		c, err := engineDial(ctx, dataDir)
		if err == nil || !errors.Is(err, errEngineNotRunning) {
			return c, err
		}
		if exeErr != nil || engineSpawn == nil {
			return nil, fmt.Errorf("no engine runs for %s and none can be started: %v", dataDir, exeErr)
		}
		keep := keepRunning(dataDir)
		return engineSpawn(ctx, exe, dataDir, engineArgs(keep, opts.InProcess)...)
	}, ""
}

// orEmpty is a forwarded Workspace, or the empty one with an error, as
// render returns.
func orEmpty(w Workspace, err error) (Workspace, error) {
	if err != nil {
		return emptyWorkspace(), err
	}
	return w, nil
}
