package cell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"littleboxes/sandbox"
)

// Subcommand is the hidden first argument that makes the binary a cell.
const Subcommand = "__cell"

// Environment variables the main process hands a cell.
const (
	envMemCap   = "LITTLEBOXES_CELL_MEMCAP"   // the memory cap in bytes
	envIsolates = "LITTLEBOXES_CELL_ISOLATES" // the cap on isolates at once
	envProbe    = "LITTLEBOXES_CELL_PROBE"    // "1" enables the hardening probe (tests)
	envNoHarden = "LITTLEBOXES_CELL_NOHARDEN" // "1" skips hardening (debugging only)
)

// Exit codes of a cell that ends itself.
const (
	// ExitMemoryCap is the exit code of a cell whose watchdog found its heap
	// over the memory cap.
	ExitMemoryCap = 86
	// exitProtocol is the exit code of a cell that read a malformed frame.
	exitProtocol = 87
)

// IsCellArgs reports whether args (os.Args[1:]) ask the binary to be a cell.
func IsCellArgs(args []string) bool { return len(args) > 0 && args[0] == Subcommand }

// MaybeServe makes the process a cell and never returns if it was started as
// one (its first argument is Subcommand); otherwise it returns at once. Call
// it first in main, and in TestMain of tests that start cells.
func MaybeServe() {
	if !IsCellArgs(os.Args[1:]) {
		return
	}
	// Nobody reads a cell's heap profile: sampling it unwound goja's deep
	// stacks and kept a bucket per distinct stack, for the cell's life.
	runtime.MemProfileRate = 0
	closeInherited()
	os.Exit(Serve(stdin(), stdout()))
}

// Serve runs a cell on the given pipe: it hardens the process (Linux), sends
// a hello, then runs invocations until in reaches EOF. It returns the
// process exit code.
func Serve(in io.Reader, out io.Writer) int {
	memCap := envInt(envMemCap, 0)
	maxIso := envInt(envIsolates, 0)
	// A cell's live heap is small and its garbage is mostly whole isolates:
	// collecting less often makes spawns cheaper, and the memory limit
	// below still makes the collector work hard near the cap.
	debug.SetGCPercent(400)
	if memCap > 0 {
		// The soft limit makes the collector work harder near the cap; the
		// watchdog below is what enforces it.
		debug.SetMemoryLimit(int64(memCap) * 9 / 10)
	}
	// A runaway Go recursion (a parser deep in a built-in) dies quickly
	// rather than growing a gigabyte of stack.
	debug.SetMaxStack(256 << 20)
	prepareForHardening()
	var h Hardening
	if os.Getenv(envNoHarden) != "1" {
		h = harden()
	} else {
		h.Problems = "hardening skipped (" + envNoHarden + "=1)"
	}
	s := &server{
		fw:      newFrameWriter(out),
		workers: newWorkers(),
		runner:  sandbox.NewInProcess(),
		invs:    make(map[uint64]*cellInv),
		mods:    make(map[string]*sandbox.Module),
		maxIso:  maxIso,
		probe:   os.Getenv(envProbe) == "1",
	}
	if memCap > 0 {
		go watchdog(uint64(memCap))
	}
	s.send(func(e *enc) error { e.hello(&helloMsg{pid: os.Getpid(), hardening: h}); return nil })
	s.workers.run(s.runner.Prepare)
	readErr := make(chan error, 1)
	go s.reader(bufio.NewReaderSize(in, 64<<10), nil, readErr)
	err := <-readErr
	s.cancelAll()
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(os.Stderr, "littleboxes cell: %v\n", err)
		return exitProtocol
	}
	return 0
}

func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil {
		return def
	}
	return n
}

// watchdog ends the cell with ExitMemoryCap when the Go heap passes the cap.
// It reads runtime/metrics, which costs no stop-the-world.
func watchdog(limit uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		metrics.Read(samples)
		var used uint64
		for _, s := range samples {
			if s.Value.Kind() == metrics.KindUint64 {
				used += s.Value.Uint64()
			}
		}
		if used > limit {
			fmt.Fprintf(os.Stderr, "littleboxes cell: heap %d MiB is over the memory cap of %d MiB\n", used>>20, limit>>20)
			os.Exit(ExitMemoryCap)
		}
	}
}

// server is the cell side of the pipe.
type server struct {
	fw      *frameWriter       // frames to the main process
	workers *workers           // run the invocations
	runner  *sandbox.InProcess // holds an isolate made ahead (Prepare)

	mu      sync.Mutex
	invs    map[uint64]*cellInv // admitted and not ended, batched ones not started yet included
	running int                 // isolates running or about to: an admitted run or batch each
	mods    map[string]*sandbox.Module
	maxIso  int
	probe   bool
	wg      sync.WaitGroup
}

