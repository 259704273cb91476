// Command littleboxes is a desktop app for a personal agent army.
//
// With no arguments (or only flags) it opens the desktop window; with a
// subcommand it runs the command-line interface (see package app/cli), which
// never initialises GTK, so it works with no display at all.
package main

import (
	"embed"
	"fmt"
	"os"
	"strings"

	"littleboxes/app"
	"littleboxes/app/cli"
)

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := app.RunWindow(assets, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "littleboxes:", err)
		os.Exit(1)
	}
}
