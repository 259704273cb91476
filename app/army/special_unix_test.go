//go:build unix

package army

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCodeFileNotRegular: a code file that is a FIFO, a socket, a device or
// a folder is refused at once, without blocking on it (a FIFO with no
// writer used to hang Load for ever).
func TestCodeFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.ts"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock, err := net.Listen("unix", filepath.Join(dir, "sock.ts"))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	if err := os.Mkdir(filepath.Join(dir, "folder.ts"), 0o755); err != nil {
		t.Fatal(err)
	}
	device := syscall.Mknod(filepath.Join(dir, "null.ts"), syscall.S_IFCHR|0o666, 1<<8|3) == nil // /dev/null's numbers; root only
	// A FIFO reached through a symbolic link inside the folder.
	if err := os.Symlink("fifo.ts", filepath.Join(dir, "link.ts")); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, file, want string
		skip             bool
	}{
		{"fifo", "fifo.ts", "code file ./fifo.ts: not a regular file (a named pipe)", false},
		{"fifo through a link", "link.ts", "code file ./link.ts: not a regular file (a named pipe)", false},
		{"socket", "sock.ts", "code file ./sock.ts: not a regular file (a socket)", false},
		{"device", "null.ts", "code file ./null.ts: not a regular file (a device)", !device},
		{"folder", "folder.ts", "code file ./folder.ts: a folder, not a file", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip {
				t.Skip("cannot make a device node here (not root)")
			}
			army := filepath.Join(dir, c.name+".yaml")
			mustWrite(t, army, "name: t\nagents:\n  a:\n    code: ./"+c.file+"\n")
			done := make(chan error, 1)
			go func() { _, err := Load(army); done <- err }()
			select {
			case err := <-done:
				want := army + ":4:5: agents.a.code: " + c.want
				if err == nil || err.Error() != want {
					t.Errorf("Load = %v\nwant %s", err, want)
				}
			case <-time.After(5 * time.Second):
				// Unblock the reader so the goroutine ends.
				if f, err := os.OpenFile(filepath.Join(dir, c.file), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatalf("Load of an army whose code file is a %s has not returned after 5s", c.name)
			}
		})
	}
}
