// Command littleboxes is a desktop app for a personal agent army.
//
// With no arguments (or only flags) it opens the desktop window; `serve`
// serves the same app to a browser (package app/serve); any other subcommand runs
// the command-line interface (see package app/cli). Neither initialises
// GTK, so they work with no display at all.
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
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := app.RunWindow(assets, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "littleboxes:", err)
		os.Exit(1)
	}
}
