package army

import (
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with data atomically (a temporary
// file beside it, synced, then renamed over it), as army and code files are
// saved: a crash leaves the old file or the new one, never a mix. The file
// is readable by all (0644), as an army file in a project folder is.
func WriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
