// Package cell is the second layer of the sandbox: worker processes
// ("cells") that host isolates.
//
// goja cannot cap memory, and some of its built-ins ignore Interrupt
// (`new Array(3e7).fill(1)`, `'x'.repeat(2**29)` run on for seconds past it),
// so one careless agent could freeze or kill a process that runs every other
// agent. A Pool runs invocations in cells instead: child processes of the
// same binary (re-executed with the hidden Subcommand, see MaybeServe), each
// hosting many isolates, each invocation still a fresh goja runtime made by
// the sandbox's in-process runner inside the cell.
//
// The main process and a cell talk over the cell's stdin and stdout with
// length-prefixed binary frames (see codec.go). A module travels as the
// JavaScript the main process compiled, with its hash, the first time a cell
// needs it; the cell compiles only its goja program (sandbox.Load, no
// esbuild) and keeps it. Binding calls made by an isolate cross back to the main process, which
// calls the real sandbox.Binding and sends the result: bindings, their props
// and secrets never enter a cell. Console lines, results and errors come
// back typed, so callers use errors.As on *sandbox.ScriptError,
// *sandbox.LimitError and *sandbox.CompileError exactly as with the
// in-process runner.
//
// Limits: each cell has a memory cap, enforced inside it by the Go runtime's
// memory limit and a watchdog on the heap that exits the cell, and backed by
// the main process reading the cell's RSS and killing it; each invocation
// has a hard deadline (its Limits.Deadline plus a grace), after which the
// main process kills the cell, which is what stops built-ins that ignore
// Interrupt; each cell runs at most a fixed number of isolates at once.
//
// Containment: a cell that dies fails only its own in-flight invocations,
// each with an error wrapping sandbox.ErrLimit (a *sandbox.LimitError) when
// a limit killed it, or ErrCrashed otherwise; the pool starts a replacement.
// An agent (named by ctx.agent, Invocation.Context["agent"], unless
// Options.AgentKey says otherwise) whose invocation killed a cell is cordoned
// into a cell of its own for its next runs, and returns to the shared cells
// after a quiet period with no further kill.
//
// On Linux a cell hardens itself before serving: no_new_privs, Landlock (no
// filesystem access, no TCP, scoped signals) where the kernel has it, and a
// seccomp filter allowing only what the Go runtime and the pipe need, so a
// cell cannot open a file or a socket or execute a program.
package cell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"littleboxes/sandbox"
)

// Sentinel errors.
var (
	// ErrCrashed is wrapped by the error of an invocation whose cell died
	// for a reason other than one of the invocation's own limits: the cell
	// crashed, or it was killed for another invocation's limit. The work can
	// be retried.
	ErrCrashed = errors.New("cell crashed")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("cell pool closed")
	// ErrKilled is wrapped, beside its *sandbox.LimitError, by the error of
	// an invocation whose cell was killed for its memory cap.
	ErrKilled = errors.New("cell killed")
)

// Defaults of Options.
const (
	DefaultMaxIsolatesPerCell = 1000
	DefaultMemoryCap          = 512 << 20
	DefaultGrace              = time.Second
	DefaultQuietPeriod        = 5 * time.Minute
)

