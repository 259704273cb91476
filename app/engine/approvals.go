package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// recover marks effects left approving by a crash as interrupted (at most
// once: they may or may not have been performed) and remembers the army
// file's path.
func (e *Engine) recover() error {
	err := e.com.do(func(tx store.Tx) error {
		if e.opts.ArmyPath != "" {
			m, err := bucket(tx, e.armyKey, bucketMeta)
			if err != nil {
				return err
			}
			if err := m.Put([]byte("army"), []byte(e.opts.ArmyPath)); err != nil {
				return err
			}
		}
		b, err := bucket(tx, e.armyKey, bucketEffects)
		if err != nil {
			return err
		}
		var fix []Effect
		if err := b.Scan(store.ScanOptions{}, func(_, v []byte) error {
			var ef Effect
			if err := json.Unmarshal(v, &ef); err != nil {
				return err
			}
			if ef.Status == StatusApproving {
				fix = append(fix, ef)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, ef := range fix {
			ef.Status = StatusInterrupted
			ef.Error = "littleboxes stopped while performing it: it may or may not have happened, and will not be retried"
			if err := putEffect(b, ef); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: recovering approvals: %w", err)
	}
	return nil
}

// ArmyPath returns the file's path of army remembered by its last run, or "".
func ArmyPath(st store.Store, army string) string {
	var p string
	_ = viewBucket(st, army, func(b store.Bucket) error {
		v, err := b.Get([]byte("army"))
		if err == nil {
			p = string(v)
		}
		return nil
	}, bucketMeta)
	return p
}

func effectKey(id string) ([]byte, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("approval id %q: %w", id, ErrNoEffect)
	}
	return store.Uint64Key(n), nil
}

func putEffect(b store.Bucket, ef Effect) error {
	k, err := effectKey(ef.ID)
	if err != nil {
		return err
	}
	v, err := json.Marshal(ef)
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

// Approvals lists army's effects in st, oldest first; with pendingOnly, only
// those awaiting a decision.
func Approvals(st store.Store, army string, pendingOnly bool) ([]Effect, error) {
	var out []Effect
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{}, func(_, v []byte) error {
			var ef Effect
			if err := json.Unmarshal(v, &ef); err != nil {
				return err
			}
			if !pendingOnly || ef.Status == StatusPending {
				out = append(out, ef)
			}
			return nil
		})
	}, bucketEffects)
	if err != nil {
		return nil, fmt.Errorf("engine: approvals: %w", err)
	}
	return out, nil
}

// List returns every effect, oldest first.
func (e *Engine) List() ([]Effect, error) { return Approvals(e.st, e.armyKey, false) }

// Effect returns the effect with id.
func (e *Engine) Effect(id string) (Effect, error) {
	k, err := effectKey(id)
	if err != nil {
		return Effect{}, err
	}
	var ef Effect
	found := false
	err = viewBucket(e.st, e.armyKey, func(b store.Bucket) error {
		v, err := b.Get(k)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return json.Unmarshal(v, &ef)
	}, bucketEffects)
	if err != nil {
		return Effect{}, fmt.Errorf("engine: approval %s: %w", id, err)
	}
	if !found {
		return Effect{}, fmt.Errorf("engine: approval %s: %w", id, ErrNoEffect)
	}
	return ef, nil
}

// decide moves effect id from pending to status in one transaction.
func (e *Engine) decide(id, status string) (Effect, error) {
	k, err := effectKey(id)
	if err != nil {
		return Effect{}, fmt.Errorf("engine: %w", err)
	}
	var ef Effect
	err = e.com.do(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketEffects)
		if err != nil {
			return err
		}
		v, err := b.Get(k)
		if isNotFound(err) {
			return fmt.Errorf("approval %s: %w", id, ErrNoEffect)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(v, &ef); err != nil {
			return err
		}
		if ef.Status != StatusPending {
			return fmt.Errorf("approval %s is %s: %w", id, ef.Status, ErrDecided)
		}
		ef.Status = status
		ef.Decided = e.now().UnixMilli()
		return putEffect(b, ef)
	})
	if err != nil {
		return Effect{}, fmt.Errorf("engine: %w", err)
	}
	return ef, nil
}

func (e *Engine) saveEffect(ef Effect) error {
	return e.com.do(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketEffects)
		if err != nil {
			return err
		}
		return putEffect(b, ef)
	})
}

