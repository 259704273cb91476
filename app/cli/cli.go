// Package cli is littleboxes' command-line interface: every subcommand of the
// binary but the desktop window. Nothing here touches GTK or Wails.
package cli

import (
	"fmt"
	"io"

	"littleboxes/app/daemon"
)

// Exit codes shared by the subcommands.
const (
	ExitOK      = 0 // success
	ExitFailed  = 1 // the agent threw or rejected, or the command failed
	ExitUsage   = 2 // usage error, compile error, invalid input
	ExitLimit   = 3 // the agent hit a limit
	exitUnknown = ExitUsage
)

// IO is where a command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Host, when set, lets a long-lived `run ARMY` serve the local API
	// while it runs (main hands it package app's HostRun); nil: run holds
	// the store alone, as before.
	Host daemon.Host
}

type command struct {
	name    string
	summary string
	run     func(args []string, io IO) int
}

func commands() []command {
	return []command{
		{"exec", "run one agent module once, print its result as JSON", cmdExec},
		{"check", "validate an army file and print the flow verdicts, run nothing", cmdCheck},
		{"run", "run an army headless until stopped, or one agent once (--once)", cmdRun},
		{"status", "the engine's pid and the armies it runs side by side", cmdStatus},
		{"stop", "stop one army in the engine; the others keep running", cmdStop},
		{"approvals", "list, approve or deny effects held for the owner", cmdApprovals},
		{"bench", "print the performance figures", cmdBench},
		{"secret", "set, list or delete a secret in the OS keyring", cmdSecret},
		{"kv", "list the kv namespaces and their labels, or clear one", cmdKV},
		{"service", "run the engine from login as a user service: install, uninstall, status", cmdService},
		{"write", "a model writes an agent's code from a description, dry-run first", cmdWrite},
		{"runs", "list an agent's recent runs, with a model's attempts", cmdRuns},
		{"mcp", "serve an agent as an MCP server (search + execute), over stdio or loopback HTTP", cmdMCP},
	}
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainIO(args, IO{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// MainIO is Main with std, its Host included.
func MainIO(args []string, std IO) int {
	stdout, stderr := std.Stdout, std.Stderr
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], std)
		}
	}
	fmt.Fprintf(stderr, "littleboxes: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUnknown
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: littleboxes                 open the desktop window")
	// serve lives in package app/serve (main routes it there): it serves the window's API.
	fmt.Fprintf(w, "       littleboxes %-14s %s\n", "serve", "the app in a browser, on loopback, behind a token")
	// daemon lives in package app (main routes it there): the engine and its local API.
	fmt.Fprintf(w, "       littleboxes %-14s %s\n", "daemon", "run the engine of a data directory, serving the local API on its socket")
	for _, c := range commands() {
		fmt.Fprintf(w, "       littleboxes %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'littleboxes COMMAND -h' for a command's flags.")
}
