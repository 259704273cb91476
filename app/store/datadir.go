package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the store's file name in the data directory.
const FileName = "littleboxes.db"

// DataDir returns littleboxes' data directory, creating it (mode 0700) if
// needed: dir (a --data flag) if set, else $XDG_DATA_HOME/littleboxes, else
// ~/.local/share/littleboxes. A relative XDG_DATA_HOME is ignored, as the
// XDG Base Directory spec says.
func DataDir(dir string) (string, error) {
	dir, err := DataDirPath(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return dir, nil
}

// DataDirPath is DataDir without creating the directory: for readers that
// must leave the disk as they found it.
func DataDirPath(dir string) (string, error) {
	if dir == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" || !filepath.IsAbs(base) {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the data directory: %w (use --data DIR)", err)
			}
			base = filepath.Join(home, ".local", "share")
		}
		dir = filepath.Join(base, "littleboxes")
	}
	return dir, nil
}