// Options configure a Pool. Zero fields take defaults.
type Options struct {
	// Cells is the number of shared cells (default runtime.NumCPU()).
	Cells int
	// CellProcs is GOMAXPROCS in each cell (default 1): cells, not threads
	// within a cell, spread the work over the cores, and one P per cell
	// saves the cross-thread wake-ups that dominate a pipe round trip.
	CellProcs int
	// MaxIsolatesPerCell caps the isolates one cell runs at once (default
	// 1000); an invocation waits for a free slot.
	MaxIsolatesPerCell int
	// MemoryCap is the memory one cell may use, in bytes (default 512 MiB).
	MemoryCap int64
	// Grace is added to an invocation's deadline to make its hard deadline,
	// after which its cell is killed (default 1 s).
	Grace time.Duration
	// QuietPeriod is how long an agent that killed a cell stays in a cell
	// of its own after the last kill (default 5 min).
	QuietPeriod time.Duration
	// AgentKey names the agent of an invocation, for cordoning and cell
	// affinity. The default is the string Invocation.Context["agent"]; an
	// empty key means no affinity and no cordon.
	AgentKey func(*sandbox.Invocation) string
	// Command is the argv that starts a cell (default: this executable
	// with Subcommand). The program must call MaybeServe first thing.
	Command []string
	// Env is added to the environment of every cell.
	Env []string
	// Logf receives lifecycle messages (cells started, killed, replaced)
	// and a dead cell's last stderr lines. Default: discard.
	Logf func(format string, args ...any)
	// WatchInterval is how often the main process reads each cell's RSS
	// (default 20 ms).
	WatchInterval time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Cells <= 0 {
		o.Cells = runtime.NumCPU()
	}
	if o.CellProcs <= 0 {
		o.CellProcs = 1
	}
	if o.MaxIsolatesPerCell <= 0 {
		o.MaxIsolatesPerCell = DefaultMaxIsolatesPerCell
	}
	if o.MemoryCap <= 0 {
		o.MemoryCap = DefaultMemoryCap
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.QuietPeriod <= 0 {
		o.QuietPeriod = DefaultQuietPeriod
	}
	if o.AgentKey == nil {
		o.AgentKey = ContextAgent
	}
	if len(o.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("cell: finding this executable: %w", err)
		}
		o.Command = []string{exe, Subcommand}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = 20 * time.Millisecond
	}
	return o, nil
}

// Died reports whether err is the error of an invocation whose cell died
// under it: a crash, or a kill for the cell's memory cap, which cannot tell
// the invocation that grew from the others in the cell. Running such an
// invocation again is usually right: the agent that killed the cell is in
// a cell of its own by then, so a retry of it harms no one else, and its
// neighbours' retries run in the replacement cell. (An invocation killed for
// its own hard deadline is not one of these.)
func Died(err error) bool {
	return errors.Is(err, ErrCrashed) || errors.Is(err, ErrKilled)
}

// cellKilled ends the detail of a limit error for which the cell was killed.
const cellKilled = "; cell killed"

// killedError is a memory limit error for which the cell was killed: its
// text is the limit error's, and it wraps both that and ErrKilled.
type killedError struct{ le *sandbox.LimitError }

func (e killedError) Error() string   { return e.le.Error() }
func (e killedError) Unwrap() []error { return []error{e.le, ErrKilled} }

// ContextAgent is the default Options.AgentKey: Invocation.Context["agent"]
// if it is a string.
func ContextAgent(inv *sandbox.Invocation) string {
	s, _ := inv.Context["agent"].(string)
	return s
}

// Pool runs invocations in cells. It implements sandbox.Runner and is safe
// for concurrent use.
type Pool struct {
	opt Options

	mu       sync.Mutex
	closed   bool
	shared   []*proc            // by slot; nil while a replacement starts
	homes    map[string]int     // agent → shared slot it prefers
	homed    []int              // agents homed per slot
	cordons  map[string]*cordon // agents in cells of their own
	retiring []*proc            // dedicated cells whose cordon ended, closed when idle
	changed  chan struct{}      // closed and replaced when a slot frees or a cell starts

	workers       *workers  // run the cells' binding calls
	costs         callCosts // how long binding calls took, to run quick ones inline
	nextID        atomic.Uint64
	hardeningNote sync.Once // what a cell could not apply is logged once
	stop          chan struct{}
	wg            sync.WaitGroup // the watcher and replacement starters
}

// cordon is an agent kept in a cell of its own.
type cordon struct {
	until    time.Time
	proc     *proc
	starting bool
}

