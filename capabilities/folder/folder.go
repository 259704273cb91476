// Package folder is the capability kind "folder": one directory of the
// owner's machine, which an agent reads, searches and edits through paths
// relative to it, and never leaves.
//
// # Paths
//
// An agent names files by slash-separated paths relative to the folder
// ("notes/today.md"). A path that is absolute, holds a ".." component, a
// backslash, a NUL or another control character, is not UTF-8, or is over
// 4096 bytes (a component over 255) is refused before anything is opened
// (ErrPath). The rest are opened through an os.Root on the folder, which
// walks each component with openat and O_NOFOLLOW: a symbolic link is
// followed only while it stays inside the folder, so a link out (to a file
// or to a parent directory), or one swapped in between a check and a use,
// is refused by the kernel walk itself rather than by a check that could
// race. The folder's own path may be a symbolic link: it is resolved once,
// when the instance is provisioned.
//
// Only regular files are read or written. A file is stat'ed first (what is
// not a regular file is never opened), then opened with O_NONBLOCK and
// checked again with fstat before a byte is read, so a FIFO or a device,
// even one swapped in between, is refused without blocking (ErrNotRegular). Writing to the name of a
// symbolic link is refused too (write to its target). Every write is atomic:
// a temporary file in the same directory, written, fsynced and renamed over
// the old one (which replaces a hard link rather than writing through it),
// then the directory fsynced.
//
// Limits: max_file_bytes bounds every file read or written, max_files the
// entries list and glob return and the files a search reads, and
// max_write_bytes the bytes one call writes (one plan's files together).
//
// # Methods and flow
//
// read, list, glob, stat, search, diff, readJson and planEdits are sources:
// what they return is readable by the instance's Label, the owner and the
// props' readers (everyone who can read the folder). write, replace,
// updateJson and applyEditPlan are sinks: what they write is seen by the
// Audience, the same principals. The folder is a shared store as a kv
// namespace is (Flow.Shared is "folder:" and its resolved path): every agent
// bound to the same folder can read what any of them writes.
//
// A method's role is fixed, so replace always writes; its dry run is
// planEdits with a replace edit, a source that returns the diff and writes
// nothing. planEdits returns a plan of plain data (each file's path, the
// SHA-256 of its content before and after, and the unified diff between),
// and applyEditPlan applies one all-or-nothing: it rebuilds each file's new
// content by applying the plan's diff to the file as it is now, refuses the
// plan if any file's hash differs from the plan's (it changed since) or the
// result's hash differs from the plan's (the plan was altered), and if a
// write fails half-way it restores every file it had written. What a held
// applyEditPlan will do is therefore exactly the diffs in its argument,
// which the approval card shows.
//
// With read_only, the writing methods stay in the table (a kind's table is
// the same for every instance) but throw ErrReadOnly, and the Audience is the
// owner alone, since nothing is ever written.
//
// # Readers
//
// readers names who besides the owner can read the folder (it is synced to a
// shared drive, or published): an email address is that person
// (capabilities.Person), an origin such as "https://notes.example.com" that
// site (capabilities.Origin), "public" everyone, and "agent:NAME" an agent
// of the army. Any other word is refused, for a name that matches no
// principal would silently match nothing.
package folder

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"littleboxes/capabilities"
)

// ID is the kind's id.
const ID = "folder"

// Defaults and ceilings of the props.
const (
	// DefaultMaxFileBytes is max_file_bytes when unset: 1 MiB.
	DefaultMaxFileBytes = 1 << 20
	// MaxFileBytesCeiling is the largest max_file_bytes allowed: 64 MiB.
	MaxFileBytesCeiling = 64 << 20
	// DefaultMaxFiles is max_files when unset.
	DefaultMaxFiles = 1000
	// MaxFilesCeiling is the largest max_files allowed.
	MaxFilesCeiling = 100000
	// DefaultMaxWriteBytes is max_write_bytes when unset: 8 MiB.
	DefaultMaxWriteBytes = 8 << 20
	// MaxWriteBytesCeiling is the largest max_write_bytes allowed: 256 MiB.
	MaxWriteBytesCeiling = 256 << 20
	// MaxReaders bounds the readers prop.
	MaxReaders = 100
)

