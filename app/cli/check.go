package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"slices"

	"littleboxes/app/army"
	"littleboxes/app/flow"
	_ "littleboxes/capabilities/standard" // every built-in kind
	"littleboxes/examples"
)

// cmdCheck validates an army file and prints the flow analysis, running
// nothing: which agent can read what, and which sinks are safe and which
// need the owner's approval.
func cmdCheck(args []string, std IO) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	asJSON := fs.Bool("json", false, "print the analysis as JSON")
	fs.Usage = func() {
		fmt.Fprintln(std.Stderr, "usage: littleboxes check ARMY.yaml|EXAMPLE [--json]")
		fmt.Fprintln(std.Stderr, "\nValidates an army file and prints each agent's label and each sink's")
		fmt.Fprintln(std.Stderr, "verdict (safe, or held for approval) with the reason. Runs nothing.")
		fmt.Fprintf(std.Stderr, "EXAMPLE is one of the built-in armies: %v.\n", examples.Names())
		fmt.Fprintln(std.Stderr, "Exit codes: 0 the army is valid, 2 it is not (or usage).\n\nFlags:")
		fs.PrintDefaults()
	}
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
	path := pos[0]
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) && slices.Contains(examples.Names(), path) {
		dir, err := os.MkdirTemp("", "littleboxes-check-")
		if err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
		defer os.RemoveAll(dir)
		if path, err = examples.Materialize(path, dir); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintln(std.Stderr, err)
		return ExitUsage
	}
	ctx := context.Background()
	facts, cleanup, err := flow.StaticFacts(ctx, a)
	if err != nil {
		fmt.Fprintf(std.Stderr, "%s: %v\n", path, err)
		return ExitUsage
	}
	defer cleanup()
	an, err := flow.Analyze(a, facts)
	if err != nil {
		fmt.Fprintf(std.Stderr, "%s: %v\n", path, err)
		return ExitUsage
	}
	if *asJSON {
		b, err := an.JSON()
		if err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintln(std.Stdout, string(b))
		return ExitOK
	}
	fmt.Fprint(std.Stdout, an.Text())
	return ExitOK
}