// cellInv is one invocation running in this cell.
type cellInv struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	nextID uint64
	calls  map[uint64]func(any, error) // binding calls awaiting their result
}

// send encodes and writes one frame; a write error means the main process
// is gone, and the cell exits.
func (s *server) send(build func(*enc) error) {
	buildErr, writeErr := s.fw.send(build)
	if buildErr != nil {
		fmt.Fprintf(os.Stderr, "littleboxes cell: %v\n", buildErr)
	}
	if writeErr != nil {
		os.Exit(0) // the main process is gone
	}
}

// reader reads frames until the pipe fails, and reports that on errc. A
// run message hands reading over to one of the workers and runs the
// invocation on this goroutine, so the isolate starts without a goroutine
// switch. The workers' stacks have grown to what goja needs: a fresh
// goroutine per invocation grew its stack by copying, every time.
func (s *server) reader(r *bufio.Reader, buf []byte, errc chan<- error) {
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
		case msgRun:
			m := d.run()
			if d.err != nil {
				fail(d.err)
				return
			}
			inv := s.admit(m)
			if inv == nil {
				continue
			}
			// Reading goes on on a worker (with one P, as soon as this
			// goroutine parks); the isolate starts here at once.
			s.workers.run(func() { s.reader(r, buf, errc) }) // decoding copied everything out of buf
			s.execute(m, inv)
			// Once answered, make the next invocation's isolate while the
			// main process reads the answer.
			s.runner.Prepare()
			return
		case msgRunBatch:
			ms := d.runBatch()
			if d.err != nil {
				fail(d.err)
				return
			}
			invs := s.admitBatch(ms)
			if invs == nil {
				continue
			}
			s.workers.run(func() { s.reader(r, buf, errc) })
			s.executeBatch(ms, invs)
			return
		case msgCallResult:
			m := d.callResult()
			if d.err != nil {
				fail(d.err)
				return
			}
			s.deliver(m)
		case msgCancel:
			id := d.uint64()
			if d.err != nil {
				fail(d.err)
				return
			}
			s.mu.Lock()
			if inv := s.invs[id]; inv != nil {
				inv.cancel()
			}
			s.mu.Unlock()
		case msgProbe:
			id := d.uint64()
			if d.err != nil {
				fail(d.err)
				return
			}
			var res map[string]any
			if s.probe {
				res = probe()
			} else {
				res = map[string]any{"error": "probing is off"}
			}
			s.send(func(e *enc) error {
				e.reset(msgProbeResult)
				e.uvarint(id)
				return e.value(res, 0)
			})
		default:
			fail(fmt.Errorf("cell wire: unknown message type %d", body[0]))
			return
		}
	}
}

