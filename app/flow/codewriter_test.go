package flow

import (
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// TestCodeWriter: a per-call instructions agent's code-writing call is a
// sink to the model's provider; a plan-mode agent's is not there at all.
func TestCodeWriter(t *testing.T) {
	provider := capabilities.Provider("api.example.com")
	thread := capabilities.NewLabel(owner, alice)
	for _, tc := range []struct {
		name     string
		mode     string
		audience capabilities.Label
		want     Verdict // "" when no code-writer sink is expected
	}{
		{"plan mode: the model never sees the data", army.ModePlan, capabilities.NewLabel(owner, provider), ""},
		{"per-call to a trusted local model", army.ModePerCall, capabilities.NewLabel(owner), Safe},
		{"per-call to an untrusted provider", army.ModePerCall, capabilities.NewLabel(owner, provider), Approval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &army.Army{
				Name: "t",
				Capabilities: []*army.Capability{
					{Name: "mail", Kind: "mail"},
					{Name: "model", Kind: "llm"},
				},
				Agents: []*army.Agent{{
					Name: "reader", Instructions: "reply", Model: "model", Mode: tc.mode,
					Bindings: []*army.Binding{{Env: "thread", Capability: "mail"}},
				}},
			}
			f := fakeFacts{flows: map[string]capabilities.Flow{
				"mail":  {Label: thread, Audience: thread},
				"model": {Label: capabilities.NewLabel(owner), Audience: tc.audience},
			}}
			an, err := Analyze(a, f)
			if err != nil {
				t.Fatal(err)
			}
			s, ok := an.Sink("reader", army.CodeWriterEnv)
			if tc.want == "" {
				if ok {
					t.Fatalf("plan mode has a code-writer sink: %+v", s)
				}
				return
			}
			if !ok {
				t.Fatal("no code-writer sink")
			}
			if s.Verdict != tc.want || s.Capability != "model" {
				t.Fatalf("sink %+v, want verdict %s", s, tc.want)
			}
			if tc.want == Approval && !strings.Contains(s.Why, "provider:api.example.com") {
				t.Fatalf("why does not name the provider: %s", s.Why)
			}
		})
	}
}
