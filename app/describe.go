package app

import (
	"fmt"

	"littleboxes/app/engine"
)

// Describe has a model write agent's module from the owner's description
// (Code Mode's Describe box): against the agent's env declaration, dry-run
// on the sample input (JSON text; "" for null) with every writing method
// simulated and listed, retried with its errors. model names the llm
// capability ("" for the agent's own model, else the army's only one). The
// code is not saved: the page shows the diff, and UpdateAgent with the code
// keeps it. When the model made attempts and none passed, the result carries
// them with the reason in Error (and no error), so the page shows what each
// attempt did; an error means no attempt was made.
func (a *API) Describe(agent, description, model, inputJSON string) (engine.Authored, error) {
	if v, ok, err := forward[engine.Authored](a, "Describe", agent, description, model, inputJSON); ok {
		return v, err
	}
	if description == "" {
		return engine.Authored{}, fmt.Errorf("say what the agent should do")
	}
	input, ierr := parseInput(inputJSON)
	if ierr != nil {
		return engine.Authored{}, fmt.Errorf("the sample input is not JSON: %s", ierr.Message)
	}
	ws, err := a.workspace()
	if err != nil {
		return engine.Authored{}, err
	}
	eng, err := ws.Engine()
	if err != nil {
		return engine.Authored{}, err
	}
	name := agent
	if insts := eng.Instances(agent); len(insts) > 0 {
		name = insts[0] // a template: its instances share the declaration
	}
	out, err := eng.Describe(a.context(), name, description, model, input, 0)
	if err != nil {
		if out != nil && len(out.Attempts) > 0 {
			out.Error = fmt.Sprintf("%v (after %d attempts)", err, len(out.Attempts))
			return *out, nil
		}
		return engine.Authored{}, err
	}
	return *out, nil
}

// CachedPlan returns the code cached for a plan-mode instructions agent
// ("" when it has not run yet, or is not one).
func (a *API) CachedPlan(agent string) (string, error) {
	if v, ok, err := forward[string](a, "CachedPlan", agent); ok {
		return v, err
	}
	ws, err := a.workspace()
	if err != nil {
		return "", err
	}
	eng, err := ws.Engine()
	if err != nil {
		return "", err
	}
	return eng.CachedPlan(agent)
}
