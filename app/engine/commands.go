package engine

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
	"littleboxes/app/store"
	_ "littleboxes/capabilities/standard" // every built-in kind
	"littleboxes/sandbox"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
)

// Exit codes, as app/cli's.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
	ExitLimit  = 3
)

const storeFile = store.FileName

// dataDir returns the data directory (see store.DataDir).
func dataDir(flagv string) (string, error) { return store.DataDir(flagv) }

func openStore(dataFlag string) (*store.Bolt, error) {
	dir, err := dataDir(dataFlag)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, storeFile), store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w: is `littleboxes run` (or the window) running on %s? Stop it first, or approve from the window", err, dir)
	}
	return st, err
}

// interspersed parses flags before or after positional arguments.
func interspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// needsSecrets reports whether any capability of a names a secret.
func needsSecrets(a *army.Army) bool {
	for _, c := range a.Capabilities {
		if len(c.Secrets) > 0 {
			return true
		}
	}
	return false
}

// secretsFor returns the vault over the OS keyring, or nil when the army
// needs no secret and the keyring cannot be reached.
func secretsFor(ctx context.Context, a *army.Army, st store.Store, red *vault.Redactor) (*vault.Vault, error) {
	if err := keyring.Check(ctx); err != nil {
		if !needsSecrets(a) {
			return nil, nil
		}
		return nil, fmt.Errorf("the army needs secrets: %w", err)
	}
	return vault.New(keyring.New(store.NewNameSet(st, store.BucketSecrets)), red), nil
}

const runUsage = `usage: littleboxes run ARMY.yaml [--data DIR]                       run the army until SIGINT/SIGTERM
       littleboxes run ARMY.yaml --once AGENT [--input JSON] [--data DIR]  run one agent once, print its result as JSON
`

// RunCommand implements `littleboxes run`. It returns the exit code: with
// --once, as exec's (0 ok, 1 the agent threw, 2 usage, 3 a limit).
func RunCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	once := fs.String("once", "", "run this `AGENT`'s run(input) once and exit")
	input := fs.String("input", "null", "the `JSON` input for --once")
	fs.Usage = func() { io.WriteString(stderr, runUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, err := interspersed(fs, args)
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
	red := vault.NewRedactor()
	logw := vault.NewWriter(stderr, red)
	defer logw.Flush()
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
		_ = logw.Flush()
	}
	opts := Options{Army: a, Store: st, Redactor: red, Logf: logf, Passive: *once != "", ArmyPath: path}
	v, err := secretsFor(ctx, a, st, red)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed
	}
	if v != nil {
		opts.Secrets = v
	}
	e, err := New(ctx, opts)
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
			for _, l := range res.Console {
				fmt.Fprintf(stderr, "[%s] %s\n", l.Level, l.Text)
			}
		}
		if err != nil {
			return runErrorCode(stderr, err)
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

func runErrorCode(w io.Writer, err error) int {
	var le *sandbox.LimitError
	switch {
	case errors.As(err, &le):
		fmt.Fprintf(w, "limit exceeded: %s: %s\n", le.Limit, le.Detail)
		return ExitLimit
	case errors.Is(err, sandbox.ErrNoEntry), errors.Is(err, ErrNoAgent):
		fmt.Fprintf(w, "error: %v\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(w, "error: %v\n", err)
		return ExitFailed
	}
}

const approvalsUsage = `usage: littleboxes approvals list [--all] [--data DIR]      list the pending approvals (--all: every decided one too)
       littleboxes approvals approve ID [--army FILE] [--data DIR]  perform a held effect
       littleboxes approvals deny ID [--army FILE] [--data DIR]     deny a held effect

approve and deny load the army the last run used (or --army FILE) to perform
the effect and run the agent's onApproval. They cannot run while
` + "`littleboxes run`" + ` holds the data directory.
`

// ApprovalsCommand implements `littleboxes approvals list|approve ID|deny ID`.
func ApprovalsCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
	fs.Usage = func() { io.WriteString(stderr, approvalsUsage) }
	pos, err := interspersed(fs, args[1:])
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
	if sub == "list" {
		efs, err := Approvals(st, !*all)
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
	path := *armyFile
	if path == "" {
		path = ArmyPath(st)
	}
	if path == "" {
		fmt.Fprintln(stderr, "littleboxes approvals: no army known: pass --army FILE")
		return ExitUsage
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	red := vault.NewRedactor()
	opts := Options{Army: a, Store: st, Redactor: red, Passive: true,
		Logf: func(f string, args ...any) { fmt.Fprintf(stderr, f+"\n", args...) }}
	v, err := secretsFor(ctx, a, st, red)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed
	}
	if v != nil {
		opts.Secrets = v
	}
	e, err := New(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", red.String(err.Error()))
		return ExitFailed
	}
	defer e.Close(context.Background())
	var ef Effect
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
	if ef.Status == StatusFailed {
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
