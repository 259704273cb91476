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
	Name      string   `json:"name"`
	Label     []string `json:"label"`
	Integrity any      `json:"integrity"` // "trusted" or the principals
}

type jsonSink struct {
	Agent           string      `json:"agent"`
	Binding         string      `json:"binding"`
	Audience        []string    `json:"audience"`
	Verdict         Verdict     `json:"verdict"`
	Why             string      `json:"why"`
	Consequential   bool        `json:"consequential"`
	Confidentiality jsonVerdict `json:"confidentiality"`
	Integrity       jsonVerdict `json:"integrity"`
}

type jsonVerdict struct {
	Verdict Verdict `json:"verdict"`
	Why     string  `json:"why"`
}

// integrityJSON is an integrity as check --json prints it: "trusted", or
// the list of principals.
func integrityJSON(w []string) any {
	if len(w) == 0 {
		return trusted
	}
	return w
}

// JSON returns the analysis as `littleboxes check --json` prints it,
// indented, with a final newline:
//
//	{"agents":[{"name","label":[..],"integrity":"trusted"|[..]}],
//	 "sinks":[{"agent","binding","audience":[..],"verdict":"safe"|"approval","why",
//	           "consequential":bool,
//	           "confidentiality":{"verdict","why"},"integrity":{"verdict","why"}}]}
//
// A sink's verdict is the combined one (approval when either rule holds
// it), and its why says which rule held it.
func (a *Analysis) JSON() ([]byte, error) {
	out := jsonAnalysis{Agents: []jsonAgent{}, Sinks: []jsonSink{}}
	for _, ag := range a.Agents {
		out.Agents = append(out.Agents, jsonAgent{Name: ag.Name, Label: ag.Label.Strings(), Integrity: integrityJSON(ag.Integrity.Strings())})
	}
	for _, s := range a.Sinks {
		out.Sinks = append(out.Sinks, jsonSink{Agent: s.Agent, Binding: s.Binding, Audience: s.Audience.Strings(), Verdict: s.Verdict, Why: s.Explain(),
			Consequential:   s.Consequential,
			Confidentiality: jsonVerdict{Verdict: s.Confidentiality, Why: s.Why},
			Integrity:       jsonVerdict{Verdict: s.Integrity, Why: s.IntegrityWhy}})
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

// Text returns the analysis for people: one line per agent with its label
// and integrity, one per shared store, one per sink with its combined
// verdict ("✓ safe" or "⚠ approval") followed by a line for each rule with
// its verdict and why, and a count.
func (a *Analysis) Text() string {
	var b strings.Builder
	for _, ag := range a.Agents {
		fmt.Fprintf(&b, "label %s = %s; integrity %s\n", ag.Name, list(ag.Label), integrityString(ag.Integrity))
	}
	for _, st := range a.Stores {
		kept := ""
		if st.Persisted != nil {
			kept = fmt.Sprintf("; kept from earlier writes: %s", list(st.Persisted))
		}
		if st.PersistedIntegrity != nil {
			kept += fmt.Sprintf("; written before by %s", list(st.PersistedIntegrity))
		}
		fmt.Fprintf(&b, "store %s = %s; integrity %s (written by %s%s)\n", st.Name, list(st.Label), integrityString(st.Integrity), orNone(st.Writers), kept)
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
		fmt.Fprintf(&b, "%s %s.%s → %s%s\n", mark, s.Agent, s.Binding, list(s.Audience), dyn)
		fmt.Fprintf(&b, "    confidentiality %s: %s\n", short(s.Confidentiality), s.Why)
		fmt.Fprintf(&b, "    integrity %s: %s\n", short(s.Integrity), s.IntegrityWhy)
	}
	fmt.Fprintf(&b, "%d agents, %d sinks: %d safe, %d needing approval\n", len(a.Agents), len(a.Sinks), len(a.Sinks)-approvals, approvals)
	return b.String()
}

// short marks a rule's verdict in the text output.
func short(v Verdict) string {
	if v == Approval {
		return "⚠ approval"
	}
	return "✓ safe"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no one"
	}
	return strings.Join(s, ", ")
}
