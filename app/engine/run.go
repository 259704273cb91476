package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"littleboxes/app/codemode"
	"littleboxes/app/store"
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// Run statuses of a RunRecord.
const (
	RunOK    = "ok"
	RunError = "error"
	RunLimit = "limit"
)

// RunRecord is one invocation, as kept in the store.
type RunRecord struct {
	ID      string                `json:"id"`
	Agent   string                `json:"agent"`
	Trigger string                `json:"trigger"` // manual, message, every, item, approval
	Entry   string                `json:"entry"`
	Start   int64                 `json:"start"` // Unix milliseconds
	End     int64                 `json:"end"`
	Status  string                `json:"status"`
	Result  json.RawMessage       `json:"result,omitempty"`
	Error   string                `json:"error,omitempty"`
	Console []sandbox.ConsoleLine `json:"console,omitempty"`
	// Attempts are an instructions agent's tries: each one's code, error,
	// console and the code-writing reply's token usage.
	Attempts []codemode.Attempt `json:"attempts,omitempty"`
}

// Run runs agent's run(input, env, ctx) once, as the manual trigger does,
// and returns its result; the run is recorded. Messages it sends are durable
// when Run returns.
func (e *Engine) Run(ctx context.Context, agentName string, input any) (*sandbox.Result, error) {
	g, err := e.agent(agentName)
	if err != nil {
		return nil, err
	}
	return e.invoke(ctx, g, sandbox.EntryRun, "manual", input, nil)
}

// invoke runs one entry point of g in a fresh isolate, records the run, and
// waits for the messages it sent to be committed. extra is added to ctx.
func (e *Engine) invoke(ctx context.Context, g *agent, entry, trigger string, input any, extra map[string]any) (*sandbox.Result, error) {
	return e.invokeWith(ctx, g, entry, trigger, input, extra, nil)
}

// invokeWith is invoke; with a non-nil sn, the messages sent are collected
// there instead of being waited for.
func (e *Engine) invokeWith(ctx context.Context, g *agent, entry, trigger string, input any, extra map[string]any, sn *sends) (*sandbox.Result, error) {
	return e.invokeModule(ctx, g, nil, entry, trigger, input, extra, sn)
}

// invokeModule is invokeWith; a non-nil given module runs instead of g's own
// code (or its Code Mode), with g's bindings but its code-writing model.
func (e *Engine) invokeModule(ctx context.Context, g *agent, given *sandbox.Module, entry, trigger string, input any, extra map[string]any, sn *sends) (*sandbox.Result, error) {
	r, res, err := e.begin(ctx, g, given, entry, trigger, input, extra, sn)
	if r == nil {
		return res, err
	}
	if err == nil && r.inv != nil {
		res, err = e.runner.Run(r.ictx, r.inv)
	}
	return e.finish(r, res, err)
}

// invocation is one run of an agent between begin and finish.
type invocation struct {
	ctx, ictx      context.Context
	g              *agent
	entry, trigger string
	sn             *sends
	own            bool // sn was made here: finish waits for its messages
	start          time.Time
	cordoned       func(error)
	inv            *sandbox.Invocation // what the runner runs; nil when already run (Code Mode) or failed
	attempts       []codemode.Attempt
}

// begin starts an invocation of g: it returns the invocation to run (its
// inv) and finish, or, when r is nil, the invocation's end at once. A
// non-nil err with r is an invocation that failed before it ran; an
// instructions agent's is already run (res, r.inv nil).
func (e *Engine) begin(ctx context.Context, g *agent, given *sandbox.Module, entry, trigger string, input any, extra map[string]any, sn *sends) (r *invocation, res *sandbox.Result, err error) {
	if e.isClosed() && ctx != e.runCtx {
		return nil, nil, fmt.Errorf("engine: run %s: %w", g.name, ErrClosed)
	}
	r = &invocation{ctx: ctx, g: g, entry: entry, trigger: trigger, sn: sn, own: sn == nil}
	if r.own {
		r.sn = &sends{}
	}
	r.ictx = context.WithValue(ctx, keySends, r.sn)
	jsctx := map[string]any{"agent": g.name, "trigger": trigger}
	if g.item != "" {
		jsctx["item"] = g.item
		jsctx["template"] = g.def.Name
	}
	for k, v := range extra {
		jsctx[k] = v
	}
	r.start = e.now()
	r.cordoned = e.watchCordon(g.name)
	e.ev.Publish(Event{Type: EventRunStart, Agent: g.name, Detail: trigger})
	var mod *sandbox.Module
	env := g.env
	switch {
	case given != nil:
		mod, env = given, withoutWriter(g.env)
	case g.instr != nil && entry == sandbox.EntryOnApproval:
		// Its code is written per run: there is no onApproval to call.
		return nil, &sandbox.Result{}, fmt.Errorf("engine: %s is an instructions agent: %w", g.name, sandbox.ErrNoEntry)
	case g.instr != nil:
		res, r.attempts, err = e.runInstructed(r.ictx, g, entry, input, jsctx)
	default:
		if mod, err = g.code.get(); err != nil {
			// Checked when the engine started; goja refusing what esbuild
			// accepted is the only way here.
			err = fmt.Errorf("engine: %s: compiling %s: %w", g.name, g.code.filename, err)
		}
	}
	if err == nil && mod != nil {
		r.inv = &sandbox.Invocation{Module: mod, Entry: entry, Input: input, Env: env, Context: jsctx, Limits: g.limits}
	}
	return r, res, err
}

