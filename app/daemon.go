package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"littleboxes/app/notify"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/daemon"
	"littleboxes/app/engine"
	"littleboxes/app/mcp"
	"littleboxes/app/serve"
	"littleboxes/app/store"
	"littleboxes/sandbox"
)

// Engine is what the engine serves on its socket besides the API, for the
// CLI (the methods named by package daemon's Method constants): every
// army with data in the store, not only the open one, and the armies it
// runs side by side (ListRunning, Start, Stop). It is not bound to the
// window.
type Engine struct{ a *API }

// Pid returns the engine's process id.
func (e *Engine) Pid() int { return os.Getpid() }

// ArmyNames returns the names of the armies with data in the store.
func (e *Engine) ArmyNames() ([]string, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return nil, err
	}
	names, err := ws.ArmyNames()
	return nonNil(names), err
}

// ArmyApprovals lists army's held sink calls, oldest first (with all, the
// decided ones too), redacted.
func (e *Engine) ArmyApprovals(armyName string, all bool) ([]engine.Effect, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return nil, err
	}
	efs, err := ws.ArmyApprovals(armyName, all)
	if err != nil {
		return nil, err
	}
	out := []engine.Effect{}
	for _, ef := range efs {
		out = append(out, e.redactEffect(ef))
	}
	return out, nil
}

func (e *Engine) redactEffect(ef engine.Effect) engine.Effect {
	ef.Args, ef.Result, ef.Error = e.a.redactJSON(ef.Args), e.a.redactJSON(ef.Result), e.a.redactString(ef.Error)
	return ef
}

// Decide approves (or denies) army's held sink call id: in the engine
// running the army when it is the open one, else in a passive engine on
// the army's file (file, or the one its last run used). It returns the
// effect as recorded; an approval already decided is an error, so two
// clients deciding at once perform it once.
func (e *Engine) Decide(armyName, file, id string, approve bool) (engine.Effect, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return engine.Effect{}, err
	}
	var ef engine.Effect
	err = ws.WithArmy(e.a.context(), armyName, file, false, func(eng *engine.Engine) error {
		var derr error
		if approve {
			ef, derr = eng.Approve(e.a.context(), id)
		} else {
			ef, derr = eng.Deny(e.a.context(), id)
		}
		return derr
	})
	if err != nil {
		return engine.Effect{}, errors.New(e.a.redactString(err.Error()))
	}
	return e.redactEffect(ef), nil
}

// OpenArmy opens the army file (and runs it, when it can run) in place of
// the open army.
func (e *Engine) OpenArmy(file string) (daemon.Opened, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return daemon.Opened{}, err
	}
	s, err := ws.OpenFile(e.a.context(), file)
	if err != nil {
		return daemon.Opened{}, err
	}
	o := daemon.Opened{Path: s.Path}
	if s.Army != nil {
		o.Name = s.Army.Name
	}
	if eng, err := ws.Engine(); err == nil {
		o.Agents = len(eng.Agents())
	} else {
		o.NotRunning = e.a.redactString(err.Error())
	}
	return o, nil
}

// RunOnce runs agent's run(input) once in the army file: in the running
// engine when it is the open army, else in a passive engine (as `run
// --once` does in-process). inputJSON is JSON ("" is null).
func (e *Engine) RunOnce(file, agent, inputJSON string) (daemon.OnceResult, error) {
	var input any
	if strings.TrimSpace(inputJSON) != "" {
		if err := json.Unmarshal([]byte(inputJSON), &input); err != nil {
			return daemon.OnceResult{}, fmt.Errorf("the input is not JSON: %v", err)
		}
	}
	ws, err := e.a.workspace()
	if err != nil {
		return daemon.OnceResult{}, err
	}
	ar, err := army.Load(file)
	if err != nil {
		return daemon.OnceResult{}, err
	}
	var res *sandbox.Result
	var runErr error
	err = ws.WithArmy(e.a.context(), ar.Name, file, true, func(eng *engine.Engine) error {
		res, runErr = eng.Run(e.a.context(), agent, input)
		return nil
	})
	if err != nil {
		return daemon.OnceResult{}, errors.New(e.a.redactString(err.Error()))
	}
	var out daemon.OnceResult
	if res != nil {
		for _, l := range res.Console {
			out.Console = append(out.Console, sandbox.ConsoleLine{Level: l.Level, Text: e.a.redactString(l.Text)})
		}
	}
	if runErr != nil {
		out.Report, out.Code = runReport(runErr)
		out.Report = e.a.redactString(out.Report)
		return out, nil
	}
	b, err := json.Marshal(jsonSafe(res.Value))
	if err != nil {
		out.Report, out.Code = fmt.Sprintf("encoding the result: %v\n", err), 1
		return out, nil
	}
	out.Value = e.a.redactJSON(b)
	return out, nil
}

