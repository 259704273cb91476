package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/daemon"
	"littleboxes/app/events"
	"littleboxes/app/serve"
)

// peerEnv switches the test binary into a raw client of the socket in the
// data directory it names (run as another uid by TestRefuseOtherUID).
const peerEnv = "LITTLEBOXES_DAEMON_PEER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(peerEnv); dir != "" {
		os.Exit(peer(dir))
	}
	goleak.VerifyTestMain(m)
}

// peer connects to the socket of dir, sends a call, and prints what came
// back: exit 0 if an answer came, 1 if the connection failed or closed.
func peer(dir string) int {
	c, err := net.DialTimeout("unix", daemon.SocketPath(dir), 5*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		return 1
	}
	defer c.Close()
	fmt.Println("connected")
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "POST /api/call/Echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n[\"hi\"]"); err != nil {
		fmt.Println("write:", err)
		return 1
	}
	b, err := io.ReadAll(c)
	if len(b) == 0 {
		fmt.Println("read:", err)
		return 1
	}
	fmt.Printf("answer: %q\n", b)
	return 0
}

// shortDir returns a fresh directory with a short path (t.TempDir's can be
// too long for a socket on some systems).
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "lbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// echo is a bound API for the tests.
type echo struct{ calls atomic.Int64 }

func (e *echo) Echo(s string) string { e.calls.Add(1); return "echo " + s }

func (e *echo) Fail(s string) error { return fmt.Errorf("no %s here", s) }

// serveAPI serves an echo API and a hub on dir's socket until the test
// ends; logs collects the listener's log lines.
func serveAPI(t *testing.T, dir string) (*echo, *events.Hub, *logs) {
	t.Helper()
	s := startServer(t, dir, serve.LocalOptions{})
	t.Cleanup(func() {
		s.stop()
		if err := <-s.done; err != nil {
			t.Errorf("ServeLocal: %v", err)
		}
	})
	return s.echo, s.hub, s.logs
}

// server is an echo API and a hub served on a socket (startServer).
type server struct {
	echo *echo
	hub  *events.Hub
	logs *logs        // the listener's log lines
	stop func()       // ends ServeLocal
	done <-chan error // what ServeLocal returned
}