// finish ends an invocation begun by begin, given what running it came
// to: a run whose cell died under it runs once more, then the run is
// recorded (or kept in sn for the caller to settle).
func (e *Engine) finish(r *invocation, res *sandbox.Result, err error) (*sandbox.Result, error) {
	g, ctx := r.g, r.ctx
	r.cordoned(err)
	if r.inv != nil && cell.Died(err) && ctx.Err() == nil {
		// Its cell died under it, perhaps for another agent's doing: once
		// more, in a fresh isolate in a live cell, within what is left of
		// its deadline (so an agent that kills cells gets no extra time).
		deadline := g.limits.Deadline
		if deadline <= 0 {
			deadline = sandbox.DefaultDeadline
		}
		if left := deadline - e.now().Sub(r.start); left > 10*time.Millisecond {
			e.logf("engine: %s: %v; running it again", g.name, e.red.Error(err))
			again := *r.inv
			again.Limits.Deadline = left
			res, err = e.runner.Run(r.ictx, &again)
		}
	}
	if res == nil {
		res = &sandbox.Result{}
	}
	if err != nil {
		err = e.red.Error(err)
	}
	res.Value = e.red.Value(res.Value)
	for i := range res.Console {
		res.Console[i].Text = e.red.String(res.Console[i].Text)
	}
	sn := r.sn
	if !r.own {
		// the caller waits
	} else if werr := sn.wait(); werr != nil && err == nil {
		err = fmt.Errorf("engine: %s: a message it sent was not stored: %w", g.name, werr)
	}
	if errors.Is(err, sandbox.ErrNoEntry) && r.entry == sandbox.EntryOnApproval {
		return res, err // not exporting onApproval is no run
	}
	rec := RunRecord{Agent: g.name, Trigger: r.trigger, Entry: r.entry, Start: r.start.UnixMilli(), End: e.now().UnixMilli(), Status: RunOK}
	var le *sandbox.LimitError
	switch {
	case errors.As(err, &le):
		rec.Status, rec.Error = RunLimit, err.Error()
	case err != nil:
		rec.Status, rec.Error = RunError, err.Error()
	default:
		if b, jerr := json.Marshal(res.Value); jerr == nil {
			rec.Result = b
		}
	}
	rec.Console = capConsole(res.Console)
	for _, at := range r.attempts {
		at.Code = e.red.String(at.Code)
		at.Error = e.red.String(at.Error)
		for i := range at.Console {
			at.Console[i].Text = e.red.String(at.Console[i].Text)
		}
		at.Console = capConsole(at.Console)
		rec.Attempts = append(rec.Attempts, at)
	}
	if sn.keep {
		sn.rec = &rec
	} else {
		e.recordRun(rec)
	}
	e.ev.Publish(Event{Type: EventRunEnd, Agent: g.name, Detail: rec.Status, Error: rec.Error})
	return res, err
}

// batchRunner is a runner that runs several invocations of one agent with
// one request (cell.Pool).
type batchRunner interface {
	RunBatch(ctx context.Context, jobs []*cell.Batched)
}

// wait waits for the messages sent to be committed.
func (s *sends) wait() error {
	var errs []error
	for _, o := range s.ops {
		if err := <-o.done; err != nil {
			errs = append(errs, err)
		}
	}
	s.ops = s.ops[:0]
	return errors.Join(errs...)
}

func capConsole(lines []sandbox.ConsoleLine) []sandbox.ConsoleLine {
	n := 0
	for i, l := range lines {
		n += len(l.Text)
		if n > MaxRecordedConsole {
			out := append([]sandbox.ConsoleLine(nil), lines[:i]...)
			return append(out, sandbox.ConsoleLine{Level: "warn", Text: "… console output cut"})
		}
	}
	return lines
}

// recordRun stores rec without waiting and drops records beyond KeepRuns.
func (e *Engine) recordRun(rec RunRecord) {
	keep := uint64(e.opts.KeepRuns)
	e.com.later(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketRuns, rec.Agent)
		if err != nil {
			return err
		}
		return appendRecord(b, keep, &rec, &rec.ID)
	}, nil)
}