// Sentinel errors, for callers that test what went wrong.
var (
	// ErrPath: a path that is malformed or leaves the folder.
	ErrPath = errors.New("path refused")
	// ErrNotRegular: a FIFO, device, socket or directory where a regular
	// file is needed, or a write to a symbolic link's name.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: over max_file_bytes, max_files or max_write_bytes.
	ErrTooLarge = errors.New("over a limit")
	// ErrReadOnly: a write to a read_only folder.
	ErrReadOnly = errors.New("the folder is read-only")
	// ErrStale: a plan whose files changed since it was made, or whose
	// diffs do not give the content it promised.
	ErrStale = errors.New("the plan does not match the folder")
	// ErrNoMatch: a replace that found nothing, or not what it expected.
	ErrNoMatch = errors.New("no match")
	// ErrClosed: a call after Cleanup.
	ErrClosed = errors.New("the folder capability was closed")
)

// Folder is a folder capability instance; its exported fields are the props.
type Folder struct {
	Path          string   `json:"path" doc:"The folder, as an absolute path (~ is not expanded). It may be a symbolic link, resolved once when the army starts. Agents name files relative to it and cannot reach outside it."`
	ReadOnly      bool     `json:"read_only,omitempty" doc:"When true, write, replace, updateJson and applyEditPlan throw; agents only read."`
	MaxFileBytes  int64    `json:"max_file_bytes,omitempty" doc:"The largest file read or written, in bytes; 0 or unset means 1048576 (1 MiB), at most 67108864 (64 MiB)."`
	MaxFiles      int      `json:"max_files,omitempty" doc:"The most entries list and glob return and files search reads in one call; 0 or unset means 1000, at most 100000."`
	MaxWriteBytes int64    `json:"max_write_bytes,omitempty" doc:"The most bytes one call writes (all of a plan's files together); 0 or unset means 8388608 (8 MiB), at most 268435456 (256 MiB)."`
	Consequential *bool    `json:"consequential,omitempty" doc:"false declares writes not consequential: they are never held because someone other than the owner wrote what the agent read. Default true."`
	Readers       []string `json:"readers,omitempty" doc:"Who besides the owner can read the folder (a synced or shared folder): email addresses, origins (https://host), \"public\" or agent:NAME. What agents read from it is labelled with them and the owner, and what they write is seen by them."`

	// Set by Provision.
	resolved string
	root     atomic.Pointer[os.Root] // nil before Provision and after Cleanup
	mu       sync.Mutex              // serialises writes: one plan applies at a time
	// hookBeforeWrite, when set (by tests), runs before the i-th file of an
	// applied plan is written; an error fails that write.
	hookBeforeWrite func(i int, path string) error
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:    ID,
		Doc:   "One folder of files: read, search and edit files inside it (never outside), with atomic writes and all-or-nothing edit plans.",
		New:   func() capabilities.Instance { return new(Folder) },
		Table: table,
	})
}

// CheckProps implements capabilities.PropsChecker.
func (f *Folder) CheckProps(map[string]string) error {
	var ps capabilities.Problems
	switch {
	case f.Path == "":
		ps.Addf("path", "path is required: the folder's absolute path")
	case strings.ContainsRune(f.Path, 0):
		ps.Addf("path", "path holds a NUL byte")
	case !filepath.IsAbs(f.Path):
		ps.Addf("path", "path %q must be absolute: there is no army folder to resolve a relative path against", f.Path)
	case filepath.Clean(f.Path) == string(filepath.Separator):
		ps.Addf("path", "path may not be the filesystem's root: give the folder the agents need")
	}
	capabilities.CheckLimit(&ps, "max_file_bytes", f.MaxFileBytes, MaxFileBytesCeiling, DefaultMaxFileBytes)
	capabilities.CheckLimit(&ps, "max_files", f.MaxFiles, MaxFilesCeiling, DefaultMaxFiles)
	capabilities.CheckLimit(&ps, "max_write_bytes", f.MaxWriteBytes, MaxWriteBytesCeiling, DefaultMaxWriteBytes)
	if len(f.Readers) > MaxReaders {
		ps.Addf("readers", "readers has %d entries, at most %d", len(f.Readers), MaxReaders)
	}
	for i, r := range f.Readers {
		if _, err := Reader(r); err != nil {
			ps.Addf(fmt.Sprintf("readers[%d]", i), "readers[%d]: %v", i, err)
		}
	}
	return ps.Err()
}

