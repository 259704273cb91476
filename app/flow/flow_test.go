package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
	_ "littleboxes/capabilities/standard"
)

// fakeFacts reports flows from maps, as tests set them.
type fakeFacts struct {
	flows map[string]capabilities.Flow
	items map[string][]Item
}

func (f fakeFacts) Flow(name string) (capabilities.Flow, error) {
	fl, ok := f.flows[name]
	if !ok {
		return capabilities.Flow{}, fmt.Errorf("fake: no flow for %q", name)
	}
	return fl, nil
}

func (f fakeFacts) Items(name string) ([]Item, error) {
	its, ok := f.items[name]
	if !ok {
		return nil, fmt.Errorf("fake: %q does not enumerate", name)
	}
	return its, nil
}

var (
	owner  = capabilities.Owner
	public = capabilities.Public
	alice  = capabilities.Person("alice@example.com")
	bob    = capabilities.Person("bob@example.org")
	carol  = capabilities.Person("carol@example.net")
	phish  = capabilities.Person("security@examp1e.com")
	hooks  = capabilities.Origin("https://hooks.example.com")
	social = capabilities.Origin("https://social.example.com")
	news   = capabilities.Origin("https://news.example.com")
	openai = capabilities.Provider("api.openai.com")
)

func L(ps ...capabilities.Principal) capabilities.Label { return capabilities.NewLabel(ps...) }

// flows of the kinds as they report them: a thread whose participants all
// wrote in it.
func mailFlow(ps ...capabilities.Principal) capabilities.Flow {
	l := L(append(ps, owner)...)
	return capabilities.Flow{Label: l, Audience: l, Writers: capabilities.Join(ps)}
}

var (
	ownerOnly   = capabilities.Flow{Label: L(owner), Audience: L(owner)}
	webhookFlow = capabilities.Flow{Label: L(owner), Audience: L(hooks)} // http, label private
	socialFlow  = capabilities.Flow{Label: L(public), Audience: L(social)}
	newsFlow    = capabilities.Flow{Label: L(public), Audience: L(news)}
	notesFlow   = capabilities.Flow{Label: L(owner), Audience: L(owner), Shared: "kv:notes"}
	localLLM    = capabilities.Flow{Label: L(owner), Audience: L(owner)}
	remoteLLM   = capabilities.Flow{Label: L(owner), Audience: L(owner, openai)}
)

const (
	t1 = "1a2b3c4d5e6f" // alice
	t2 = "7a8b9c0d1e2f" // bob and carol
	t3 = "0f9e8d7c6b5a" // the phishing thread
)

var threeThreads = []Item{
	{ID: t1, Flow: mailFlow(alice)},
	{ID: t2, Flow: mailFlow(bob, carol)},
	{ID: t3, Flow: mailFlow(phish)},
}

// capability, agent, binds and channel build armies tersely.
func capability(name, kind string) *army.Capability {
	return &army.Capability{Name: name, Kind: kind}
}

// agent makes an agent with bindings given as "env=capability".
func agent(name string, binds ...string) *army.Agent {
	ag := &army.Agent{Name: name}
	for _, b := range binds {
		env, c, _ := strings.Cut(b, "=")
		ag.Bindings = append(ag.Bindings, &army.Binding{Env: env, Capability: c})
	}
	return ag
}

func template(ag *army.Agent, each, as string) *army.Agent {
	ag.Template = &army.Template{Each: each, As: as}
	return ag
}

func channel(from, env, to string) *army.Channel {
	return &army.Channel{From: from, Env: env, To: to}
}

// inbox is the seed army: one triage agent per thread, each reporting to a
// summarizer over a channel; the summarizer reports to the owner.
func inbox() (*army.Army, fakeFacts) {
	a := &army.Army{
		Name: "inbox",
		Capabilities: []*army.Capability{
			capability("mailbox", "mail"),
			capability("report", "report"),
		},
		Agents: []*army.Agent{
			template(agent("triage"), "mailbox", "thread"),
			agent("summarizer", "report=report"),
		},
		Channels: []*army.Channel{channel("triage", "summary", "summarizer")},
	}
	f := fakeFacts{
		flows: map[string]capabilities.Flow{"mailbox": ownerOnly, "report": ownerOnly},
		items: map[string][]Item{"mailbox": threeThreads},
	}
	return a, f
}

