//go:build unix

package cell

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"littleboxes/sandbox"
)

// batchModule runs in a fresh isolate or throws; it answers with what its
// own env.job binding says, after the steps its input asks for.
const batchModule = `export default { async run(input, env) {
	if (globalThis.used) throw new Error("isolate reused");
	globalThis.used = true;
	if (input === "loop") for (;;) {}
	return await env.job.get(input)
} }`

// jobBinding answers get(x) with "x from job i"; with kill set, it first
// SIGKILLs the cell that runs agent.
func jobBinding(t *testing.T, p *Pool, i int, kill string) sandbox.Binding {
	return sandbox.Methods{"get": func(ctx context.Context, args []any) (any, error) {
		if kill != "" {
			for _, c := range p.Cells() {
				for _, a := range c.Agents {
					if a == kill {
						if err := syscall.Kill(c.PID, syscall.SIGKILL); err != nil {
							t.Errorf("kill: %v", err)
						}
						<-ctx.Done() // the cell's death ends the call
						return nil, ctx.Err()
					}
				}
			}
			t.Errorf("no cell runs %s", kill)
		}
		return fmt.Sprintf("%v from job %d", args[0], i), nil
	}}
}

func batchJobs(t *testing.T, p *Pool, mod *sandbox.Module, agent string, inputs []any, killer int) []*Batched {
	jobs := make([]*Batched, len(inputs))
	for i, in := range inputs {
		kill := ""
		if i == killer {
			kill = agent
		}
		jobs[i] = &Batched{Ctx: context.Background(), Inv: &sandbox.Invocation{
			Module: mod, Input: in, Context: map[string]any{"agent": agent},
			Env:    map[string]sandbox.Binding{"job": jobBinding(t, p, i, kill)},
			Limits: sandbox.Limits{Deadline: 2 * time.Second},
		}}
	}
	return jobs
}

func TestRunBatch(t *testing.T) {
	p := newPool(t, Options{Cells: 1, QuietPeriod: time.Hour, Grace: time.Second})
	mod := compile(t, batchModule)

	t.Run("each in its own isolate, answered in order", func(t *testing.T) {
		inputs := make([]any, MaxBatch+3) // more than one frame's worth
		for i := range inputs {
			inputs[i] = fmt.Sprintf("m%d", i)
		}
		jobs := batchJobs(t, p, mod, "plain", inputs, -1)
		p.RunBatch(context.Background(), jobs)
		for i, j := range jobs {
			want := fmt.Sprintf("m%d from job %d", i, i)
			if j.Err != nil || j.Res == nil || j.Res.Value != want {
				t.Errorf("job %d: %v, %v; want %q", i, j.Res, j.Err, want)
			}
		}
		if p.Cordoned("plain") {
			t.Error("plain cordoned")
		}
	})

	t.Run("deadline per invocation", func(t *testing.T) {
		jobs := batchJobs(t, p, mod, "looper", []any{"a", "loop", "c"}, -1)
		p.RunBatch(context.Background(), jobs)
		var le *sandbox.LimitError
		if !errors.As(jobs[1].Err, &le) || le.Limit != "deadline" {
			t.Errorf("the looping job: %v; want a deadline limit error", jobs[1].Err)
		}
		for _, i := range []int{0, 2} {
			if want := fmt.Sprintf("%s from job %d", jobs[i].Inv.Input, i); jobs[i].Err != nil || jobs[i].Res.Value != want {
				t.Errorf("job %d: %v, %v; want %q", i, jobs[i].Res.Value, jobs[i].Err, want)
			}
		}
	})

	t.Run("a cell killed mid-batch", func(t *testing.T) {
		jobs := batchJobs(t, p, mod, "killer", []any{"a", "b", "c", "d"}, 1)
		p.RunBatch(context.Background(), jobs)
		if !Died(jobs[1].Err) {
			t.Errorf("the job whose cell was killed: %v; want a cell death", jobs[1].Err)
		}
		// Before it: answered; after it: never started, so run again, in
		// the agent's own cell.
		for _, i := range []int{0, 2, 3} {
			if want := fmt.Sprintf("%s from job %d", jobs[i].Inv.Input, i); jobs[i].Err != nil || jobs[i].Res.Value != want {
				t.Errorf("job %d: %v, %v; want %q", i, jobs[i].Res.Value, jobs[i].Err, want)
			}
		}
		if !p.Cordoned("killer") {
			t.Error("the agent whose invocation killed its cell is not cordoned")
		}
	})

	t.Run("mixed agents run one at a time", func(t *testing.T) {
		jobs := append(batchJobs(t, p, mod, "x", []any{"a"}, -1), batchJobs(t, p, mod, "y", []any{"b"}, -1)...)
		p.RunBatch(context.Background(), jobs)
		for i, j := range jobs {
			if j.Err != nil || j.Res.Value != fmt.Sprintf("%s from job 0", j.Inv.Input) {
				t.Errorf("job %d: %v, %v", i, j.Res.Value, j.Err)
			}
		}
	})
}

// TestBatchCountsOneIsolate: a batch takes one of a cell's isolate slots,
// in the pool and in the cell, so a cell at a cap of one runs it.
func TestBatchCountsOneIsolate(t *testing.T) {
	p := newPool(t, Options{Cells: 1, MaxIsolatesPerCell: 1})
	mod := compile(t, batchModule)
	jobs := batchJobs(t, p, mod, "one", []any{"a", "b", "c"}, -1)
	p.RunBatch(context.Background(), jobs)
	for i, j := range jobs {
		if j.Err != nil {
			t.Errorf("job %d: %v", i, j.Err)
		}
	}
}
