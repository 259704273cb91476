package cli

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"littleboxes/examples"
)

// cmdRun runs an army headless, or one agent once. The army may be
// named as a built-in example, which is written once into the data dir.
func cmdRun(args []string, std IO) int {
	args, err := exampleArg(args, "--once", "--input")
	if err != nil {
		std.Stderr.Write([]byte("littleboxes run: " + err.Error() + "\n"))
		return ExitFailed
	}
	return runArmy(args, std.Stdout, std.Stderr, std.Host)
}

// cmdApprovals lists and decides the effects held for the owner.
func cmdApprovals(args []string, std IO) int {
	return approvals(args, std.Stdout, std.Stderr)
}

// exampleArg replaces the first positional argument by the path of the
// built-in example it names, materialized under DATA/examples/NAME, when no
// file of that name exists. valueFlags are the command's flags that take a
// value (besides --data).
func exampleArg(args []string, valueFlags ...string) ([]string, error) {
	data := ""
	pos := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--data" || a == "-data":
			if i+1 < len(args) {
				data = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--data=") || strings.HasPrefix(a, "-data="):
			data = a[strings.Index(a, "=")+1:]
		case strings.HasPrefix(a, "-"):
			if !strings.Contains(a, "=") && i+1 < len(args) && slices.Contains(valueFlags, "--"+strings.TrimLeft(a, "-")) {
				i++
			}
		case pos < 0:
			pos = i
		}
	}
	if pos < 0 {
		return args, nil
	}
	name := args[pos]
	if _, err := os.Stat(name); !errors.Is(err, iofs.ErrNotExist) || !slices.Contains(examples.Names(), name) {
		return args, nil
	}
	dir, err := dataDir(data)
	if err != nil {
		return nil, err
	}
	path, err := examples.Materialize(name, filepath.Join(dir, "examples", name))
	if err != nil {
		return nil, err
	}
	out := append([]string(nil), args...)
	out[pos] = path
	return out, nil
}
