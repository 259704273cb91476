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
	"littleboxes/app/engine"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/vault"
)

// secretsFor returns the vault over the OS keyring, or nil when the army
// needs no secret and the keyring cannot be reached (see secrets.For).
func secretsFor(ctx context.Context, a *army.Army, st store.Store, red *vault.Redactor) (*vault.Vault, error) {
	return secrets.For(ctx, a, st, red)
}

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
`

// runArmy implements `littleboxes run`. It returns the exit code: with
// --once, as exec's (0 ok, 1 the agent threw, 2 usage, 3 a limit).
func runArmy(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	once := fs.String("once", "", "run this `AGENT`'s run(input) once and exit")
	input := fs.String("input", "null", "the `JSON` input for --once")
	inProcess := inProcessFlag(fs)
	fs.Usage = func() { io.WriteString(stderr, runUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if len(pos) != 1 {
		fs.Usage()
		return ExitUsage
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
	st, err := openStore(*data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	red, outw, errw, flush := armRedactor(ctx, "run", a, st, stdout, stderr)
	defer flush()
	stdout, stderr = outw, errw
	logw := errw
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
		_ = logw.Flush()
	}
	cells := 0
	if *once != "" {
		cells = 1
	}
	runner, closeRunner, err := newRunner(*inProcess, cells, logf)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed
	}
	defer closeRunner()
	opts := engine.Options{Army: a, Store: secrets.RedactStore(st, red), Redactor: red, Logf: logf, Passive: *once != "", ArmyPath: path, Runner: runner}
	v, err := secretsFor(ctx, a, st, red)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed
	}
	if v != nil {
		opts.Secrets = v
	}
	e, err := engine.New(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", red.String(err.Error()))
		return ExitFailed
	}
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

const approvalsUsage = `usage: littleboxes approvals list [--all] [--data DIR]      list the pending approvals (--all: every decided one too)
       littleboxes approvals approve ID [--army FILE] [--data DIR]  perform a held effect
       littleboxes approvals deny ID [--army FILE] [--data DIR]     deny a held effect

approve and deny load the army the last run used (or --army FILE) to perform
the effect and run the agent's onApproval. They cannot run while
` + "`littleboxes run`" + ` holds the data directory.
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
	armyFile := fs.String("army", "", "the army `FILE` (default: the one the last run used)")
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
	st, err := openStore(*data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	defer st.Close()
	path := *armyFile
	if path == "" {
		path = engine.ArmyPath(st)
	}
	var a *army.Army
	if path != "" {
		a, err = army.Load(path)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	red, outw, errw, flush := armRedactor(ctx, "approvals", a, st, stdout, stderr)
	defer flush()
	stdout, stderr = outw, errw
	if sub == "list" {
		efs, err := engine.Approvals(st, !*all)
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
			return ExitFailed
		}
		if len(efs) == 0 {
			fmt.Fprintln(stdout, "no approvals pending")
		}
		for _, ef := range efs {
			fmt.Fprintf(stdout, "%s\t%s\t%s\tenv.%s.%s(%s)\t%s\n", ef.ID, ef.Status,
				ef.Agent, ef.Env, ef.Method, clip(string(ef.Args), 120), time.UnixMilli(ef.Created).Format(time.RFC3339))
		}
		return ExitOK
	}
	if path == "" {
		fmt.Fprintln(stderr, "littleboxes approvals: no army known: pass --army FILE")
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitUsage
	}
	runner, closeRunner, err := newRunner(*inProcess, 1, nil)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	defer closeRunner()
	opts := engine.Options{Army: a, Store: secrets.RedactStore(st, red), Redactor: red, Passive: true, Runner: runner,
		Logf: func(f string, args ...any) { fmt.Fprintf(stderr, f+"\n", args...) }}
	v, err := secretsFor(ctx, a, st, red)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	if v != nil {
		opts.Secrets = v
	}
	e, err := engine.New(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", red.String(err.Error()))
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
