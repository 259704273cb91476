package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/daemon"
	"littleboxes/app/engine"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/vault"
)

// armRedactor returns a redactor that knows every secret the army a (nil:
// none) references and every secret littleboxes keeps (secrets.Seed), and
// stdout and stderr redacted by it; flush writes what they hold back. A
// failure to read a secret is reported on stderr, and the command goes on.
func armRedactor(ctx context.Context, cmd string, a *army.Army, st store.Store, stdout, stderr io.Writer) (red *vault.Redactor, out, errw *vault.Writer, flush func()) {
	red = vault.NewRedactor()
	out, errw = vault.NewWriter(stdout, red), vault.NewWriter(stderr, red)
	if err := secrets.Seed(ctx, a, st, red); err != nil {
		fmt.Fprintf(errw, "littleboxes %s: %v\n", cmd, err)
	}
	return red, out, errw, func() { out.Flush(); errw.Flush() }
}

const runUsage = `usage: littleboxes run ARMY.yaml [--data DIR]                       run the army until SIGINT/SIGTERM
       littleboxes run ARMY.yaml --once AGENT [--input JSON] [--data DIR]  run one agent once, print its result as JSON

Agents run in worker processes (cells) that can be capped and killed;
--in-process runs them in this process instead, for debugging.

One engine serves a data directory and runs several armies side by side,
each with its own triggers, queues and runs. When none runs, run becomes it:
it runs the army (and those the engine ran before: littleboxes status lists
them) and serves the local API on DATA/littleboxes.sock while it runs, so
approvals, secret, kv, runs, write and run --once work from other processes.
When one runs (littleboxes daemon, another run), run asks it to run the army
beside the others and prints the army's events. Ctrl-C stops the army when
this run started it (one that ran before keeps running; littleboxes stop ARMY
stops it); if the engine stops, run takes over and runs the army itself.
run --once runs the agent in the engine.
`

