//go:build unix

package cell

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"littleboxes/sandbox"
)

// gate is a binding whose wait method blocks until released, so a test can
// look at a cell while an invocation is in it.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) binding() sandbox.Binding {
	return sandbox.Methods{"wait": func(ctx context.Context, _ []any) (any, error) {
		g.entered <- struct{}{}
		select {
		case <-g.release:
			return "released", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

const waitModule = `export default { async run(input, env) { return await env.gate.wait() } }`

// runAsync starts an invocation of agent and returns its outcome later.
func runAsync(p *Pool, mod *sandbox.Module, agent string, g *gate) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), &sandbox.Invocation{
			Module: mod, Context: map[string]any{"agent": agent},
			Env:    map[string]sandbox.Binding{"gate": g.binding()},
			Limits: sandbox.Limits{Deadline: 30 * time.Second},
		})
		ch <- err
	}()
	return ch
}

func waitEntered(t *testing.T, g *gate) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the invocation never reached its binding call")
	}
}

// cellOf returns the cell running agent's invocation.
func cellOf(t *testing.T, p *Pool, agent string) CellInfo {
	t.Helper()
	for _, c := range p.Cells() {
		for _, a := range c.Agents {
			if a == agent {
				return c
			}
		}
	}
	t.Fatalf("no cell runs agent %q: %+v", agent, p.Cells())
	return CellInfo{}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCordonAndRecovery kills a cell mid-invocation and follows what
// happens: the invocation fails with ErrCrashed, the slot gets a new cell,
// the agent runs in a cell of its own, and after the quiet period it is
// back in the shared cells.
func TestCordonAndRecovery(t *testing.T) {
	const quiet = 700 * time.Millisecond
	p := newPool(t, Options{Cells: 2, QuietPeriod: quiet})
	mod := compile(t, waitModule)

	g := newGate()
	out := runAsync(p, mod, "bad", g)
	waitEntered(t, g)
	victim := cellOf(t, p, "bad")
	if victim.Slot < 0 {
		t.Fatalf("first run not in a shared cell: %+v", victim)
	}
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-out
	if !errors.Is(err, ErrCrashed) || errors.Is(err, sandbox.ErrLimit) {
		t.Fatalf("want ErrCrashed, got %v", err)
	}
	t.Logf("failed invocation: %v", err)

	eventually(t, "a replacement cell", func() bool {
		for _, c := range p.Cells() {
			if c.Slot == victim.Slot && c.PID != victim.PID {
				return true
			}
		}
		return false
	})
	if !p.Cordoned("bad") {
		t.Fatal("agent not cordoned")
	}

	// The next run of the agent is in a cell of its own, while another
	// agent still runs in a shared cell.
	g2 := newGate()
	out2 := runAsync(p, mod, "bad", g2)
	waitEntered(t, g2)
	out3 := runAsync(p, mod, "good", g2)
	waitEntered(t, g2)
	own := cellOf(t, p, "bad")
	shared := cellOf(t, p, "good")
	if own.Slot != -1 || own.Dedicated != "bad" || len(own.Agents) != 1 {
		t.Fatalf("cordoned agent runs in %+v", own)
	}
	if shared.Slot < 0 || shared.PID == own.PID {
		t.Fatalf("other agent runs in %+v", shared)
	}
	close(g2.release)
	if err := <-out2; err != nil {
		t.Fatal(err)
	}
	if err := <-out3; err != nil {
		t.Fatal(err)
	}

	// After the quiet period the agent is back and its cell is gone.
	eventually(t, "the cordon to end", func() bool {
		if p.Cordoned("bad") {
			return false
		}
		for _, c := range p.Cells() {
			if c.Dedicated != "" {
				return false
			}
		}
		return true
	})
	g3 := newGate()
	out4 := runAsync(p, mod, "bad", g3)
	waitEntered(t, g3)
	if back := cellOf(t, p, "bad"); back.Slot < 0 {
		t.Fatalf("agent not back in a shared cell: %+v", back)
	}
	close(g3.release)
	if err := <-out4; err != nil {
		t.Fatal(err)
	}
}

// TestIsolateCap holds a cell at its cap of isolates: the next invocation
// waits for a free slot.
func TestIsolateCap(t *testing.T) {
	p := newPool(t, Options{Cells: 1, MaxIsolatesPerCell: 2})
	mod := compile(t, waitModule)
	g := newGate()
	a := runAsync(p, mod, "a", g)
	b := runAsync(p, mod, "b", g)
	waitEntered(t, g)
	waitEntered(t, g)
	c := runAsync(p, mod, "c", g)
	select {
	case <-g.entered:
		t.Fatal("a third isolate started in a cell capped at two")
	case <-time.After(200 * time.Millisecond):
	}
	if n := len(p.Cells()[0].Agents); n != 2 {
		t.Fatalf("%d isolates in the cell", n)
	}
	close(g.release)
	for _, ch := range []<-chan error{a, b, c} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
}

// TestCellCannotEscape asks a hardened cell to open a socket and files and
// to execute a program.
func TestCellCannotEscape(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("hardening is Linux only")
	}
	p := newPool(t, Options{Cells: 1, Env: []string{envProbe + "=1"}})
	p.mu.Lock()
	c := p.shared[0]
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.probe(ctx, p.nextID.Add(1))
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	t.Logf("probe: %v", res)
	for _, k := range []string{"socket_inet", "socket_unix", "connect", "open_read", "open_create", "execve", "fork", "fork_clone3"} {
		switch res[k] {
		case "EPERM", "ENOSYS", "EACCES":
		default:
			t.Errorf("%s: %v, want it denied", k, res[k])
		}
	}
	if _, err := os.Stat("/tmp/littleboxes-cell-probe"); err == nil {
		t.Error("the cell created a file")
	}
	// The cell is still alive and serves.
	if _, err := p.Run(ctx, &sandbox.Invocation{Module: compile(t, `export default { async run() { return 1 } }`)}); err != nil {
		t.Fatal(err)
	}
}

