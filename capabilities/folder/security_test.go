//go:build linux

package folder_test

// The adversarial path suite: every way an agent's path could reach outside
// the folder, block the call, or exhaust the host. Written before the
// defence, and kept as its specification.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/folder"
)

// world is a folder and, beside it, an outside directory holding a secret
// that no call may read, list, find or change.
type world struct {
	root, outside string
	inst          capabilities.Instance
}

func newWorld(t *testing.T, extra string) *world {
	t.Helper()
	base := t.TempDir()
	w := &world{root: filepath.Join(base, "folder"), outside: filepath.Join(base, "outside")}
	put(t, w.outside, "secret.txt", secret+"\n")
	put(t, w.root, "notes/a.md", "# a\nhello\n")
	w.inst = newFolder(t, w.root, extra)
	return w
}

// untouched checks the outside directory holds only its secret, unchanged.
func (w *world) untouched(t *testing.T) {
	t.Helper()
	es, err := os.ReadDir(w.outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Name() != "secret.txt" {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Fatalf("the outside directory now holds %v", names)
	}
	if got := content(t, w.outside, "secret.txt"); got != secret+"\n" {
		t.Fatalf("the outside secret became %q", got)
	}
}

// everyPathCall calls every method that takes a path with p, and checks
// each fails with an error wrapping folder.ErrPath (a path refused as
// such) or, when escapes is false, any error; none may succeed.
func everyPathCall(t *testing.T, w *world, p string, sentinel error) {
	t.Helper()
	calls := []struct {
		method string
		args   []any
	}{
		{"read", []any{p}},
		{"read", []any{p, map[string]any{"bytes": true}}},
		{"write", []any{p, "x"}},
		{"list", []any{p}},
		{"glob", []any{p + "/*"}},
		{"stat", []any{p}},
		{"search", []any{"SECRET", map[string]any{"dir": p}}},
		{"replace", []any{p, "TOP", "X"}},
		{"diff", []any{map[string]any{"path": p}, "x"}},
		{"readJson", []any{p}},
		{"updateJson", []any{p, []any{map[string]any{"op": "set", "pointer": "/a", "value": 1.0}}}},
		{"planEdits", []any{[]any{map[string]any{"path": p, "content": "x"}}}},
		{"applyEditPlan", []any{map[string]any{"files": []any{map[string]any{"path": p, "before": nil, "after": "sha256:00", "diff": ""}}}}},
	}
	for _, c := range calls {
		got, err := capabilities.Call(context.Background(), w.inst, c.method, c.args)
		if err == nil {
			t.Errorf("%s(%q) = %#v, want it refused", c.method, p, got)
			continue
		}
		if sentinel != nil && !errors.Is(err, sentinel) {
			t.Errorf("%s(%q): err = %v, want one wrapping %v", c.method, p, err, sentinel)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s(%q): the error shows the secret: %v", c.method, p, err)
		}
	}
	w.untouched(t)
}

func TestAttackDotDot(t *testing.T) {
	w := newWorld(t, "")
	for _, p := range []string{"..", "../outside/secret.txt", "notes/../../outside/secret.txt", "notes/..", "./../outside", "notes/../..", "a/b/../../../outside/secret.txt"} {
		t.Run(p, func(t *testing.T) { everyPathCall(t, w, p, folder.ErrPath) })
	}
}

func TestAttackAbsolute(t *testing.T) {
	w := newWorld(t, "")
	for _, p := range []string{"/etc/passwd", filepath.Join(w.outside, "secret.txt"), "//etc/passwd", w.root + "/notes/a.md"} {
		t.Run(p, func(t *testing.T) { everyPathCall(t, w, p, folder.ErrPath) })
	}
}

func TestAttackMalformedNames(t *testing.T) {
	w := newWorld(t, "")
	for name, p := range map[string]string{
		"NUL":           "notes/a\x00.md",
		"newline":       "notes/a\n.md",
		"escape char":   "notes/\x1b[31m.md",
		"invalid UTF-8": "notes/\xff.md",
		"backslash":     `notes\..\..\outside`,
		"path too long": strings.Repeat("d/", 2100) + "f",
		"name too long": strings.Repeat("n", 256),
	} {
		t.Run(name, func(t *testing.T) { everyPathCall(t, w, p, folder.ErrPath) })
	}
}

func TestAttackSymlinkOut(t *testing.T) {
	w := newWorld(t, "")
	if err := os.Symlink(filepath.Join(w.outside, "secret.txt"), filepath.Join(w.root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside/secret.txt", filepath.Join(w.root, "notes", "rel.txt")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"link.txt", "notes/rel.txt"} {
		t.Run(p, func(t *testing.T) {
			for _, c := range []struct {
				method string
				args   []any
			}{
				{"read", []any{p}},
				{"readJson", []any{p}},
				{"write", []any{p, "overwritten"}},
				{"replace", []any{p, "TOP", "X"}},
				{"diff", []any{map[string]any{"path": p}, "x"}},
				{"planEdits", []any{[]any{map[string]any{"path": p, "content": "x"}}}},
			} {
				_, err := capabilities.Call(context.Background(), w.inst, c.method, c.args)
				if err == nil || strings.Contains(err.Error(), secret) {
					t.Errorf("%s(%q): err = %v, want a refusal without the secret", c.method, p, err)
				}
			}
			w.untouched(t)
		})
	}
	// stat describes the link itself, not its target.
	st := captest.MustCall(t, w.inst, "stat", "link.txt").(map[string]any)
	if st["type"] != "symlink" {
		t.Fatalf("stat of a symlink = %v, want type symlink", st)
	}
	// search and glob do not follow it.
	res := captest.MustCall(t, w.inst, "search", "SECRET").(map[string]any)
	if n := len(res["matches"].([]any)); n != 0 {
		t.Fatalf("search found %d matches through a symlink out: %v", n, res)
	}
}

func TestAttackSymlinkedParent(t *testing.T) {
	w := newWorld(t, "")
	if err := os.Symlink(w.outside, filepath.Join(w.root, "sub")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sub/secret.txt", "sub/new.txt", "sub/deeper/new.txt"} {
		t.Run(p, func(t *testing.T) { everyPathCall(t, w, p, folder.ErrPath) })
	}
	// The link itself may be described, but not listed, searched or globbed through.
	if st := captest.MustCall(t, w.inst, "stat", "sub").(map[string]any); st["type"] != "symlink" {
		t.Fatalf("stat sub = %v", st)
	}
	captest.CallErr(t, w.inst, "escapes", "list", "sub")
	captest.CallErr(t, w.inst, "escapes", "search", "SECRET", map[string]any{"dir": "sub"})
	captest.CallErr(t, w.inst, "escapes", "glob", "sub/*")
	// Walking the folder does not descend into it.
	g := captest.MustCall(t, w.inst, "glob", "**").(map[string]any)
	for _, p := range g["paths"].([]any) {
		if strings.HasPrefix(p.(string), "sub/") {
			t.Fatalf("glob ** went through the symlinked directory: %v", g)
		}
	}
	res := captest.MustCall(t, w.inst, "search", "SECRET").(map[string]any)
	if n := len(res["matches"].([]any)); n != 0 {
		t.Fatalf("search found %d matches through a symlinked directory", n)
	}
}

// TestAttackSymlinkSwap swaps a directory for a symlink out and back, as
// fast as it can, while reads and writes go through it: no read may see
// the secret and no write may land outside.
func TestAttackSymlinkSwap(t *testing.T) {
	w := newWorld(t, "")
	d := filepath.Join(w.root, "d")
	put(t, w.root, "d/secret.txt", "inside\n")
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	link := filepath.Join(w.root, "d.link")
	if err := os.Symlink(w.outside, link); err != nil {
		t.Fatal(err)
	}
	// RENAME_EXCHANGE swaps the two names atomically: "d" is always there,
	// a directory inside or a link out.
	if err := unix.Renameat2(unix.AT_FDCWD, link, unix.AT_FDCWD, d, unix.RENAME_EXCHANGE); err != nil {
		t.Skipf("renameat2 RENAME_EXCHANGE: %v", err)
	}
	var swaps atomic.Int64
	go func() { // owned by this test; ends when stop is set
		defer wg.Done()
		for !stop.Load() {
			if unix.Renameat2(unix.AT_FDCWD, link, unix.AT_FDCWD, d, unix.RENAME_EXCHANGE) == nil {
				swaps.Add(1)
			}
		}
	}()
	deadline := time.Now().Add(700 * time.Millisecond)
	reads, refused := 0, 0
	for time.Now().Before(deadline) {
		got, err := capabilities.Call(context.Background(), w.inst, "read", []any{"d/secret.txt"})
		if err != nil {
			refused++
		} else {
			reads++
			if got != "inside\n" {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("a read through the swapped directory returned %q", got)
			}
		}
		_, _ = capabilities.Call(context.Background(), w.inst, "write", []any{"d/new.txt", "x"})
		_, _ = capabilities.Call(context.Background(), w.inst, "search", []any{"SECRET"})
	}
	stop.Store(true)
	wg.Wait()
	w.untouched(t)
	t.Logf("%d swaps; %d reads got through (all inside), %d refused", swaps.Load(), reads, refused)
	if reads == 0 || refused == 0 {
		t.Fatalf("the race was not exercised: %d reads, %d refused", reads, refused)
	}
}

func TestAttackFIFO(t *testing.T) {
	w := newWorld(t, "")
	fifo := filepath.Join(w.root, "notes", "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	go func() { // owned by this test; ends when the calls return
		defer close(done)
		refused(t, w.inst, "not a regular file", "read", "notes/pipe")
		refused(t, w.inst, "not a regular file", "readJson", "notes/pipe")
		refused(t, w.inst, "not a regular file", "write", "notes/pipe", "x")
		refused(t, w.inst, "not a regular file", "replace", "notes/pipe", "a", "b")
		refused(t, w.inst, "not a regular file", "planEdits", []any{map[string]any{"path": "notes/pipe", "content": "x"}})
		refused(t, w.inst, "not a directory", "list", "notes/pipe")
		refused(t, w.inst, "not a directory", "search", "x", map[string]any{"dir": "notes/pipe"})
		refused(t, w.inst, "", "search", "hello")
		refused(t, w.inst, "", "glob", "**")
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		// Unblock a reader stuck in open by opening the write end.
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
		}
		<-done
		t.Fatal("a call blocked on a FIFO")
	}
	if st := captest.MustCall(t, w.inst, "stat", "notes/pipe").(map[string]any); st["type"] != "fifo" {
		t.Fatalf("stat of a FIFO = %v", st)
	}
}

func TestAttackDevice(t *testing.T) {
	w := newWorld(t, "")
	dev := filepath.Join(w.root, "zero")
	// /dev/zero is character device 1,5.
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o644, 1<<8|5); err != nil {
		t.Skipf("mknod (needs root): %v", err)
	}
	done := make(chan struct{})
	go func() { // owned by this test; ends when the calls return
		defer close(done)
		refused(t, w.inst, "not a regular file", "read", "zero")
		refused(t, w.inst, "not a regular file", "read", "zero", map[string]any{"bytes": true})
		refused(t, w.inst, "not a regular file", "write", "zero", "x")
		refused(t, w.inst, "", "search", "x")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a call read a device without end")
	}
	// Nor is a symlink to a device outside reachable.
	if err := os.Symlink("/dev/zero", filepath.Join(w.root, "devlink")); err != nil {
		t.Fatal(err)
	}
	captest.CallErr(t, w.inst, "escapes", "read", "devlink")
}

