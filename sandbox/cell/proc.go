package cell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"littleboxes/sandbox"
)

// helloTimeout bounds how long a new cell may take to say hello.
const helloTimeout = 15 * time.Second

// Why the main process killed a cell.
const (
	killNone     = iota
	killMemory   // over the memory cap (RSS seen by the main process)
	killDeadline // an invocation overran its hard deadline
	killCancel   // a cancelled invocation did not stop within the grace
	killProtocol // the cell sent a malformed frame
	killShutdown // the pool is closing
)

// proc is the main side of one cell process.
type proc struct {
	pool      *Pool
	cmd       *exec.Cmd
	pid       int
	slot      int    // shared slot, or -1
	dedicated string // the cordoned agent, if any
	hello     helloMsg

	stdin io.WriteCloser
	fw    *frameWriter // frames to the cell's stdin

	// What a reader needs, for the watcher to start one (see inline.go).
	rd      *bufio.Reader
	readErr chan<- error
	inline  inlineState

	mu       sync.Mutex
	inflight int    // slots taken (acquire → release)
	taken    uint64 // slots ever taken: the watcher's "did anything run since"
	invs     map[uint64]*mainInv
	sent     map[string]bool // module hashes this cell was sent
	dead     bool
	kind     int    // why it was killed (killNone if it died by itself)
	offender uint64 // the invocation a deadline or cancel kill was for
	detail   string

	stderrMu   sync.Mutex
	stderrHead []byte // the first stderrHeadBytes a cell wrote: where a crash names its cause
	stderrTail []byte
	exited     chan struct{} // closed once the process was reaped
}

// mainInv is one invocation in flight in a cell.
type mainInv struct {
	id     uint64
	inv    *sandbox.Invocation
	agent  string
	limits sandbox.Limits
	ctx    context.Context // handed to binding calls
	cancel context.CancelFunc
	done   chan *doneMsg // buffered 1: the cell's answer or the death error
	calls  sandbox.Calls
	next   *mainInv    // the invocation the cell runs after this one, in a batch
	hard   *time.Timer // the hard deadline, once armed (under proc.mu)
}

// startProc starts one cell and waits for its hello.
func (p *Pool) startProc(slot int, dedicated string) (*proc, error) {
	argv := p.opt.Command
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		envMemCap+"="+strconv.FormatInt(p.opt.MemoryCap, 10),
		envIsolates+"="+strconv.Itoa(p.opt.MaxIsolatesPerCell),
		"GOMAXPROCS="+strconv.Itoa(p.opt.CellProcs),
	)
	cmd.Env = append(cmd.Env, p.opt.Env...)
	cmd.Dir = "/"
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("cell: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("cell: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("cell: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cell: starting %s: %w", argv[0], err)
	}
	c := &proc{
		pool: p, cmd: cmd, pid: cmd.Process.Pid, slot: slot, dedicated: dedicated,
		stdin: stdin, fw: newFrameWriter(rawWriter(stdin)),
		invs: make(map[uint64]*mainInv), sent: make(map[string]bool),
		exited: make(chan struct{}),
	}
	c.closeReadersAfterExit(stdout, stderr)
	stderrDone := make(chan struct{})
	go func() { defer close(stderrDone); c.readStderr(stderr) }()
	r := bufio.NewReaderSize(rawReader(stdout), 64<<10)
	type helloRes struct {
		m   *helloMsg
		err error
	}
	hc := make(chan helloRes, 1)
	go func() {
		body, err := readFrame(r, nil)
		if err != nil {
			hc <- helloRes{nil, fmt.Errorf("it said no hello: %w", err)}
			return
		}
		d := &dec{b: body[1:]}
		if body[0] != msgHello {
			hc <- helloRes{nil, fmt.Errorf("first message has type %d, not hello", body[0])}
			return
		}
		m := d.hello()
		hc <- helloRes{m, d.err}
	}()
	var h helloRes
	timedOut := false
	select {
	case h = <-hc:
	case <-time.After(helloTimeout):
		h.err = fmt.Errorf("no hello within %v", helloTimeout)
		timedOut = true
	}
	if h.err != nil {
		_ = cmd.Process.Kill()
		if timedOut {
			<-hc // the reader ends when the pipe closes (see closeReadersAfterExit)
		}
		<-stderrDone
		_ = cmd.Wait()
		close(c.exited)
		return nil, fmt.Errorf("cell: starting %s: %w%s", argv[0], h.err, c.tailSuffix())
	}
	c.hello = *h.m
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = cmd.Process.Kill()
		<-stderrDone
		_ = cmd.Wait()
		close(c.exited)
		return nil, ErrClosed
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go c.lifecycle(r, stderrDone)
	if h.m.hardening.Problems != "" {
		p.hardeningNote.Do(func() { p.opt.Logf("cell %d hardening: %s", c.pid, h.m.hardening.Problems) })
	}
	return c, nil
}

