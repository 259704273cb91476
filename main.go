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
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(serve.Main(assets, os.Args[2:], os.Stdout, os.Stderr, app.Served))
	}
	if len(os.Args) > 1 && os.Args[1] == "daemon" {
		os.Exit(app.RunDaemon(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(cli.MainIO(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Host: app.HostRun}))
	}
	if err := app.RunWindow(assets, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "littleboxes:", err)
		os.Exit(1)
	}
}
