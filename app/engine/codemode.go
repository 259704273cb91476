package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"littleboxes/app/army"
	"littleboxes/app/codemode"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/sandbox"
)

// bucketPlans holds plan mode's cached code, by codemode.PlanKey.
const bucketPlans = "plans"

// instructed is what running an instructions agent needs beyond an agent:
// the identity of its model, for the plan cache.
type instructed struct {
	model string // the model capability's name and props: part of the plan key
}

// newInstructed describes an instructions agent's Code Mode. props are its
// model capability's props as JSON.
func newInstructed(ag *army.Agent, props []byte) *instructed {
	return &instructed{model: ag.Model + "\x00" + string(props)}
}

// Declaration returns the TypeScript declaration of agentName's env: exactly
// its bindings (an instructions agent's code-writing model excluded), each
// by its instance's own method table, as Code Mode shows it to a model.
func (e *Engine) Declaration(agentName string) (string, error) {
	g, err := e.agent(agentName)
	if err != nil {
		return "", err
	}
	decl, err := e.declaration(g)
	if err != nil {
		return "", fmt.Errorf("engine: %s: its env declaration: %w", agentName, err)
	}
	return decl, nil
}

// declaration renders g's env declaration: exactly its bindings, each by its
// instance's own method table (a dynamic kind's tools included).
func (e *Engine) declaration(g *agent) (string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var bs []capabilities.Binding
	for env, inst := range g.raw {
		if env == army.CodeWriterEnv {
			continue
		}
		k, ok := e.instKind[inst]
		if !ok {
			return "", fmt.Errorf("env.%s: the instance's kind is unknown", env)
		}
		bs = append(bs, capabilities.Binding{Name: env, Kind: k, Table: capabilities.TableOf(inst)})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name })
	return capabilities.RenderEnv(bs)
}

// planLocks makes the first run of a plan write it while the others wait,
// so ten thousand instances of a template make one code-writing call.
type planLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (p *planLocks) lock(key string) func() {
	p.mu.Lock()
	if p.locks == nil {
		p.locks = map[string]*sync.Mutex{}
	}
	l, ok := p.locks[key]
	if !ok {
		l = &sync.Mutex{}
		p.locks[key] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// plan returns the cached plan under key, or "".
func (e *Engine) plan(key string) string {
	var code string
	_ = viewBucket(e.st, e.armyKey, func(b store.Bucket) error {
		v, err := b.Get([]byte(key))
		if err == nil {
			code = string(v)
		}
		return nil
	}, bucketPlans)
	return code
}

// savePlan caches code under key, durably.
func (e *Engine) savePlan(key, code string) error {
	return <-e.com.submit(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketPlans)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(code))
	})
}

// runInstructed runs one invocation of an instructions agent: the cached
// plan (plan mode) or code the model writes now, in fresh isolates with the
// agent's guarded env, retried with the error as feedback up to its
// attempts. A writing call an earlier attempt performed is replayed, not
// repeated. It returns the result and every attempt, for the run record.
func (e *Engine) runInstructed(ctx context.Context, g *agent, entry string, input any, jsctx map[string]any) (*sandbox.Result, []codemode.Attempt, error) {
	ag := g.def
	decl, err := g.decl()
	if err != nil {
		return nil, nil, fmt.Errorf("engine: %s: its env declaration: %w", g.name, err)
	}
	mode := codemode.Mode(ag.Mode)
	task := codemode.Task{Agent: g.name, Instructions: ag.Instructions, Declaration: decl, Mode: mode, Input: input, Attempts: ag.Attempts}
	key := codemode.PlanKey(g.instr.model, ag.Instructions, decl)
	perCall := ag.PerCall()
	if !perCall {
		task.Plan = e.plan(key)
		if task.Plan == "" {
			unlock := e.plans.lock(key)
			defer unlock()
			task.Plan = e.plan(key) // written while this run waited?
		}
	}
	writer, ok := g.env[army.CodeWriterEnv]
	if !ok {
		return nil, nil, fmt.Errorf("engine: %s: its model %q is not provisioned", g.name, ag.Model)
	}
	replay := codemode.NewReplay(func(env, method string) bool {
		inst, ok := g.raw[env]
		if !ok {
			return false
		}
		m, err := capabilities.TableOf(inst).Lookup(method)
		return err == nil && m.Role.Writes()
	})
	var last *sandbox.Result
	exec := func(ctx context.Context, m *sandbox.Module) (*sandbox.Result, error) {
		res, err := e.runner.Run(ctx, &sandbox.Invocation{Module: m, Entry: entry, Input: input,
			Env: replay.Attempt(withoutWriter(g.env)), Context: jsctx, Limits: g.limits})
		last = res
		return res, err
	}
	model := codemode.LLMModel(writer)
	if perCall {
		// Should the code-writing call be held, approving it resumes this
		// run from the model's reply (Engine.Approve).
		ctx = context.WithValue(ctx, keyResume, &Resume{Entry: entry, Input: input})
		if first, ok := ctx.Value(keyApproved).(string); ok {
			model = startingFrom(first, model)
		}
	}
	out, err := codemode.Write(ctx, task, model, exec)
	var attempts []codemode.Attempt
	if out != nil {
		attempts = out.Attempts
	}
	if last == nil {
		last = &sandbox.Result{}
	}
	if err != nil {
		return last, attempts, fmt.Errorf("engine: %s: %w", g.name, err)
	}
	last.Value = out.Value
	if !perCall && out.Code != task.Plan {
		if err := e.savePlan(key, out.Code); err != nil {
			e.logf("engine: %s: caching its plan: %v", g.name, e.red.Error(err))
		}
	}
	return last, attempts, nil
}

// startingFrom is model, except that its first answer is first: the reply
// to a code-writing call the owner approved, which a resumed run takes as
// its first attempt's (the prompt is the same: the same instructions,
// declaration and input). A later attempt asks model, through the guard.
func startingFrom(first string, model codemode.Model) codemode.Model {
	var used atomic.Bool
	return func(ctx context.Context, msgs []codemode.Message) (codemode.Reply, error) {
		if used.CompareAndSwap(false, true) {
			return codemode.Reply{Content: first}, nil
		}
		return model(ctx, msgs)
	}
}

// CachedPlan returns the plan cached for an instructions agent (a template's
// name stands for its instances, which share one), or "" when none is yet.
func (e *Engine) CachedPlan(agentName string) (string, error) {
	if insts := e.Instances(agentName); len(insts) > 0 {
		agentName = insts[0] // a template's instances share one plan
	}
	g, err := e.agent(agentName)
	if err != nil {
		return "", err
	}
	if g.instr == nil || g.def.PerCall() {
		return "", nil
	}
	decl, err := g.decl()
	if err != nil {
		return "", err
	}
	return e.plan(codemode.PlanKey(g.instr.model, g.def.Instructions, decl)), nil
}

// Instances returns a template's instances' node names ("T[ITEM]"), in the
// order they were made; nil for a name that is not a template.
func (e *Engine) Instances(template string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]string(nil), e.templates[template]...)
}
