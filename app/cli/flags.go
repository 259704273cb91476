package cli

import (
	"flag"
	"io"
)

// commandFlags returns the flag set of command cmd: its errors go to stderr,
// and -h (or a misuse) prints usage, then "Flags:" and each flag's default.
func commandFlags(cmd, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, usage+"\nFlags:\n"); fs.PrintDefaults() }
	return fs
}

// dataFlag adds --data, the data directory, to fs.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
}