// withArmyFile calls fn with the engine of the army file: the running one
// when it is the open army, else a passive one (remembered as the army's
// file, as RunOnce does). Its errors are redacted.
func (e *Engine) withArmyFile(file string, fn func(*engine.Engine) error) error {
	ws, err := e.a.workspace()
	if err != nil {
		return err
	}
	ar, err := army.Load(file)
	if err != nil {
		return err
	}
	if err := ws.WithArmy(e.a.context(), ar.Name, file, true, fn); err != nil {
		return errors.New(e.a.redactString(err.Error()))
	}
	return nil
}

// MCPAgents lists the agents of the army file (littleboxes mcp attached).
func (e *Engine) MCPAgents(file string) ([]string, error) {
	var agents []string
	err := e.withArmyFile(file, func(eng *engine.Engine) error {
		agents = eng.Agents()
		return nil
	})
	return nonNil(agents), err
}

// MCPDeclaration is the TypeScript declaration of agent's env in the army
// file (littleboxes mcp's search, attached).
func (e *Engine) MCPDeclaration(file, agent string) (string, error) {
	var decl string
	err := e.withArmyFile(file, func(eng *engine.Engine) error {
		var derr error
		decl, derr = eng.Declaration(agent)
		return derr
	})
	return decl, err
}

// MCPExecute runs code once as agent of the army file, recorded under the
// trigger "mcp" (littleboxes mcp's execute, attached): a flagged call it
// makes is held here, where the window and approvals list see it.
// inputJSON is JSON ("" is null).
func (e *Engine) MCPExecute(file, agent, code, inputJSON string) (daemon.Executed, error) {
	var input any
	if strings.TrimSpace(inputJSON) != "" {
		if err := json.Unmarshal([]byte(inputJSON), &input); err != nil {
			return daemon.Executed{}, fmt.Errorf("the input is not JSON: %v", err)
		}
	}
	var res *sandbox.Result
	var runErr error
	err := e.withArmyFile(file, func(eng *engine.Engine) error {
		res, runErr = mcp.NewLocal(eng).Execute(e.a.context(), agent, code, input)
		return nil
	})
	if err != nil {
		return daemon.Executed{}, err
	}
	var out daemon.Executed
	if res != nil {
		for _, l := range res.Console {
			out.Console = append(out.Console, sandbox.ConsoleLine{Level: l.Level, Text: e.a.redactString(l.Text)})
		}
	}
	if runErr != nil {
		out.Error = e.a.redactString(runErr.Error())
		return out, nil
	}
	b, err := json.Marshal(jsonSafe(res.Value))
	if err != nil {
		out.Error = fmt.Sprintf("encoding the result: %v", err)
		return out, nil
	}
	out.Value = e.a.redactJSON(b)
	return out, nil
}

// ListRunning returns the armies the engine runs, by name (with why one
// does not, when it could not start).
func (e *Engine) ListRunning() ([]daemon.Running, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return nil, err
	}
	rs, err := ws.ListRunning()
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// Start runs the army file besides the armies running, without changing
// the army the window shows; Started says whether it ran already.
func (e *Engine) Start(file string) (daemon.Started, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return daemon.Started{}, err
	}
	r, started, err := ws.Start(e.a.context(), file)
	if err != nil {
		return daemon.Started{}, errors.New(e.a.redactString(err.Error()))
	}
	if started {
		// The windows attached list the running armies.
		e.a.hub.Publish(Event{Type: EventArmyStarted, Army: r.Name})
	}
	return daemon.Started{Running: r, Started: started}, nil
}

// Stop stops the army named armyName; it does not run again until started
// (run, Start, or opened in the window).
func (e *Engine) Stop(armyName string) error {
	ws, err := e.a.workspace()
	if err != nil {
		return err
	}
	return ws.Stop(e.a.context(), armyName)
}