// Approve performs the held effect id: it marks it approving (so approving
// twice performs it once), calls the agent's unguarded instance, records the
// result, and runs the agent's onApproval(result, env, ctx) if it exports
// one; for a per-call instructions agent's code-writing call, it resumes
// the held run instead: the agent runs on the input it had, from the code
// the model wrote (see resume). It returns the recorded effect; an error of the effect itself is in
// Effect.Error, not returned.
func (e *Engine) Approve(ctx context.Context, id string) (Effect, error) {
	ef, err := e.Effect(id)
	if err != nil {
		return Effect{}, err
	}
	g, err := e.agent(ef.Agent)
	if err != nil {
		return Effect{}, fmt.Errorf("engine: approve %s: %w", id, err)
	}
	inst, ok := g.raw[ef.Env]
	if !ok {
		return Effect{}, fmt.Errorf("engine: approve %s: agent %q has no env.%s any more", id, ef.Agent, ef.Env)
	}
	var args []any
	if err := json.Unmarshal(ef.Args, &args); err != nil {
		return Effect{}, fmt.Errorf("engine: approve %s: arguments: %w", id, err)
	}
	if ef, err = e.decide(id, StatusApproving); err != nil {
		return Effect{}, err
	}
	cctx := e.writer(context.WithValue(ctx, keyAgent, ef.Agent), e.Analysis(), ef.Agent)
	res, cerr := vault.RedactBinding(capabilities.Bind(inst), e.red).Call(cctx, ef.Method, args)
	outcome := map[string]any{"status": StatusApproved, "id": id}
	if cerr != nil {
		ef.Status, ef.Error = StatusFailed, cerr.Error()
		outcome["status"], outcome["error"] = StatusFailed, cerr.Error()
	} else {
		ef.Status = StatusApproved
		if b, err := json.Marshal(res); err == nil {
			ef.Result = b
		}
		outcome["result"] = res
	}
	if err := e.saveEffect(ef); err != nil {
		return ef, fmt.Errorf("engine: approve %s: recording the result: %w", id, err)
	}
	e.ev.Publish(Event{Type: EventApprovalDecided, Agent: ef.Agent, ID: id, Detail: ef.Status, Error: ef.Error})
	if ef.Resume != nil && cerr == nil && g.instr != nil {
		e.resume(ctx, g, ef, res)
		return ef, nil
	}
	e.onApproval(ctx, g, outcome)
	return ef, nil
}

// resume runs again the per-call instructions agent whose code-writing call
// ef the owner approved, on the input it had, its first attempt being the
// model's reply res (the approved call's result). The run is recorded with
// trigger "approval"; its error is logged.
func (e *Engine) resume(ctx context.Context, g *agent, ef Effect, res any) {
	obj, _ := res.(map[string]any)
	content, ok := obj["content"].(string)
	if !ok {
		e.logf("engine: %s: approval %s: the model's reply has no content: nothing to resume", g.name, ef.ID)
		return
	}
	rctx := context.WithValue(ctx, keyApproved, content)
	if _, err := e.invoke(rctx, g, ef.Resume.Entry, "approval", ef.Resume.Input, map[string]any{"approval": ef.ID}); err != nil {
		e.logf("engine: %s: the run resumed by approval %s: %v", g.name, ef.ID, e.red.Error(err))
	}
}

// Deny records that the owner denied effect id, which is never performed,
// and runs the agent's onApproval({status: "denied", id}) if it exports one.
func (e *Engine) Deny(ctx context.Context, id string) (Effect, error) {
	ef, err := e.decide(id, StatusDenied)
	if err != nil {
		return Effect{}, err
	}
	e.ev.Publish(Event{Type: EventApprovalDecided, Agent: ef.Agent, ID: id, Detail: ef.Status})
	if g, err := e.agent(ef.Agent); err == nil {
		e.onApproval(ctx, g, map[string]any{"status": StatusDenied, "id": id})
	}
	return ef, nil
}

func (e *Engine) onApproval(ctx context.Context, g *agent, outcome map[string]any) {
	_, err := e.invoke(ctx, g, sandbox.EntryOnApproval, "approval", outcome, nil)
	if err != nil && !errors.Is(err, sandbox.ErrNoEntry) {
		e.logf("engine: %s onApproval: %v", g.name, err)
	}
}
