// Package daemon is the local API's transport and lifecycle: one engine
// per data directory serves the bound API on a Unix socket, and every
// front end (the CLI, the window, serve, the MCP server) is a client of it.
// tailscaled's LocalAPI is the model.
//
// The socket is DATA/littleboxes.sock (SocketPath). A Unix socket's path
// must be shorter than 104 bytes (the smallest sun_path, macOS's); when
// DATA's is not, the socket goes under $XDG_RUNTIME_DIR (else os.TempDir)
// in a directory littleboxes-UID of the owner's, named by a hash of the
// data directory. It is owner-only: the socket file is 0600, its directory
// must belong to the owner, and every connection has its peer's
// credentials checked (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS): a
// connection from another uid is closed at once. A client checks the
// server's uid the same way before it trusts the socket.
//
// Who serves is decided by a lock file beside the socket
// (littleboxes.sock.lock, flock'd for the life of the listener): the
// process holding it is the engine; a second one gets ErrRunning. The
// kernel drops the lock when the engine dies, kill -9 included, so a stale
// socket left behind is removed by the next Listen.
//
// The protocol is package serve's, spoken over the socket: POST
// /api/call/METHOD with the JSON array of the arguments (a JSON result, or
// {"error": TEXT}), and GET /api/events for the server-sent events.
package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// SocketName is the socket's file name in the data directory.
const SocketName = "littleboxes.sock"

// maxSocketPath is the longest socket path used as is: sun_path is 108
// bytes on Linux and 104 on macOS, the terminating NUL included.
const maxSocketPath = 103

// ErrRunning is the error of Listen when another engine serves the data
// directory.
var ErrRunning = errors.New("an engine is already running for this data directory")

// ErrNotRunning is the error of Dial when no engine answers.
var ErrNotRunning = errors.New("no engine is running for this data directory")

// RunningError is ErrRunning with the engine's pid, when known.
type RunningError struct {
	Dir string
	Pid int // 0: unknown
}

func (e *RunningError) Error() string {
	if e.Pid > 0 {
		return fmt.Sprintf("%v (%s, pid %d)", ErrRunning, e.Dir, e.Pid)
	}
	return fmt.Sprintf("%v (%s)", ErrRunning, e.Dir)
}

// Unwrap makes errors.Is(err, ErrRunning) hold.
func (e *RunningError) Unwrap() error { return ErrRunning }

// SocketPath returns the socket of the data directory dir:
// DATA/littleboxes.sock, or, when that path is too long for a Unix socket,
// $XDG_RUNTIME_DIR (else os.TempDir())/littleboxes-UID/HASH.sock, HASH
// naming the data directory.
func SocketPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	p := filepath.Join(dir, SocketName)
	if len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(fallbackDir(), hex.EncodeToString(sum[:12])+".sock")
}

// fallbackDir is the owner's directory for sockets whose data directory's
// path is too long.
func fallbackDir() string {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || !filepath.IsAbs(base) {
		base = os.TempDir()
	}
	return filepath.Join(base, "littleboxes-"+strconv.Itoa(os.Getuid()))
}

// ownDir makes sure dir exists and is the owner's: a real directory (not a
// symlink), owned by this uid, made 0700 when it is made here. A
// directory others can write to is refused: they could replace the
// socket.
func ownDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("socket directory %s is not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket directory %s belongs to uid %d, not to this user (uid %d)", dir, st.Uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("socket directory %s can be written by others (%v): refusing to serve there", dir, fi.Mode().Perm())
	}
	return nil
}

// Listener is the engine's socket: Accept returns only connections from
// this uid. Close removes the socket and drops the lock.
type Listener struct {
	*net.UnixListener
	path string
	lock *os.File
	logf atomic.Pointer[func(format string, args ...any)]
}

// Listen creates the data directory's socket, owner-only, and returns its
// listener. It fails with ErrRunning (a *RunningError with the pid) when
// another engine serves the directory. A socket left by an engine that
// died is removed first. Refused connections are logged with package
// log's default logger until SetLogf.
func Listen(dataDir string) (*Listener, error) {
	path := SocketPath(dataDir)
	if err := ownDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		if errors.Is(err, errLocked) {
			re := &RunningError{Dir: dataDir}
			if c, derr := net.DialTimeout("unix", path, 2*time.Second); derr == nil {
				if cr, cerr := peerCred(c.(*net.UnixConn)); cerr == nil {
					re.Pid = cr.pid
				}
				c.Close()
			}
			return nil, re
		}
		return nil, err
	}
	// We hold the lock: whatever socket is there was left by an engine
	// that is gone.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			lock.Close()
			return nil, fmt.Errorf("%s exists and is not a socket: remove it", path)
		}
		if err := os.Remove(path); err != nil {
			lock.Close()
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		lock.Close()
		return nil, fmt.Errorf("socket permissions: %w", err)
	}
	return &Listener{UnixListener: ln, path: path, lock: lock}, nil
}

// SetLogf sets where refused connections are logged (nil: package log).
func (l *Listener) SetLogf(logf func(format string, args ...any)) {
	if logf == nil {
		l.logf.Store(nil)
		return
	}
	l.logf.Store(&logf)
}

func (l *Listener) logfn(format string, args ...any) {
	if f := l.logf.Load(); f != nil {
		(*f)(format, args...)
		return
	}
	log.Printf(format, args...)
}

// Path returns the socket's path.
func (l *Listener) Path() string { return l.path }

// Accept waits for the next connection from this uid; one from another uid
// (or whose credentials cannot be read) is closed at once and logged.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.UnixListener.AcceptUnix()
		if err != nil {
			return nil, err
		}
		cr, err := peerCred(c)
		switch {
		case err != nil:
			l.logfn("refused a connection on %s: reading its credentials: %v", l.path, err)
		case cr.uid != os.Getuid():
			l.logfn("refused a connection on %s from uid %d (pid %d): only uid %d may connect", l.path, cr.uid, cr.pid, os.Getuid())
		default:
			return c, nil
		}
		c.Close()
	}
}

// Close stops listening, removes the socket and drops the lock.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	l.lock.Close()
	return err
}

// errLocked is lockFile's error when another process holds the lock.
var errLocked = errors.New("locked")

// lockFile opens path (0600) and takes an exclusive flock on it without
// waiting: errLocked when another process holds it.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("socket lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("socket lock: %w", err)
	}
	return f, nil
}

// cred is a socket peer's credentials.
type cred struct{ pid, uid int }

// peerCred reads the credentials of c's peer.
func peerCred(c *net.UnixConn) (cred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return cred{}, err
	}
	var cr cred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cr, cerr = sockCred(int(fd)) }); err != nil {
		return cred{}, err
	}
	return cr, cerr
}

// dialCheck connects to the socket at path and checks that its server runs
// as this uid. ErrNotRunning when nothing answers.
func dialCheck(ctx context.Context, path string) (*net.UnixConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w (%s)", ErrNotRunning, path)
		}
		return nil, fmt.Errorf("connecting to the engine at %s: %w", path, err)
	}
	uc := c.(*net.UnixConn)
	cr, err := peerCred(uc)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("the engine's socket %s: reading its credentials: %w", path, err)
	}
	if cr.uid != os.Getuid() {
		c.Close()
		return nil, fmt.Errorf("the engine's socket %s is served by uid %d, not this user: refusing it", path, cr.uid)
	}
	return uc, nil
}