// TestNoSecretInCellMemory calls a binding whose Go side uses a secret, then
// reads the live cell's memory and looks for the secret.
func TestNoSecretInCellMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	// Made at run time, so the bytes are not in the test binary that the
	// cell maps too.
	secret := randomHex(t, 24)
	marker := "marker-" + randomHex(t, 16)
	signer := sandbox.Methods{"sign": func(_ context.Context, args []any) (any, error) {
		mac := hmac.New(sha256.New, []byte(secret))
		s, _ := args[0].(string)
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil)), nil
	}}
	p := newPool(t, Options{Cells: 1})
	g := newGate()
	mod := compile(t, `export default { async run(input, env) {
	  const sigs = [];
	  for (let i = 0; i < 50; i++) sigs.push(await env.signer.sign("message " + i));
	  globalThis.keep = input.marker + "|" + sigs.join(",");
	  return await env.gate.wait();
	} }`)
	out := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: map[string]any{"marker": marker},
			Env: map[string]sandbox.Binding{"signer": signer, "gate": g.binding()}, Limits: sandbox.Limits{Deadline: 30 * time.Second}})
		out <- err
	}()
	waitEntered(t, g)
	pid := p.Cells()[0].PID
	found := scanMemory(t, pid, []byte(marker), []byte(secret))
	close(g.release)
	if err := <-out; err != nil {
		t.Fatal(err)
	}
	if !found[0] {
		t.Fatal("the scan did not find the marker the agent holds: the scan does not work")
	}
	if found[1] {
		t.Fatal("the secret is in the cell's memory")
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// scanMemory reads every readable mapping of pid through /proc/PID/mem and
// reports which needles occur.
func scanMemory(t *testing.T, pid int, needles ...[]byte) []bool {
	t.Helper()
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	found := make([]bool, len(needles))
	var scanned int64
	buf := make([]byte, 1<<20)
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1][0] != 'r' {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		var carry []byte
		for off := start; off < end; {
			n := min(uint64(len(buf)), end-off)
			k, err := mem.ReadAt(buf[:n], int64(off))
			if k <= 0 {
				if err != nil && err != io.EOF {
					break // an unreadable region (vvar, guard pages)
				}
			}
			chunk := append(carry, buf[:k]...)
			for i, nd := range needles {
				if !found[i] && bytes.Contains(chunk, nd) {
					found[i] = true
				}
			}
			scanned += int64(k)
			keep := 64
			if len(chunk) < keep {
				keep = len(chunk)
			}
			carry = append([]byte{}, chunk[len(chunk)-keep:]...)
			off += uint64(k)
			if k == 0 {
				break
			}
		}
	}
	t.Logf("scanned %d MiB of cell %d", scanned>>20, pid)
	if scanned == 0 {
		t.Fatal("read nothing from the cell's memory")
	}
	return found
}

// TestCellPipeHeldOpen starts a "cell" that exits at once but leaves a
// child holding its stdout and stderr: the pipes never reach end of file.
// Starting it must fail within the drain time, not wait for the child.
func TestCellPipeHeldOpen(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("waitExited watches processes on Linux only")
	}
	start := time.Now()
	p, err := NewPool(Options{Cells: 1, Command: []string{"/bin/sh", "-c", "sleep 8 & exit 0"}})
	if err == nil {
		p.Close()
		t.Fatal("a cell that never said hello started")
	}
	if took := time.Since(start); took > pipeDrain+3*time.Second {
		t.Errorf("took %v to give up; want about %v", took, pipeDrain)
	}
	t.Logf("%v after %v", err, time.Since(start).Round(time.Millisecond))
}

// TestCellDiesBeforeHello starts a "cell" that exits at once: starting the
// pool fails at once with the reason (it once waited forever).
func TestCellDiesBeforeHello(t *testing.T) {
	start := time.Now()
	p, err := NewPool(Options{Cells: 2, Command: []string{"/bin/sh", "-c", "echo 'no luck' >&2; exit 3"}})
	if err == nil {
		p.Close()
		t.Fatal("a cell that exited started")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to give up", took)
	}
	if !strings.Contains(err.Error(), "no luck") {
		t.Errorf("error %q lacks the cell's last words", err)
	}
}

// TestCellClosesInheritedPipes leaves a pipe open without close-on-exec, as
// C code in the window does, and checks that a cell does not keep it.
func TestCellClosesInheritedPipes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc lists descriptors on Linux only")
	}
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil { // no O_CLOEXEC: inherited
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	pipe, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fds[0]))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(Options{Cells: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cells := p.Cells()
	if len(cells) != 1 {
		t.Fatalf("%d cells", len(cells))
	}
	dir := fmt.Sprintf("/proc/%d/fd", cells[0].PID)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, _ := os.Readlink(dir + "/" + e.Name()); target == pipe {
			t.Errorf("the cell holds the inherited %s as fd %s", pipe, e.Name())
		}
	}
}
