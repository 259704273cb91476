package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/app/store"
)

// The one-shot commands (approvals, secret, run --once) are clients of the
// engine when one runs for the data directory (package app/daemon's
// socket): they do their work through its API, since it holds the store.
// When none runs, they do it in-process, as before, and leave nothing
// running.

// dialTimeout bounds connecting to the engine's socket.
const dialTimeout = 5 * time.Second

// dialEngine returns a client of the engine serving the data directory
// named by the --data flag, or nil (and no error) when none runs. An error
// means an engine's socket is there but cannot be trusted or reached.
func dialEngine(ctx context.Context, dataFlag string) (*daemon.Client, error) {
	dir, err := store.DataDirPath(dataFlag)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := daemon.Dial(ctx, dir)
	if errors.Is(err, daemon.ErrNotRunning) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the engine of %s: %w", dir, err)
	}
	return c, nil
}