// inboxLeaky adds a webhook to the summarizer.
func inboxLeaky() (*army.Army, fakeFacts) {
	a, f := inbox()
	a.Name = "inbox-leaky"
	a.Capabilities = append(a.Capabilities, capability("webhook", "http"))
	a.Agent("summarizer").Bindings = append(a.Agent("summarizer").Bindings, &army.Binding{Env: "webhook", Capability: "webhook"})
	f.flows["webhook"] = webhookFlow
	return a, f
}

func item(t, id string) string { return t + "[" + id + "]" }

type sinkWant struct {
	verdict Verdict
	why     []string // substrings of the explanation
}

type testCase struct {
	name   string
	army   func() (*army.Army, fakeFacts)
	labels map[string]capabilities.Label // every agent
	stores map[string]capabilities.Label // every store
	sinks  map[string]sinkWant           // every sink, by "agent.binding"
	edges  map[string]Verdict            // some edges, by "from → to"
}

var cases = []testCase{
	{
		name: "inbox",
		army: inbox,
		labels: map[string]capabilities.Label{
			item("triage", t1): L(owner, alice),
			item("triage", t2): L(owner, bob, carol),
			item("triage", t3): L(owner, phish),
			"summarizer":       L(owner),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Safe, []string{"thread's audience (owner, person:alice@example.com) may read everything triage[" + t1 + "] can read"}},
			item("triage", t2) + ".thread": {Safe, nil},
			item("triage", t3) + ".thread": {Safe, nil},
			"summarizer.report":            {Safe, []string{"report's audience (owner) may read everything summarizer can read"}},
		},
		edges: map[string]Verdict{
			item("triage", t3) + " → summarizer":             Safe,
			item("mailbox", t3) + " → " + item("triage", t3): Safe,
		},
	},
	{
		name: "inbox-leaky",
		army: inboxLeaky,
		labels: map[string]capabilities.Label{
			item("triage", t1): L(owner, alice),
			item("triage", t2): L(owner, bob, carol),
			item("triage", t3): L(owner, phish),
			"summarizer":       L(owner),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Safe, nil},
			item("triage", t2) + ".thread": {Safe, nil},
			// The phishing thread's agent may answer the phisher, who
			// already has the thread, and no one else.
			item("triage", t3) + ".thread": {Safe, nil},
			"summarizer.report":            {Safe, nil},
			"summarizer.webhook": {Approval, []string{
				// The nearest thread (by name), not the webhook's own response.
				"summarizer can read triage[" + t3 + "]'s env.thread (mail mailbox[" + t3 + "]; readers owner, person:security@examp1e.com)",
				"via channel triage[" + t3 + "] → summarizer",
				"webhook sends to origin:https://hooks.example.com, who may not read it",
			}},
		},
		edges: map[string]Verdict{
			// Every thread's data would reach the webhook.
			item("triage", t1) + " → summarizer":             Approval,
			item("triage", t3) + " → summarizer":             Approval,
			item("mailbox", t3) + " → " + item("triage", t3): Approval,
			"webhook → summarizer":                           Approval,
		},
	},
	{
		name: "phishing triage with a webhook of its own",
		army: func() (*army.Army, fakeFacts) {
			a, f := inboxLeaky()
			// A webhook whose responses are public: only what the agent
			// sends is at stake.
			a.Capabilities = append(a.Capabilities, capability("hook", "http"))
			a.Agent("triage").Bindings = append(a.Agent("triage").Bindings, &army.Binding{Env: "hook", Capability: "hook"})
			a.Agent("summarizer").Bindings = a.Agent("summarizer").Bindings[:1]
			f.flows["hook"] = capabilities.Flow{Label: L(public), Audience: L(hooks)}
			return a, f
		},
		labels: map[string]capabilities.Label{
			item("triage", t1): L(owner, alice),
			item("triage", t2): L(owner, bob, carol),
			item("triage", t3): L(owner, phish),
			"summarizer":       L(owner),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Safe, nil},
			item("triage", t1) + ".hook":   {Approval, []string{"triage[" + t1 + "] can read its env.thread (mail mailbox[" + t1 + "]; readers owner, person:alice@example.com); hook sends to origin:https://hooks.example.com"}},
			item("triage", t2) + ".thread": {Safe, nil},
			item("triage", t2) + ".hook":   {Approval, nil},
			item("triage", t3) + ".thread": {Safe, nil},
			item("triage", t3) + ".hook":   {Approval, []string{"person:security@examp1e.com"}},
			"summarizer.report":            {Safe, nil},
		},
		edges: map[string]Verdict{
			item("triage", t3) + " → summarizer": Safe,
		},
	},
	{
		name: "channel into a template lowers every item",
		army: func() (*army.Army, fakeFacts) {
			a, f := inbox()
			a.Capabilities = append(a.Capabilities, capability("private", "mail"))
			a.Agents = append(a.Agents, agent("dispatcher", "inbox=private"))
			a.Channels = append(a.Channels, channel("dispatcher", "task", "triage"))
			f.flows["private"] = mailFlow(bob)
			return a, f
		},
		labels: map[string]capabilities.Label{
			item("triage", t1): L(owner),
			item("triage", t2): L(owner, bob),
			item("triage", t3): L(owner),
			"summarizer":       L(owner),
			"dispatcher":       L(owner, bob),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Approval, []string{"triage[" + t1 + "] can read dispatcher's env.inbox (mail private; readers owner, person:bob@example.org) via channel dispatcher → triage[" + t1 + "]; thread sends to person:alice@example.com"}},
			item("triage", t2) + ".thread": {Approval, []string{"thread sends to person:carol@example.net"}},
			item("triage", t3) + ".thread": {Approval, nil},
			"summarizer.report":            {Safe, nil},
			"dispatcher.inbox":             {Safe, nil},
		},
	},
	{
		name: "cycle a → b → a with different sources",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("ab", "mail"), capability("ac", "mail"), capability("news", "http")},
				Agents:       []*army.Agent{agent("a", "thread=ab"), agent("b", "thread=ac", "news=news")},
				Channels:     []*army.Channel{channel("a", "tob", "b"), channel("b", "toa", "a")},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{
				"ab": mailFlow(alice, bob), "ac": mailFlow(alice, carol), "news": newsFlow,
			}}
		},
		labels: map[string]capabilities.Label{
			"a": L(owner, alice),
			"b": L(owner, alice),
		},
		sinks: map[string]sinkWant{
			"a.thread": {Approval, []string{"a can read b's env.thread (mail ac; readers owner, person:alice@example.com, person:carol@example.net) via channel b → a; thread sends to person:bob@example.org, who may not read it"}},
			"b.thread": {Approval, []string{"b can read a's env.thread (mail ab; readers owner, person:alice@example.com, person:bob@example.org) via channel a → b; thread sends to person:carol@example.net"}},
			"b.news": {Approval, []string{
				"b can read its env.thread (mail ac; readers owner, person:alice@example.com, person:carol@example.net); news sends to origin:https://news.example.com",
			}},
		},
		edges: map[string]Verdict{"a → b": Approval, "b → a": Approval, "news → b": Safe},
	},
	{
		name: "shared kv between a private reader and a public poster",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{
					capability("inbox", "mail"), capability("notes", "kv"), capability("notes2", "kv"), capability("social", "http"),
				},
				Agents: []*army.Agent{
					agent("reader", "inbox=inbox", "notes=notes"),
					agent("poster", "notes=notes2", "social=social"),
				},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{
				"inbox": ownerOnly, "notes": notesFlow, "notes2": notesFlow, "social": socialFlow,
			}}
		},
		labels: map[string]capabilities.Label{
			"reader": L(owner),
			"poster": L(owner),
		},
		stores: map[string]capabilities.Label{"kv:notes": L(owner)},
		sinks: map[string]sinkWant{
			"reader.inbox": {Safe, nil},
			"poster.social": {Approval, []string{
				"poster can read reader's env.inbox (mail inbox; readers owner) via shared store reader → kv:notes → poster; social sends to origin:https://social.example.com, who may not read it",
			}},
		},
		edges: map[string]Verdict{"reader → kv:notes": Approval, "kv:notes → poster": Approval, "poster → kv:notes": Approval, "social → poster": Safe},
	},
	{
		name: "shared kv among public agents stays public",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("notes", "kv"), capability("social", "http"), capability("news", "http")},
				Agents: []*army.Agent{
					agent("crawler", "news=news", "notes=notes"),
					agent("poster", "notes=notes", "social=social"),
				},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{"notes": notesFlow, "social": socialFlow, "news": newsFlow}}
		},
		labels: map[string]capabilities.Label{"crawler": L(public), "poster": L(public)},
		stores: map[string]capabilities.Label{"kv:notes": L(public)},
		sinks: map[string]sinkWant{
			"crawler.news":  {Safe, []string{"crawler has read nothing private (its label is public), so anyone may see what news sends"}},
			"poster.social": {Safe, nil},
		},
	},
	{
		name: "trusted and untrusted llm",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("thread", "mail"), capability("local", "llm"), capability("remote", "llm")},
				Agents: []*army.Agent{
					agent("private", "thread=thread", "local=local", "remote=remote"),
					agent("open", "local=local", "remote=remote"),
				},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{"thread": mailFlow(alice), "local": localLLM, "remote": remoteLLM}}
		},
		labels: map[string]capabilities.Label{
			"private": L(owner, alice),
			"open":    L(public), // an llm's reply is not a source
		},
		sinks: map[string]sinkWant{
			"private.thread": {Safe, nil},
			"private.local":  {Safe, []string{"local's audience (owner) may read everything private can read"}},
			"private.remote": {Approval, []string{"private can read its env.thread (mail thread; readers owner, person:alice@example.com); remote sends to provider:api.openai.com, who may not read it"}},
			"open.local":     {Safe, nil},
			"open.remote":    {Safe, nil},
		},
	},
	{
		name: "no sources posts anywhere",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("social", "http"), capability("report", "report"), capability("remote", "llm")},
				Agents:       []*army.Agent{agent("timer", "social=social", "report=report", "remote=remote")},
			}
			a.Agents[0].Triggers = []army.Trigger{{Kind: army.TriggerEvery, Every: 3600e9}}
			return a, fakeFacts{flows: map[string]capabilities.Flow{"social": socialFlow, "report": ownerOnly, "remote": remoteLLM}}
		},
		labels: map[string]capabilities.Label{"timer": L(public)},
		sinks: map[string]sinkWant{
			"timer.social": {Safe, nil},
			"timer.report": {Safe, nil},
			"timer.remote": {Safe, nil},
		},
	},
	{
		// An http capability whose responses are private (the default)
		// lowers the label of every agent bound to it: a thread agent with
		// one can no longer answer its own thread without approval.
		name: "private http lowers a thread agent",
		army: func() (*army.Army, fakeFacts) {
			a, f := inboxLeaky()
			a.Agent("triage").Bindings = append(a.Agent("triage").Bindings, &army.Binding{Env: "hook", Capability: "webhook"})
			a.Channels = nil
			a.Agents = a.Agents[:1]
			return a, f
		},
		labels: map[string]capabilities.Label{
			item("triage", t1): L(owner),
			item("triage", t2): L(owner),
			item("triage", t3): L(owner),
		},
		sinks: map[string]sinkWant{
			item("triage", t1) + ".thread": {Approval, []string{"triage[" + t1 + "] can read its env.hook (http webhook; readers owner); thread sends to person:alice@example.com"}},
			item("triage", t1) + ".hook":   {Approval, []string{"can read its env.thread"}},
			item("triage", t2) + ".thread": {Approval, nil},
			item("triage", t2) + ".hook":   {Approval, nil},
			item("triage", t3) + ".thread": {Approval, nil},
			item("triage", t3) + ".hook":   {Approval, nil},
		},
	},
	{
		name: "private http fetch is flagged by its own response",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("webhook", "http")},
				Agents:       []*army.Agent{agent("poller", "webhook=webhook")},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{"webhook": webhookFlow}}
		},
		labels: map[string]capabilities.Label{"poller": L(owner)},
		sinks: map[string]sinkWant{
			"poller.webhook": {Approval, []string{"poller can read its env.webhook (http webhook; readers owner); webhook sends to origin:https://hooks.example.com"}},
		},
	},
	{
		name: "channel kind binding is an internal edge",
		army: func() (*army.Army, fakeFacts) {
			a := &army.Army{
				Capabilities: []*army.Capability{capability("thread", "mail"), capability("tob", "channel"), capability("social", "http")},
				Agents:       []*army.Agent{agent("a", "thread=thread", "out=tob"), agent("b", "social=social")},
			}
			return a, fakeFacts{flows: map[string]capabilities.Flow{
				"thread": mailFlow(alice),
				"tob":    {Label: L(owner), Audience: L(owner, capabilities.Agent("b"))},
				"social": socialFlow,
			}}
		},
		labels: map[string]capabilities.Label{"a": L(owner, alice), "b": L(owner, alice)},
		sinks: map[string]sinkWant{
			"a.thread": {Safe, nil},
			"b.social": {Approval, []string{"via channel a → b"}},
		},
		edges: map[string]Verdict{"a → b": Approval},
	},
	{
		name: "template with no items",
		army: func() (*army.Army, fakeFacts) {
			a, f := inbox()
			f.items["mailbox"] = nil
			return a, f
		},
		labels: map[string]capabilities.Label{"summarizer": L(public)},
		sinks:  map[string]sinkWant{"summarizer.report": {Safe, nil}},
	},
}