// Reader returns the principal a readers entry names: an email address is
// a person, an http(s) origin a site, "public" everyone, "owner" the owner
// and "agent:NAME" an agent.
func Reader(s string) (capabilities.Principal, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "public":
		return capabilities.Public, nil
	case s == "owner":
		return capabilities.Owner, nil
	case strings.HasPrefix(s, "agent:") && len(s) > len("agent:"):
		return capabilities.Agent(strings.TrimPrefix(s, "agent:")), nil
	case strings.Contains(s, "://"):
		// The origin as the http kind writes it, so that a reader is the
		// same principal as the site's own requests.
		o, err := capabilities.NormalizeOrigin(s)
		if err != nil {
			return "", err
		}
		return capabilities.Origin(o), nil
	case strings.Contains(s, "@"):
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return "", fmt.Errorf("%q is not a bare email address (name@example.com)", s)
		}
		return capabilities.Person(a.Address), nil
	}
	return "", fmt.Errorf("%q is not a reader: want an email address, an origin (https://host), \"public\" or agent:NAME", s)
}

// Flow implements capabilities.Instance: the folder's readers (and the
// owner) read what it holds and see what is written to it; a read-only
// folder's audience is the owner alone. The folder is a shared store, named
// by its resolved path once provisioned.
func (f *Folder) Flow() capabilities.Flow {
	ps := []capabilities.Principal{capabilities.Owner}
	for _, r := range f.Readers {
		if p, err := Reader(r); err == nil { // CheckProps refuses the rest
			ps = append(ps, p)
		}
	}
	label := capabilities.NewLabel(ps...)
	audience := label
	if f.ReadOnly {
		audience = capabilities.NewLabel(capabilities.Owner)
	}
	where := f.resolved
	if where == "" {
		where = filepath.Clean(f.Path)
	}
	// Whoever can read a shared folder may write it too (a synced folder):
	// its readers other than the owner are the writers of what it holds.
	return capabilities.Flow{Label: label, Audience: audience, Shared: "folder:" + where, External: true,
		Writers: capabilities.Join(label), Inconsequential: f.Consequential != nil && !*f.Consequential}
}

// Provision implements capabilities.Provisioner: it resolves the folder's
// path once (it may be a symbolic link) and opens it as an os.Root.
func (f *Folder) Provision(context.Context, *capabilities.Host) error {
	resolved, err := filepath.EvalSymlinks(f.Path)
	if err != nil {
		return fmt.Errorf("folder %s: %w", f.Path, err)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return fmt.Errorf("folder %s: %w", f.Path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("folder %s: not a directory", f.Path)
	}
	root, err := os.OpenRoot(resolved)
	if err != nil {
		return fmt.Errorf("folder %s: %w", f.Path, err)
	}
	f.resolved = resolved
	f.root.Store(root)
	return nil
}

// Cleanup implements capabilities.CleanerUpper: it closes the folder.
func (f *Folder) Cleanup() error {
	f.mu.Lock() // let a write under way finish
	defer f.mu.Unlock()
	if root := f.root.Swap(nil); root != nil {
		return root.Close()
	}
	return nil
}

// rootFor returns the open folder, or an error naming op.
func (f *Folder) rootFor(op string) (*os.Root, error) {
	root := f.root.Load()
	if root == nil {
		return nil, fmt.Errorf("folder %s: %w", op, ErrClosed)
	}
	return root, nil
}

// writable returns an error unless the folder may be written.
func (f *Folder) writable(op string) error {
	if f.ReadOnly {
		return fmt.Errorf("folder %s: %w (read_only is set in its props): nothing was written", op, ErrReadOnly)
	}
	return nil
}

func (f *Folder) maxFileBytes() int64 { return capabilities.Limit(f.MaxFileBytes, DefaultMaxFileBytes) }

func (f *Folder) maxFiles() int { return capabilities.Limit(f.MaxFiles, DefaultMaxFiles) }

func (f *Folder) maxWriteBytes() int64 {
	return capabilities.Limit(f.MaxWriteBytes, DefaultMaxWriteBytes)
}

// Interface guards.
var (
	_ capabilities.Instance     = (*Folder)(nil)
	_ capabilities.Provisioner  = (*Folder)(nil)
	_ capabilities.PropsChecker = (*Folder)(nil)
	_ capabilities.CleanerUpper = (*Folder)(nil)
)
