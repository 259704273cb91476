package cli

import (
	"flag"
	"fmt"

	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// inProcessFlag adds --in-process to fs.
func inProcessFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("in-process", false, "run agents in this process instead of worker processes (cells); for debugging")
}

// newRunner returns what runs agent invocations: a pool of cells (worker
// processes that can be capped and killed), or, with inProcess, this
// process. cells is the pool's size (0: one per CPU). close releases it.
func newRunner(inProcess bool, cells int, logf func(string, ...any)) (r sandbox.Runner, close func(), err error) {
	if inProcess {
		return sandbox.NewInProcess(), func() {}, nil
	}
	pool, err := cell.NewPool(cell.Options{Cells: cells, Logf: logf})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the cells that run agents: %w (--in-process runs them in this process)", err)
	}
	return pool, func() { _ = pool.Close() }, nil
}