// analyze analyses the army build returns, failing the test on an error.
func analyze(t testing.TB, build func() (*army.Army, fakeFacts)) *Analysis {
	t.Helper()
	a, f := build()
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	return an
}

func TestAnalyze(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			an := analyze(t, tc.army)
			got := map[string]capabilities.Label{}
			for _, ag := range an.Agents {
				got[ag.Name] = ag.Label
				if ag.LabelWhy == "" {
					t.Errorf("%s: no LabelWhy", ag.Name)
				}
			}
			for name, want := range tc.labels {
				if !slices.Equal(got[name], want) {
					t.Errorf("label of %s = %v, want %v (%s)", name, got[name], want, labelWhyOf(an, name))
				}
			}
			if len(got) != len(tc.labels) {
				t.Errorf("agents = %v, want %d", got, len(tc.labels))
			}
			stores := map[string]capabilities.Label{}
			for _, s := range an.Stores {
				stores[s.Name] = s.Label
			}
			if len(stores) != len(tc.stores) {
				t.Errorf("stores = %v, want %v", stores, tc.stores)
			}
			for name, want := range tc.stores {
				if !slices.Equal(stores[name], want) {
					t.Errorf("store %s = %v, want %v", name, stores[name], want)
				}
			}
			seen := map[string]bool{}
			for _, s := range an.Sinks {
				key := s.Agent + "." + s.Binding
				seen[key] = true
				want, ok := tc.sinks[key]
				if !ok {
					t.Errorf("unexpected sink %s: %s (%s)", key, s.Verdict, s.Why)
					continue
				}
				if s.Verdict != want.verdict {
					t.Errorf("%s: verdict %s, want %s (%s)", key, s.Verdict, want.verdict, s.Why)
				}
				if (s.Verdict == Safe) != (len(s.Missing) == 0) {
					t.Errorf("%s: verdict %s with missing %v", key, s.Verdict, s.Missing)
				}
				for _, w := range want.why {
					if !strings.Contains(s.Why, w) {
						t.Errorf("%s: why = %q\nwant it to contain %q", key, s.Why, w)
					}
				}
			}
			for key := range tc.sinks {
				if !seen[key] {
					t.Errorf("missing sink %s", key)
				}
			}
			edges := map[string]Verdict{}
			for _, e := range an.Edges {
				edges[e.From+" → "+e.To] = e.Verdict
			}
			for key, want := range tc.edges {
				got, ok := edges[key]
				if !ok {
					t.Errorf("no edge %s (edges %v)", key, edges)
				} else if got != want {
					t.Errorf("edge %s = %s, want %s", key, got, want)
				}
			}
		})
	}
}