func (s *server) cancelAll() {
	s.mu.Lock()
	for _, inv := range s.invs {
		inv.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// module returns the compiled module for m, loading its JavaScript if this
// cell has not seen it.
func (s *server) module(m *runMsg) (*sandbox.Module, error) {
	s.mu.Lock()
	mod := s.mods[m.hash]
	s.mu.Unlock()
	if mod != nil {
		return mod, nil
	}
	if m.js == "" {
		return nil, errUnknownModuleErr
	}
	// The main process compiled and checked the module; the cell compiles
	// only the goja program of its JavaScript.
	mod, err := sandbox.Load(m.filename, m.hash, m.js)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.mods) >= maxCellModules {
		for k := range s.mods { // drop one at random; the main process resends on demand
			delete(s.mods, k)
			break
		}
	}
	s.mods[m.hash] = mod
	s.mu.Unlock()
	return mod, nil
}

// maxCellModules bounds the compiled modules a cell keeps.
const maxCellModules = 1024

// admit registers an invocation, or answers it with a limit error if the
// cell already runs its cap of isolates.
func (s *server) admit(m *runMsg) *cellInv {
	ctx, cancel := context.WithCancel(context.Background())
	inv := &cellInv{ctx: ctx, cancel: cancel, calls: make(map[uint64]func(any, error))}
	s.mu.Lock()
	over := s.maxIso > 0 && s.running >= s.maxIso
	if !over {
		s.invs[m.id] = inv
		s.running++
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if over {
		cancel()
		s.refuse(m.id)
		return nil
	}
	return inv
}

// refuse answers run id with the limit error of a full cell.
func (s *server) refuse(id uint64) {
	s.send(func(e *enc) error {
		return e.done(&doneMsg{id: id, err: &sandbox.LimitError{Limit: "isolates per cell", Detail: fmt.Sprintf("the cell already runs %d isolates", s.maxIso)}})
	})
}

// admitBatch registers the runs of a batch, which take one isolate at a
// time and so count once against the cap; when the cell already runs its
// cap, each run is answered with a limit error and admitBatch returns nil.
// Every run is registered at once, so that a cancel finds one that has not
// started yet.
func (s *server) admitBatch(ms []*runMsg) []*cellInv {
	if len(ms) == 0 {
		return nil
	}
	invs := make([]*cellInv, len(ms))
	for i := range ms {
		ctx, cancel := context.WithCancel(context.Background())
		invs[i] = &cellInv{ctx: ctx, cancel: cancel, calls: make(map[uint64]func(any, error))}
	}
	s.mu.Lock()
	over := s.maxIso > 0 && s.running >= s.maxIso
	if !over {
		for i, m := range ms {
			s.invs[m.id] = invs[i]
		}
		s.running++
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if over {
		for i, m := range ms {
			invs[i].cancel()
			s.refuse(m.id)
		}
		return nil
	}
	return invs
}

// executeBatch runs an admitted batch's invocations one after another, each
// in its own fresh isolate, and sends each one's end as it comes: the main
// process arms an invocation's hard deadline when the one before it ended.
func (s *server) executeBatch(ms []*runMsg, invs []*cellInv) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	for i, m := range ms {
		s.finish(m, invs[i])
		// Make the next isolate while the main process reads the answer.
		s.runner.Prepare()
	}
}

// execute runs an admitted invocation and sends its end.
func (s *server) execute(m *runMsg, inv *cellInv) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	s.finish(m, inv)
}

// finish runs one invocation and sends its end.
func (s *server) finish(m *runMsg, inv *cellInv) {
	defer inv.cancel()
	res, err := s.runOne(inv.ctx, m, inv)
	s.mu.Lock()
	delete(s.invs, m.id)
	s.mu.Unlock()
	dm := &doneMsg{id: m.id, err: err}
	if res != nil {
		dm.value, dm.console, dm.duration = res.Value, res.Console, res.Duration
	}
	s.send(func(e *enc) error { return e.done(dm) })
}

func (s *server) runOne(ctx context.Context, m *runMsg, inv *cellInv) (*sandbox.Result, error) {
	mod, err := s.module(m)
	if err != nil {
		return nil, err
	}
	env := make(map[string]sandbox.Binding, len(m.env))
	for _, b := range m.env {
		env[b.name] = &remoteBinding{s: s, inv: inv, invID: m.id, name: b.name, methods: b.methods}
	}
	return s.runner.Run(ctx, &sandbox.Invocation{
		Module:  mod,
		Entry:   m.entry,
		Input:   m.input,
		Env:     env,
		Context: m.context,
		Limits:  m.limits,
	})
}

func (s *server) deliver(m *callResultMsg) {
	s.mu.Lock()
	inv := s.invs[m.inv]
	s.mu.Unlock()
	if inv == nil {
		return
	}
	inv.mu.Lock()
	done := inv.calls[m.call]
	delete(inv.calls, m.call)
	inv.mu.Unlock()
	if done != nil {
		done(m.result()) // posts to the isolate's loop; never waits for it
	}
}

func (r *callResultMsg) result() (any, error) {
	if r.limit != nil {
		return nil, r.limit
	}
	if r.failed && r.typeErr {
		return nil, typeError(r.err)
	}
	if r.failed {
		return nil, errors.New(r.err)
	}
	return r.value, nil
}

// typeError is a binding call refused in the main process as a mistake in
// the agent's code; the isolate throws it as a TypeError.
type typeError string

func (e typeError) Error() string   { return string(e) }
func (e typeError) TypeError() bool { return true }

// remoteBinding is a binding whose methods run in the main process.
type remoteBinding struct {
	s       *server
	inv     *cellInv
	invID   uint64
	name    string
	methods []string
}

func (b *remoteBinding) Methods() []string { return b.methods }

// Start implements sandbox.AsyncBinding: it sends the call to the main
// process, and the cell's reader hands the answer to done.
func (b *remoteBinding) Start(_ context.Context, method string, args []any, done func(any, error)) {
	b.inv.mu.Lock()
	b.inv.nextID++
	id := b.inv.nextID
	b.inv.calls[id] = done
	b.inv.mu.Unlock()
	var encErr error
	b.s.send(func(e *enc) error {
		encErr = e.call(&callMsg{inv: b.invID, call: id, binding: b.name, method: method, args: args})
		return encErr
	})
	if encErr != nil {
		b.inv.mu.Lock()
		delete(b.inv.calls, id)
		b.inv.mu.Unlock()
		done(nil, encErr)
	}
}

// Call implements sandbox.Binding with Start, waiting for the answer.
func (b *remoteBinding) Call(ctx context.Context, method string, args []any) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	b.Start(ctx, method, args, func(v any, err error) { ch <- result{v, err} })
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Interface guard.
var _ sandbox.AsyncBinding = (*remoteBinding)(nil)
