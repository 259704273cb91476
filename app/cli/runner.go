package cli

import "flag"

// inProcessFlag adds --in-process to fs.
func inProcessFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("in-process", false, "run agents in this process instead of worker processes (cells); for debugging")
}