// pipeDrain is how long after a cell's process exited its pipes may still
// deliver what it wrote before they are closed from this end.
const pipeDrain = 2 * time.Second

// closeReadersAfterExit makes sure the readers of the cell's stdout and
// stderr end once its process has exited, even when something else still
// holds the pipes' write ends (a pipe reaches end of file only when every
// holder closed it): the readers would otherwise wait forever, and with them
// the pool. The goroutine ends when the process has been reaped, or
// pipeDrain after it exited.
func (c *proc) closeReadersAfterExit(stdout, stderr io.Closer) {
	go func() {
		if !waitExited(c.pid) {
			return
		}
		select {
		case <-c.exited:
			return
		case <-time.After(pipeDrain):
		}
		c.pool.opt.Logf("cell %d exited but its pipes stayed open; closing them", c.pid)
		_ = stdout.Close()
		_ = stderr.Close()
	}()
}

// stderrHeadBytes is how much of the start of a cell's stderr is kept.
const stderrHeadBytes = 2048

// readStderr keeps the first 2 KiB and the last 4 KiB a cell wrote to
// stderr, for crash reports: a Go crash names its cause first, and its
// goroutine dump can be longer than the tail.
func (c *proc) readStderr(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.stderrMu.Lock()
			if room := stderrHeadBytes - len(c.stderrHead); room > 0 {
				c.stderrHead = append(c.stderrHead, buf[:min(n, room)]...)
			}
			c.stderrTail = append(c.stderrTail, buf[:n]...)
			if len(c.stderrTail) > 4096 {
				c.stderrTail = append([]byte{}, c.stderrTail[len(c.stderrTail)-4096:]...)
			}
			c.stderrMu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// causePrefixes start the lines in which a dying process names its cause:
// a Go panic or fatal error, a signal, the Go runtime, runtime/cgo (which
// aborts when pthread_create fails, before the runtime prints "SIGABRT"),
// and glibc's own fatal errors.
var causePrefixes = []string{"panic:", "fatal error:", "SIG", "runtime:", "runtime/cgo:", "fatal:", "Fatal glibc error:"}

// tailSuffix says what a dead cell wrote last, led by a crash's cause: the
// first line that names one (see causePrefixes), with the two after it;
// else the last lines it wrote.
func (c *proc) tailSuffix() string {
	c.stderrMu.Lock()
	defer c.stderrMu.Unlock()
	for _, text := range []string{string(c.stderrHead), string(c.stderrTail)} {
		lines := strings.Split(strings.TrimSpace(text), "\n")
		for i, l := range lines {
			for _, p := range causePrefixes {
				if strings.HasPrefix(l, p) {
					return ": " + strings.Join(lines[i:min(i+3, len(lines))], " | ")
				}
			}
		}
	}
	t := strings.TrimSpace(string(c.stderrTail))
	if t == "" {
		return ""
	}
	lines := strings.Split(t, "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return ": " + strings.Join(lines, " | ")
}

// take claims an isolate slot if one is free.
func (c *proc) take(max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.inflight >= max {
		return false
	}
	c.inflight++
	c.taken++
	return true
}

func (c *proc) put() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
}

func (c *proc) load() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight
}

