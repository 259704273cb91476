package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/examples"
	"littleboxes/sandbox/cell"
	"littleboxes/vault/keyring/keyringtest"
)

// The engine as a subprocess (issue 13): `littleboxes run ARMY` or
// `littleboxes daemon` owns the data directory and serves the local API
// on its socket; approvals, run --once and secret, from other processes,
// go through it.

// engineEnv switches the test binary into littleboxes (main's dispatch):
// its value is the arguments, separated by \x1f; "argv" takes them from
// the command line instead (as daemon.Spawn starts it).
const engineEnv = "LITTLEBOXES_ENGINE_E2E"

func init() {
	// Before TestMain: this file's subprocesses are littleboxes itself,
	// with the engine host main hands the CLI.
	switch v := os.Getenv(engineEnv); v {
	case "":
	case "argv":
		cell.MaybeServe()
		os.Exit(dispatch(os.Args[1:]))
	default:
		cell.MaybeServe()
		os.Exit(dispatch(strings.Split(v, "\x1f")))
	}
}

func lbCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), engineEnv+"="+strings.Join(args, "\x1f"))
	return cmd
}

// lb runs littleboxes args in a process and returns its exit code, stdout
// and stderr.
func lb(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return lbIn(t, "", args...)
}

// lbIn is lb with stdin.
func lbIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := lbCmd(args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("littleboxes %v: %v", args, err)
	}
	t.Logf("littleboxes %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// proc is a long-lived littleboxes process.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer // stderr and stdout
	done chan struct{}
	code int
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start starts littleboxes args and waits until a line of its output
// contains marker. The process is killed when the test ends.
func start(t *testing.T, marker string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: lbCmd(args...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{})
	go func() { // ends when the process exits (the pipe is closed)
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), marker) {
				once.Do(func() { close(seen) })
			}
		}
	}()
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		}
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	select {
	case <-seen:
	case <-p.done:
		t.Fatalf("littleboxes %v exited (%d) before %q:\n%s", args, p.code, marker, p.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("littleboxes %v: no %q within 60s:\n%s", args, marker, p.output())
	}
	return p
}

// wait waits for the process to exit and returns its code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(60 * time.Second):
		t.Fatalf("still running after 60s:\n%s", p.output())
	}
	return -1
}

// interrupt sends the process SIGINT, as Ctrl-C does, and returns its exit
// code once it exited.
func (p *proc) interrupt(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	return p.wait(t)
}

// hook is a loopback webhook counting the posts it received.
type hook struct {
	posts atomic.Int64
	url   string
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			h.posts.Add(1)
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// leakyArmy writes the inbox-leaky example with its webhook moved to the
// loopback hook, and returns its file.
func leakyArmy(t *testing.T, h *hook) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inbox-leaky")
	file, err := examples.Materialize("inbox-leaky", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{file, filepath.Join(dir, "agents", "summarizer-leaky.ts")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "https://hooks.example.com", h.url)
		s = strings.Replace(s, "methods: [POST]", "methods: [POST]\n      allow_private_network: true", 1)
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return file
}

// dataDir returns a fresh data directory with a short path.
func shortData(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "lbe2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "data")
}

var pendingLine = regexp.MustCompile(`(?m)^inbox-leaky\t(\S+)\tpending\tsummarizer\tenv\.webhook\.fetch\(`)

// holdOne runs the summarizer once (its webhook post is held) and returns
// the approval's id, read from approvals list.
func holdOne(t *testing.T, file, data string) string {
	t.Helper()
	code, out, _ := lb(t, "run", file, "--data", data, "--once", "summarizer", "--in-process")
	if code != 0 || !strings.Contains(out, "pending_approval") || !strings.HasPrefix(out, "{\n  \"threads\": ") {
		t.Fatalf("run --once summarizer: exit %d, %s (want the result, indented)", code, out)
	}
	code, out, _ = lb(t, "approvals", "list", "--data", data)
	m := pendingLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("approvals list: exit %d, no pending webhook post in %q", code, out)
	}
	return m[1]
}

