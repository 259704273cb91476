package codemode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"littleboxes/sandbox"
)

// scripted is a Model answering from a script and recording each request.
type scripted struct {
	mu       sync.Mutex
	replies  []string
	requests [][]Message
}

func (s *scripted) model(_ context.Context, msgs []Message) (Reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, append([]Message(nil), msgs...))
	if len(s.replies) == 0 {
		return Reply{}, errors.New("script ran out")
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return Reply{Content: r, Usage: &Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}}, nil
}

// everything the model was sent, as one string.
func (s *scripted) sent() string {
	var b strings.Builder
	for _, req := range s.requests {
		for _, m := range req {
			b.WriteString(m.Content + "\n")
		}
	}
	return b.String()
}

// world is an env with a sink (out.send) that records what it performed.
type world struct {
	mu   sync.Mutex
	sent []any
}

func (w *world) env() map[string]sandbox.Binding {
	return map[string]sandbox.Binding{"out": sandbox.Methods{
		"send": func(_ context.Context, args []any) (any, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.sent = append(w.sent, args[0])
			return fmt.Sprintf("sent %d", len(w.sent)), nil
		},
		"peek": func(context.Context, []any) (any, error) { return "peeked", nil },
	}}
}

func writes(_, method string) bool { return method == "send" }

func execIn(w *world, input any, replay *Replay) Exec {
	return func(ctx context.Context, m *sandbox.Module) (*sandbox.Result, error) {
		env := w.env()
		if replay != nil {
			env = replay.Attempt(env)
		}
		return sandbox.NewInProcess().Run(ctx, &sandbox.Invocation{Module: m, Input: input, Env: env})
	}
}

const canary = "CANARY-7f3a-do-not-leak"

func TestWrite(t *testing.T) {
	input := map[string]any{"subject": "hello " + canary}
	for _, tc := range []struct {
		name      string
		mode      Mode
		replies   []string
		wantValue any
		wantErr   error
		attempts  int
		feedback  string // a later request must contain this
	}{
		{name: "right first time", replies: []string{"```js\nreturn await env.out.send(input.subject.length)\n```"},
			wantValue: "sent 1", attempts: 1},
		{name: "retry after a compile error", replies: []string{"const x = ;", "return 2"},
			wantValue: float64(2), attempts: 2, feedback: "does not compile"},
		{name: "retry after a thrown error", replies: []string{"\nthrow new TypeError('bad ' + input.subject)", "return 3"},
			wantValue: float64(3), attempts: 2, feedback: "It threw TypeError"},
		{name: "retry after an unknown env member", replies: []string{"return await env.mail.send('x')", "return 4"},
			wantValue: float64(4), attempts: 2, feedback: "It threw TypeError"},
		{name: "retry after a reply with no code", replies: []string{"```js\n```", "return 5"},
			wantValue: float64(5), attempts: 2, feedback: "held no code"},
		{name: "attempts run out", replies: []string{"throw new Error('a')", "throw new Error('b')", "throw new Error('c')"},
			wantErr: ErrAttempts, attempts: 3},
		{name: "per-call sees the input and the error", mode: PerCall,
			replies:   []string{"throw new Error('saw ' + input.subject)", "return input.subject"},
			wantValue: "hello " + canary, attempts: 2, feedback: "saw hello " + canary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{replies: tc.replies}
			w := &world{}
			out, err := Write(context.Background(), Task{Agent: "a", Instructions: "do it", Declaration: "interface Env {}", Mode: tc.mode, Input: input},
				s.model, execIn(w, input, nil))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if fmt.Sprint(out.Value) != fmt.Sprint(tc.wantValue) {
				t.Fatalf("value %#v, want %#v", out.Value, tc.wantValue)
			}
			if len(out.Attempts) != tc.attempts {
				t.Fatalf("%d attempts, want %d: %+v", len(out.Attempts), tc.attempts, out.Attempts)
			}
			for _, a := range out.Attempts {
				if a.Usage == nil || a.Usage.TotalTokens != 15 {
					t.Fatalf("attempt without usage: %+v", a)
				}
			}
			if tc.feedback != "" && !strings.Contains(s.requests[len(s.requests)-1][len(s.requests[len(s.requests)-1])-1].Content, tc.feedback) {
				t.Fatalf("feedback lacks %q: %s", tc.feedback, s.sent())
			}
			if tc.mode != PerCall && strings.Contains(s.sent(), canary) {
				t.Fatalf("plan mode sent the input to the model:\n%s", s.sent())
			}
		})
	}
}

