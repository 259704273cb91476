package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// jsonAnalysis is the shape `littleboxes check --json` prints.
type jsonAnalysis struct {
	Agents []jsonAgent `json:"agents"`
	Sinks  []jsonSink  `json:"sinks"`
}

type jsonAgent struct {
	Name  string   `json:"name"`
	Label []string `json:"label"`
}

type jsonSink struct {
	Agent    string   `json:"agent"`
	Binding  string   `json:"binding"`
	Audience []string `json:"audience"`
	Verdict  Verdict  `json:"verdict"`
	Why      string   `json:"why"`
}

// JSON returns the analysis as `littleboxes check --json` prints it,
// indented, with a final newline:
//
//	{"agents":[{"name","label":[..]}],
//	 "sinks":[{"agent","binding","audience":[..],"verdict":"safe"|"approval","why"}]}
func (a *Analysis) JSON() ([]byte, error) {
	out := jsonAnalysis{Agents: []jsonAgent{}, Sinks: []jsonSink{}}
	for _, ag := range a.Agents {
		out.Agents = append(out.Agents, jsonAgent{Name: ag.Name, Label: ag.Label.Strings()})
	}
	for _, s := range a.Sinks {
		out.Sinks = append(out.Sinks, jsonSink{Agent: s.Agent, Binding: s.Binding, Audience: s.Audience.Strings(), Verdict: s.Verdict, Why: s.Why})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("flow analysis as JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// Text returns the analysis for people: one line per agent with its label,
// one per shared store, one per sink with its verdict ("✓ safe" or
// "⚠ approval") and why, and a count.
func (a *Analysis) Text() string {
	var b strings.Builder
	for _, ag := range a.Agents {
		fmt.Fprintf(&b, "label %s = %s\n", ag.Name, list(ag.Label))
	}
	for _, st := range a.Stores {
		kept := ""
		if st.Persisted != nil {
			kept = fmt.Sprintf("; kept from earlier writes: %s", list(st.Persisted))
		}
		fmt.Fprintf(&b, "store %s = %s (written by %s%s)\n", st.Name, list(st.Label), orNone(st.Writers), kept)
	}
	approvals := 0
	for _, s := range a.Sinks {
		mark := "✓ safe    "
		if s.Verdict == Approval {
			mark = "⚠ approval"
			approvals++
		}
		dyn := ""
		if s.Dynamic {
			dyn = " (checked again at call time)"
		}
		fmt.Fprintf(&b, "%s %s.%s → %s%s: %s\n", mark, s.Agent, s.Binding, list(s.Audience), dyn, s.Why)
	}
	fmt.Fprintf(&b, "%d agents, %d sinks: %d safe, %d needing approval\n", len(a.Agents), len(a.Sinks), len(a.Sinks)-approvals, approvals)
	return b.String()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no one"
	}
	return strings.Join(s, ", ")
}
