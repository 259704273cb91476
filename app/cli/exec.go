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
	"strings"

	"littleboxes/app/armyrun"
	"littleboxes/app/engine"
	"littleboxes/sandbox"
)

const execUsage = `usage: littleboxes exec FILE|- [--input JSON] [--timeout DURATION]

Runs the agent module's run(input, env, ctx) once with an empty env and
prints its result as JSON on stdout; console output goes to stderr.
A file ending in .ts (and stdin) is TypeScript; anything else is JavaScript.
Exit codes: 0 ok, 1 the agent threw or rejected, 2 usage or compile error,
3 a limit was hit.

Flags:
`

// cmdExec runs one agent module's run(input, env, ctx) once with an empty env
// and prints its result as JSON.
func cmdExec(args []string, std IO) int {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	input := fs.String("input", "null", "the `JSON` value passed to run() as input")
	timeout := fs.Duration("timeout", sandbox.DefaultDeadline, "the invocation's wall-clock deadline")
	entry := fs.String("entry", sandbox.EntryRun, "the method of the default export to call")
	inProcess := inProcessFlag(fs)
	fs.Usage = func() { io.WriteString(std.Stderr, execUsage); fs.PrintDefaults() }
	pos, code, done := parseArgs(fs, args, 1)
	if done {
		return code
	}
	var in any
	if err := json.Unmarshal([]byte(*input), &in); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes exec: --input is not valid JSON: %v\n", err)
		return ExitUsage
	}
	name, src, err := readModule(pos[0], std.Stdin)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes exec: %v\n", err)
		return ExitUsage
	}
	mod, err := sandbox.Compile(name, src)
	if err != nil {
		printCompileError(std.Stderr, err)
		return ExitUsage
	}
	runner, closeRunner, err := armyrun.NewRunner(*inProcess, 1, nil)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes exec: %v\n", err)
		return ExitFailed
	}
	defer closeRunner()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := runner.Run(ctx, &sandbox.Invocation{
		Module:  mod,
		Entry:   *entry,
		Input:   in,
		Context: map[string]any{"agent": strings.TrimSuffix(name, ".ts"), "trigger": "exec"},
		Limits:  sandbox.Limits{Deadline: *timeout},
	})
	printConsole(std.Stderr, res.Console)
	if err != nil {
		return reportRunError(std.Stderr, err)
	}
	out, err := json.MarshalIndent(res.Value, "", "  ")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes exec: encoding the result: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(std.Stdout, string(out))
	return ExitOK
}

// printConsole writes an invocation's console output: log and info lines
// as they are, the other levels tagged.
func printConsole(w io.Writer, lines []sandbox.ConsoleLine) {
	for _, l := range lines {
		if l.Level == "log" || l.Level == "info" {
			fmt.Fprintln(w, l.Text)
		} else {
			fmt.Fprintf(w, "[%s] %s\n", l.Level, l.Text)
		}
	}
}

// reportRunError prints an invocation's error and returns its exit code.
func reportRunError(w io.Writer, err error) int {
	var le *sandbox.LimitError
	var se *sandbox.ScriptError
	switch {
	case errors.As(err, &le):
		fmt.Fprintf(w, "limit exceeded: %s: %s\n", le.Limit, le.Detail)
		return ExitLimit
	case errors.As(err, &se):
		fmt.Fprintf(w, "error: %s\n", se.Error())
		if se.Stack != "" {
			fmt.Fprintln(w, "  "+strings.ReplaceAll(se.Stack, "\n", "\n  "))
		}
		return ExitFailed
	case errors.Is(err, sandbox.ErrNoEntry), errors.Is(err, engine.ErrNoAgent):
		fmt.Fprintf(w, "error: %v\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(w, "error: %v\n", err)
		return ExitFailed
	}
}

func printCompileError(w io.Writer, err error) {
	var ce *sandbox.CompileError
	if errors.As(err, &ce) {
		for _, m := range ce.Messages {
			fmt.Fprintf(w, "%s\n", m)
		}
		return
	}
	fmt.Fprintf(w, "compile: %v\n", err)
}

// readModule reads the module source from a file, or from stdin for "-".
func readModule(arg string, stdin io.Reader) (name, src string, err error) {
	const max = 4 << 20
	var r io.Reader
	if arg == "-" {
		name, r = "stdin.ts", stdin
	} else {
		f, err := os.Open(arg)
		if err != nil {
			return "", "", err
		}
		defer f.Close()
		name, r = arg, f
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > max {
		return "", "", fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	return name, string(b), nil
}

// parseArgs parses args as parseInterspersed does and wants exactly n
// positional arguments. done says the command ends here, with code: ExitOK
// after -h, ExitUsage after a bad flag or, the usage printed, a wrong count.
func parseArgs(fs *flag.FlagSet, args []string, n int) (pos []string, code int, done bool) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, ExitOK, true
	case err != nil:
		return nil, ExitUsage, true
	case len(pos) != n:
		fs.Usage()
		return nil, ExitUsage, true
	}
	return pos, 0, false
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("exec agent.ts --input 1" as well as "exec --input 1 agent.ts").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
