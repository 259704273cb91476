package flow

import (
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// TestExternalStore: a folder is a shared store that also holds data no
// agent wrote (its label is a source) and is read by people outside the
// army (each write is a sink to its audience). A kv namespace, not
// external, holds only what agents wrote.
func TestExternalStore(t *testing.T) {
	bob := capabilities.Person("bob@example.com")
	folder := capabilities.Flow{Label: capabilities.NewLabel(owner, bob), Audience: capabilities.NewLabel(owner, bob), Shared: "folder:/f", External: true}
	kvFlow := capabilities.Flow{Label: capabilities.NewLabel(owner), Audience: capabilities.NewLabel(owner), Shared: "kv:n"}
	mail := capabilities.Flow{Label: capabilities.NewLabel(owner, alice), Audience: capabilities.NewLabel(owner, alice)}
	web := capabilities.Flow{Label: capabilities.NewLabel(public), Audience: capabilities.NewLabel(public)}
	a := &army.Army{
		Name: "t",
		Capabilities: []*army.Capability{
			{Name: "docs", Kind: "folder"}, {Name: "notes", Kind: "kv"},
			{Name: "mail", Kind: "mail"}, {Name: "web", Kind: "http"},
		},
		Agents: []*army.Agent{
			{Name: "publisher", Code: "x", Bindings: []*army.Binding{{Env: "docs", Capability: "docs"}, {Env: "web", Capability: "web"}}},
			{Name: "filer", Code: "x", Bindings: []*army.Binding{{Env: "mail", Capability: "mail"}, {Env: "docs", Capability: "docs"}}},
			{Name: "kvreader", Code: "x", Bindings: []*army.Binding{{Env: "notes", Capability: "notes"}, {Env: "web", Capability: "web"}}},
		},
	}
	an, err := Analyze(a, fakeFacts{flows: map[string]capabilities.Flow{"docs": folder, "notes": kvFlow, "mail": mail, "web": web}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		agent, env string
		want       Verdict
	}{
		{"publisher", "web", Approval}, // the folder's own files are bob's and the owner's
		{"filer", "docs", Approval},    // alice's mail filed where bob reads it
		{"kvreader", "web", Safe},      // the namespace holds only what agents wrote
	} {
		s, ok := an.Sink(tc.agent, tc.env)
		if !ok || s.Verdict != tc.want {
			t.Errorf("%s.%s: %+v (%v), want %s", tc.agent, tc.env, s, ok, tc.want)
		}
	}
}
