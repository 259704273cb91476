//go:build unix

package cell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
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

// callOrder records the jobs whose binding was called, in order.
type callOrder struct {
	mu   sync.Mutex
	jobs []int
}

// jobBinding answers get(x) with "x from job i", recording i in order;
// with kill set, it first SIGKILLs the cell that runs agent.
func jobBinding(t *testing.T, p *Pool, i int, kill string, order *callOrder) sandbox.Binding {
	return sandbox.Methods{"get": func(ctx context.Context, args []any) (any, error) {
		order.mu.Lock()
		order.jobs = append(order.jobs, i)
		order.mu.Unlock()
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

func batchJobs(t *testing.T, p *Pool, mod *sandbox.Module, agent string, inputs []any, killer int) ([]*Batched, *callOrder) {
	order := &callOrder{}
	jobs := make([]*Batched, len(inputs))
	for i, in := range inputs {
		kill := ""
		if i == killer {
			kill = agent
		}
		jobs[i] = &Batched{Ctx: context.Background(), Inv: &sandbox.Invocation{
			Module: mod, Input: in, Context: map[string]any{"agent": agent},
			Env:    map[string]sandbox.Binding{"job": jobBinding(t, p, i, kill, order)},
			Limits: sandbox.Limits{Deadline: 2 * time.Second},
		}}
	}
	return jobs, order
}

func TestRunBatch(t *testing.T) {
	p := newPool(t, Options{Cells: 1, QuietPeriod: time.Hour, Grace: time.Second})
	mod := compile(t, batchModule)

	t.Run("each in its own isolate, answered in order", func(t *testing.T) {
		inputs := make([]any, MaxBatch+3) // more than one frame's worth
		for i := range inputs {
			inputs[i] = fmt.Sprintf("m%d", i)
		}
		jobs, order := batchJobs(t, p, mod, "plain", inputs, -1)
		p.RunBatch(context.Background(), jobs)
		for i, j := range order.jobs {
			if i != j {
				t.Fatalf("the jobs ran in the order %v", order.jobs)
			}
		}
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
		jobs, _ := batchJobs(t, p, mod, "looper", []any{"a", "loop", "c"}, -1)
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
		jobs, _ := batchJobs(t, p, mod, "killer", []any{"a", "b", "c", "d"}, 1)
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

	t.Run("a job without an invocation", func(t *testing.T) {
		jobs, _ := batchJobs(t, p, mod, "holes", []any{"a", "b"}, -1)
		jobs = append([]*Batched{{Ctx: context.Background()}}, jobs...)
		p.RunBatch(context.Background(), jobs)
		if jobs[0].Err == nil || jobs[0].Res == nil {
			t.Errorf("the empty job: %v, %v; want an error and a result", jobs[0].Res, jobs[0].Err)
		}
		for i, j := range jobs[1:] {
			if j.Err != nil {
				t.Errorf("job %d: %v", i, j.Err)
			}
		}
	})

	t.Run("mixed agents run one at a time", func(t *testing.T) {
		x, _ := batchJobs(t, p, mod, "x", []any{"a"}, -1)
		y, _ := batchJobs(t, p, mod, "y", []any{"b"}, -1)
		jobs := append(x, y...)
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
	jobs, _ := batchJobs(t, p, mod, "one", []any{"a", "b", "c"}, -1)
	p.RunBatch(context.Background(), jobs)
	for i, j := range jobs {
		if j.Err != nil {
			t.Errorf("job %d: %v", i, j.Err)
		}
	}
}

// TestBatchCancel cancels a batch while its first invocation waits in a
// binding call: every invocation of it ends cancelled, the ones not started
// included, and the cell lives on.
func TestBatchCancel(t *testing.T) {
	p := newPool(t, Options{Cells: 1})
	mod := compile(t, batchModule)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entered := make(chan struct{}, 1)
	block := sandbox.Methods{"get": func(ctx context.Context, _ []any) (any, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	jobs, _ := batchJobs(t, p, mod, "cancelled", []any{"a", "b", "c"}, -1)
	for _, j := range jobs {
		j.Ctx = ctx
		j.Inv.Env = map[string]sandbox.Binding{"job": block}
	}
	go func() {
		<-entered
		cancel()
	}()
	p.RunBatch(ctx, jobs)
	for i, j := range jobs {
		if j.Err == nil || !strings.Contains(j.Err.Error(), "cancel") || Died(j.Err) {
			t.Errorf("job %d: %v; want it cancelled", i, j.Err)
		}
	}
	if p.Cordoned("cancelled") {
		t.Error("a cancelled agent was cordoned")
	}
	again, _ := batchJobs(t, p, mod, "after", []any{"x", "y"}, -1)
	p.RunBatch(context.Background(), again)
	for i, j := range again {
		if j.Err != nil {
			t.Errorf("after the cancel, job %d: %v", i, j.Err)
		}
	}
}

func TestRunBatchRoundTrip(t *testing.T) {
	runs := []*runMsg{
		{id: 1, hash: "h", filename: "a.ts", js: "src", entry: "onMessage", input: "m1",
			context: map[string]any{"agent": "x"}, env: []envEntry{{name: "next", methods: []string{"send"}}}},
		{id: 2, hash: "h", filename: "a.ts", entry: "onMessage", input: []any{1.0, "m2"},
			context: map[string]any{"agent": "x"}, env: []envEntry{{name: "next", methods: []string{"send"}}}},
	}
	var e enc
	if err := e.runBatch(runs); err != nil {
		t.Fatal(err)
	}
	f, _ := e.frame()
	body, err := readFrame(bufio.NewReader(bytes.NewReader(f)), nil)
	if err != nil || body[0] != msgRunBatch {
		t.Fatalf("readFrame: %v, type %d", err, body[0])
	}
	d := &dec{b: body[1:]}
	got := d.runBatch()
	if d.err != nil || !reflect.DeepEqual(got, runs) {
		t.Fatalf("runBatch: %v\ngot  %#v\nwant %#v", d.err, got, runs)
	}
	if d := (&dec{b: body[1 : len(body)-1]}); d.runBatch() != nil && d.err == nil {
		t.Fatal("a cut runBatch frame decoded without an error")
	}
}