func labelWhyOf(an *Analysis, name string) string {
	for _, ag := range an.Agents {
		if ag.Name == name {
			return ag.LabelWhy
		}
	}
	return "no such agent"
}

// TestDeterministic runs every case many times: maps must not leak their
// order into the result.
func TestDeterministic(t *testing.T) {
	for _, tc := range cases {
		a, f := tc.army()
		first, err := Analyze(a, f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := first.JSON()
		for range 20 {
			an, _ := Analyze(a, f)
			got, _ := an.JSON()
			if string(got) != string(want) || an.Text() != first.Text() || fmt.Sprint(an.Edges) != fmt.Sprint(first.Edges) {
				t.Fatalf("%s: analysis differs between runs", tc.name)
			}
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*army.Army, fakeFacts)
		want   error
		text   string
	}{
		{"binding to a missing capability", func(a *army.Army, _ fakeFacts) {
			a.Agent("summarizer").Bindings[0].Capability = "nope"
		}, ErrDangling, `capability "nope"`},
		{"channel to a missing agent", func(a *army.Army, _ fakeFacts) {
			a.Channels[0].To = "nobody"
		}, ErrDangling, `agent "nobody"`},
		{"template over a missing capability", func(a *army.Army, _ fakeFacts) {
			a.Agent("triage").Template.Each = "nope"
		}, ErrDangling, `template "triage"`},
		{"unknown kind", func(a *army.Army, _ fakeFacts) {
			a.Capability("report").Kind = "carrier.pigeon"
		}, capabilities.ErrUnknownKind, "carrier.pigeon"},
		{"item agent clashes with an agent", func(a *army.Army, _ fakeFacts) {
			a.Agents = append(a.Agents, agent(item("triage", t1)))
		}, nil, "two agents have this name"},
		{"facts fail", func(_ *army.Army, f fakeFacts) {
			delete(f.items, "mailbox")
		}, nil, "does not enumerate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, f := inbox()
			tc.mutate(a, f)
			_, err := Analyze(a, f)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q lacks %q", err, tc.text)
			}
		})
	}
}