// OpenArmyName returns the name the open army's engine events carry
// (events.Event's Army), "" when it does not run: an attached window shows
// only those of the engine's events.
func (e *Engine) OpenArmyName() (string, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return "", err
	}
	return ws.OpenArmy(), nil
}

// KVNamespaces lists the store's kv namespaces with their labels.
func (e *Engine) KVNamespaces() ([]capstore.Namespace, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return nil, err
	}
	nss, err := ws.Namespaces()
	if nss == nil {
		nss = []capstore.Namespace{}
	}
	return nss, err
}

// KVClear deletes namespace's data and resets its label; it returns how
// many keys were deleted.
func (e *Engine) KVClear(namespace string) (int, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return 0, err
	}
	return ws.ClearNamespace(namespace)
}

// ArmyRuns returns up to limit of the run records of army's agent (a
// template: its instances'), newest first, redacted.
func (e *Engine) ArmyRuns(armyName, agent string, limit int) (json.RawMessage, error) {
	ws, err := e.a.workspace()
	if err != nil {
		return nil, err
	}
	runs, err := ws.ArmyRuns(armyName, agent, limit)
	if err != nil {
		return nil, err
	}
	if runs == nil {
		runs = []engine.RunRecord{}
	}
	return e.redacted(runs)
}

// WriteAgent has a model write agent's module in the army file from
// description (`littleboxes write`), dry-run on inputJSON ("" is null);
// the code is not saved.
func (e *Engine) WriteAgent(file, agent, description, model, inputJSON string, attempts int) (daemon.Written, error) {
	var input any
	if strings.TrimSpace(inputJSON) != "" {
		if err := json.Unmarshal([]byte(inputJSON), &input); err != nil {
			return daemon.Written{}, fmt.Errorf("the input is not JSON: %v", err)
		}
	}
	var out daemon.Written
	err := e.withArmyFile(file, func(eng *engine.Engine) error {
		name := agent
		if insts := eng.Instances(agent); len(insts) > 0 {
			name = insts[0] // a template: its instances share the declaration
		}
		authored, werr := eng.Describe(e.a.context(), name, description, model, input, attempts)
		if werr != nil {
			out.Error, out.NoModel = e.a.redactString(werr.Error()), errors.Is(werr, engine.ErrNoModel)
		}
		if authored != nil {
			var rerr error
			out.Authored, rerr = e.redacted(authored)
			return rerr
		}
		return nil
	})
	return out, err
}

// redacted is v as JSON, every secret littleboxes knows redacted.
func (e *Engine) redacted(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return e.a.redactJSON(b), nil
}

// runReport is an invocation's error as `run --once` prints it, and its
// exit code (package cli's reportRunError).
func runReport(err error) (string, int) {
	var le *sandbox.LimitError
	var se *sandbox.ScriptError
	switch {
	case errors.As(err, &le):
		return fmt.Sprintf("limit exceeded: %s: %s\n", le.Limit, le.Detail), 3
	case errors.As(err, &se):
		s := fmt.Sprintf("error: %s\n", se.Error())
		if se.Stack != "" {
			s += "  " + strings.ReplaceAll(se.Stack, "\n", "\n  ") + "\n"
		}
		return s, 1
	case errors.Is(err, sandbox.ErrNoEntry), errors.Is(err, engine.ErrNoAgent):
		return fmt.Sprintf("error: %v\n", err), 2
	}
	return fmt.Sprintf("error: %v\n", err), 1
}

// local is what the engine serves on its socket: the window's API, the
// CLI's Engine methods, the page's events.
func (a *API) local() serve.App {
	// Every army's events: each client shows or prints those it wants.
	return serve.App{Bound: append(a.bound(), &Engine{a: a}), Events: a.hub.Subscribe, Close: a.close}
}

const daemonUsage = `usage: littleboxes daemon [--data DIR] [--in-process] [--idle-exit DURATION]

Runs the engine of a data directory: it owns the store, runs its armies side
by side (those that ran before it started: littleboxes status lists them),
and serves the local API on DATA/littleboxes.sock (owner-only) to every front
end (the window, serve, the CLI) until SIGINT or SIGTERM; the armies it runs
run again in the next engine. With --idle-exit it stops once no client has
been attached for that long.
`