// activity returns the slots taken now and ever.
func (c *proc) activity() (inflight int, taken uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight, c.taken
}

func (c *proc) info() CellInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	ci := CellInfo{PID: c.pid, Slot: c.slot, Dedicated: c.dedicated, Hardening: c.hello.hardening}
	for _, mi := range c.invs {
		ci.Agents = append(ci.Agents, mi.agent)
	}
	sort.Strings(ci.Agents)
	return ci
}

// send writes one frame to the cell. A write error is ignored: the
// lifecycle goroutine notices the death and fails the invocations.
func (c *proc) send(build func(*enc) error) error {
	err, _ := c.fw.send(build)
	return err
}

// kill ends the cell with SIGKILL; the first reason given is kept.
func (c *proc) kill(kind int, offender uint64, detail string) {
	c.mu.Lock()
	if c.dead || (offender != 0 && c.invs[offender] == nil) {
		c.mu.Unlock()
		return
	}
	if c.kind == killNone {
		c.kind, c.offender, c.detail = kind, offender, detail
	}
	c.mu.Unlock()
	_ = c.cmd.Process.Kill()
}

// shutdown asks the cell to exit by closing its stdin, and kills it if it
// has not exited after a moment. It returns once the process is reaped.
func (c *proc) shutdown() {
	c.mu.Lock()
	if c.kind == killNone {
		c.kind = killShutdown
	}
	c.mu.Unlock()
	c.fw.mu.Lock()
	_ = c.stdin.Close()
	c.fw.mu.Unlock()
	if c.inline.takeOver() {
		// The reader runs a call that may wait for its invocation's end,
		// which only reading the cell's end of file brings.
		c.readOn()
	}
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// run sends one invocation to the cell and waits for its end: the cell's
// answer, or the cell's death.
func (c *proc) run(ctx context.Context, id uint64, inv *sandbox.Invocation, agent string, limits sandbox.Limits, resend bool) *doneMsg {
	dms := c.runBatch(ctx, []batchRun{{ctx: ctx, id: id, inv: inv}}, agent, limits, resend)
	return dms[0]
}

// batchRun is one invocation of a batch sent to a cell.
type batchRun struct {
	ctx context.Context
	id  uint64
	inv *sandbox.Invocation
}

// errNotStarted is the end of a batched invocation whose cell died before
// it started: it ran no code and may run again as if it never had.
var errNotStarted = errors.New("its cell died before it started")

// runBatch sends invocations of one agent to the cell in one frame (a run
// frame for one), which runs them one after another, and waits for each
// one's end: the cell's answer, or the cell's death. Each keeps its own
// deadline, armed when the one before it ended, and its own context. When
// the cell dies, the invocation it was running gets the death error and the
// ones after it errNotStarted.
func (c *proc) runBatch(ctx context.Context, runs []batchRun, agent string, limits sandbox.Limits, resend bool) []*doneMsg {
	mis := make([]*mainInv, len(runs))
	ms := make([]*runMsg, len(runs))
	for i, r := range runs {
		bctx, cancel := context.WithCancel(r.ctx)
		mis[i] = &mainInv{id: r.id, inv: r.inv, agent: agent, limits: limits, ctx: bctx, cancel: cancel,
			done: make(chan *doneMsg, 1)}
		m := &runMsg{id: r.id, hash: r.inv.Module.Hash, filename: r.inv.Module.Filename, entry: r.inv.Entry,
			limits: limits, input: r.inv.Input, context: r.inv.Context}
		names := make([]string, 0, len(r.inv.Env))
		for n := range r.inv.Env {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			m.env = append(m.env, envEntry{name: n, methods: r.inv.Env[n].Methods()})
		}
		ms[i] = m
	}
	dms := make([]*doneMsg, len(runs))
	fail := func(err error) []*doneMsg {
		for i, mi := range mis {
			mi.cancel()
			dms[i] = &doneMsg{err: err}
		}
		return dms
	}
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return fail(fmt.Errorf("%w: cell %d died before the invocation started", ErrCrashed, c.pid))
	}
	var sentHashes []string // modules whose JavaScript this frame carries
	for i, m := range ms {
		if slices.Contains(sentHashes, m.hash) || !resend && c.sent[m.hash] {
			continue
		}
		m.js = runs[i].inv.Module.JS
		c.sent[m.hash] = true
		sentHashes = append(sentHashes, m.hash)
	}
	for i, mi := range mis {
		c.invs[mi.id] = mi
		if i+1 < len(mis) {
			mi.next = mis[i+1]
		}
	}
	// The cell answers in order; the reader arms each invocation's hard
	// deadline when the one before it ended (see reader), so this
	// goroutine wakes once, for the last answer (or the cell's death,
	// which answers them all).
	c.armLocked(mis[0])
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		for _, mi := range mis {
			delete(c.invs, mi.id)
			if mi.hard != nil {
				mi.hard.Stop()
			}
		}
		c.mu.Unlock()
		for _, mi := range mis {
			mi.cancel()
			mi.calls.Wait(sandbox.CallGrace)
		}
	}()

	var err error
	if len(ms) == 1 {
		err = c.send(func(e *enc) error { return e.run(ms[0]) })
	} else {
		err = c.send(func(e *enc) error { return e.runBatch(ms) })
	}
	if err != nil {
		c.mu.Lock()
		for _, h := range sentHashes {
			delete(c.sent, h)
		}
		c.mu.Unlock()
		return fail(fmt.Errorf("sandbox: %w", err))
	}
	last := mis[len(mis)-1]
	select {
	case dms[len(mis)-1] = <-last.done:
		for i, mi := range mis[:len(mis)-1] {
			dms[i] = <-mi.done // answered before the last
		}
	case <-ctx.Done():
		// Cancelled: ask the cell to stop each that has not ended; a
		// built-in that ignores the interrupt gets the grace, then the
		// cell is killed.
		// Every one is told at once, so that none starts meanwhile.
		for _, mi := range mis {
			_ = c.send(func(e *enc) error { e.reset(msgCancel); e.uvarint(mi.id); return nil })
		}
		for i, mi := range mis {
			dms[i] = c.cancelled(mi)
		}
	}
	for i := range mis {
		if i+1 < len(mis) && dms[i].died {
			// The cell ran them in order: the rest never started.
			for j := i + 1; j < len(mis); j++ {
				dms[j] = &doneMsg{err: errNotStarted}
			}
			break
		}
	}
	return dms
}