// NewPool starts the shared cells and returns the pool. Close it when done.
func NewPool(opt Options) (*Pool, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{
		opt:     opt,
		shared:  make([]*proc, opt.Cells),
		homes:   make(map[string]int),
		homed:   make([]int, opt.Cells),
		cordons: make(map[string]*cordon),
		changed: make(chan struct{}),
		stop:    make(chan struct{}),
		workers: newWorkers(),
	}
	type started struct {
		i   int
		c   *proc
		err error
	}
	ch := make(chan started, opt.Cells)
	for i := range p.shared {
		go func() {
			c, err := p.startProc(i, "")
			ch <- started{i, c, err}
		}()
	}
	var firstErr error
	for range p.shared {
		s := <-ch
		if s.err != nil && firstErr == nil {
			firstErr = s.err
		}
		p.shared[s.i] = s.c
	}
	if firstErr != nil {
		for _, c := range p.shared {
			if c != nil {
				c.shutdown()
			}
		}
		return nil, firstErr
	}
	p.wg.Add(1)
	go p.watch()
	return p, nil
}

// Close stops every cell (in-flight invocations fail) and waits for the
// pool's goroutines to end.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	var all []*proc
	for _, c := range p.shared {
		if c != nil {
			all = append(all, c)
		}
	}
	for _, cd := range p.cordons {
		if cd.proc != nil {
			all = append(all, cd.proc)
		}
	}
	all = append(all, p.retiring...)
	p.retiring = nil
	p.broadcastLocked()
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range all {
		wg.Add(1)
		go func() { defer wg.Done(); c.shutdown() }()
	}
	wg.Wait()
	p.wg.Wait()
	return nil
}

// CellInfo describes one live cell.
type CellInfo struct {
	PID       int       // the cell's process id
	Slot      int       // the shared slot, or -1 for a cell of its own
	Dedicated string    // the cordoned agent it serves, if any
	Agents    []string  // agents of the invocations in flight
	Hardening Hardening // what the cell applied to itself
}

// Cells lists the live cells: shared ones by slot, then cells of their own.
func (p *Pool) Cells() []CellInfo {
	p.mu.Lock()
	var procs []*proc
	for _, c := range p.shared {
		if c != nil {
			procs = append(procs, c)
		}
	}
	var ded []*proc
	for _, cd := range p.cordons {
		if cd.proc != nil {
			ded = append(ded, cd.proc)
		}
	}
	p.mu.Unlock()
	sort.Slice(ded, func(i, j int) bool { return ded[i].dedicated < ded[j].dedicated })
	var out []CellInfo
	for _, c := range append(procs, ded...) {
		out = append(out, c.info())
	}
	return out
}

// Cordoned reports whether agent currently runs in a cell of its own.
func (p *Pool) Cordoned(agent string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	cd := p.cordons[agent]
	return cd != nil && time.Now().Before(cd.until)
}

// broadcastLocked wakes everyone waiting for a cell slot.
func (p *Pool) broadcastLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Run runs one invocation in a cell. Its errors are those of the in-process
// runner, plus a *sandbox.LimitError for the memory cap or the hard deadline
// when the cell was killed, an error wrapping ErrCrashed when the cell died
// otherwise, and ErrClosed after Close. The Result is never nil.
func (p *Pool) Run(ctx context.Context, inv *sandbox.Invocation) (*sandbox.Result, error) {
	start := time.Now()
	limits, err := p.check(ctx, inv)
	if err != nil {
		return &sandbox.Result{}, err
	}
	agent := p.opt.AgentKey(inv)
	for attempt := 0; ; attempt++ {
		c, err := p.acquire(ctx, agent)
		if err != nil {
			return &sandbox.Result{Duration: time.Since(start)}, err
		}
		dm := c.run(ctx, p.nextID.Add(1), inv, agent, limits, attempt > 0)
		p.release(c)
		if errors.Is(dm.err, errUnknownModuleErr) && attempt == 0 {
			continue // the cell dropped the module: send it again
		}
		return p.result(ctx, dm, start)
	}
}

// Batched is one invocation of a RunBatch: what to run, the context its
// binding calls get (derived from RunBatch's), and, once RunBatch returns,
// what came of it.
type Batched struct {
	Ctx context.Context
	Inv *sandbox.Invocation
	Res *sandbox.Result // never nil once run
	Err error
}

// MaxBatch is the most invocations RunBatch sends to a cell at once.
const MaxBatch = 16

