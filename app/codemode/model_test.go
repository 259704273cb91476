package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"littleboxes/capabilities"
	"littleboxes/capabilities/kv"
	"littleboxes/capabilities/llm"
	"littleboxes/capabilities/llm/llmtest"
	"littleboxes/sandbox"
)

// newLLM provisions a real llm capability against a scripted server.
func newLLM(t *testing.T, srv *llmtest.Server, extra map[string]any) sandbox.Binding {
	t.Helper()
	props := map[string]any{"base_url": srv.BaseURL, "model": "scripted"}
	for k, v := range extra {
		props[k] = v
	}
	raw, _ := json.Marshal(props)
	inst, err := capabilities.New(context.Background(), llm.ID, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = capabilities.Cleanup(inst) })
	return capabilities.Bind(inst)
}

func TestWriteAgainstAScriptedServer(t *testing.T) {
	srv := llmtest.StartT(t,
		llmtest.Step{Content: "Sure:\n```ts\nconst n: number = input.n;\nawait env.out.send(n)\nreturn n *\n```"},
		llmtest.Step{Content: "```ts\nconst n: number = input.n;\nawait env.out.send(n);\nreturn n * 2;\n```"},
	)
	w := &world{}
	input := map[string]any{"n": float64(21), "secret": canary}
	out, err := Write(context.Background(), Task{Agent: "doubler", Instructions: "send n, return twice n", Declaration: "interface Env { out: Out }", Input: input},
		LLMModel(newLLM(t, srv, nil)), execIn(w, input, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out.Value != float64(42) || len(out.Attempts) != 2 || len(srv.Requests()) != 2 {
		t.Fatalf("value %v, %d attempts, %d requests", out.Value, len(out.Attempts), len(srv.Requests()))
	}
	if out.Attempts[1].Usage == nil || out.Attempts[1].Usage.TotalTokens == 0 {
		t.Fatalf("no usage kept: %+v", out.Attempts[1])
	}
	if strings.Contains(srv.Sent(), canary) {
		t.Fatal("plan mode sent the input to the server")
	}
	second := srv.Requests()[1]
	if len(second.Messages) != 4 || second.Messages[2].Role != "assistant" || !strings.Contains(second.Messages[3].Content, "does not compile") {
		t.Fatalf("the retry did not carry the conversation and the error: %+v", second.Messages)
	}
}

func TestWriteModelTimesOut(t *testing.T) {
	srv := llmtest.StartT(t, llmtest.Step{Content: "return 1", Delay: 5 * time.Second})
	start := time.Now()
	_, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d"},
		LLMModel(newLLM(t, srv, map[string]any{"timeout": "300ms"})), execIn(&world{}, nil, nil))
	if err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

func TestWriteHugeReplyIsBounded(t *testing.T) {
	huge := "```js\nreturn '" + strings.Repeat("x", 2<<20) + "'\n```"
	srv := llmtest.StartT(t, llmtest.Step{Content: huge})
	_, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d", Attempts: 1},
		LLMModel(newLLM(t, srv, nil)), execIn(&world{}, nil, nil))
	if err == nil {
		t.Fatal("a 2 MiB reply was taken")
	}
}

func TestLLMModelHeld(t *testing.T) {
	held := sandbox.Methods{"chat": func(context.Context, []any) (any, error) {
		return map[string]any{"status": "pending_approval", "id": "ap1"}, nil
	}}
	_, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d", Mode: PerCall, Input: "data"},
		LLMModel(held), execIn(&world{}, nil, nil))
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("err %v, want ErrHeld", err)
	}
}

// TestPlanFeedbackFromARealBinding runs code against a real kv binding's
// method table: an unknown method and a refused argument come back to the
// model naming what exists, and nothing of the data.
func TestPlanFeedbackFromARealBinding(t *testing.T) {
	inst, _, err := capabilities.Decode(kv.ID, []byte(`{"namespace":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]sandbox.Binding{"notes": capabilities.Bind(inst)}
	exec := func(ctx context.Context, m *sandbox.Module) (*sandbox.Result, error) {
		return sandbox.NewInProcess().Run(ctx, &sandbox.Invocation{Module: m, Input: map[string]any{"n": 31337.0}, Env: env})
	}
	s := &scripted{replies: []string{"await env.notes.forward(input.n)", "await env.notes.put('k', input.n)", "return 'ok'"}}
	out, err := Write(context.Background(), Task{Agent: "a", Instructions: "x", Declaration: "d"}, s.model, exec)
	if err != nil || out.Value != "ok" {
		t.Fatalf("%v %+v", err, out)
	}
	sent := s.sent()
	for _, want := range []string{"env.notes has no method forward; it has get, put, delete, list", "env.notes.put: argument 2 (value): want a string"} {
		if !strings.Contains(sent, want) {
			t.Errorf("the feedback lacks %q:\n%s", want, sent)
		}
	}
	if strings.Contains(sent, "31337") {
		t.Errorf("plan feedback carries a value from the input:\n%s", sent)
	}
}