// armLocked starts mi's hard deadline: past it, the cell is killed. c.mu
// is held.
func (c *proc) armLocked(mi *mainInv) {
	id, limits := mi.id, mi.limits
	mi.hard = time.AfterFunc(limits.Deadline+c.pool.opt.Grace, func() {
		c.kill(killDeadline, id, fmt.Sprintf("hard deadline %v+%v exceeded; cell killed", limits.Deadline, c.pool.opt.Grace))
	})
}

// cancelled waits for the end of mi, which the cell was asked to stop;
// past the grace, the cell is killed.
func (c *proc) cancelled(mi *mainInv) *doneMsg {
	id := mi.id
	graceTimer := time.AfterFunc(c.pool.opt.Grace, func() {
		c.kill(killCancel, id, fmt.Sprintf("the cancelled invocation did not stop within %v; cell killed", c.pool.opt.Grace))
	})
	defer graceTimer.Stop()
	return <-mi.done
}

// lifecycle reads the cell's frames until the pipe closes, then reaps the
// process and fails what was in flight.
func (c *proc) lifecycle(r *bufio.Reader, stderrDone chan struct{}) {
	defer c.pool.wg.Done()
	readErr := make(chan error, 1)
	c.rd, c.readErr = r, readErr
	go c.reader(r, nil, readErr)
	if err := <-readErr; err != nil && !errors.Is(err, io.EOF) {
		c.kill(killProtocol, 0, err.Error())
		_, _ = io.Copy(io.Discard, r)
	}
	<-stderrDone
	waitErr := c.cmd.Wait()
	c.mu.Lock()
	c.dead = true
	kind, offender, detail := c.kind, c.offender, c.detail
	invs := make([]*mainInv, 0, len(c.invs))
	for _, mi := range c.invs {
		invs = append(invs, mi)
	}
	c.mu.Unlock()
	close(c.exited)

	exitCode := -1
	if c.cmd.ProcessState != nil {
		exitCode = c.cmd.ProcessState.ExitCode()
	}
	memCap := fmt.Sprintf("memory cap %d MiB exceeded", c.pool.opt.MemoryCap>>20)
	var cordon []string
	fails := make([]error, len(invs))
	for i, mi := range invs {
		var err error
		switch {
		case kind == killShutdown:
			err = fmt.Errorf("%w: cell %d stopped", ErrClosed, c.pid)
		case kind == killMemory:
			err = killedError{&sandbox.LimitError{Limit: "memory", Detail: memCap + " (" + detail + ")" + cellKilled}}
			cordon = append(cordon, mi.agent)
		case kind == killNone && exitCode == ExitMemoryCap:
			err = killedError{&sandbox.LimitError{Limit: "memory", Detail: memCap + " (heap)" + cellKilled}}
			cordon = append(cordon, mi.agent)
		case (kind == killDeadline || kind == killCancel) && mi.id == offender:
			if kind == killDeadline {
				err = &sandbox.LimitError{Limit: "deadline", Detail: detail}
			} else {
				err = &cancelledError{msg: detail}
			}
			cordon = append(cordon, mi.agent)
		case kind == killDeadline || kind == killCancel:
			err = fmt.Errorf("%w: cell %d was killed because another invocation in it overran its hard deadline", ErrCrashed, c.pid)
		case kind == killProtocol:
			err = fmt.Errorf("%w: cell %d broke the protocol (%s); cell killed", ErrCrashed, c.pid, detail)
			cordon = append(cordon, mi.agent)
		default:
			err = fmt.Errorf("%w: cell %d exited (%v)%s", ErrCrashed, c.pid, waitErr, c.tailSuffix())
			cordon = append(cordon, mi.agent)
		}
		fails[i] = err
	}
	if kind != killShutdown {
		reason := detail
		if reason == "" {
			reason = fmt.Sprintf("%v", waitErr)
		}
		c.pool.opt.Logf("cell %d died with %d invocations in flight: %s%s", c.pid, len(invs), reason, c.tailSuffix())
		for _, a := range cordon {
			c.pool.cordonAgent(a)
		}
	}
	// Failed only now, cordons in place: a caller that runs the invocation
	// again, or asks Cordoned, sees the agent in a cell of its own.
	for i, mi := range invs {
		mi.done <- &doneMsg{err: fails[i], died: true}
	}
	c.pool.died(c)
}

