package app

import (
	"context"

	"littleboxes/app/daemon"
)

// The seam of remote.go, set from package daemon: a front end attaches to
// the data directory's engine over its owner-only socket, or starts one.
func init() {
	engineDial = func(ctx context.Context, dir string) (engineClient, error) {
		c, err := daemon.Dial(ctx, dir)
		if err != nil {
			return nil, err // not a nil *Client in a non-nil interface
		}
		return c, nil
	}
	engineSpawn = func(ctx context.Context, exe, dir string, args ...string) (engineClient, error) {
		c, err := daemon.Spawn(ctx, exe, dir, args...)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	errEngineNotRunning = daemon.ErrNotRunning
}