func TestWritePlanCached(t *testing.T) {
	s := &scripted{replies: []string{"return 'fresh'"}}
	w := &world{}
	out, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d", Plan: "return 'cached'"}, s.model, execIn(w, nil, nil))
	if err != nil || out.Value != "cached" || len(s.requests) != 0 || !out.Attempts[0].Cached {
		t.Fatalf("cached plan: %v %+v, %d model calls", err, out, len(s.requests))
	}
	// A cached plan that fails is shown to the model, and replaced.
	out, err = Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d", Plan: "throw new Error('old')"}, s.model, execIn(w, nil, nil))
	if err != nil || out.Value != "fresh" || len(s.requests) != 1 {
		t.Fatalf("stale plan: %v %+v", err, out)
	}
	if !strings.Contains(s.sent(), "throw new Error('old')") {
		t.Fatalf("the model was not shown the failing plan: %s", s.sent())
	}
}

func TestWriteNeverRepeatsAnEffect(t *testing.T) {
	s := &scripted{replies: []string{
		"await env.out.send('mail to bob');\nawait env.out.send('mail to bob');\nthrow new Error('oops')",
		"await env.out.send('mail to bob');\nawait env.out.send('mail to bob');\nawait env.out.send('mail to carol');\nreturn await env.out.peek()",
	}}
	w := &world{}
	replay := NewReplay(writes)
	out, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d"}, s.model, execIn(w, nil, replay))
	if err != nil || out.Value != "peeked" {
		t.Fatalf("%v %+v", err, out)
	}
	if fmt.Sprint(w.sent) != "[mail to bob mail to bob mail to carol]" {
		t.Fatalf("performed %v; want each effect once", w.sent)
	}
	if replay.Performed() != 3 {
		t.Fatalf("recorded %d writes", replay.Performed())
	}
}

func TestWriteModelErrorEndsTheRun(t *testing.T) {
	s := &scripted{}
	_, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d"}, s.model, execIn(&world{}, nil, nil))
	if err == nil || !strings.Contains(err.Error(), "script ran out") {
		t.Fatalf("err %v", err)
	}
}

func TestWriteRefusesBadTasks(t *testing.T) {
	s := &scripted{}
	for _, task := range []Task{{Mode: "sometimes"}, {Attempts: -1}, {Attempts: MaxAttempts + 1}} {
		if _, err := Write(context.Background(), task, s.model, execIn(&world{}, nil, nil)); err == nil {
			t.Fatalf("%+v: no error", task)
		}
	}
}

func TestPlanFeedbackHoldsNoData(t *testing.T) {
	errs := []error{
		&sandbox.ScriptError{Name: "Error", Message: "bad " + canary, Stack: "at run (agent.ts:3:5)"},
		&sandbox.LimitError{Limit: "value size", Detail: canary},
		errors.New("binding failed: " + canary),
	}
	console := []sandbox.ConsoleLine{{Level: "log", Text: canary}}
	for _, e := range errs {
		if fb := Feedback(Plan, "const a = input.x;\nconst b = a;\nthrow new Error(b)", e, console); strings.Contains(fb, canary) {
			t.Fatalf("plan feedback carries data: %s", fb)
		}
		if fb := Feedback(PerCall, "x", e, console); !strings.Contains(fb, canary) {
			t.Fatalf("per-call feedback lacks the error: %s", fb)
		}
	}
	fb := Feedback(Plan, "return env.mail.forward(1)", &sandbox.ScriptError{Name: "TypeError", Message: "env.mail has no method forward; it has read, reply"}, nil)
	if !strings.Contains(fb, "has no method forward; it has read, reply") {
		t.Fatalf("plan feedback lacks the unknown member: %s", fb)
	}
}