// reader handles the cell's messages until the pipe fails, and reports
// that on errc. A binding call known to be quick runs on this goroutine,
// which then reads on (see inline.go). Any other call hands reading over to
// one of the pool's workers and runs on this goroutine, so the call starts
// without a goroutine switch; only one goroutine reads at a time. The
// workers' stacks have grown to what reading and calls need: a fresh
// goroutine per call grew its stack by copying, every time.
func (c *proc) reader(r *bufio.Reader, buf []byte, errc chan<- error) {
	fail := func(err error) { errc <- err }
	for {
		body, err := readFrame(r, buf)
		if err != nil {
			fail(err)
			return
		}
		if cap(body) <= 1<<20 {
			buf = body
		} else {
			buf = nil
		}
		d := &dec{b: body[1:]}
		switch body[0] {
		case msgDone:
			m := d.done()
			if d.err != nil {
				fail(d.err)
				return
			}
			c.mu.Lock()
			mi := c.invs[m.id]
			delete(c.invs, m.id)
			if mi != nil {
				if mi.hard != nil {
					mi.hard.Stop()
				}
				if nx := mi.next; nx != nil && nx.hard == nil && c.invs[nx.id] != nil {
					c.armLocked(nx) // the cell starts it now
				}
			}
			c.mu.Unlock()
			if mi != nil {
				mi.done <- m
			}
		case msgCall:
			m := d.call()
			if d.err != nil {
				fail(d.err)
				return
			}
			c.mu.Lock()
			mi := c.invs[m.inv]
			if mi != nil {
				mi.calls.Add()
			}
			c.mu.Unlock()
			if mi == nil {
				continue // the invocation ended; its isolate drops the answer
			}
			key := callKey{agent: mi.agent, binding: m.binding, method: m.method}
			if c.pool.costs.quick(key) {
				t := c.inline.begin()
				c.call(mi, m, key)
				if !c.inline.end(t) {
					return // the watcher handed reading over to a worker
				}
				continue
			}
			// Reading goes on on a worker; the call starts here at once.
			c.pool.workers.run(func() { c.reader(r, buf, errc) }) // decoding copied everything out of buf
			c.call(mi, m, key)
			return
		case msgProbeResult:
			id := d.uint64()
			v := d.value(0)
			if d.err != nil {
				fail(d.err)
				return
			}
			c.mu.Lock()
			mi := c.invs[id]
			delete(c.invs, id)
			c.mu.Unlock()
			if mi != nil {
				mi.done <- &doneMsg{value: v}
			}
		default:
			fail(fmt.Errorf("cell wire: unexpected message type %d", body[0]))
			return
		}
	}
}

