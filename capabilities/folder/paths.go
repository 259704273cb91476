package folder

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Path limits.
const (
	// MaxPathBytes is the longest path an agent may give.
	MaxPathBytes = 4096
	// MaxNameBytes is the longest component of a path.
	MaxNameBytes = 255
)

// cleanPath checks an agent's path and returns it cleaned, relative to the
// folder ("." for the folder itself). emptyOK allows "" (the folder).
func cleanPath(op, p string, emptyOK bool) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("folder %s %q: %w: %s", op, printable(p), ErrPath, why)
	}
	switch {
	case p == "" && emptyOK:
		return ".", nil
	case p == "":
		return bad("the path is empty")
	case len(p) > MaxPathBytes:
		return bad(fmt.Sprintf("the path is %d bytes, over %d", len(p), MaxPathBytes))
	case !utf8.ValidString(p):
		return bad("the path is not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return bad("absolute paths are refused: give a path relative to the folder (\"notes/a.md\")")
	case strings.Contains(p, `\`):
		return bad(`a backslash is refused: separate directories with "/"`)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return bad("the path holds a control character")
		}
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return bad(`".." is refused: paths stay inside the folder`)
		}
		if len(c) > MaxNameBytes {
			return bad(fmt.Sprintf("a name is %d bytes, over %d", len(c), MaxNameBytes))
		}
	}
	return path.Clean(p), nil
}

// printable shortens and escapes a path for an error message.
func printable(p string) string {
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	return strings.ToValidUTF8(p, "\uFFFD")
}

// fsErr gives an error from the os.Root context: a path that escapes the
// folder (through a symbolic link) wraps ErrPath, and the folder's own
// location never shows.
func (f *Folder) fsErr(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "escapes from parent"):
		return fmt.Errorf("folder %s %q: %w: it leads outside the folder (through a symbolic link); the path escapes", op, p, ErrPath)
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("folder %s %q: %w: too many symbolic links", op, p, ErrPath)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("folder %s %q: %w", op, p, fs.ErrNotExist)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("folder %s %q: a part of the path is not a directory: %w", op, p, fs.ErrNotExist)
	}
	return fmt.Errorf("folder %s %q: %w", op, p, err)
}

// kindOf names a file mode's type as the agent sees it.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "other"
}

// file is a regular file's content as read.
type file struct {
	data []byte
	mode fs.FileMode
}

// readRegular reads the regular file at p (cleaned), up to max_file_bytes.
// It opens with O_NONBLOCK and checks with fstat before reading, so a FIFO
// or device is refused and never blocks.
func (f *Folder) readRegular(op, p string) (file, error) {
	root, err := f.rootFor(op)
	if err != nil {
		return file{}, err
	}
	// Stat first, so that a FIFO or device is not even opened (opening
	// some devices has effects); then fstat what was opened, which is what
	// counts if the path was swapped in between.
	if fi, err := root.Stat(p); err != nil {
		return file{}, f.fsErr(op, p, err)
	} else if !fi.Mode().IsRegular() {
		return file{}, fmt.Errorf("folder %s %q: %w (it is a %s)", op, p, ErrNotRegular, kindOf(fi.Mode()))
	}
	fh, err := root.OpenFile(p, os.O_RDONLY|openFileFlags, 0)
	if err != nil {
		return file{}, f.fsErr(op, p, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return file{}, f.fsErr(op, p, err)
	}
	if !fi.Mode().IsRegular() {
		return file{}, fmt.Errorf("folder %s %q: %w (it is a %s)", op, p, ErrNotRegular, kindOf(fi.Mode()))
	}
	max := f.maxFileBytes()
	if fi.Size() > max {
		return file{}, fmt.Errorf("folder %s %q: %w: the file is %d bytes, over max_file_bytes (%d)", op, p, ErrTooLarge, fi.Size(), max)
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+512))
	_, err = buf.ReadFrom(io.LimitReader(fh, max+1))
	data := buf.Bytes()
	if err != nil {
		return file{}, f.fsErr(op, p, err)
	}
	if int64(len(data)) > max {
		return file{}, fmt.Errorf("folder %s %q: %w: the file grew over max_file_bytes (%d)", op, p, ErrTooLarge, max)
	}
	return file{data: data, mode: fi.Mode().Perm()}, nil
}

// current reads the file at p if there is one: ok is false when nothing is
// there (no error); anything that is there must be a regular file.
func (f *Folder) current(op, p string) (fl file, ok bool, err error) {
	fl, err = f.readRegular(op, p)
	if errors.Is(err, fs.ErrNotExist) {
		return file{}, false, nil
	}
	if err != nil {
		return file{}, false, err
	}
	return fl, true, nil
}

// currentText is current for a file that must be UTF-8 text.
func (f *Folder) currentText(op, p string) (fl file, ok bool, err error) {
	fl, ok, err = f.current(op, p)
	if err != nil {
		return file{}, false, err
	}
	if !utf8.Valid(fl.data) {
		return file{}, false, fmt.Errorf("folder %s %q: the file is not UTF-8 text", op, p)
	}
	return fl, ok, nil
}

// target checks that the folder may be written and returns args[0], the
// path to write, cleaned.
func (f *Folder) target(op string, args []any) (string, error) {
	if err := f.writable(op); err != nil {
		return "", err
	}
	return cleanPath(op, args[0].(string), false)
}

// checkWritable checks that p may be replaced by a write: nothing is there,
// or a regular file (not a symbolic link, directory, FIFO or device).
func (f *Folder) checkWritable(op, p string) error {
	root, err := f.rootFor(op)
	if err != nil {
		return err
	}
	if p == "." {
		return fmt.Errorf("folder %s: %w: the folder itself is not a file", op, ErrNotRegular)
	}
	fi, err := root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // writeAtomic reports a parent that is a file
	}
	if err != nil {
		return f.fsErr(op, p, err)
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("folder %s %q: %w: it is a symbolic link; write to the file it points to", op, p, ErrNotRegular)
	default:
		return fmt.Errorf("folder %s %q: %w (it is a %s)", op, p, ErrNotRegular, kindOf(m))
	}
}

// writeAtomic writes data to p (cleaned and checked by checkWritable): the
// missing parent directories are made, then a temporary file in the same
// directory is written, fsynced and renamed over p, and the directory is
// fsynced. It returns the directories it made, outermost first, for a
// rollback to remove.
func (f *Folder) writeAtomic(op, p string, data []byte, perm fs.FileMode) (made []string, err error) {
	root, err := f.rootFor(op)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > f.maxFileBytes() {
		return nil, fmt.Errorf("folder %s %q: %w: %d bytes, over max_file_bytes (%d)", op, p, ErrTooLarge, len(data), f.maxFileBytes())
	}
	dir := path.Dir(p)
	if dir != "." {
		parts := strings.Split(dir, "/")
		for i := range parts {
			d := strings.Join(parts[:i+1], "/")
			err := root.Mkdir(d, 0o755)
			if err == nil {
				made = append(made, d)
				continue
			}
			if errors.Is(err, fs.ErrExist) {
				fi, serr := root.Stat(d)
				if serr == nil && fi.IsDir() {
					continue
				}
				f.removeDirs(made)
				if serr != nil {
					return nil, f.fsErr(op, p, serr)
				}
				return nil, fmt.Errorf("folder %s %q: %q is not a directory", op, p, d)
			}
			f.removeDirs(made)
			return nil, f.fsErr(op, p, err)
		}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, ".lbx-"+hex.EncodeToString(rnd[:])+".tmp")
	fh, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		f.removeDirs(made)
		return nil, f.fsErr(op, p, err)
	}
	fail := func(err error) ([]string, error) {
		_ = fh.Close()
		_ = root.Remove(tmp)
		f.removeDirs(made)
		return nil, f.fsErr(op, p, err)
	}
	if _, err := fh.Write(data); err != nil {
		return fail(err)
	}
	if err := fh.Sync(); err != nil {
		return fail(err)
	}
	if err := fh.Close(); err != nil {
		_ = root.Remove(tmp)
		f.removeDirs(made)
		return nil, f.fsErr(op, p, err)
	}
	if err := root.Rename(tmp, p); err != nil {
		_ = root.Remove(tmp)
		f.removeDirs(made)
		return nil, f.fsErr(op, p, err)
	}
	if d, err := root.Open(dir); err == nil {
		_ = d.Sync() // best effort: the rename is done
		_ = d.Close()
	}
	return made, nil
}

// removeDirs removes directories a write made, innermost first, if empty.
func (f *Folder) removeDirs(made []string) {
	root := f.root.Load()
	if root == nil {
		return
	}
	for i := len(made) - 1; i >= 0; i-- {
		_ = root.Remove(made[i])
	}
}

// hashOf is the hash a plan records: "sha256:" and the hex digest.
func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
