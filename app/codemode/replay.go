package codemode

import (
	"context"
	"encoding/json"
	"sync"

	"littleboxes/sandbox"
)

// Replay keeps the writing calls one run has performed, so that a later
// attempt of the same run that makes the same call (same binding, method and
// arguments) gets the recorded result instead of performing the effect again
// — a mail is not sent twice because the code failed after sending it. The
// n-th identical call of an attempt matches the n-th identical call recorded;
// a call beyond those, and every call to a method that does not write, runs.
//
// A failed writing call is not recorded: performing it again is a retry, not
// a repeat.
type Replay struct {
	writes func(env, method string) bool

	mu   sync.Mutex
	done map[string][]any // call key → results, in the order performed
}

// NewReplay returns a Replay for one run. writes reports whether a method
// of a binding writes (its role sends data somewhere; kv put included).
func NewReplay(writes func(env, method string) bool) *Replay {
	return &Replay{writes: writes, done: map[string][]any{}}
}

// Attempt wraps env for one attempt: its writing calls are replayed from
// earlier attempts where they match, and recorded otherwise.
func (r *Replay) Attempt(env map[string]sandbox.Binding) map[string]sandbox.Binding {
	seen := &attemptCounts{n: map[string]int{}}
	out := make(map[string]sandbox.Binding, len(env))
	for name, b := range env {
		out[name] = &replayBinding{r: r, env: name, b: b, seen: seen}
	}
	return out
}

// Performed returns how many writing calls have been recorded.
func (r *Replay) Performed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rs := range r.done {
		n += len(rs)
	}
	return n
}

type attemptCounts struct {
	mu sync.Mutex
	n  map[string]int
}

// next returns the index of this call among the identical calls of the
// attempt.
func (c *attemptCounts) next(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.n[key]
	c.n[key] = i + 1
	return i
}

type replayBinding struct {
	r    *Replay
	env  string
	b    sandbox.Binding
	seen *attemptCounts
}

func (rb *replayBinding) Methods() []string { return rb.b.Methods() }

func (rb *replayBinding) Call(ctx context.Context, method string, args []any) (any, error) {
	if !rb.r.writes(rb.env, method) {
		return rb.b.Call(ctx, method, args)
	}
	key, err := callKey(rb.env, method, args)
	if err != nil {
		return rb.b.Call(ctx, method, args)
	}
	i := rb.seen.next(key)
	rb.r.mu.Lock()
	if rs := rb.r.done[key]; i < len(rs) {
		res := rs[i]
		rb.r.mu.Unlock()
		return res, nil
	}
	rb.r.mu.Unlock()
	res, err := rb.b.Call(ctx, method, args)
	if err != nil {
		return nil, err
	}
	rb.r.mu.Lock()
	rb.r.done[key] = append(rb.r.done[key], res)
	rb.r.mu.Unlock()
	return res, nil
}

// callKey is a call's identity: the binding, the method and the arguments
// as JSON (bytes as base64; map keys sorted by encoding/json).
func callKey(env, method string, args []any) (string, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	return env + "\x00" + method + "\x00" + string(b), nil
}
