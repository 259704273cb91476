package army

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ParseDraft reads an army as Parse does, for an army being edited: when the
// file itself could be read (its YAML, every field, every code file), it
// returns the army even when validation found problems in it (an agent
// without code yet, a missing required prop), together with those problems
// as an *Error. The army is nil only when the file could not be read; then
// the error lists why, as Parse's does.
func ParseDraft(data []byte, dir string) (*Army, error) {
	d := &decoder{dir: dir, pos: map[string]Pos{}}
	defer d.close()
	a := d.decode(data)
	if err := d.err(""); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errors.New("invalid army")
	}
	validate(a, &d.problems, d.pos)
	return a, d.err("")
}

// LoadDraft is Load for an army being edited: it reads the army file at
// path with ParseDraft, so an army whose file reads but does not validate
// comes back with its problems (an *Error whose File is path).
func LoadDraft(path string) (*Army, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading army: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("loading army %s: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("loading army %s: %w", path, err)
	}
	a, err := ParseDraft(data, dir)
	var e *Error
	if errors.As(err, &e) {
		e.File = path
	}
	return a, err
}
