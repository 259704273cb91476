package cell

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"littleboxes/sandbox"
)

func noopEnv() map[string]sandbox.Binding {
	noop := func(context.Context, []any) (any, error) { return nil, nil }
	env := make(map[string]sandbox.Binding, 5)
	for i := 0; i < 5; i++ {
		env["b"+strconv.Itoa(i)] = sandbox.Methods{"noop": noop, "get": noop, "put": noop}
	}
	return env
}

// BenchmarkCellSpawn is spawn + first call of an isolate in a warm cell.
func BenchmarkCellSpawn(b *testing.B) {
	p, err := NewPool(Options{Cells: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	mod := compile(b, "export default { async run(input, env, ctx) { return input } }")
	env := noopEnv()
	var inCell, wall []time.Duration
	for b.Loop() {
		t0 := time.Now()
		res, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: 1.0, Env: env})
		wall = append(wall, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		inCell = append(inCell, res.Duration)
	}
	sort.Slice(inCell, func(i, j int) bool { return inCell[i] < inCell[j] })
	sort.Slice(wall, func(i, j int) bool { return wall[i] < wall[j] })
	b.ReportMetric(float64(inCell[len(inCell)/2].Microseconds()), "µs-in-cell-p50")
	b.ReportMetric(float64(wall[len(wall)/2].Microseconds()), "µs-p50")
}

// BenchmarkCellBindingCall is one binding call's round trip from an
// isolate in a cell to the main process and back; µs-p50 is the median gap
// between two calls reaching Go, as app/bench measures it. cpu-µs/op is the
// CPU time both processes used per call (on Linux), cell-cpu-µs/op the
// cell's share of it: what a call costs a
// machine that has other work: measure with -benchtime of 20000x or more,
// the cell's CPU time is read in 10 ms ticks.
func BenchmarkCellBindingCall(b *testing.B) {
	p, err := NewPool(Options{Cells: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	mod := compile(b, "export default { async run(n, env) { for (let i = 0; i < n; i++) await env.b0.noop(i); return n } }")
	stamps := make([]time.Time, 0, b.N)
	env := noopEnv()
	env["b0"] = sandbox.Methods{"noop": func(context.Context, []any) (any, error) {
		stamps = append(stamps, time.Now()) // calls are sequential
		return nil, nil
	}}
	// Warm the cell up, so that it is started and its CPU time is readable.
	if _, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: 1.0, Env: env}); err != nil {
		b.Fatal(err)
	}
	stamps = stamps[:0]
	pid := p.Cells()[0].PID
	self0, cell0, cpuOK := cpuTime(pid)
	b.ResetTimer()
	if _, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: float64(b.N), Env: env, Limits: sandbox.Limits{Deadline: time.Hour}}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if self1, cell1, ok := cpuTime(pid); ok && cpuOK {
		perOp := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(b.N) }
		b.ReportMetric(perOp((self1-self0)+(cell1-cell0)), "cpu-µs/op")
		b.ReportMetric(perOp(cell1-cell0), "cell-cpu-µs/op")
	}
	var gaps []time.Duration
	for i := 1; i < len(stamps); i++ {
		gaps = append(gaps, stamps[i].Sub(stamps[i-1]))
	}
	if len(gaps) > 0 {
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds()), "µs-p50")
	}
}
