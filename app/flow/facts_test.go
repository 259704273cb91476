package flow

import (
	"context"
	"slices"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities/mail/sample"
)

// TestStaticFacts analyses the inbox army over the sample Maildir, with the
// real kinds provisioned and no secret values.
func TestStaticFacts(t *testing.T) {
	dir := t.TempDir()
	if err := sample.Extract(dir); err != nil {
		t.Fatal(err)
	}
	a := &army.Army{
		Capabilities: []*army.Capability{
			{Name: "mailbox", Kind: "mail", Props: map[string]any{
				"maildir": dir, "owner": sample.Owner, "smtp_host": "smtp.example.com", "smtp_user": "me",
			}, Secrets: map[string]string{"password": "mail-password"}},
			{Name: "report", Kind: "report"},
			{Name: "webhook", Kind: "http", Props: map[string]any{"origins": []any{"https://hooks.example.com"}, "label": "public"}},
			{Name: "notes", Kind: "kv", Props: map[string]any{"namespace": "notes"}},
		},
		Agents: []*army.Agent{
			template(agent("triage", "notes=notes"), "mailbox", "thread"),
			agent("summarizer", "report=report", "webhook=webhook"),
		},
		Channels: []*army.Channel{channel("triage", "summary", "summarizer")},
	}
	f := mustStaticFacts(t, a)
	its, err := f.Items("mailbox")
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != sample.Threads {
		t.Fatalf("%d items, want %d", len(its), sample.Threads)
	}
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := an.Label("summarizer"); !slices.Equal(l, L(owner)) {
		t.Errorf("summarizer label = %v, want owner", l)
	}
	// Every triage agent shares the notes namespace, so each one's label
	// is the owner's alone, and no reply is safe any more but the
	// owner-only ones.
	if len(an.Stores) != 1 || !slices.Equal(an.Stores[0].Label, L(owner)) {
		t.Errorf("stores = %+v, want kv:notes at owner", an.Stores)
	}
	var phishing *Sink
	for i, s := range an.Sinks {
		if s.Agent == "summarizer" {
			want := map[string]Verdict{"report": Safe, "webhook": Approval}[s.Binding]
			if s.Verdict != want {
				t.Errorf("summarizer.%s = %s, want %s (%s)", s.Binding, s.Verdict, want, s.Why)
			}
			continue
		}
		if s.Audience.Has(phish) {
			phishing = &an.Sinks[i]
		}
	}
	if phishing == nil || phishing.Verdict != Approval || !strings.Contains(phishing.Why, "via shared store") {
		t.Errorf("phishing thread's reply = %+v, want an approval via the shared store", phishing)
	}

	// Without the shared namespace each thread agent keeps its thread's
	// label; the phisher may be answered, and only the thread where a
	// participant was copied in halfway needs approval to reply to all.
	a.Agent("triage").Bindings = nil
	an, err = Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	approvals := 0
	for _, s := range an.Sinks {
		if s.Agent == "summarizer" {
			continue
		}
		l, _ := an.Label(s.Agent)
		if s.Audience.Has(phish) && (s.Verdict != Safe || !slices.Equal(l, L(owner, phish))) {
			t.Errorf("phishing triage: label %v, reply %s (%s)", l, s.Verdict, s.Why)
		}
		if s.Verdict == Approval {
			approvals++
			if !s.Audience.Has(carol) || !strings.Contains(s.Why, "thread sends to person:carol@example.net") {
				t.Errorf("unexpected approval %s: %s", s.Agent, s.Why)
			}
		}
	}
	if approvals != 1 {
		t.Errorf("%d replies need approval, want 1 (the thread carol was copied into)", approvals)
	}
}

func TestStaticFactsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps []*army.Capability
		ags  []*army.Agent
		want []string
	}{
		{"bad props, all reported", []*army.Capability{
			{Name: "a", Kind: "kv", Props: map[string]any{"namespace": "x", "nope": 1}},
			{Name: "b", Kind: "http"},
		}, nil, []string{`capability "a"`, `capability "b"`, "invalid props"}},
		{"unknown kind", []*army.Capability{{Name: "a", Kind: "pigeon"}}, nil, []string{"unknown capability kind"}},
		{"template over a kind that does not enumerate", []*army.Capability{{Name: "r", Kind: "report"}},
			[]*army.Agent{template(agent("t"), "r", "x")}, []string{"does not enumerate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, cleanup, err := StaticFacts(context.Background(), &army.Army{Capabilities: tc.caps, Agents: tc.ags})
			defer cleanup()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestStaticFactsNoSecretValues: a secret reference is enough to provision;
// the value is never asked for.
func TestStaticFactsNoSecretValues(t *testing.T) {
	a := &army.Army{Capabilities: []*army.Capability{{
		Name: "remote", Kind: "llm",
		Props:   map[string]any{"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini"},
		Secrets: map[string]string{"api_key": "openai"},
	}}}
	f := mustStaticFacts(t, a)
	fl, err := f.Flow("remote")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fl.Audience, L(owner, openai)) {
		t.Errorf("audience = %v, want owner and the provider", fl.Audience)
	}
	if _, err := f.Flow("nope"); err == nil {
		t.Error("flow of a missing capability: no error")
	}
	if _, err := f.Items("remote"); err == nil {
		t.Error("items of a capability no template spawns over: no error")
	}
}

// mustStaticFacts gives a's static facts, cleaned up when the test ends.
func mustStaticFacts(t *testing.T, a *army.Army) Facts {
	t.Helper()
	f, cleanup, err := StaticFacts(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return f
}