// approveTwiceAtOnce approves id from two processes at once: one performs
// it, the other is told it was decided; the hook gets one post.
func approveTwiceAtOnce(t *testing.T, h *hook, data, id string) {
	t.Helper()
	before := h.posts.Load()
	type res struct {
		code     int
		out, err string
	}
	var wg sync.WaitGroup
	rs := make([]res, 2)
	for i := range rs {
		wg.Go(func() {
			c, o, e := lb(t, "approvals", "approve", id, "--data", data, "--army", "inbox-leaky")
			rs[i] = res{c, o, e}
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, r := range rs {
		switch {
		case r.code == 0 && strings.Contains(r.out, `"status": "approved"`):
			ok++
		case r.code != 0 && strings.Contains(r.err, "decided"):
			refused++
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("two approvals at once: %d performed, %d refused as decided, want 1 and 1: %+v", ok, refused, rs)
	}
	if n := h.posts.Load() - before; n != 1 {
		t.Fatalf("the webhook got %d posts, want 1", n)
	}
}

// TestEngineIssueScenario is issue 13's scenario: with `littleboxes run
// inbox-leaky` running, approvals list, run --once summarizer, approvals
// approve (from two processes at once) and secret list all work from other
// processes, through its socket.
func TestEngineIssueScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	h := newHook(t)
	file := leakyArmy(t, h)
	data := shortData(t)
	run := start(t, "running army inbox-leaky", "run", file, "--data", data, "--in-process")

	if code, _, errs := lb(t, "approvals", "list", "--data", data); code != 0 {
		t.Fatalf("approvals list while run runs: exit %d: %s", code, errs)
	}
	id := holdOne(t, file, data)
	approveTwiceAtOnce(t, h, data, id)
	code, out, _ := lb(t, "approvals", "list", "--data", data, "--all")
	if code != 0 || !strings.Contains(out, "inbox-leaky\t"+id+"\tapproved\t") {
		t.Fatalf("approvals list --all: exit %d: %s", code, out)
	}
	if code, _, errs := lb(t, "secret", "list", "--data", data); code != 0 {
		t.Fatalf("secret list while run runs: exit %d: %s", code, errs)
	}
	// A second run of the same army follows the engine's events.
	follow := start(t, "in the engine (pid", "run", file, "--data", data)
	if !strings.Contains(follow.output(), "pid "+itoa(run.cmd.Process.Pid)) {
		t.Errorf("the follower names another engine: %s", follow.output())
	}
	holdOne(t, file, data)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(follow.output(), "approval.new summarizer") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(follow.output(), "approval.new summarizer") {
		t.Errorf("the follower printed no approval.new: %s", follow.output())
	}
	// Stopping the engine: run exits cleanly; the follower sees it go and
	// takes over, running the army and serving the socket itself.
	if code := run.interrupt(t); code != 0 {
		t.Fatalf("run after SIGINT: exit %d:\n%s", code, run.output())
	}
	deadline = time.Now().Add(60 * time.Second)
	for !strings.Contains(follow.output(), "other commands reach it") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(follow.output(), "the engine stopped") || !strings.Contains(follow.output(), "running army inbox-leaky") {
		t.Fatalf("the follower did not take over:\n%s", follow.output())
	}
	code, out, _ = lb(t, "approvals", "list", "--data", data)
	if code != 0 || !pendingLine.MatchString(out) {
		t.Fatalf("approvals list through the follower turned engine: exit %d: %s", code, out)
	}
	if code := follow.interrupt(t); code != 0 {
		t.Errorf("follower after SIGINT: exit %d:\n%s", code, follow.output())
	}
	if _, err := os.Lstat(daemon.SocketPath(data)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after run stopped: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEngineKill9 kills the daemon with SIGKILL while an approval waits:
// nothing is lost, the stale socket is replaced by the next engine, and a
// client works again.
func TestEngineKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	h := newHook(t)
	file := leakyArmy(t, h)
	data := shortData(t)
	// No engine: run --once works in-process and leaves nothing running.
	id := holdOne(t, file, data)
	if _, err := os.Lstat(daemon.SocketPath(data)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a one-shot command left a socket: %v", err)
	}

	d := start(t, "serving", "daemon", "--data", data, "--in-process")
	fi, err := os.Lstat(daemon.SocketPath(data))
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v, %v: want a socket 0600", fi.Mode(), err)
	}
	code, _, errs := lb(t, "daemon", "--data", data)
	if code != 1 || !strings.Contains(errs, "already running") || !strings.Contains(errs, "pid "+itoa(d.cmd.Process.Pid)) {
		t.Fatalf("second daemon: exit %d: %s", code, errs)
	}
	code, out, _ := lb(t, "approvals", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "inbox-leaky\t"+id+"\tpending") {
		t.Fatalf("approvals list through the engine: exit %d: %s", code, out)
	}

	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	d.wait(t)
	// The killed engine's socket file stays behind; the next engine
	// replaces it.
	if _, err := os.Lstat(daemon.SocketPath(data)); err != nil {
		t.Fatalf("no stale socket after kill -9: %v", err)
	}
	// No engine now: in-process, the approval is still there.
	code, out, _ = lb(t, "approvals", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "inbox-leaky\t"+id+"\tpending") {
		t.Fatalf("approvals list after kill -9: exit %d: %s", code, out)
	}

	start(t, "serving", "daemon", "--data", data, "--in-process")
	approveTwiceAtOnce(t, h, data, id)
}

// TestEngineSpawn spawns the engine from two front ends at once: one engine
// runs, both are its clients; with --idle-exit it stops once they leave.
func TestEngineSpawn(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Setenv(engineEnv, "argv")
	data := shortData(t)
	var wg sync.WaitGroup
	pids := make([]int, 2)
	errs := make([]error, 2)
	for i := range pids {
		wg.Go(func() {
			c, err := daemon.Spawn(context.Background(), os.Args[0], data, "--in-process", "--idle-exit", "1s")
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			errs[i] = c.Call(context.Background(), daemon.MethodPid, &pids[i])
		})
	}
	wg.Wait()
	log, _ := os.ReadFile(filepath.Join(data, daemon.LogName))
	t.Logf("daemon.log:\n%s", log)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("Spawn: %v, %v", errs[0], errs[1])
	}
	if pids[0] == 0 || pids[0] != pids[1] {
		t.Fatalf("two engines (or none): pids %v", pids)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := daemon.Dial(context.Background(), data)
		if errors.Is(err, daemon.ErrNotRunning) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the engine did not stop when idle: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEngineSecrets sets, lists and deletes a secret from other processes
// while the daemon holds the store (in-process they could not open it):
// the value goes to the engine over the socket, and never comes back.
func TestEngineSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	keyringtest.Require(t)
	data := shortData(t)
	d := start(t, "serving", "daemon", "--data", data, "--in-process")
	const name, value = "e2e-engine-token", "s3cr3t-e2e-value-4711"
	code, out, errs := lbIn(t, value+"\n", "secret", "set", name, "--data", data)
	if code != 0 || !strings.Contains(errs, "secret "+name+" stored") {
		t.Fatalf("secret set through the engine: exit %d: %s", code, errs)
	}
	all := out + errs
	code, out, errs = lb(t, "secret", "list", "--data", data)
	all += out + errs
	if code != 0 || !strings.Contains(out, name+"\n") {
		t.Fatalf("secret list: exit %d: %q", code, out)
	}
	code, out, errs = lb(t, "secret", "delete", name, "--data", data)
	all += out + errs
	if code != 0 {
		t.Fatalf("secret delete: exit %d: %s", code, errs)
	}
	code, out, errs = lb(t, "secret", "delete", name, "--data", data)
	all += out + errs
	if code != 1 || !strings.Contains(errs, "no secret named "+name) {
		t.Fatalf("secret delete again: exit %d: %s", code, errs)
	}
	if code, out, _ := lb(t, "secret", "list", "--data", data); code != 0 || strings.Contains(out, name) {
		t.Fatalf("secret list after delete: exit %d: %q", code, out)
	}
	if strings.Contains(all+d.output(), value) {
		t.Fatalf("the secret's value came back out:\n%s\n%s", all, d.output())
	}
}