// call runs one binding call for an isolate in the cell and sends the
// result back. How long the binding took is recorded under key.
func (c *proc) call(mi *mainInv, m *callMsg, key callKey) {
	defer mi.calls.Done()
	r := &callResultMsg{inv: m.inv, call: m.call}
	// The method name is the binding's to check (sandbox.Binding.Call
	// refuses a method it does not list), once, on this side.
	b := mi.inv.Env[m.binding]
	switch {
	case b == nil:
		r.failed, r.err = true, fmt.Sprintf("no binding %q", m.binding)
	default:
		t0 := time.Now()
		v, err := sandbox.SafeCall(mi.ctx, b, m.method, m.args)
		c.pool.costs.record(key, time.Since(t0))
		var le *sandbox.LimitError
		if errors.As(err, &le) {
			r.failed, r.limit = true, le
		} else if err != nil {
			r.failed, r.err = true, err.Error()
			var te interface{ TypeError() bool }
			r.typeErr = errors.As(err, &te) && te.TypeError()
		} else {
			r.value = v
		}
	}
	if err := c.send(func(e *enc) error { return e.callResult(r) }); err != nil {
		r.failed, r.err, r.value = true, "the result is not plain data: "+err.Error(), nil
		_ = c.send(func(e *enc) error { return e.callResult(r) })
	}
}

// probe asks the cell to try what hardening forbids (see harden_linux.go);
// the cell answers only if it was started with the probe enabled.
func (c *proc) probe(ctx context.Context, id uint64) (map[string]any, error) {
	mi := &mainInv{id: id, done: make(chan *doneMsg, 1)}
	c.mu.Lock()
	c.invs[id] = mi
	c.mu.Unlock()
	if err := c.send(func(e *enc) error { e.reset(msgProbe); e.uvarint(id); return nil }); err != nil {
		return nil, err
	}
	select {
	case dm := <-mi.done:
		if dm.err != nil {
			return nil, dm.err
		}
		m, _ := dm.value.(map[string]any)
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
