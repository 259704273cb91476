package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"littleboxes/app/army"
	"littleboxes/app/daemon"
)

// The armies an engine runs side by side: status lists them, stop stops
// one. Both need a running engine; they start none.

const statusUsage = `usage: littleboxes status [--data DIR]

Prints the data directory's engine (its pid and socket) and the armies it
runs side by side, one a line: name, agents, file; the one the window shows
is marked open. Exit 0 with an engine, 1 without one.
`

// cmdStatus implements `littleboxes status`.
func cmdStatus(args []string, std IO) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR`")
	fs.Usage = func() { io.WriteString(std.Stderr, statusUsage) }
	if _, code, done := parseArgs(fs, args, 0); done {
		return code
	}
	ctx := context.Background()
	c, code := needEngine(ctx, "status", *data, std.Stderr)
	if c == nil {
		return code
	}
	defer c.Close()
	var pid int
	if err := c.Call(ctx, daemon.MethodPid, &pid); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes status: %v\n", err)
		return ExitFailed
	}
	var rs []daemon.Running
	if err := c.Call(ctx, daemon.MethodListRunning, &rs); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes status: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(std.Stdout, "engine pid %d on %s\n", pid, c.Path())
	if len(rs) == 0 {
		fmt.Fprintln(std.Stdout, "no army runs")
	}
	for _, r := range rs {
		state := fmt.Sprintf("%d agents", r.Agents)
		if r.NotRunning != "" {
			state = "not running: " + r.NotRunning
		}
		open := ""
		if r.Open {
			open = "\topen"
		}
		fmt.Fprintf(std.Stdout, "%s\t%s\t%s%s\n", r.Name, state, r.Path, open)
	}
	return ExitOK
}

const stopUsage = `usage: littleboxes stop ARMY [--data DIR]

Stops ARMY (its name, or its file) in the data directory's engine; the
other armies keep running. It does not run again until started (littleboxes
run ARMY, or opened in the window), not even when the engine restarts.
`

// cmdStop implements `littleboxes stop ARMY`.
func cmdStop(args []string, std IO) int {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR`")
	fs.Usage = func() { io.WriteString(std.Stderr, stopUsage) }
	pos, code, done := parseArgs(fs, args, 1)
	if done {
		return code
	}
	name := pos[0]
	if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() && filepath.Ext(name) != "" {
		a, err := army.Load(name)
		if err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes stop: %v\n", err)
			return ExitUsage
		}
		name = a.Name
	}
	ctx := context.Background()
	c, code := needEngine(ctx, "stop", *data, std.Stderr)
	if c == nil {
		return code
	}
	defer c.Close()
	if err := c.Call(ctx, daemon.MethodStop, nil, name); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes stop: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(std.Stdout, "stopped army %s\n", name)
	return ExitOK
}

// needEngine returns a client of the data directory's engine, or nil and
// the exit code (ExitFailed) having said on stderr that none runs.
func needEngine(ctx context.Context, cmd, data string, stderr io.Writer) (*daemon.Client, int) {
	c, err := dialEngine(ctx, data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes %s: %v\n", cmd, err)
		return nil, ExitFailed
	}
	if c == nil {
		dir, _ := dataDir(data)
		fmt.Fprintf(stderr, "littleboxes %s: no engine runs for %s (littleboxes daemon, or run ARMY, starts one)\n", cmd, dir)
		return nil, ExitFailed
	}
	return c, ExitOK
}
