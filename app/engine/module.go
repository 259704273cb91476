package engine

import (
	"context"
	"fmt"

	"littleboxes/app/army"
	"littleboxes/sandbox"
)

// RunModule runs m's run(input, env, ctx) once in a fresh isolate with
// exactly agentName's guarded bindings (an instructions agent's code-writing
// model excluded, as its declaration excludes it), and records it as a run of
// that agent with the given trigger ("mcp" for littleboxes mcp). Its sink
// calls go through the agent's guards like its own code's: a flagged one is
// held for the owner and returns { status: "pending_approval", id }. Messages
// it sends are durable when RunModule returns.
func (e *Engine) RunModule(ctx context.Context, agentName string, m *sandbox.Module, input any, trigger string) (*sandbox.Result, error) {
	if m == nil {
		return nil, fmt.Errorf("engine: run a module as %s: no module", agentName)
	}
	g, err := e.agent(agentName)
	if err != nil {
		return nil, err
	}
	return e.invokeModule(ctx, g, m, sandbox.EntryRun, trigger, input, nil, nil)
}

// withoutWriter returns env without the code-writing model's binding.
func withoutWriter(env map[string]sandbox.Binding) map[string]sandbox.Binding {
	if _, ok := env[army.CodeWriterEnv]; !ok {
		return env
	}
	out := make(map[string]sandbox.Binding, len(env))
	for k, b := range env {
		if k != army.CodeWriterEnv {
			out[k] = b
		}
	}
	return out
}
