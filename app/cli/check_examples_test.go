package cli

import (
	"encoding/json"
	"slices"
	"testing"

	"littleboxes/examples"
)

// checkJSON is what check --json prints, as far as these tests read it.
type checkJSON struct {
	Agents []struct {
		Name      string `json:"name"`
		Label     []string
		Integrity any `json:"integrity"` // "trusted" or the principals
	} `json:"agents"`
	Sinks []struct {
		Agent           string   `json:"agent"`
		Binding         string   `json:"binding"`
		Audience        []string `json:"audience"`
		Verdict         string   `json:"verdict"`
		Why             string   `json:"why"`
		Consequential   bool     `json:"consequential"`
		Confidentiality struct {
			Verdict, Why string
		} `json:"confidentiality"`
		Integrity struct {
			Verdict, Why string
		} `json:"integrity"`
	} `json:"sinks"`
}

// TestExamplesSelfSteeredRepliesNotHeld: on every built-in army, a sink
// whose audience (the owner aside) wrote everything its agent read, and
// nobody else did (a sender steering a reply to themselves), gets no
// approval from the integrity rule: its combined verdict is the
// confidentiality rule's. And every sink check --json prints carries both
// verdicts with their why, and every agent its integrity.
func TestExamplesSelfSteeredRepliesNotHeld(t *testing.T) {
	selfSteered := 0
	phishingReply := false
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, "", "check", name, "--json")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var an checkJSON
			if err := json.Unmarshal([]byte(stdout), &an); err != nil {
				t.Fatal(err)
			}
			writers := map[string][]string{}
			for _, ag := range an.Agents {
				switch w := ag.Integrity.(type) {
				case string:
					if w != "trusted" {
						t.Errorf("agent %s: integrity %q, want trusted or a list", ag.Name, w)
					}
				case []any:
					for _, p := range w {
						writers[ag.Name] = append(writers[ag.Name], p.(string))
					}
				default:
					t.Errorf("agent %s: no integrity (%v)", ag.Name, ag.Integrity)
				}
			}
			for _, s := range an.Sinks {
				key := s.Agent + "." + s.Binding
				if s.Why == "" || s.Confidentiality.Verdict == "" || s.Confidentiality.Why == "" || s.Integrity.Verdict == "" || s.Integrity.Why == "" {
					t.Errorf("%s: a verdict or why is missing: %+v", key, s)
				}
				held := s.Confidentiality.Verdict == "approval" || s.Integrity.Verdict == "approval"
				if (s.Verdict == "approval") != held {
					t.Errorf("%s: combined verdict %s from %s and %s", key, s.Verdict, s.Confidentiality.Verdict, s.Integrity.Verdict)
				}
				ws := writers[s.Agent]
				if len(ws) == 0 {
					continue // trusted: nobody but the owner steers it
				}
				others := slices.DeleteFunc(slices.Clone(s.Audience), func(p string) bool { return p == "owner" })
				if len(others) == 0 {
					continue // the owner alone
				}
				self := true
				for _, p := range others {
					self = self && slices.Contains(ws, p)
				}
				for _, w := range ws {
					self = self && slices.Contains(s.Audience, w)
				}
				if !self {
					continue
				}
				selfSteered++
				if s.Agent == "triage[7b609f582ce3]" && s.Binding == "thread" {
					phishingReply = true
				}
				if s.Integrity.Verdict != "safe" || s.Verdict != s.Confidentiality.Verdict {
					t.Errorf("%s: steered only by its own audience %v, yet the integrity rule holds it: %s", key, others, s.Integrity.Why)
				}
			}
		})
	}
	if selfSteered == 0 || !phishingReply {
		t.Fatalf("%d self-steered sinks over the examples, the phishing thread's reply among them: %v; the test checks nothing", selfSteered, phishingReply)
	}
}
