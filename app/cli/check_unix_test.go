//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckFIFOCode: check and run of an army whose code file is a named
// pipe fail at once, naming it, instead of waiting for ever for a writer.
func TestCheckFIFOCode(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "a.ts"), 0o644); err != nil {
		t.Fatal(err)
	}
	army := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(army, []byte("name: t\nagents:\n  a:\n    triggers: [manual]\n    code: ./a.ts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", army},
		{"run", "--data", filepath.Join(dir, "data"), "--once", "a", army},
	} {
		t.Run(args[0], func(t *testing.T) {
			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, stdout, stderr := runMain(t, "", args...)
				done <- result{code, stdout, stderr}
			}()
			select {
			case r := <-done:
				want := army + ":5:5: agents.a.code: code file ./a.ts: not a regular file (a named pipe)"
				if r.code != ExitUsage || !strings.Contains(r.stderr, want) {
					t.Errorf("%s: exit %d, stderr:\n%s\nwant exit %d and %s", args[0], r.code, r.stderr, ExitUsage, want)
				}
			case <-time.After(10 * time.Second):
				if f, err := os.OpenFile(filepath.Join(dir, "a.ts"), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatalf("littleboxes %s has not returned after 10s", args[0])
			}
		})
	}
}
