package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"littleboxes/app/codemode"
	"slices"
	"time"

	"littleboxes/app/engine"
	"littleboxes/app/flow"
	"littleboxes/sandbox"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
)

// RunRecord is one invocation of an agent.
type RunRecord struct {
	ID    string `json:"id"`
	Agent string `json:"agent"`
	// Trigger is manual, message, every, item or approval.
	Trigger string `json:"trigger"`
	Entry   string `json:"entry"`
	// Start and End are Unix milliseconds.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Status is ok, error or limit.
	Status  string          `json:"status"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	Console []ConsoleLine   `json:"console,omitempty"`
	// Attempts are an instructions agent's tries: each one's code, error,
	// console and token usage.
	Attempts []codemode.Attempt `json:"attempts,omitempty"`
}

// Effect is one held (or decided) sink call.
type Effect struct {
	ID         string          `json:"id"`
	Agent      string          `json:"agent"`
	Env        string          `json:"env"`
	Capability string          `json:"capability"`
	Method     string          `json:"method"`
	Args       json.RawMessage `json:"args"`
	Why        string          `json:"why,omitempty"`
	// Created and Decided are Unix milliseconds.
	Created int64 `json:"created"`
	// Status is pending, approving, approved, denied, failed or
	// interrupted.
	Status  string          `json:"status"`
	Decided int64           `json:"decided,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	// Audience is who will see it: the sink's audience in the current
	// analysis (absent when the binding is no longer a sink).
	Audience []string `json:"audience,omitempty"`
}

func runRecord(r engine.RunRecord) RunRecord {
	out := RunRecord{ID: r.ID, Agent: r.Agent, Trigger: r.Trigger, Entry: r.Entry, Start: r.Start, End: r.End,
		Status: r.Status, Result: r.Result, Error: r.Error, Attempts: r.Attempts}
	for _, l := range r.Console {
		out.Console = append(out.Console, ConsoleLine{Level: l.Level, Text: l.Text})
	}
	return out
}

// RunAgent runs agent name's run(input, env, ctx) once, as the manual
// trigger does, and returns its run record (a script error or a limit is in
// the record, not an error). name is an agent, or a template's instance
// "TEMPLATE[ITEM]". inputJSON is the input as JSON text; "" means null.
func (a *API) RunAgent(name, inputJSON string) (RunRecord, error) {
	if v, ok, err := forward[RunRecord](a, "RunAgent", name, inputJSON); ok {
		return v, err
	}
	input, ierr := parseInput(inputJSON)
	if ierr != nil {
		if ierr.Line > 0 {
			return RunRecord{}, fmt.Errorf("the input is not JSON: %d:%d: %s", ierr.Line, ierr.Column, ierr.Message)
		}
		return RunRecord{}, fmt.Errorf("the input is not JSON: %s", ierr.Message)
	}
	ws, err := a.workspace()
	if err != nil {
		return RunRecord{}, err
	}
	eng, err := ws.Engine()
	if err != nil {
		return RunRecord{}, err
	}
	if !slices.Contains(eng.Agents(), name) {
		return RunRecord{}, ws.NoAgent(eng.Agents(), name)
	}
	start := time.Now().UnixMilli()
	res, err := eng.Run(a.context(), name, input)
	end := time.Now().UnixMilli()
	switch {
	case errors.Is(err, engine.ErrNoAgent):
		return RunRecord{}, ws.NoAgent(eng.Agents(), name)
	case errors.Is(err, engine.ErrClosed):
		return RunRecord{}, fmt.Errorf("the army was restarted before %s could run: run it again", name)
	}
	// The engine records the run asynchronously: wait briefly for it, to
	// return the record as stored (with its id).
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		runs, rerr := ws.Runs(name, 16)
		if rerr != nil {
			break
		}
		for _, r := range runs {
			if r.Trigger == "manual" && r.Entry == sandbox.EntryRun && r.Start >= start && r.End <= end+1 {
				return a.redactRecord(runRecord(r)), nil
			}
		}
	}
	// Not stored (yet): the record as the engine would write it.
	rec := RunRecord{Agent: name, Trigger: "manual", Entry: sandbox.EntryRun, Start: start, End: end, Status: engine.RunOK}
	var le *sandbox.LimitError
	switch {
	case errors.As(err, &le):
		rec.Status, rec.Error = engine.RunLimit, err.Error()
	case err != nil:
		rec.Status, rec.Error = engine.RunError, err.Error()
	case res != nil:
		if b, jerr := json.Marshal(jsonSafe(res.Value)); jerr == nil {
			rec.Result = b
		}
	}
	if res != nil {
		for _, l := range res.Console {
			rec.Console = append(rec.Console, ConsoleLine{Level: l.Level, Text: l.Text})
		}
	}
	return a.redactRecord(rec), nil
}

// Runs returns up to limit of agent's run records, newest first (limit 0:
// 50). For a template, its instances' runs, merged.
func (a *API) Runs(agent string, limit int) ([]RunRecord, error) {
	if v, ok, err := forward[[]RunRecord](a, "Runs", agent, limit); ok {
		return v, err
	}
	if limit <= 0 {
		limit = 50
	}
	ws, err := a.workspace()
	if err != nil {
		return nil, err
	}
	all, err := ws.Runs(agent, limit)
	if err != nil {
		return nil, err
	}
	out := []RunRecord{}
	for _, r := range all {
		out = append(out, a.redactRecord(runRecord(r)))
	}
	return out, nil
}

