package flow

import (
	"fmt"

	"littleboxes/capabilities"
)

// Recheck gives the verdict on one sink call at run time: label is the
// calling agent's label now (its static label, met with the actual labels
// of the sources it has read), and runtime is the sink instance's actual
// flow (a thread whose participants changed since the analysis). The call is
// Safe when every principal of the actual audience (agents dropped) is in
// label; the string says why, or who is missing.
func Recheck(label capabilities.Label, runtime capabilities.Flow) (Verdict, string) {
	label = norm(label)
	aud := audience(runtime)
	if miss := missing(label, aud); len(miss) > 0 {
		return Approval, fmt.Sprintf("the audience (%s) holds %s, who may not read what the agent can read (%s)", list(aud), list(miss), list(label))
	}
	if label.Has(capabilities.Public) {
		return Safe, "the agent has read nothing private (its label is public)"
	}
	return Safe, fmt.Sprintf("the audience (%s) may read everything the agent can read (%s)", list(aud), list(label))
}

// RecheckCall gives the verdict on a call of agent's binding env at run
// time, runtime being the instance's actual flow. When the binding is also a
// source of the agent (a mail thread is read and replied to), the agent's
// label is first met with the actual label, so a thread that lost a reader
// narrows it; a label that gained one cannot widen the static label (that
// takes a new analysis). It fails for an agent or binding the analysis does
// not know.
func (a *Analysis) RecheckCall(agent, env string, runtime capabilities.Flow) (Verdict, string, error) {
	label, ok := a.Label(agent)
	if !ok {
		return "", "", fmt.Errorf("recheck: no agent %q in the analysis", agent)
	}
	reads, ok := a.reads[agent][env]
	if !ok {
		return "", "", fmt.Errorf("recheck: agent %q has no binding env.%s", agent, env)
	}
	if reads && runtime.Shared == "" {
		label = meet(label, runtime.Label)
	}
	v, why := Recheck(label, runtime)
	return v, why, nil
}