// runArmy implements `littleboxes run`. It returns the exit code: with
// --once, as exec's (0 ok, 1 the agent threw, 2 usage, 3 a limit).
func runArmy(args []string, stdout, stderr io.Writer, host daemon.Host) int {
	fs := commandFlags("run", runUsage, stderr)
	data := dataFlag(fs)
	once := fs.String("once", "", "run this `AGENT`'s run(input) once and exit")
	input := fs.String("input", "null", "the `JSON` input for --once")
	inProcess := inProcessFlag(fs)
	pos, code, done := parseArgs(fs, args, 1)
	if done {
		return code
	}
	var in any
	if err := json.Unmarshal([]byte(*input), &in); err != nil {
		fmt.Fprintf(stderr, "littleboxes run: --input is not valid JSON: %v\n", err)
		return ExitUsage
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitUsage
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code, done := runViaEngine(ctx, runRequest{data: *data, path: path, army: a, once: *once, input: *input,
		inProcess: *inProcess, host: host, owns: new(bool)}, stdout, stderr); done {
		return code
	}
	cells := 0
	if *once != "" {
		cells = 1
	}
	se, code := startEngine(engineStart{cmd: "run", army: a, path: path, data: *data, std: IO{Stdout: stdout, Stderr: stderr},
		inProcess: *inProcess, cells: cells, timestamps: true, active: *once == ""})
	if code != ExitOK {
		return code
	}
	defer se.Close()
	e, logf := se.Engine, se.Logf
	stdout, stderr = se.Stdout, se.Stderr
	closeCtx := func() int {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(cctx); err != nil {
			fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	if *once != "" {
		res, err := e.Run(ctx, *once, in)
		code := closeCtx()
		if res != nil {
			printConsole(stderr, res.Console)
		}
		if err != nil {
			return reportRunError(stderr, err)
		}
		out, err := json.MarshalIndent(res.Value, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes run: encoding the result: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintln(stdout, string(out))
		return code
	}
	logf("running army %s (%d agents); stop with Ctrl-C", a.Name, len(e.Agents()))
	<-ctx.Done()
	logf("stopping")
	return closeCtx()
}

const approvalsUsage = `usage: littleboxes approvals list [--all] [--army NAME|FILE] [--data DIR]  list the pending approvals of every army (--all: decided ones too)
       littleboxes approvals approve ID [--army NAME|FILE] [--data DIR]  perform a held effect
       littleboxes approvals deny ID [--army NAME|FILE] [--data DIR]     deny a held effect

Each army keeps its own approvals, numbered per army: list prints the army's
name first. approve and deny act in one army: --army names it (or gives its
file); without it, the only army with data in the directory. They load the
army file its last run used (or the --army FILE) to perform the effect and run
the agent's onApproval. When an engine runs for the data directory
(` + "`littleboxes run`" + `, ` + "`littleboxes daemon`" + `), they ask it, over its socket: in
the engine running the army, when it runs.
`

// approvals implements `littleboxes approvals list|approve ID|deny ID`.
func approvals(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, approvalsUsage)
		return ExitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("approvals "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the data `DIR`")
	armyFlag := fs.String("army", "", "the army's `NAME` or FILE (default: the only army with data)")
	all := fs.Bool("all", false, "list decided approvals too")
	inProcess := inProcessFlag(fs)
	fs.Usage = func() { io.WriteString(stderr, approvalsUsage) }
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	switch {
	case sub == "list" && len(pos) == 0:
	case (sub == "approve" || sub == "deny") && len(pos) == 1:
	default:
		io.WriteString(stderr, approvalsUsage)
		return ExitUsage
	}
	name, a, file, err := approvalsArmy(*armyFlag)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitUsage
	}
	if code, done := approvalsViaEngine(sub, pos, *data, name, file, *all, stdout, stderr); done {
		return code
	}
	st, err := openStore(*data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	defer st.Close()
	armies, err := engine.Armies(st)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	red, outw, errw, flush := armRedactor(ctx, "approvals", a, st, stdout, stderr)
	defer flush()
	stdout, stderr = outw, errw
	if sub == "list" {
		if name != "" {
			armies = []string{name}
		}
		err := listApprovals(stdout, armies, func(arm string) ([]engine.Effect, error) {
			return engine.Approvals(st, arm, !*all)
		})
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	if name == "" {
		var code int
		if name, code = onlyArmy(armies, stderr); name == "" {
			return code
		}
	}
	if a == nil {
		path := engine.ArmyPath(st, name)
		if path == "" {
			fmt.Fprintf(stderr, "littleboxes approvals: no army file known for army %q: pass --army FILE\n", name)
			return ExitUsage
		}
		if a, err = army.Load(path); err != nil {
			fmt.Fprintf(stderr, "littleboxes approvals: army %q: %v\n", name, err)
			return ExitUsage
		}
		if a.Name != name {
			fmt.Fprintf(stderr, "littleboxes approvals: %s now names its army %q, not %q: pass --army FILE of army %q\n", path, a.Name, name, name)
			return ExitUsage
		}
	}
	runner, closeRunner, err := armyrun.NewRunner(*inProcess, 1, nil)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	defer closeRunner()
	e, err := armyrun.Start(ctx, armyrun.Options{Army: a, Store: st, Redactor: red, Runner: runner, Passive: true,
		Logf: func(f string, args ...any) { fmt.Fprintf(stderr, f+"\n", args...) }})
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	defer e.Close(context.Background())
	var ef engine.Effect
	if sub == "approve" {
		ef, err = e.Approve(ctx, pos[0])
	} else {
		ef, err = e.Deny(ctx, pos[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	return printDecided(stdout, ef)
}

// listApprovals prints, a line each, the approvals that get returns for each
// of armies, or a line saying that none is pending.
func listApprovals(stdout io.Writer, armies []string, get func(army string) ([]engine.Effect, error)) error {
	n := 0
	for _, arm := range armies {
		efs, err := get(arm)
		if err != nil {
			return err
		}
		for _, ef := range efs {
			n++
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tenv.%s.%s(%s)\t%s\n", arm, ef.ID, ef.Status,
				ef.Agent, ef.Env, ef.Method, clip(string(ef.Args), 120), time.UnixMilli(ef.Created).Format(time.RFC3339))
		}
	}
	if n == 0 {
		fmt.Fprintln(stdout, "no approvals pending")
	}
	return nil
}

// onlyArmy returns the one army of armies, the one approve and deny act in
// when no --army names it. When there is not exactly one it says why on
// stderr and returns "" and the exit code.
// approvalsArmy reads approvals' --army value arg: the path of a regular
// file is loaded, and its army's name, the army and the file's absolute
// path returned; anything else ("" too) is an army's name, returned as is.
func approvalsArmy(arg string) (name string, a *army.Army, file string, err error) {
	if fi, err := os.Stat(arg); arg == "" || err != nil || !fi.Mode().IsRegular() {
		return arg, nil, "", nil
	}
	if a, err = army.Load(arg); err != nil {
		return "", nil, "", err
	}
	if file, err = filepath.Abs(arg); err != nil {
		return "", nil, "", fmt.Errorf("army file %s: %w", arg, err)
	}
	return a.Name, a, file, nil
}

func onlyArmy(armies []string, stderr io.Writer) (name string, code int) {
	switch len(armies) {
	case 0:
		fmt.Fprintln(stderr, "littleboxes approvals: no army has data here: nothing to approve")
		return "", ExitFailed
	case 1:
		return armies[0], ExitOK
	default:
		fmt.Fprintf(stderr, "littleboxes approvals: several armies keep approvals here (%s): pass --army NAME\n", strings.Join(armies, ", "))
		return "", ExitUsage
	}
}

// printDecided prints the effect an approve or deny decided, as JSON, and
// returns the exit code: ExitFailed when performing it failed.
func printDecided(stdout io.Writer, ef engine.Effect) int {
	out, _ := json.MarshalIndent(ef, "", "  ")
	fmt.Fprintln(stdout, string(out))
	if ef.Status == engine.StatusFailed {
		return ExitFailed
	}
	return ExitOK
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
