// Command littleboxes is a desktop app for a personal agent army.
//
// With no arguments (or only flags) it opens the desktop window; `serve`
// serves the same app to a browser (package app/serve); `daemon` runs the
// engine of a data directory, serving the local API on its socket (package
// app/daemon); any other subcommand runs the command-line interface (see
// package app/cli), whose long-lived `run` hosts that API too (app.HostRun).
// None but the window initialises GTK, so they work with no display at all.
package main

import (
	"embed"
	"fmt"
	"os"
	"strings"

	"littleboxes/app"
	"littleboxes/app/cli"
	"littleboxes/app/serve"
	_ "littleboxes/capabilities/standard" // every built-in capability kind, registered once, here
	"littleboxes/sandbox/cell"
)

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	cell.MaybeServe() // a worker process hosting isolates (hidden subcommand)
	os.Exit(dispatch(os.Args[1:]))
}

// dispatch runs littleboxes with args (the program name left out) and
// returns the exit code.
func dispatch(args []string) int {
	if len(args) > 0 && args[0] == "serve" {
		return serve.Main(assets, args[1:], os.Stdout, os.Stderr, app.Served)
	}
	if len(args) > 0 && args[0] == "daemon" {
		return app.RunDaemon(args[1:], os.Stdout, os.Stderr)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return cli.MainIO(args, cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Host: app.HostRun})
	}
	if err := app.RunWindow(assets, args); err != nil {
		fmt.Fprintln(os.Stderr, "littleboxes:", err)
		return 1
	}
	return 0
}
