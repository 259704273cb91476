package flow

import (
	"slices"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// The army B of the attack: a poster that reads kv notes (which army A's
// agent filled with a mail thread) and posts to a public webhook. Nothing
// in B writes notes.
const posterArmy = `
name: b
capabilities:
  notes: {kind: kv, props: {namespace: notes}}
  webhook: {kind: http, props: {origins: ["https://hooks.example.com"], methods: [POST], label: public}}
agents:
  poster:
    triggers: [manual]
    bindings: {notes: notes, webhook: webhook}
    code: "export default { async run(i, env) {} }"
`

// The army A after an edit: the writer of the thread is gone and a public
// reader was added.
const editedArmy = `
name: a
capabilities:
  notes: {kind: kv, props: {namespace: notes}}
  feed: {kind: http, props: {origins: ["https://news.example.com"], label: public}}
  webhook: {kind: http, props: {origins: ["https://hooks.example.com"], methods: [POST], label: public}}
agents:
  reader:
    triggers: [manual]
    bindings: {notes: notes, feed: feed, webhook: webhook}
    code: "export default { async run(i, env) {} }"
`

func TestPersistedStoreLabel(t *testing.T) {
	threadLabel := L(owner, alice)
	tests := []struct {
		name      string
		army      string
		labels    map[string]capabilities.Label
		otherwise capabilities.Label
		want      Verdict
		why       string
	}{
		{"another army's reader, nothing persisted", posterArmy, nil, nil, Safe, ""},
		{"another army's reader", posterArmy, map[string]capabilities.Label{"kv:notes": threadLabel}, nil, Approval, "shared store kv:notes, which holds data written before"},
		{"edited army: writer removed, public reader added", editedArmy, map[string]capabilities.Label{"kv:notes": threadLabel}, nil, Approval, "readers owner, person:alice@example.com"},
		{"a public persisted label", posterArmy, map[string]capabilities.Label{"kv:notes": L(public)}, nil, Safe, ""},
		{"labels unreadable: the owner's", posterArmy, nil, L(owner), Approval, "readers owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := army.Parse([]byte(tt.army), "")
			if err != nil {
				t.Fatal(err)
			}
			sf, cleanup, err := StaticFacts(t.Context(), a)
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			var f Facts = sf
			if tt.labels != nil || tt.otherwise != nil {
				f = WithStoreLabels(sf, tt.labels, tt.otherwise)
			}
			an, err := Analyze(a, f)
			if err != nil {
				t.Fatal(err)
			}
			agent := a.Agents[0].Name
			s, ok := an.Sink(agent, "webhook")
			if !ok {
				t.Fatal("no webhook sink")
			}
			if s.Verdict != tt.want || !strings.Contains(s.Why, tt.why) {
				t.Fatalf("webhook: %s (%s), want %s containing %q", s.Verdict, s.Why, tt.want, tt.why)
			}
			if tt.labels != nil {
				if st := an.Stores[0]; !slices.Equal(st.Persisted, norm(tt.labels["kv:notes"])) {
					t.Errorf("store %s persisted %v", st.Name, st.Persisted)
				}
				if l, _ := an.Label(agent); tt.want == Approval && !slices.Equal(l, norm(tt.labels["kv:notes"])) {
					t.Errorf("%s's label %v, want the store's", agent, l)
				}
				if !strings.Contains(an.Text(), "kept from earlier writes") {
					t.Errorf("check's text does not show the persisted label:\n%s", an.Text())
				}
			}
		})
	}
}