// RunDaemon implements `littleboxes daemon` and returns the exit code: 0
// stopped (a signal, or idle), 1 failed (another engine runs: the error
// says which pid), 2 usage.
func RunDaemon(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	inProcess := fl.Bool("in-process", false, "run agents in this process instead of worker processes (cells); for debugging")
	idle := fl.Duration("idle-exit", 0, "stop after `DURATION` with no client attached (0: never)")
	fl.Usage = func() { io.WriteString(stderr, daemonUsage+"\nFlags:\n"); fl.PrintDefaults() }
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "littleboxes daemon: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := host(ctx, daemon.HostOptions{DataDir: *data, InProcess: *inProcess, Logf: logf, Ready: func(int) {
		logf("engine (pid %d) serving %s", os.Getpid(), daemon.SocketPath(dataDirOr(*data)))
	}}, *idle)
	switch {
	case errors.Is(err, serve.ErrIdle):
		logf("no client for %v: stopping", *idle)
	case err != nil:
		fmt.Fprintf(stderr, "littleboxes daemon: %v\n", err)
		return 1
	default:
		logf("stopped")
	}
	return 0
}

// dataDirOr is the resolved data directory, or dir as given.
func dataDirOr(dir string) string {
	if d, err := store.DataDirPath(dir); err == nil {
		return d
	}
	return dir
}

// HostRun is the daemon.Host of `littleboxes run ARMY`: it opens the army
// file in the workspace (remembered as the open army; the armies of the
// running set run beside it) and serves the local API until ctx is done,
// then stops the army when it started it (or o.Owns).
func HostRun(ctx context.Context, o daemon.HostOptions) error {
	if o.ArmyPath == "" {
		return errors.New("host: no army file")
	}
	return host(ctx, o, 0)
}

// host takes the socket, opens the API (on o.ArmyPath when given) and
// serves it until ctx is done or, with idle, no client came for that
// long.
func host(ctx context.Context, o daemon.HostOptions, idle time.Duration) error {
	dir, err := store.DataDir(o.DataDir)
	if err != nil {
		return err
	}
	ln, err := daemon.Listen(dir)
	if err != nil {
		return err
	}
	ln.SetLogf(o.Logf)
	a, err := Open(ctx, Options{DataDir: dir, InProcess: o.InProcess, Logf: o.Logf, ArmyPath: o.ArmyPath})
	if err != nil {
		ln.Close()
		return err
	}
	if o.ArmyPath != "" {
		ws, err := a.workspace()
		if err == nil {
			var eng *engine.Engine
			if eng, err = ws.Engine(); err == nil {
				if o.Ready != nil {
					o.Ready(len(eng.Agents()))
				}
			}
		}
		if err != nil {
			ln.Close()
			a.close()
			return err
		}
	} else if o.Ready != nil {
		o.Ready(0)
	}
	stopNotes := notifyFrom(ctx, a, dir, o.Logf)
	serr := serve.ServeLocal(ctx, ln, a.local(), serve.LocalOptions{IdleExit: idle})
	stopNotes()
	if o.ArmyPath != "" {
		// `run ARMY` ends (Ctrl-C): the army it started stops; the others
		// stay in the running set for the next engine.
		if ws, err := a.workspace(); err == nil {
			if name, started := ws.StartedByOpen(); started || o.Owns {
				if err := ws.Stop(context.Background(), name); err != nil && o.Logf != nil {
					o.Logf("stopping army %s: %v", name, err)
				}
			}
		}
	}
	cerr := a.close()
	if serr != nil {
		return serr
	}
	return cerr
}

// notifyFrom tells the person, by desktop notifications, what the engine
// holds for them (package notify), muted as their settings say; a click
// opens the window on the approval (openApproval). The returned func stops
// it and waits for it.
func notifyFrom(ctx context.Context, a *API, dir string, logf func(string, ...any)) (stop func()) {
	evs, unsubscribe := a.hub.Subscribe() // every army's
	nctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		notify.Watch(nctx, evs, notify.Options{
			Logf: logf,
			Muted: func() notify.Mutes {
				s, _ := loadSettings(dir)
				return s.Mute
			},
			Open: func(id string) { openApproval(a.hub, dir, id, logf) },
		})
	}()
	return func() {
		cancel()
		unsubscribe()
		<-done
	}
}