// effect converts an engine effect, with the sink's audience in the
// analysis an (nil: none). Arguments, result and error pass the redactor:
// the store holds them redacted, and an effect just performed comes from
// the engine.
func (a *API) effect(ef engine.Effect, an *flow.Analysis) Effect {
	out := Effect{ID: ef.ID, Agent: ef.Agent, Env: ef.Env, Capability: ef.Capability, Method: ef.Method, Args: a.redactJSON(ef.Args),
		Why: ef.Why, Created: ef.Created, Status: ef.Status, Decided: ef.Decided, Result: a.redactJSON(ef.Result), Error: a.redactString(ef.Error)}
	if an != nil {
		if s, ok := an.Sink(ef.Agent, ef.Env); ok {
			out.Audience = nonNil(s.Audience.Strings())
		}
	}
	return out
}

func (a *API) redactJSON(b json.RawMessage) json.RawMessage {
	if b == nil {
		return b
	}
	return a.red.Bytes(b)
}

func (a *API) redactString(s string) string { return a.red.String(s) }

// redactRecord returns r with its result, error and console lines
// redacted.
func (a *API) redactRecord(r RunRecord) RunRecord {
	r.Result, r.Error = a.redactJSON(r.Result), a.redactString(r.Error)
	for i := range r.Console {
		r.Console[i].Text = a.redactString(r.Console[i].Text)
	}
	return r
}

// Approvals lists the held sink calls awaiting the owner's decision, oldest
// first; with all, the decided ones too.
func (a *API) Approvals(all bool) ([]Effect, error) {
	if v, ok, err := forward[[]Effect](a, "Approvals", all); ok {
		return v, err
	}
	ws, err := a.workspace()
	if err != nil {
		return nil, err
	}
	efs, err := ws.Approvals(all)
	if err != nil {
		return nil, err
	}
	s, err := ws.Snapshot()
	if err != nil {
		return nil, err
	}
	out := []Effect{}
	for _, ef := range efs {
		out = append(out, a.effect(ef, s.Analysis))
	}
	return out, nil
}

// Approve performs the held sink call id and returns it as recorded: a
// failure of the call itself is in the effect's error, not returned.
func (a *API) Approve(id string) (Effect, error) {
	if v, ok, err := forward[Effect](a, "Approve", id); ok {
		return v, err
	}
	return a.decide(id, (*engine.Engine).Approve)
}

// Deny records that the owner denied the held sink call id, which is never
// performed.
func (a *API) Deny(id string) (Effect, error) {
	if v, ok, err := forward[Effect](a, "Deny", id); ok {
		return v, err
	}
	return a.decide(id, (*engine.Engine).Deny)
}

func (a *API) decide(id string, fn func(*engine.Engine, context.Context, string) (engine.Effect, error)) (Effect, error) {
	ws, err := a.workspace()
	if err != nil {
		return Effect{}, err
	}
	eng, err := ws.Engine()
	if err != nil {
		return Effect{}, err
	}
	ef, err := fn(eng, a.context(), id)
	if err != nil {
		switch {
		case errors.Is(err, engine.ErrNoEffect):
			return Effect{}, fmt.Errorf("no approval %q", id)
		case errors.Is(err, engine.ErrDecided):
			return Effect{}, fmt.Errorf("approval %s was already decided", id)
		}
		return Effect{}, err
	}
	s, err := ws.Snapshot()
	if err != nil {
		return Effect{}, err
	}
	return a.effect(ef, s.Analysis), nil
}

// Secrets lists the names of the secrets in the OS keyring. There is no
// method that returns a secret's value.
func (a *API) Secrets() ([]string, error) {
	if v, ok, err := forward[[]string](a, "Secrets"); ok {
		return v, err
	}
	k, err := a.keyring()
	if err != nil {
		return nil, err
	}
	names, err := k.List(a.context())
	if err != nil {
		return nil, err
	}
	return nonNil(names), nil
}

// SetSecret stores a secret in the OS keyring under name, then restarts the
// army if it names that secret or is not running.
func (a *API) SetSecret(name, value string) error {
	if _, ok, err := forward[struct{}](a, "SetSecret", name, value); ok {
		return err
	}
	if err := vault.ValidateName(name); err != nil {
		return err
	}
	if err := vault.ValidateValue(value); err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	k, err := a.keyring()
	if err != nil {
		return err
	}
	if err := k.Set(a.context(), name, value); err != nil {
		return err
	}
	a.secretChanged(name, value)
	return nil
}

// DeleteSecret deletes the secret name from the OS keyring, then restarts
// the army if it names that secret.
func (a *API) DeleteSecret(name string) error {
	if _, ok, err := forward[struct{}](a, "DeleteSecret", name); ok {
		return err
	}
	if err := vault.ValidateName(name); err != nil {
		return err
	}
	k, err := a.keyring()
	if err != nil {
		return err
	}
	if err := k.Delete(a.context(), name); err != nil {
		if errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("no secret named %s", name)
		}
		return err
	}
	a.secretChanged(name, "")
	return nil
}

func (a *API) keyring() (*keyring.Keyring, error) {
	ws, err := a.workspace()
	if err != nil {
		return nil, err
	}
	return ws.Keyring()
}

// secretChanged tells the workspace that secret name changed.
func (a *API) secretChanged(name, value string) {
	if ws, err := a.workspace(); err == nil {
		ws.SecretChanged(a.context(), name, value)
	}
}
