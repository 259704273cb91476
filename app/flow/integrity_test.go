package flow

import (
	"slices"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// threadFlow is a mail thread's flow as the mail kind reports it: read by
// and replied to its participants, written by its senders.
func threadFlow(participants []capabilities.Principal, senders ...capabilities.Principal) capabilities.Flow {
	fl := mailFlow(participants...)
	fl.Writers = capabilities.Join(senders)
	return fl
}

var (
	dave = capabilities.Person("dave@example.com")
	// Threads: alice wrote alone; bob wrote with carol in cc, who wrote
	// nothing; the phishing sender wrote alone; bob and carol both wrote.
	steeredThreads = []Item{
		{ID: t1, Flow: threadFlow(L(alice), alice)},
		{ID: t2, Flow: threadFlow(L(bob, carol), bob)},
		{ID: t3, Flow: threadFlow(L(phish), phish)},
	}
	t4           = "aaaabbbbcccc"
	bothWrote    = Item{ID: t4, Flow: threadFlow(L(bob, carol), bob, carol)}
	hookWritten  = capabilities.Flow{Label: L(owner), Audience: L(hooks), Writers: L(hooks)}
	newsWritten  = capabilities.Flow{Label: L(public), Audience: L(news), Writers: L(news), Inconsequential: true} // GET only
	modelFlow    = capabilities.Flow{Label: L(owner), Audience: L(owner, openai)}
	sharedFolder = capabilities.Flow{Label: L(owner, alice), Audience: L(owner, alice), Shared: "folder:/shared", External: true, Writers: L(alice)}
)

// steeredInbox is the seed army with real thread writers: one triage agent
// per thread (reading and replying to it) reporting to a summarizer, which
// reports to the owner and posts to a webhook.
func steeredInbox() (*army.Army, fakeFacts) {
	a := &army.Army{
		Name: "steered",
		Capabilities: []*army.Capability{
			capability("mailbox", "mail"), capability("report", "report"), capability("webhook", "http"),
		},
		Agents: []*army.Agent{
			template(agent("triage"), "mailbox", "thread"),
			agent("summarizer", "report=report", "webhook=webhook"),
		},
		Channels: []*army.Channel{channel("triage", "summary", "summarizer")},
	}
	f := fakeFacts{
		flows: map[string]capabilities.Flow{"mailbox": ownerOnly, "report": ownerOnly, "webhook": hookWritten},
		items: map[string][]Item{"mailbox": append(slices.Clone(steeredThreads), bothWrote)},
	}
	return a, f
}

type integrityCase struct {
	name  string
	army  func() (*army.Army, fakeFacts)
	want  map[string]capabilities.Label // every agent's integrity
	sinks map[string]sinkWant           // every sink's integrity verdict, by "agent.binding"
	// combined lists the sinks whose combined verdict is Approval.
	combined []string
}

var integrityCases = []integrityCase{
	{
		name: "inbox: a sender steering a reply to themselves is safe, a cc'd non-writer is not",
		army: steeredInbox,
		want: map[string]capabilities.Label{
			item("triage", t1): L(alice),
			item("triage", t2): L(bob),
			item("triage", t3): L(phish),
			item("triage", t4): L(bob, carol),
			"summarizer":       L(hooks, alice, bob, carol, phish),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Safe, []string{"could have steered it themselves"}},
			item("triage", t2) + ".thread": {Approval, []string{"thread could be steered by person:bob@example.org (mail mailbox[" + t2 + "])", "it reaches person:carol@example.net, who wrote none of it"}},
			item("triage", t3) + ".thread": {Safe, []string{"person:security@examp1e.com"}},
			item("triage", t4) + ".thread": {Safe, []string{"could have steered it themselves"}},
			"summarizer.report":            {Safe, []string{"not consequential"}},
			"summarizer.webhook": {Approval, []string{
				"person:security@examp1e.com (mail mailbox[" + t3 + "], via channel triage[" + t3 + "] → summarizer)",
				", outside its audience (origin:https://hooks.example.com)",
			}},
		},
		combined: []string{item("triage", t2) + ".thread", "summarizer.webhook"},
	},
	{
		name: "owner overrides: consequential false on the mailbox and the webhook",
		army: func() (*army.Army, fakeFacts) {
			a, f := steeredInbox()
			its := f.items["mailbox"]
			for i := range its {
				its[i].Flow.Inconsequential = true
			}
			wh := f.flows["webhook"]
			wh.Inconsequential = true
			f.flows["webhook"] = wh
			return a, f
		},
		want: map[string]capabilities.Label{
			item("triage", t1): L(alice), item("triage", t2): L(bob), item("triage", t3): L(phish), item("triage", t4): L(bob, carol),
			"summarizer": L(hooks, alice, bob, carol, phish),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Safe, []string{"thread's props make it not consequential"}},
			item("triage", t2) + ".thread": {Safe, []string{"thread's props make it not consequential"}},
			item("triage", t3) + ".thread": {Safe, []string{"props make it not consequential"}},
			item("triage", t4) + ".thread": {Safe, []string{"props make it not consequential"}},
			"summarizer.report":            {Safe, []string{"not consequential"}},
			"summarizer.webhook":           {Safe, []string{"webhook's props make it not consequential"}},
		},
		// The webhook is still held by the confidentiality rule.
		combined: []string{"summarizer.webhook"},
	},
	{
		name: "shared kv: phishing text poisons a store, the poster reading it is steered, kv writes are not held",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Name: "poison",
				Capabilities: []*army.Capability{
					capability("mailbox", "mail"), capability("notes", "kv"), capability("webhook", "http"),
				},
				Agents: []*army.Agent{
					template(agent("triage", "notes=notes"), "mailbox", "thread"),
					agent("poster", "notes=notes", "webhook=webhook"),
				},
			}
			f := fakeFacts{
				flows: map[string]capabilities.Flow{"mailbox": ownerOnly, "notes": notesFlow, "webhook": hookWritten},
				items: map[string][]Item{"mailbox": {steeredThreads[0], steeredThreads[2]}},
			}
			return a, f
		},
		want: map[string]capabilities.Label{
			// Every agent reads the store the others write (the poster
			// writes what its webhook answered).
			item("triage", t1): L(hooks, alice, phish),
			item("triage", t3): L(hooks, alice, phish),
			"poster":           L(hooks, alice, phish),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Approval, []string{"person:security@examp1e.com (mail mailbox[" + t3 + "], via shared store triage[" + t3 + "] → kv:notes → triage[" + t1 + "])", "outside its audience (owner, person:alice@example.com)"}},
			item("triage", t3) + ".thread": {Approval, []string{"person:alice@example.com (mail mailbox[" + t1 + "], via shared store triage[" + t1 + "] → kv:notes → triage[" + t3 + "])"}},
			"poster.webhook":               {Approval, []string{"via shared store triage[" + t1 + "] → kv:notes → poster"}},
		},
		combined: []string{item("triage", t1) + ".thread", item("triage", t3) + ".thread", "poster.webhook"},
	},
	{
		name: "cycle: a web page's words go round two agents and reach both",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Name: "cycle",
				Capabilities: []*army.Capability{
					capability("news", "http"), capability("webhook", "http"), capability("report", "report"),
				},
				Agents: []*army.Agent{
					agent("reader", "news=news", "report=report"),
					agent("writer", "webhook=webhook"),
				},
				Channels: []*army.Channel{channel("reader", "out", "writer"), channel("writer", "back", "reader")},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{"news": newsWritten, "webhook": hookWritten, "report": ownerOnly}}
		},
		want: map[string]capabilities.Label{"reader": L(hooks, news), "writer": L(hooks, news)},
		sinks: map[string]sinkWant{
			// The news capability allows GET only: it changes nothing.
			"reader.news":    {Safe, []string{"props make it not consequential"}},
			"reader.report":  {Safe, []string{"not consequential"}},
			"writer.webhook": {Approval, []string{"origin:https://news.example.com (http news, via channel reader → writer), outside its audience (origin:https://hooks.example.com)"}},
		},
		// The news fetch is held by confidentiality: the reader can read
		// the webhook's answers, which the news origin may not.
		combined: []string{"reader.news", "writer.webhook"},
	},
	{
		name: "a model that read untrusted input: its reply carries the prompt's writers",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Name: "model",
				Capabilities: []*army.Capability{
					capability("mail", "mail"), capability("model", "llm"), capability("webhook", "http"),
				},
				Agents: []*army.Agent{
					{Name: "percall", Instructions: "post a summary", Model: "model", Mode: army.ModePerCall,
						Bindings: []*army.Binding{{Env: "thread", Capability: "mail"}, {Env: "webhook", Capability: "webhook"}}},
					{Name: "plan", Instructions: "post a summary", Model: "model", Mode: army.ModePlan,
						Bindings: []*army.Binding{{Env: "thread", Capability: "mail"}, {Env: "llm", Capability: "model"}, {Env: "webhook", Capability: "webhook"}}},
				},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{
				"mail": threadFlow(L(phish), phish), "model": modelFlow, "webhook": hookWritten}}
		},
		// The webhook's responses are written by its origin, which can
		// then steer a reply to the thread's sender.
		want: map[string]capabilities.Label{"percall": L(hooks, phish), "plan": L(hooks, phish)},
		sinks: map[string]sinkWant{
			"percall.(code writer)": {Safe, []string{"not consequential"}},
			"percall.thread":        {Approval, []string{"origin:https://hooks.example.com (http webhook), outside its audience (owner, person:security@examp1e.com)"}},
			"percall.webhook":       {Approval, []string{"person:security@examp1e.com (mail mail)"}},
			"plan.llm":              {Safe, []string{"not consequential"}},
			"plan.thread":           {Approval, []string{"origin:https://hooks.example.com (http webhook)", "plan-mode"}},
			"plan.webhook":          {Approval, []string{"person:security@examp1e.com (mail mail)", "plan-mode code", "at the level of bindings"}},
		},
		combined: []string{"percall.(code writer)", "percall.thread", "percall.webhook", "plan.llm", "plan.thread", "plan.webhook"},
	},
	{
		name: "a shared folder: its readers write it; a write steered by someone else reaches them",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Name: "folder",
				Capabilities: []*army.Capability{
					capability("mailbox", "mail"), capability("shared", "folder"), capability("report", "report"),
				},
				Agents: []*army.Agent{
					agent("editor", "files=shared"),
					template(agent("filer", "files=shared"), "mailbox", "thread"),
					agent("owner-only", "report=report"),
				},
			}
			return a, fakeFacts{
				flows: map[string]capabilities.Flow{"mailbox": ownerOnly, "shared": sharedFolder, "report": ownerOnly},
				items: map[string][]Item{"mailbox": {steeredThreads[2]}},
			}
		},
		want: map[string]capabilities.Label{
			"editor":          L(alice, phish),
			item("filer", t3): L(alice, phish),
			"owner-only":      nil,
		},
		sinks: map[string]sinkWant{
			"editor.files":                {Approval, []string{"person:security@examp1e.com (mail mailbox[" + t3 + "], via shared store filer[" + t3 + "] → folder:/shared → editor)", "outside its audience (owner, person:alice@example.com)"}},
			item("filer", t3) + ".files":  {Approval, []string{"person:security@examp1e.com (mail mailbox[" + t3 + "])"}},
			item("filer", t3) + ".thread": {Approval, []string{"person:alice@example.com (folder shared, via shared store folder:/shared → filer[" + t3 + "])"}},
			"owner-only.report":           {Safe, []string{"not consequential"}},
		},
		combined: []string{"editor.files", item("filer", t3) + ".files", item("filer", t3) + ".thread"},
	},
}

