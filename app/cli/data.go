package cli

import (
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
	return store.Open(filepath.Join(dir, storeFile), store.Options{})
}