// RunBatch runs invocations of one agent, with the same limits, in order,
// each in its own fresh isolate and within its own limits, as Run would one
// after another; up to MaxBatch of them go to a cell in one frame and take
// one of its isolate slots, so a batch costs the cell one wake-up to start
// instead of one per invocation. When the cell dies under the batch, the
// invocation it was running ends as Run's would, and the ones after it,
// which never started, run again one at a time. Invocations of different
// agents or limits simply run one at a time. Cancelling ctx cancels every
// invocation of the batch.
func (p *Pool) RunBatch(ctx context.Context, jobs []*Batched) {
	if len(jobs) == 0 {
		return
	}
	same := len(jobs) > 1
	var agent string
	for i, j := range jobs {
		switch {
		case j.Inv == nil:
			same = false
		case i == 0:
			agent = p.opt.AgentKey(j.Inv)
		case !same:
		case p.opt.AgentKey(j.Inv) != agent || j.Inv.Limits != jobs[0].Inv.Limits:
			same = false
		}
	}
	if !same {
		for _, j := range jobs {
			j.Res, j.Err = p.Run(j.Ctx, j.Inv)
		}
		return
	}
	for len(jobs) > 0 {
		n := min(len(jobs), MaxBatch)
		p.runBatch(ctx, agent, jobs[:n])
		jobs = jobs[n:]
	}
}

// runBatch is RunBatch for up to MaxBatch invocations of one agent.
func (p *Pool) runBatch(ctx context.Context, agent string, jobs []*Batched) {
	start := time.Now()
	var runs []batchRun
	var ran []*Batched
	var limits sandbox.Limits
	for _, j := range jobs {
		j.Res = &sandbox.Result{}
		l, err := p.check(j.Ctx, j.Inv)
		if err != nil {
			j.Err = err
			continue
		}
		limits = l
		runs = append(runs, batchRun{ctx: j.Ctx, id: p.nextID.Add(1), inv: j.Inv})
		ran = append(ran, j)
	}
	if len(runs) == 0 {
		return
	}
	c, err := p.acquire(ctx, agent)
	if err != nil {
		for _, j := range ran {
			j.Res.Duration, j.Err = time.Since(start), err
		}
		return
	}
	dms := c.runBatch(ctx, runs, agent, limits, false)
	p.release(c)
	for i, j := range ran {
		dm := dms[i]
		if dm.err == errNotStarted || errors.Is(dm.err, errUnknownModuleErr) {
			// It ran no code: once more, on its own.
			j.Res, j.Err = p.Run(j.Ctx, j.Inv)
			continue
		}
		j.Res, j.Err = p.result(j.Ctx, dm, start)
	}
}

// check validates inv before it runs and returns its limits with the
// defaults filled in.
func (p *Pool) check(ctx context.Context, inv *sandbox.Invocation) (sandbox.Limits, error) {
	if inv == nil || inv.Module == nil || inv.Module.Hash == "" || inv.Module.JS == "" {
		return sandbox.Limits{}, errors.New("sandbox: invocation has no compiled module")
	}
	limits, err := inv.Limits.WithDefaults()
	if err != nil {
		return limits, fmt.Errorf("sandbox: %w", err)
	}
	for name, b := range inv.Env {
		if b == nil {
			return limits, fmt.Errorf("sandbox: env.%s is nil", name)
		}
	}
	if err := ctx.Err(); err != nil {
		return limits, fmt.Errorf("invocation cancelled: %w", context.Cause(ctx))
	}
	return limits, nil
}

// result turns a cell's answer into Run's result.
func (p *Pool) result(ctx context.Context, dm *doneMsg, start time.Time) (*sandbox.Result, error) {
	res := &sandbox.Result{Value: dm.value, Console: dm.console, Duration: dm.duration}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	var ce *cancelledError
	if errors.As(dm.err, &ce) {
		if ctx.Err() != nil {
			return res, fmt.Errorf("invocation cancelled: %w", context.Cause(ctx))
		}
		return res, errors.New(ce.msg)
	}
	return res, dm.err
}