func TestMeet(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []capabilities.Label
		want capabilities.Label
	}{
		{"none is public", nil, L(public)},
		{"public is the identity", []capabilities.Label{L(public), L(owner, alice)}, L(owner, alice)},
		{"intersection", []capabilities.Label{L(owner, alice, bob), L(owner, alice, carol)}, L(owner, alice)},
		{"owner is always in", []capabilities.Label{L(alice), L(bob)}, L(owner)},
		{"public with others is public", []capabilities.Label{L(owner, public), L(owner, alice)}, L(owner, alice)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Meet(tc.in...); !slices.Equal(got, tc.want) {
				t.Errorf("Meet(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestRecheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		label   capabilities.Label
		runtime capabilities.Flow
		want    Verdict
	}{
		{"as analysed", L(owner, alice), mailFlow(alice), Safe},
		{"thread gained a participant", L(owner, alice), capabilities.Flow{Label: L(owner, alice), Audience: L(owner, alice, bob), Dynamic: true}, Approval},
		{"participant left the audience", L(owner, alice), capabilities.Flow{Audience: L(owner)}, Safe},
		{"public label sends anywhere", L(public), capabilities.Flow{Audience: L(public)}, Safe},
		{"agents are dropped", L(owner), capabilities.Flow{Audience: L(owner, capabilities.Agent("b"))}, Safe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why := Recheck(tc.label, tc.runtime)
			if v != tc.want || why == "" {
				t.Errorf("Recheck = %s (%s), want %s", v, why, tc.want)
			}
		})
	}
}

// TestRecheckCall: a runtime flow that differs from the static one changes
// the verdict, both ways.
func TestRecheckCall(t *testing.T) {
	thread := item("triage", t2) // bob and carol
	cases := []struct {
		name    string
		agent   string
		env     string
		runtime capabilities.Flow
		static  Verdict
		want    Verdict
		why     string
	}{
		{"unchanged", thread, "thread", mailFlow(bob, carol), Safe, Safe, ""},
		{"audience gained dave", thread, "thread",
			capabilities.Flow{Label: L(owner, bob, carol), Audience: L(owner, bob, carol, capabilities.Person("dave@example.com")), Dynamic: true},
			Safe, Approval, "person:dave@example.com"},
		{"label lost carol", thread, "thread",
			capabilities.Flow{Label: L(owner, bob), Audience: L(owner, bob, carol), Dynamic: true},
			Safe, Approval, "person:carol@example.net"},
		{"label gained dave cannot widen", thread, "thread",
			capabilities.Flow{Label: L(owner, bob, carol, capabilities.Person("dave@example.com")), Audience: L(owner, bob, carol, capabilities.Person("dave@example.com"))},
			Safe, Approval, "person:dave@example.com"},
		{"webhook now points at the owner only", "summarizer", "webhook",
			capabilities.Flow{Label: L(owner), Audience: L(owner)},
			Approval, Safe, ""},
	}
	a, f := inboxLeaky()
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := an.Sink(tc.agent, tc.env)
			if !ok || s.Verdict != tc.static {
				t.Fatalf("static sink %s.%s = %+v, want %s", tc.agent, tc.env, s, tc.static)
			}
			v, why, err := an.RecheckCall(tc.agent, tc.env, tc.runtime)
			if err != nil {
				t.Fatal(err)
			}
			if v != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("RecheckCall = %s (%s), want %s mentioning %q", v, why, tc.want, tc.why)
			}
		})
	}
	if _, _, err := an.RecheckCall("nobody", "x", capabilities.Flow{}); err == nil {
		t.Error("RecheckCall of an unknown agent: no error")
	}
	if _, _, err := an.RecheckCall("summarizer", "x", capabilities.Flow{}); err == nil {
		t.Error("RecheckCall of an unknown binding: no error")
	}
}
