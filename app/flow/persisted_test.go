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
			a, sf := parseStatic(t, tt.army)
			var f Facts = sf
			if tt.labels != nil || tt.otherwise != nil {
				f = WithStoreLabels(sf, tt.labels, tt.otherwise)
			}
			an, s := webhook(t, a, f)
			agent := a.Agents[0].Name
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

// TestPersistedStoreIntegrity: a kv namespace keeps the writers of what was
// written there, by any army: the poster of army B, which reads notes and
// posts to a public webhook, is steered by whoever steered the agent of army
// A that filled notes, though B has no writer of notes and leaks nothing.
// Clearing the namespace (no integrity kept) makes it trusted again.
func TestPersistedStoreIntegrity(t *testing.T) {
	unknown := capabilities.Principal("unknown:earlier writes")
	overridden := strings.Replace(posterArmy, "label: public}}", "label: public, consequential: false}}", 1)
	tests := []struct {
		name      string
		army      string
		writers   map[string]capabilities.Label // nil: none kept
		otherwise capabilities.Label
		want      Verdict // the webhook's integrity verdict; confidentiality is safe throughout
		why       []string
	}{
		{"nothing written (or cleared by the owner)", posterArmy, nil, nil, Safe, []string{"could have steered it themselves: poster's writers are origin:https://hooks.example.com"}},
		{"written by trusted agents", posterArmy, map[string]capabilities.Label{"kv:notes": nil}, nil, Safe, []string{"could have steered it themselves"}},
		{"written by an agent a phishing mail steered", posterArmy, map[string]capabilities.Label{"kv:notes": L(phish)}, nil, Approval,
			[]string{"webhook could be steered by person:security@examp1e.com (shared store kv:notes, data written before, via shared store kv:notes → poster)", "outside its audience (origin:https://hooks.example.com)"}},
		{"another namespace's writers do not count", posterArmy, map[string]capabilities.Label{"kv:other": L(phish)}, nil, Safe, nil},
		{"store unreadable: written by someone unknown", posterArmy, nil, L(unknown), Approval, []string{"unknown:earlier writes"}},
		{"the owner's override: consequential false", overridden, map[string]capabilities.Label{"kv:notes": L(phish)}, nil, Safe, []string{"props make it not consequential"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sf := parseStatic(t, tt.army)
			// The labels kept are public: only the integrity rule can hold.
			f := WithStoreLabels(sf, map[string]capabilities.Label{"kv:notes": L(public)}, nil)
			if tt.writers != nil || tt.otherwise != nil {
				f = WithStoreIntegrity(f, tt.writers, tt.otherwise)
			}
			an, s := webhook(t, a, f)
			if s.Confidentiality != Safe {
				t.Fatalf("webhook held by confidentiality: %s", s.Why)
			}
			if s.Integrity != tt.want || s.Verdict != tt.want {
				t.Fatalf("webhook: integrity %s, combined %s (%s), want %s", s.Integrity, s.Verdict, s.IntegrityWhy, tt.want)
			}
			for _, w := range tt.why {
				if !strings.Contains(s.IntegrityWhy, w) {
					t.Errorf("integrity why %q lacks %q", s.IntegrityWhy, w)
				}
			}
			// The run-time recheck of a call sees the same writers.
			v, why, err := an.RecheckCall("poster", "webhook", capabilities.Flow{Label: L(public), Audience: L(hooks), Inconsequential: tt.army == overridden})
			if err != nil || v != tt.want {
				t.Errorf("RecheckCall = %s (%s), %v; want %s", v, why, err, tt.want)
			}
			// The poster also reads the webhook's answers (its origin
			// wrote them) and writes notes.
			wantW := capabilities.Join(tt.writers["kv:notes"], tt.otherwise)
			wantAll := capabilities.Join(wantW, L(hooks))
			if st := an.Stores[0]; !slices.Equal(st.Integrity, wantAll) || !slices.Equal(st.PersistedIntegrity, wantW) {
				t.Errorf("store %s: integrity %v, persisted %v; want %v and %v", st.Name, st.Integrity, st.PersistedIntegrity, wantAll, wantW)
			}
			if w, _ := an.Integrity("poster"); !slices.Equal(w, wantAll) {
				t.Errorf("poster's integrity %v, want %v", w, wantAll)
			}
			if len(wantW) > 0 && !strings.Contains(an.Text(), "written before by "+list(wantW)) {
				t.Errorf("check's text does not show the kept writers:\n%s", an.Text())
			}
		})
	}
}

// TestPersistedKeepsTables: wrapping Facts with what the data directory
// keeps loses none of what they know, so a dynamic kind's instance table
// still decides a binding's roles.
func TestPersistedKeepsTables(t *testing.T) {
	_, sf := parseStatic(t, posterArmy)
	f := WithStoreIntegrity(WithStoreLabels(sf, nil, nil), nil, nil)
	tf, ok := f.(Tables)
	if !ok {
		t.Fatal("the wrapped Facts lost Tables")
	}
	if _, ok := tf.Table("webhook"); !ok {
		t.Fatal("the wrapped Facts do not give the webhook's table")
	}
	if _, ok := f.(StoreLabeler); !ok {
		t.Fatal("the labels were lost")
	}
}

// parseStatic parses the army file src and gives its static facts, cleaned
// up when the test ends.
func parseStatic(t *testing.T, src string) (*army.Army, Facts) {
	t.Helper()
	a, err := army.Parse([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	return a, mustStaticFacts(t, a)
}

// webhook analyses a with f and returns the analysis and the sink of the
// first agent's webhook binding.
func webhook(t *testing.T, a *army.Army, f Facts) (*Analysis, Sink) {
	t.Helper()
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := an.Sink(a.Agents[0].Name, "webhook")
	if !ok {
		t.Fatal("no webhook sink")
	}
	return an, s
}