// appendRecord appends rec to b under the bucket's next sequence number,
// which becomes its id, and drops the record keep places back: run records
// and reports keep the newest keep.
func appendRecord[T any](b store.Bucket, keep uint64, rec *T, id *string) error {
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	*id = strconv.FormatUint(seq, 10)
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := b.Put(store.Uint64Key(seq), v); err != nil {
		return err
	}
	if seq > keep {
		return b.Delete(store.Uint64Key(seq - keep))
	}
	return nil
}

// Runs returns up to limit of agent's run records, newest first.
func (e *Engine) Runs(agentName string, limit int) ([]RunRecord, error) {
	return Runs(e.st, e.armyKey, agentName, limit)
}

// Runs reads up to limit of agent's run records in army from st, newest
// first; with agent "", of every agent's, merged.
func Runs(st store.Store, army, agentName string, limit int) ([]RunRecord, error) {
	if agentName == "" {
		return allRuns(st, army, limit)
	}
	out := []RunRecord{}
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{Reverse: true, Limit: limit}, func(_, v []byte) error {
			var r RunRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	}, bucketRuns, agentName)
	if err != nil {
		return nil, fmt.Errorf("engine: runs of %s: %w", agentName, err)
	}
	return out, nil
}

// allRuns reads the newest limit run records of all agents.
func allRuns(st store.Store, army string, limit int) ([]RunRecord, error) {
	names, err := RunAgents(st, army)
	if err != nil {
		return nil, err
	}
	return RunsOf(st, army, names, limit)
}

// AgentRuns reads the newest limit run records of army's agent: an agent,
// a template's instance "T[ITEM]", or a template (its instances' runs,
// merged), as `littleboxes runs` lists them.
func AgentRuns(st store.Store, army, agent string, limit int) ([]RunRecord, error) {
	names, err := RunAgents(st, army)
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n != agent && !strings.HasPrefix(n, agent+"[") })
	return RunsOf(st, army, names, limit)
}

// RunAgents lists the node names with run records in army ("NAME" and
// "TEMPLATE[ITEM]").
func RunAgents(st store.Store, army string) ([]string, error) {
	var names []string
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Buckets(func(name string) error {
			names = append(names, name)
			return nil
		})
	}, bucketRuns)
	if err != nil {
		return nil, fmt.Errorf("engine: runs: %w", err)
	}
	return names, nil
}

// RunsOf reads the newest limit run records (limit 0: all) of the agents
// named, merged newest first: by start, then end, then id, latest first.
// It is how a template's instances' runs are shown together.
func RunsOf(st store.Store, army string, agents []string, limit int) ([]RunRecord, error) {
	out := []RunRecord{}
	for _, n := range agents {
		runs, err := Runs(st, army, n, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, runs...)
	}
	slices.SortStableFunc(out, func(x, y RunRecord) int {
		if c := cmp.Compare(y.Start, x.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(y.End, x.End); c != 0 {
			return c
		}
		return cmp.Compare(y.ID, x.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ReportRecord is one report to the owner, as stored.
type ReportRecord struct {
	ID         string `json:"id"`
	Agent      string `json:"agent"`      // the agent that reported
	Capability string `json:"capability"` // the report capability it used
	Time       int64  `json:"time"`       // Unix milliseconds
	Message    any    `json:"message"`
}

// Report implements capabilities.Reporter: a report to the owner is stored
// (the last KeepRuns of them), becomes an event and a log line. It returns
// once the report is on disk.
func (e *Engine) Report(ctx context.Context, from string, msg any) error {
	msg = e.red.Value(msg)
	agent := agentOf(ctx)
	rec := ReportRecord{Agent: agent, Capability: from, Time: e.now().UnixMilli(), Message: msg}
	keep := uint64(e.opts.KeepRuns)
	err := e.com.do(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketReports)
		if err != nil {
			return err
		}
		return appendRecord(b, keep, &rec, &rec.ID)
	})
	if err != nil {
		return fmt.Errorf("engine: storing a report from %s: %w", agent, err)
	}
	e.ev.Publish(Event{Type: EventReport, Agent: agent, ID: rec.ID, Detail: from, Data: msg})
	e.logf("report from %s: %v", from, msg)
	return nil
}

// Reports returns up to limit of the stored reports, newest first.
func (e *Engine) Reports(limit int) ([]ReportRecord, error) { return Reports(e.st, e.armyKey, limit) }

// Reports reads up to limit of army's reports stored in st, newest first.
func Reports(st store.Store, army string, limit int) ([]ReportRecord, error) {
	out := []ReportRecord{}
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{Reverse: true, Limit: limit}, func(_, v []byte) error {
			var r ReportRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	}, bucketReports)
	if err != nil {
		return nil, fmt.Errorf("engine: reports: %w", err)
	}
	return out, nil
}

func agentOf(ctx context.Context) string {
	s, _ := ctx.Value(keyAgent).(string)
	return s
}
