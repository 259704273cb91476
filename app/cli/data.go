package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"littleboxes/app/store"
)

// storeFile is the store's file name in the data directory.
const storeFile = store.FileName

// dataDir returns the data directory (see store.DataDir).
func dataDir(flag string) (string, error) { return store.DataDir(flag) }

// openStore opens the store in the data directory named by the --data flag.
func openStore(dataFlag string) (*store.Bolt, error) {
	dir, err := dataDir(dataFlag)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, storeFile), store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w: is `littleboxes run` (or the window) running on %s? Stop it first, or approve from the window", err, dir)
	}
	return st, err
}