// startServer serves an echo API and a hub on dir's socket with opts until
// stop or the test's end; the hub closes at the test's end.
func startServer(t *testing.T, dir string, opts serve.LocalOptions) *server {
	t.Helper()
	ln, err := daemon.Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{echo: &echo{}, hub: events.New(), logs: &logs{}}
	t.Cleanup(s.hub.Close)
	ln.SetLogf(s.logs.logf)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		done <- serve.ServeLocal(ctx, ln, serve.App{Bound: []any{s.echo}, Events: s.hub.Subscribe, Close: func() error { return nil }}, opts)
	}()
	s.stop, s.done = cancel, done
	return s
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(f string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(f, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestSocketPath(t *testing.T) {
	short := "/home/me/.local/share/littleboxes"
	if got, want := daemon.SocketPath(short), short+"/littleboxes.sock"; got != want {
		t.Errorf("SocketPath(%q) = %q, want %q", short, got, want)
	}
	run := shortDir(t)
	t.Setenv("XDG_RUNTIME_DIR", run)
	long := "/" + strings.Repeat("x", 120)
	got := daemon.SocketPath(long)
	if !strings.HasPrefix(got, filepath.Join(run, fmt.Sprintf("littleboxes-%d", os.Getuid()))+"/") || len(got) > 103 {
		t.Errorf("SocketPath(long) = %q: want a short path under %s", got, run)
	}
	if other := daemon.SocketPath(long + "y"); other == got {
		t.Errorf("two data directories share the socket %q", got)
	}
	// The long path's socket works, in its owner-only directory.
	ln, err := daemon.Listen(long)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Stat(filepath.Dir(got))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("fallback directory mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestListenOwnerOnly(t *testing.T) {
	dir := shortDir(t)
	ln, err := daemon.Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(filepath.Join(dir, daemon.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket 0600", fi.Mode())
	}
}

func TestListenRefusesWritableDir(t *testing.T) {
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ln, err := daemon.Listen(dir)
	if err == nil {
		ln.Close()
		t.Fatal("Listen served in a directory anyone can write to")
	}
	t.Log(err)
}

func TestSecondListenIsRunning(t *testing.T) {
	dir := shortDir(t)
	ln, err := daemon.Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = daemon.Listen(dir)
	var re *daemon.RunningError
	if !errors.Is(err, daemon.ErrRunning) || !errors.As(err, &re) || re.Pid != os.Getpid() {
		t.Fatalf("second Listen: %v, want ErrRunning with pid %d", err, os.Getpid())
	}
	t.Log(err)
	ln.Close()
	// Closed: the next one may listen.
	ln, err = daemon.Listen(dir)
	if err != nil {
		t.Fatalf("Listen after Close: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(filepath.Join(dir, daemon.SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	dir := shortDir(t)
	path := daemon.SocketPath(dir)
	// A socket nobody serves, as a killed engine leaves it.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	if _, err := daemon.Dial(context.Background(), dir); !errors.Is(err, daemon.ErrNotRunning) {
		t.Fatalf("Dial on a stale socket: %v, want ErrNotRunning", err)
	}
	e, _, _ := serveAPI(t, dir)
	c, err := daemon.Dial(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got string
	if err := c.Call(context.Background(), "Echo", &got, "x"); err != nil || got != "echo x" || e.calls.Load() != 1 {
		t.Fatalf("Echo over the replaced socket: %q, %v", got, err)
	}
}

func TestListenKeepsAFileThatIsNotASocket(t *testing.T) {
	dir := shortDir(t)
	path := daemon.SocketPath(dir)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := daemon.Listen(dir); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Fatalf("the file was changed: %q", b)
	}
}

func TestDialNotRunning(t *testing.T) {
	_, err := daemon.Dial(context.Background(), shortDir(t))
	if !errors.Is(err, daemon.ErrNotRunning) {
		t.Fatalf("Dial: %v, want ErrNotRunning", err)
	}
}

func TestCallAndEvents(t *testing.T) {
	dir := shortDir(t)
	_, hub, _ := serveAPI(t, dir)
	ctx := context.Background()
	c, err := daemon.Dial(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got string
	if err := c.Call(ctx, "Echo", &got, "a"); err != nil || got != "echo a" {
		t.Fatalf("Echo: %q, %v", got, err)
	}
	err = c.Call(ctx, "Fail", nil, "b")
	var re *daemon.RemoteError
	if !errors.As(err, &re) || err.Error() != "no b here" {
		t.Fatalf("Fail: %v, want the remote's text", err)
	}
	if err := c.Call(ctx, "Nope", nil); err == nil || !strings.Contains(err.Error(), `no API method "Nope"`) {
		t.Fatalf("Nope: %v", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, err := c.Events(sctx)
	if err != nil {
		t.Fatal(err)
	}
	// The stream is attached once the server answered; publish until seen.
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seen := false; !seen; {
		select {
		case <-tick.C:
			hub.Publish(events.Event{Type: "test", Agent: "a"})
		case ev := <-evs:
			seen = ev.Type == "test" && ev.Agent == "a"
		case <-deadline:
			t.Fatal("no event came")
		}
	}
	cancel()
	for range evs { // closes once ctx is done
	}
}

func TestEventsEndWhenTheEngineGoes(t *testing.T) {
	dir := shortDir(t)
	s := startServer(t, dir, serve.LocalOptions{})
	c, err := daemon.Dial(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs, err := c.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-evs:
		for ok {
			_, ok = <-evs
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the event stream did not end when the engine stopped")
	}
}

func TestIdleExit(t *testing.T) {
	dir := shortDir(t)
	done := startServer(t, dir, serve.LocalOptions{IdleExit: 300 * time.Millisecond}).done
	// An attached event stream keeps it up well past the idle time.
	c, err := daemon.Dial(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("stopped with a client attached: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	cancel()
	for range evs {
	}
	select {
	case err := <-done:
		if !errors.Is(err, serve.ErrIdle) {
			t.Fatalf("ServeLocal: %v, want ErrIdle", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop when idle")
	}
	if _, err := daemon.Dial(context.Background(), dir); !errors.Is(err, daemon.ErrNotRunning) {
		t.Fatalf("Dial after the idle exit: %v", err)
	}
}

// TestRefuseOtherUID is the attack: a process of another uid (nobody) talks
// to the engine's socket. With the socket as Listen makes it (0600) it
// cannot connect; with the file's permissions opened wide on purpose, the
// peer-credential check still closes its connection unanswered, and the
// method is never called.
func TestRefuseOtherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another uid (setpriv --reuid nobody)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv is not installed (util-linux)")
	}
	// A directory nobody can reach, with a copy of this test binary.
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "peer.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "d")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	e, _, lg := serveAPI(t, data)
	asNobody := func() (string, error) {
		cmd := exec.Command(setpriv, "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), peerEnv+"="+data)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := asNobody()
	t.Logf("socket 0600: %s", out)
	if err == nil || strings.Contains(out, "answer:") {
		t.Fatalf("nobody got an answer through a 0600 socket: %s", out)
	}
	if err := os.Chmod(daemon.SocketPath(data), 0o666); err != nil {
		t.Fatal(err)
	}
	out, err = asNobody()
	t.Logf("socket 0666: %s", out)
	if err == nil || strings.Contains(out, "answer:") {
		t.Fatalf("nobody got an answer: %s", out)
	}
	if !strings.Contains(out, "connected") {
		t.Fatalf("nobody's connection was not made and closed (the file mode stopped it, not the check): %s", out)
	}
	if n := e.calls.Load(); n != 0 {
		t.Fatalf("Echo called %d times by another uid", n)
	}
	if !strings.Contains(lg.String(), "refused a connection") || !strings.Contains(lg.String(), "uid 65534") {
		t.Errorf("the refusal was not logged: %q", lg.String())
	}
	// The owner still gets answers.
	c, err := daemon.Dial(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got string
	if err := c.Call(context.Background(), "Echo", &got, "me"); err != nil || got != "echo me" {
		t.Fatalf("owner's Echo: %q, %v", got, err)
	}
}