// TestIntegrity checks the integrity of every agent and the integrity
// verdict of every sink, and which combined verdicts are approvals.
func TestIntegrity(t *testing.T) {
	for _, tc := range integrityCases {
		t.Run(tc.name, func(t *testing.T) {
			an := analyze(t, tc.army)
			if len(an.Agents) != len(tc.want) {
				t.Errorf("%d agents, want %d", len(an.Agents), len(tc.want))
			}
			for _, ag := range an.Agents {
				want, ok := tc.want[ag.Name]
				if !ok {
					t.Errorf("unexpected agent %s", ag.Name)
					continue
				}
				if !slices.Equal(ag.Integrity, want) {
					t.Errorf("integrity of %s = %v, want %v", ag.Name, ag.Integrity, want)
				}
			}
			if len(an.Sinks) != len(tc.sinks) {
				t.Errorf("%d sinks, want %d", len(an.Sinks), len(tc.sinks))
			}
			var held []string
			for _, s := range an.Sinks {
				key := s.Agent + "." + s.Binding
				if s.Verdict == Approval {
					held = append(held, key)
				}
				if want := (s.Confidentiality == Approval || s.Integrity == Approval); want != (s.Verdict == Approval) {
					t.Errorf("%s: combined verdict %s from confidentiality %s and integrity %s", key, s.Verdict, s.Confidentiality, s.Integrity)
				}
				w, ok := tc.sinks[key]
				if !ok {
					t.Errorf("unexpected sink %s (%s: %s)", key, s.Integrity, s.IntegrityWhy)
					continue
				}
				if s.Integrity != w.verdict {
					t.Errorf("%s: integrity %s, want %s (%s)", key, s.Integrity, w.verdict, s.IntegrityWhy)
				}
				for _, sub := range w.why {
					if !strings.Contains(s.IntegrityWhy, sub) {
						t.Errorf("%s: integrity why %q lacks %q", key, s.IntegrityWhy, sub)
					}
				}
			}
			slices.Sort(held)
			want := slices.Clone(tc.combined)
			slices.Sort(want)
			if !slices.Equal(held, want) {
				t.Errorf("approvals %v, want %v", held, want)
			}
		})
	}
}

// TestRecheckIntegrity: a thread that gained a sender at run time, or a
// participant who wrote nothing, changes the integrity verdict.
func TestRecheckIntegrity(t *testing.T) {
	a, f := steeredInbox()
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		agent   string
		runtime capabilities.Flow
		want    Verdict
		why     string
	}{
		{"unchanged", item("triage", t1), threadFlow(L(alice), alice), Safe, ""},
		{"dave joined in cc and wrote nothing", item("triage", t1),
			capabilities.Flow{Label: L(owner, alice), Audience: L(owner, alice, dave), Writers: L(alice)}, Approval, "person:dave@example.com wrote none of it"},
		{"carol wrote since", item("triage", t2), threadFlow(L(bob, carol), bob, carol), Safe, ""},
		{"declared not consequential at run time", item("triage", t2),
			capabilities.Flow{Label: L(owner, bob, carol), Audience: L(owner, bob, carol), Writers: L(bob), Inconsequential: true}, Safe, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why, err := an.RecheckCall(tc.agent, "thread", tc.runtime)
			if err != nil {
				t.Fatal(err)
			}
			if v != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("RecheckCall = %s (%s), want %s mentioning %q", v, why, tc.want, tc.why)
			}
		})
	}
}
