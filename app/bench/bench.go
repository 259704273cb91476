// Package bench measures littleboxes' performance figures: how fast an
// isolate starts, how many start per second, what a live isolate costs in
// memory, and what a binding call costs; a whole army run; and, on armies
// of ten thousand agents, `check` and `run --once` as child processes.
// `littleboxes bench` prints them.
package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"littleboxes/app/codemode"
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// Report holds the figures. Times are medians (p50) or 99th percentiles of
// individual measurements; memory is per live isolate.
type Report struct {
	SpawnP50us        float64 `json:"spawn_p50_us"`
	SpawnP99us        float64 `json:"spawn_p99_us"`
	SpawnsPerSec      float64 `json:"spawns_per_s"`
	Cores             int     `json:"cores"`
	LiveAgents        int     `json:"live_agents"`
	HeapPerAgentKiB   float64 `json:"heap_per_agent_kib"`
	StackPerAgentKiB  float64 `json:"stack_per_agent_kib"`
	RSSPerAgentKiB    float64 `json:"rss_per_agent_kib"`
	BindingCallP50us  float64 `json:"binding_call_p50_us"`
	BindingCallP99us  float64 `json:"binding_call_p99_us"`
	GoVersion         string  `json:"go_version"`
	SpawnSamples      int     `json:"spawn_samples"`
	BindingCallSample int     `json:"binding_call_samples"`

	// Cells (sandbox/cell): spawn + first call of an isolate in a warm
	// cell, and a binding call made from a cell, both timed in the main
	// process.
	CellSpawnP50us       float64 `json:"cell_spawn_p50_us"`
	CellSpawnP99us       float64 `json:"cell_spawn_p99_us"`
	CellBindingCallP50us float64 `json:"cell_binding_call_p50_us"`
	CellBindingCallP99us float64 `json:"cell_binding_call_p99_us"`
	// CodeModeOverheadP50us is Code Mode's own cost per attempt, the
	// model's time excluded: normalise a reply of new code, compile it, and
	// run it in a fresh isolate in a warm cell.
	CodeModeOverheadP50us float64 `json:"codemode_overhead_p50_us"`

	// The whole army (ArmyReport): the inbox army over ArmyThreads mail
	// threads, one triage agent per thread, all run once, in cells. The
	// names say 10k because that is the default and the figure asked for.
	ArmyThreads   int     `json:"army_threads"`
	Army10kWallS  float64 `json:"army_10k_wall_s"`
	Army10kRSSMiB float64 `json:"army_10k_rss_mib"`

	// Scale (ScaleReport), each a child process of the binary, median of
	// three: `check` of ScaleN threads whose flagged sinks share a kv
	// namespace, and `run --once` of one agent of ScaleN agents, its time
	// and peak resident memory (with its cell). The names say 10k, the
	// default.
	ScaleN        int     `json:"scale_n"`
	Check10kS     float64 `json:"check_10k_s"`
	Once10kS      float64 `json:"once_10k_s"`
	Once10kRSSMiB float64 `json:"once_10k_rss_mib"`

	MCP *MCPReport `json:"mcp,omitempty"` // the MCP figures (mcp.go)
}

// Options choose how much to measure.
type Options struct {
	LiveAgents   int           // isolates alive at once for the memory figure (default 10,000)
	SpawnSamples int           // sequential spawns timed (default 5,000)
	Calls        int           // binding calls timed (default 20,000)
	Throughput   time.Duration // how long to spawn on all cores (default 2 s)
	ArmyThreads  int           // threads of the whole-army figure (default 10,000; negative: skip it)
	ScaleN       int           // agents of the scale figures (default 10,000; negative: skip them)
	// Exe is the littleboxes binary the scale figures run as child
	// processes; empty skips them.
	Exe string
}

func (o Options) withDefaults() Options {
	if o.LiveAgents <= 0 {
		o.LiveAgents = 10000
	}
	if o.SpawnSamples <= 0 {
		o.SpawnSamples = 5000
	}
	if o.Calls <= 0 {
		o.Calls = 20000
	}
	if o.Throughput <= 0 {
		o.Throughput = 2 * time.Second
	}
	if o.ArmyThreads == 0 {
		o.ArmyThreads = 10000
	}
	if o.ScaleN == 0 {
		o.ScaleN = 10000
	}
	return o
}

// SpawnModule is the agent the spawn figures run: it returns its input.
const SpawnModule = `export default { async run(input, env, ctx) { return input } }`

// CallModule makes n sequential binding calls.
const CallModule = `export default { async run(n, env) { for (let i = 0; i < n; i++) await env.b0.noop(i); return n } }`

// WaitModule waits on one binding call, as an agent waits on I/O.
const WaitModule = `export default { async run(input, env) { return await env.io.wait(input) } }`

