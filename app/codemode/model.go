package codemode

import (
	"context"
	"errors"
	"fmt"

	"littleboxes/sandbox"
)

// ErrHeld means the code-writing call was held for the owner's approval:
// the flow guard found that the model's provider may not see what the call
// carries (a per-call prompt holding data the agent read).
var ErrHeld = errors.New("the code-writing call is held for the owner's approval")

// LLMModel is a Model that asks through an llm binding's chat method — the
// agent's own guarded binding, so the call obeys the capability's timeout,
// size caps and flow verdict like any llm call.
func LLMModel(llm sandbox.Binding) Model {
	return func(ctx context.Context, msgs []Message) (Reply, error) {
		arg := make([]any, len(msgs))
		for i, m := range msgs {
			arg[i] = map[string]any{"role": m.Role, "content": m.Content}
		}
		res, err := llm.Call(ctx, "chat", []any{arg})
		if err != nil {
			return Reply{}, err
		}
		obj, ok := res.(map[string]any)
		if !ok {
			return Reply{}, fmt.Errorf("the llm binding returned %T, not a reply", res)
		}
		if obj["status"] == "pending_approval" {
			return Reply{}, fmt.Errorf("%w (approval %v)", ErrHeld, obj["id"])
		}
		content, ok := obj["content"].(string)
		if !ok {
			return Reply{}, fmt.Errorf("the llm reply has no content")
		}
		return Reply{Content: content, Usage: usageOf(obj["usage"])}, nil
	}
}

// usageOf reads a reply's usage object, if any.
func usageOf(v any) *Usage {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	n := func(k string) int {
		switch x := m[k].(type) {
		case float64:
			return int(x)
		case int:
			return x
		case int64:
			return int(x)
		}
		return 0
	}
	return &Usage{PromptTokens: n("prompt_tokens"), CompletionTokens: n("completion_tokens"), TotalTokens: n("total_tokens")}
}