// TestAttackHardLink: a hard link in the folder to a file outside is the
// owner's doing and reads through it; but a write replaces the link (a
// temporary file renamed over it) and never changes the outside file.
func TestAttackHardLink(t *testing.T) {
	w := newWorld(t, "")
	if err := os.Link(filepath.Join(w.outside, "secret.txt"), filepath.Join(w.root, "hard.txt")); err != nil {
		t.Skipf("link: %v", err)
	}
	captest.MustCall(t, w.inst, "write", "hard.txt", "replaced")
	captest.MustCall(t, w.inst, "replace", "hard.txt", "replaced", "again")
	w.untouched(t)
	if got := content(t, w.root, "hard.txt"); got != "again" {
		t.Fatalf("hard.txt = %q", got)
	}
}

// TestWriteThroughInsideSymlink: a symlink within the folder may be read,
// but writing to the link's name is refused rather than replacing the link
// or its target behind the agent's back.
func TestWriteThroughInsideSymlink(t *testing.T) {
	w := newWorld(t, "")
	if err := os.Symlink("notes/a.md", filepath.Join(w.root, "alias.md")); err != nil {
		t.Fatal(err)
	}
	if got := captest.MustCall(t, w.inst, "read", "alias.md"); got != "# a\nhello\n" {
		t.Fatalf("read through an inside symlink = %q", got)
	}
	captest.CallErr(t, w.inst, "symbolic link", "write", "alias.md", "x")
	if got := content(t, w.root, "notes/a.md"); got != "# a\nhello\n" {
		t.Fatalf("the link's target became %q", got)
	}
}