// acquire picks a cell for agent and takes one of its isolate slots,
// waiting for one if every cell is full.
func (p *Pool) acquire(ctx context.Context, agent string) (*proc, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		var c *proc
		var startDedicated bool
		if cd := p.cordons[agent]; agent != "" && cd != nil && time.Now().Before(cd.until) {
			switch {
			case cd.proc != nil && cd.proc.take(p.opt.MaxIsolatesPerCell):
				c = cd.proc
			case cd.proc == nil && !cd.starting:
				cd.starting, startDedicated = true, true
			}
		} else {
			if cd != nil {
				p.uncordonLocked(agent, cd)
			}
			c = p.pickSharedLocked(agent)
		}
		wait := p.changed
		p.mu.Unlock()
		if c != nil {
			return c, nil
		}
		if startDedicated {
			nc, err := p.startProc(-1, agent)
			p.mu.Lock()
			cd := p.cordons[agent]
			if cd != nil {
				cd.starting = false
			}
			switch {
			case err != nil:
				p.broadcastLocked()
				p.mu.Unlock()
				return nil, err
			case p.closed || cd == nil:
				p.mu.Unlock()
				nc.shutdown()
			default:
				cd.proc = nc
				p.broadcastLocked()
				p.mu.Unlock()
				p.opt.Logf("cell %d started for cordoned agent %q", nc.pid, agent)
			}
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("invocation cancelled: %w", context.Cause(ctx))
		}
	}
}

// pickSharedLocked takes a slot in the agent's home cell, or else in the
// least loaded shared cell (which becomes the agent's home if it has none).
func (p *Pool) pickSharedLocked(agent string) *proc {
	max := p.opt.MaxIsolatesPerCell
	home, hasHome := -1, false
	if agent != "" {
		var h int
		if h, hasHome = p.homes[agent]; hasHome {
			home = h
			if c := p.shared[home]; c != nil && c.take(max) {
				return c
			}
		}
	}
	best := -1
	bestLoad := 0
	for i, c := range p.shared {
		if c == nil || i == home {
			continue
		}
		load := c.load()
		if agent != "" && !hasHome {
			// A new agent goes to the cell with the fewest agents.
			load = p.homed[i]<<20 + load
		}
		if best < 0 || load < bestLoad {
			best, bestLoad = i, load
		}
	}
	if best < 0 || !p.shared[best].take(max) {
		// The best candidate is full; try the rest in order.
		best = -1
		for i, c := range p.shared {
			if c != nil && i != home && c.take(max) {
				best = i
				break
			}
		}
		if best < 0 {
			return nil
		}
	}
	if agent != "" && !hasHome {
		p.homes[agent] = best
		p.homed[best]++
	}
	return p.shared[best]
}

// uncordonLocked ends an agent's cordon; its cell is closed once idle.
func (p *Pool) uncordonLocked(agent string, cd *cordon) {
	delete(p.cordons, agent)
	if cd.proc != nil {
		p.retiring = append(p.retiring, cd.proc)
	}
	p.opt.Logf("agent %q returns to the shared cells", agent)
}

func (p *Pool) release(c *proc) {
	c.put()
	p.mu.Lock()
	p.broadcastLocked()
	p.mu.Unlock()
}

// cordonAgent puts agent in a cell of its own until the quiet period passes.
func (p *Pool) cordonAgent(agent string) {
	if agent == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	cd := p.cordons[agent]
	if cd == nil {
		cd = &cordon{}
		p.cordons[agent] = cd
	}
	cd.until = time.Now().Add(p.opt.QuietPeriod)
	p.opt.Logf("agent %q cordoned into a cell of its own until %s", agent, cd.until.Format(time.TimeOnly))
}

// died is called once by a cell's lifecycle goroutine after its process
// exited and its invocations were failed.
func (p *Pool) died(c *proc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.slot >= 0 {
		if p.shared[c.slot] == c {
			p.shared[c.slot] = nil
			if !p.closed {
				p.wg.Add(1)
				go p.replace(c.slot)
			}
		}
	} else if cd := p.cordons[c.dedicated]; cd != nil && cd.proc == c {
		cd.proc = nil // the next run starts a new one
	}
	for i, r := range p.retiring {
		if r == c {
			p.retiring = append(p.retiring[:i], p.retiring[i+1:]...)
			break
		}
	}
	p.broadcastLocked()
}

