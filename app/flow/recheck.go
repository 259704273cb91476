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

// RecheckIntegrity gives the integrity verdict on one sink call at run
// time: writers is the calling agent's integrity now (nil: trusted),
// consequential whether the call is, and runtime the sink instance's actual
// flow. The call is Safe when it is not consequential, the agent is trusted,
// or the audience could have steered it themselves: everyone in it but the
// owner is among writers, and no writer is outside it.
func RecheckIntegrity(writers capabilities.Label, consequential bool, runtime capabilities.Flow) (Verdict, string) {
	if !consequential || runtime.Inconsequential {
		return Safe, "the call is not consequential"
	}
	if len(writers) == 0 {
		return Safe, "the agent has read nothing anyone but the owner wrote (trusted)"
	}
	aud := audience(runtime)
	if silent, outside := steering(writers, aud); len(silent) > 0 || outside > 0 {
		why := fmt.Sprintf("the call could be steered by %s; the audience is %s", brief(writers), list(aud))
		if outside > 0 {
			why += fmt.Sprintf("; %d of them, outside it, could steer what it receives", outside)
		}
		if len(silent) > 0 {
			why += fmt.Sprintf("; %s wrote none of it", list(silent))
		}
		return Approval, why
	}
	return Safe, fmt.Sprintf("everyone in the audience (%s) could have steered the call themselves (the agent's writers are %s)", list(aud), brief(writers))
}

// RecheckCall gives the verdict on a call of agent's binding env at run
// time, runtime being the instance's actual flow: Approval when either rule
// holds it, with why saying which. When the binding is also a source of
// the agent (a mail thread is read and replied to), the agent's label is
// first met with the actual label, so a thread that lost a reader narrows
// it, and its integrity joined with the actual writers, so a thread that
// gained a sender counts them; a label that gained a reader cannot widen the
// static label (that takes a new analysis). Whether the call is
// consequential is the static sink's (a binding the analysis has as no sink
// is not). It fails for an agent or binding the analysis does not know.
func (a *Analysis) RecheckCall(agent, env string, runtime capabilities.Flow) (Verdict, string, error) {
	s, err := a.RecheckSink(agent, env, runtime)
	if err != nil {
		return "", "", err
	}
	return s.Verdict, s.Explain(), nil
}

// RecheckSink is RecheckCall giving the sink with both verdicts worked out
// again on runtime: Confidentiality and Why, Integrity and IntegrityWhy,
// and the combined Verdict.
func (a *Analysis) RecheckSink(agent, env string, runtime capabilities.Flow) (Sink, error) {
	label, ok := a.Label(agent)
	if !ok {
		return Sink{}, fmt.Errorf("recheck: no agent %q in the analysis", agent)
	}
	reads, ok := a.reads[agent][env]
	if !ok {
		return Sink{}, fmt.Errorf("recheck: agent %q has no binding env.%s", agent, env)
	}
	s, _ := a.Sink(agent, env)
	s.Agent, s.Binding, s.Audience = agent, env, audience(runtime)
	writers := a.integrity(agent)
	if reads && runtime.Shared == "" {
		label = meet(label, runtime.Label)
		writers = join(writers, runtime.Writers)
	}
	s.Steerers = writers
	s.Missing = missing(norm(label), s.Audience)
	s.Confidentiality, s.Why = Recheck(label, runtime)
	s.Integrity, s.IntegrityWhy = RecheckIntegrity(writers, s.Consequential, runtime)
	s.Verdict = Safe
	if s.Confidentiality == Approval || s.Integrity == Approval {
		s.Verdict = Approval
	}
	return s, nil
}

// integrity returns the integrity of the agent with node name agent.
func (a *Analysis) integrity(agent string) capabilities.Label {
	if i, ok := a.agentAt[agent]; ok && i < len(a.Agents) && a.Agents[i].Name == agent {
		return a.Agents[i].Integrity
	}
	for _, l := range a.Agents {
		if l.Name == agent {
			return l.Integrity
		}
	}
	return nil
}