func TestAttackLimits(t *testing.T) {
	w := newWorld(t, `"max_file_bytes": 100, "max_files": 5, "max_write_bytes": 150`)
	put(t, w.root, "big.txt", strings.Repeat("x", 101))
	captest.CallErr(t, w.inst, "over max_file_bytes (100)", "read", "big.txt")
	captest.CallErr(t, w.inst, "over max_file_bytes (100)", "readJson", "big.txt")
	captest.CallErr(t, w.inst, "over max_file_bytes (100)", "write", "w.txt", strings.Repeat("y", 101))
	if got := content(t, w.root, "w.txt"); got != "<missing>" {
		t.Fatalf("a refused write left %q", got)
	}
	for i := range 8 {
		put(t, w.root, "many/"+string(rune('a'+i))+".txt", "hello")
	}
	l := captest.MustCall(t, w.inst, "list", "many").(map[string]any)
	if n := len(l["entries"].([]any)); n != 5 || l["truncated"] != true {
		t.Fatalf("list of 8 with max_files 5: %d entries, truncated %v", n, l["truncated"])
	}
	g := captest.MustCall(t, w.inst, "glob", "many/*").(map[string]any)
	if n := len(g["paths"].([]any)); n != 5 || g["truncated"] != true {
		t.Fatalf("glob of 8 with max_files 5: %d paths, truncated %v", n, g["truncated"])
	}
	edits := []any{
		map[string]any{"path": "p1.txt", "content": strings.Repeat("a", 80)},
		map[string]any{"path": "p2.txt", "content": strings.Repeat("b", 80)},
	}
	captest.CallErr(t, w.inst, "over max_write_bytes (150)", "planEdits", edits)
	w.untouched(t)
}

// refused is for goroutines other than the test's: it reports with Errorf.
// An empty want means the call must succeed.
func refused(t *testing.T, inst capabilities.Instance, want, method string, args ...any) {
	_, err := capabilities.Call(context.Background(), inst, method, args)
	switch {
	case want == "" && err != nil:
		t.Errorf("%s%q: %v", method, args, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s%q: err = %v, want one containing %q", method, args, err, want)
	}
}