// replace starts a new shared cell in slot, retrying until it works or the
// pool closes.
func (p *Pool) replace(slot int) {
	defer p.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		c, err := p.startProc(slot, "")
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			if c != nil {
				c.shutdown()
			}
			return
		}
		if err == nil {
			p.shared[slot] = c
			p.broadcastLocked()
			p.mu.Unlock()
			p.opt.Logf("cell %d replaces the dead cell in slot %d", c.pid, slot)
			return
		}
		p.mu.Unlock()
		p.opt.Logf("starting a replacement cell in slot %d: %v", slot, err)
		select {
		case <-p.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// watch reads every cell's RSS and kills a cell over the memory cap, and
// closes idle cells of agents whose cordon ended.
func (p *Pool) watch() {
	defer p.wg.Done()
	t := time.NewTicker(p.opt.WatchInterval)
	defer t.Stop()
	w := make(map[*proc]*watched)
	defer func() {
		for _, x := range w {
			if x.statm != nil {
				x.statm.close()
			}
		}
	}()
	tick := uint64(0)
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		var procs []*proc
		for _, c := range p.shared {
			if c != nil {
				procs = append(procs, c)
			}
		}
		now := time.Now()
		for agent, cd := range p.cordons {
			if cd.proc != nil {
				procs = append(procs, cd.proc)
			}
			if !now.Before(cd.until) && (cd.proc == nil || cd.proc.load() == 0) && !cd.starting {
				p.uncordonLocked(agent, cd)
			}
		}
		var idle []*proc
		keep := p.retiring[:0]
		for _, r := range p.retiring {
			if r.load() == 0 {
				idle = append(idle, r)
			} else {
				keep = append(keep, r)
			}
		}
		p.retiring = keep
		busy := append(procs, keep...)
		p.mu.Unlock()
		for _, c := range idle {
			c.shutdown()
		}
		for _, c := range busy {
			if c.inline.stuck() {
				// A call run inline on the reader blocks: the cell's
				// other frames are read on a worker from now on.
				c.readOn()
			}
		}
		tick++
		for _, c := range procs {
			x := w[c]
			if x == nil {
				x = &watched{}
				w[c] = x
			}
			x.tick = tick
			if rss := x.read(c); rss > p.opt.MemoryCap {
				c.kill(killMemory, 0, fmt.Sprintf("rss %d MiB", rss>>20))
			}
		}
		for c, x := range w {
			if x.tick != tick { // no longer the pool's: replaced or closed
				if x.statm != nil {
					x.statm.close()
				}
				delete(w, c)
			}
		}
	}
}

// watched is what the watcher keeps about one cell between ticks.
type watched struct {
	statm *statm // nil until opened, or after a read failed
	tick  uint64 // the last tick that saw the cell in the pool
	idle  bool   // nothing ran in the cell at its last read
	taken uint64 // the cell's slots ever taken at its last read
}

// read returns the cell's RSS, or 0 when it is not read this tick. A cell's
// memory grows only while something runs in it, so a cell found idle at its
// last read, in which nothing has run since, is not read again: the read
// after an invocation ended, however short it was, still happens.
func (x *watched) read(c *proc) int64 {
	inflight, taken := c.activity()
	if inflight == 0 && x.idle && taken == x.taken {
		return 0
	}
	x.idle, x.taken = inflight == 0, taken
	if x.statm == nil {
		s, err := openStatm(c.pid)
		if err != nil {
			return 0 // gone, or no /proc here: its lifecycle reports a death
		}
		x.statm = s
	}
	rss, err := x.statm.rss()
	if err != nil {
		x.statm.close()
		x.statm = nil
		return 0
	}
	return rss
}

// Interface guard.
var _ sandbox.Runner = (*Pool)(nil)