// NoopEnv is a binding-shaped env of five bindings with no-op methods.
func NoopEnv() map[string]sandbox.Binding {
	noop := func(context.Context, []any) (any, error) { return nil, nil }
	env := make(map[string]sandbox.Binding, 5)
	for i := 0; i < 5; i++ {
		env["b"+strconv.Itoa(i)] = sandbox.Methods{"noop": noop, "get": noop, "put": noop}
	}
	return env
}

// Run measures everything.
func Run(ctx context.Context, opt Options, logf func(string, ...any)) (*Report, error) {
	opt = opt.withDefaults()
	r := &Report{Cores: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), LiveAgents: opt.LiveAgents}

	// The army first, while this process is small: its memory figure is
	// the peak resident memory.
	if opt.ArmyThreads > 0 {
		dir, err := os.MkdirTemp("", "littleboxes-bench-army-")
		if err != nil {
			return nil, err
		}
		ar, err := Army(ctx, opt.ArmyThreads, dir, false, logf)
		os.RemoveAll(dir)
		if err != nil {
			return nil, err
		}
		r.ArmyThreads, r.Army10kWallS, r.Army10kRSSMiB = ar.Threads, ar.WallS, ar.PeakRSSMiB
	}
	if opt.ScaleN > 0 && opt.Exe != "" {
		dir, err := os.MkdirTemp("", "littleboxes-bench-scale-")
		if err != nil {
			return nil, err
		}
		sr, err := Scale(ctx, opt.Exe, opt.ScaleN, dir, logf)
		os.RemoveAll(dir)
		if err != nil {
			return nil, err
		}
		r.ScaleN, r.Check10kS, r.Once10kS, r.Once10kRSSMiB = sr.N, sr.CheckS, sr.OnceS, sr.OnceRSSMiB
	}

	r.MCP = MCP(ctx, MCPOptions{Exe: opt.Exe}, logf)
	runner := sandbox.NewInProcess()

	spawn, err := sandbox.Compile("spawn.js", SpawnModule)
	if err != nil {
		return nil, err
	}
	env := NoopEnv()
	invoke := func() error {
		_, err := runner.Run(ctx, &sandbox.Invocation{Module: spawn, Input: 1.0, Env: env})
		return err
	}
	for i := 0; i < 200; i++ { // warm up
		if err := invoke(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
	}
	logf("spawn + first call: %d sequential isolates", opt.SpawnSamples)
	d := make([]time.Duration, opt.SpawnSamples)
	for i := range d {
		t0 := time.Now()
		if err := invoke(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
		d[i] = time.Since(t0)
	}
	r.SpawnP50us, r.SpawnP99us = percentileUS(d, 50), percentileUS(d, 99)
	r.SpawnSamples = len(d)

	logf("spawns per second: %d goroutines for %v", r.Cores, opt.Throughput)
	var total atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	stop := time.Now().Add(opt.Throughput)
	t0 := time.Now()
	for w := 0; w < r.Cores; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := invoke(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				total.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("throughput: %w", err)
	}
	r.SpawnsPerSec = float64(total.Load()) / time.Since(t0).Seconds()

	logf("binding calls: %d", opt.Calls)
	calls, err := BindingCalls(ctx, runner, opt.Calls)
	if err != nil {
		return nil, err
	}
	r.BindingCallP50us, r.BindingCallP99us = percentileUS(calls, 50), percentileUS(calls, 99)
	r.BindingCallSample = len(calls)

	if err := CellFigures(ctx, r, min(opt.SpawnSamples, 2000), min(opt.Calls, 5000), logf); err != nil {
		return nil, err
	}

	logf("memory: %d live isolates, each awaiting a binding call", opt.LiveAgents)
	heap, stack, rss, err := LiveMemory(ctx, runner, opt.LiveAgents)
	if err != nil {
		return nil, err
	}
	r.HeapPerAgentKiB, r.StackPerAgentKiB, r.RSSPerAgentKiB = heap/1024, stack/1024, rss/1024
	return r, nil
}

// CellFigures measures isolates in a cell: spawns sequential invocations
// of SpawnModule in one warm cell, and n sequential binding calls from a
// cell, and fills in the report's cell figures. The binary must serve as a
// cell (main calls cell.MaybeServe).
func CellFigures(ctx context.Context, r *Report, spawns, calls int, logf func(string, ...any)) error {
	pool, err := cell.NewPool(cell.Options{Cells: 1})
	if err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	defer pool.Close()
	spawn, err := sandbox.Compile("spawn.js", SpawnModule)
	if err != nil {
		return err
	}
	env := NoopEnv()
	invoke := func() error {
		_, err := pool.Run(ctx, &sandbox.Invocation{Module: spawn, Input: 1.0, Env: env})
		return err
	}
	for i := 0; i < 200; i++ { // warm up
		if err := invoke(); err != nil {
			return fmt.Errorf("cell spawn: %w", err)
		}
	}
	logf("cell spawn + first call: %d sequential isolates in one warm cell", spawns)
	d := make([]time.Duration, spawns)
	for i := range d {
		t0 := time.Now()
		if err := invoke(); err != nil {
			return fmt.Errorf("cell spawn: %w", err)
		}
		d[i] = time.Since(t0)
	}
	r.CellSpawnP50us, r.CellSpawnP99us = percentileUS(d, 50), percentileUS(d, 99)

	logf("cell binding calls: %d", calls)
	c, err := BindingCalls(ctx, pool, calls)
	if err != nil {
		return fmt.Errorf("cell %w", err)
	}
	r.CellBindingCallP50us, r.CellBindingCallP99us = percentileUS(c, 50), percentileUS(c, 99)

	n := max(spawns/10, 50)
	logf("code mode: %d attempts of new code, normalised, compiled and run in the cell", n)
	cm := make([]time.Duration, n)
	for i := range cm {
		// A new text each time: what a model writes is new to the compile cache.
		reply := fmt.Sprintf("```ts\nconst n: number = input + %d;\nawait env.b0.noop(n);\nreturn { n };\n```", i)
		t0 := time.Now()
		m, err := codemode.Module("agent.ts", reply)
		if err != nil {
			return fmt.Errorf("code mode: %w", err)
		}
		if _, err := pool.Run(ctx, &sandbox.Invocation{Module: m, Input: 1.0, Env: env}); err != nil {
			return fmt.Errorf("code mode: %w", err)
		}
		cm[i] = time.Since(t0)
	}
	r.CodeModeOverheadP50us = percentileUS(cm, 50)
	return nil
}

// BindingCalls times n sequential binding calls from one isolate: each
// sample is the time from one call reaching Go to the next one reaching Go,
// i.e. the round trip back into JavaScript and out again.
func BindingCalls(ctx context.Context, runner sandbox.Runner, n int) ([]time.Duration, error) {
	mod, err := sandbox.Compile("calls.js", CallModule)
	if err != nil {
		return nil, err
	}
	stamps := make([]time.Time, 0, n)
	env := NoopEnv()
	env["b0"] = sandbox.Methods{"noop": func(context.Context, []any) (any, error) {
		stamps = append(stamps, time.Now()) // calls are sequential: no race
		return nil, nil
	}}
	if _, err := runner.Run(ctx, &sandbox.Invocation{Module: mod, Input: float64(n), Env: env, Limits: sandbox.Limits{Deadline: time.Minute}}); err != nil {
		return nil, fmt.Errorf("binding calls: %w", err)
	}
	d := make([]time.Duration, 0, len(stamps))
	for i := 1; i < len(stamps); i++ {
		d = append(d, stamps[i].Sub(stamps[i-1]))
	}
	return d, nil
}

// LiveMemory starts n isolates that each wait on a binding call, measures the
// Go heap, goroutine stacks and process RSS they add, per isolate, then
// releases them.
func LiveMemory(ctx context.Context, runner sandbox.Runner, n int) (heap, stack, rss float64, err error) {
	mod, err := sandbox.Compile("wait.js", WaitModule)
	if err != nil {
		return 0, 0, 0, err
	}
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(n)
	env := NoopEnv()
	env["io"] = sandbox.Methods{"wait": func(c context.Context, args []any) (any, error) {
		entered.Done()
		select {
		case <-release:
		case <-c.Done():
		}
		return args[0], nil
	}}
	runtime.GC()
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := readRSS()

	errs := make(chan error, n)
	var done sync.WaitGroup
	for i := 0; i < n; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			_, err := runner.Run(ctx, &sandbox.Invocation{Module: mod, Input: float64(i), Env: env, Limits: sandbox.Limits{Deadline: 10 * time.Minute}})
			if err != nil {
				errs <- err
			}
		}(i)
	}
	waitAll := make(chan struct{})
	go func() { entered.Wait(); close(waitAll) }()
	select {
	case <-waitAll:
	case err := <-errs:
		close(release)
		done.Wait()
		return 0, 0, 0, fmt.Errorf("live isolates: %w", err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	rss1 := readRSS()
	close(release)
	done.Wait()
	select {
	case err := <-errs:
		return 0, 0, 0, fmt.Errorf("live isolates: %w", err)
	default:
	}
	f := float64(n)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / f,
		float64(int64(after.StackInuse)-int64(before.StackInuse)) / f,
		float64(rss1-rss0) / f, nil
}

// readRSS returns this process's resident set size in bytes (Linux), or 0.
func readRSS() int64 { return cell.RSS(os.Getpid()) }

// readRSSOf returns the resident memory of process pid, given in decimal,
// or 0 when it cannot be read.
func readRSSOf(pid string) int64 {
	n, err := strconv.Atoi(pid)
	if err != nil {
		return 0
	}
	return cell.RSS(n)
}

func percentileUS(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return float64(s[i].Nanoseconds()) / 1000
}
