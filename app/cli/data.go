package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"littleboxes/app/daemon"
	"littleboxes/app/store"
)

// storeFile is the store's file name in the data directory.
const storeFile = store.FileName

// dataDir returns the data directory (see store.DataDir).
func dataDir(flag string) (string, error) { return store.DataDir(flag) }

// openStore opens the store in the data directory named by the --data flag.
// When another process holds it, the error says which: an engine serving
// the directory (whose pid it gives: most commands go through it, the
// caller cannot yet), or a process that serves no socket (the window with
// --no-daemon, an older run).
func openStore(dataFlag string) (*store.Bolt, error) {
	dir, err := dataDir(dataFlag)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, storeFile), store.Options{})
	if errors.Is(err, store.ErrLocked) {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		if c, derr := daemon.Dial(ctx, dir); derr == nil {
			defer c.Close()
			var pid int
			_ = c.Call(ctx, daemon.MethodPid, &pid)
			return nil, fmt.Errorf("%w: the engine (pid %d) runs on %s; most commands go through it, this one cannot yet: stop it first", err, pid, dir)
		}
		return nil, fmt.Errorf("%w: is the window, serve or `littleboxes run` (an older one) running on %s? Stop it first, or approve from the window", err, dir)
	}
	return st, err
}
