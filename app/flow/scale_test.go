package flow

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// sharedArmy is n threads whose triage agents each keep a note in one kv
// namespace and post to a public webhook, and a poster reading the notes
// and posting too (app/bench.WriteSharedArmy's army): every sink is flagged,
// and every agent can read every thread through the namespace.
func sharedArmy(n int) (*army.Army, fakeFacts) {
	a := &army.Army{
		Name: "shared",
		Capabilities: []*army.Capability{
			capability("mailbox", "mail"),
			capability("notes", "kv"),
			capability("webhook", "http"),
		},
		Agents: []*army.Agent{
			template(agent("triage", "notes=notes", "webhook=webhook"), "mailbox", "thread"),
			agent("poster", "notes=notes", "webhook=webhook"),
		},
	}
	its := make([]Item, n)
	for i := range its {
		its[i] = Item{ID: fmt.Sprintf("%012x", i*7919), Flow: mailFlow(capabilities.Person(fmt.Sprintf("person%d@example.org", i)))}
	}
	f := fakeFacts{
		flows: map[string]capabilities.Flow{
			"mailbox": ownerOnly,
			"notes":   {Label: L(owner), Audience: L(owner), Shared: "kv:notes"},
			"webhook": {Label: L(public), Audience: L(hooks)},
		},
		items: map[string][]Item{"mailbox": its},
	}
	return a, f
}

func BenchmarkAnalyzeShared(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			a, f := sharedArmy(n)
			for b.Loop() {
				if _, err := Analyze(a, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// randomArmy is an army drawn from r: agents bound to mail threads, web
// pages, webhooks, shared namespaces and reports, a template, channels.
func randomArmy(r *rand.Rand) (*army.Army, fakeFacts) {
	people := []capabilities.Principal{alice, bob, carol, phish}
	someone := func() capabilities.Label {
		var ps []capabilities.Principal
		for _, p := range people {
			if r.IntN(2) == 0 {
				ps = append(ps, p)
			}
		}
		return L(append(ps, owner)...)
	}
	a := &army.Army{Name: "random"}
	f := fakeFacts{flows: map[string]capabilities.Flow{}, items: map[string][]Item{}}
	var caps []string
	add := func(name, kind string, fl capabilities.Flow) {
		a.Capabilities = append(a.Capabilities, capability(name, kind))
		f.flows[name] = fl
		caps = append(caps, name)
	}
	for i := range 1 + r.IntN(4) {
		l := someone()
		add(fmt.Sprintf("mail%d", i), "mail", capabilities.Flow{Label: l, Audience: l})
	}
	add("news", "http", newsFlow)
	add("social", "http", socialFlow)
	add("webhook", "http", webhookFlow)
	add("report", "report", ownerOnly)
	for i := range r.IntN(3) {
		add(fmt.Sprintf("kv%d", i), "kv", capabilities.Flow{Label: L(owner), Audience: L(owner), Shared: fmt.Sprintf("kv:ns%d", i%2)})
	}
	var names []string
	for i := range 2 + r.IntN(6) {
		name := fmt.Sprintf("a%d", i)
		var binds []string
		used := map[string]bool{}
		for range r.IntN(4) {
			c := caps[r.IntN(len(caps))]
			if !used[c] {
				used[c] = true
				binds = append(binds, "e"+c+"="+c)
			}
		}
		ag := agent(name, binds...)
		if i == 0 {
			a.Capabilities = append(a.Capabilities, capability("box", "mail"))
			f.flows["box"] = ownerOnly
			var its []Item
			for j := range 1 + r.IntN(5) {
				l := someone()
				its = append(its, Item{ID: fmt.Sprintf("%012x", j*31), Flow: capabilities.Flow{Label: l, Audience: l}})
			}
			f.items["box"] = its
			template(ag, "box", "thread")
		}
		a.Agents = append(a.Agents, ag)
		names = append(names, name)
	}
	for range r.IntN(2 * len(names)) {
		from, to := names[r.IntN(len(names))], names[r.IntN(len(names))]
		if from != to {
			a.Channels = append(a.Channels, channel(from, "to"+to+fmt.Sprint(len(a.Channels)), to))
		}
	}
	return a, f
}

// TestMatchesReference checks the analysis, explanations included, against
// the search per flagged sink it replaced (reference_test.go), on every
// test army, the shared army and random ones; and that the distances give
// the same explanation as the search (a budget of 0 takes them at once).
func TestMatchesReference(t *testing.T) {
	type named struct {
		name string
		army func() (*army.Army, fakeFacts)
	}
	armies := []named{{"golden inbox", inbox}, {"golden inbox-leaky", inboxLeaky}, {"shared 60", func() (*army.Army, fakeFacts) { return sharedArmy(60) }}}
	for _, tc := range cases {
		armies = append(armies, named{tc.name, tc.army})
	}
	for seed := range 300 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		armies = append(armies, named{fmt.Sprintf("random %d", seed), func() (*army.Army, fakeFacts) { return randomArmy(r) }})
	}
	approvals := 0
	for _, tc := range armies {
		t.Run(tc.name, func(t *testing.T) {
			a, f := tc.army()
			g := &graph{agents: map[string][]int{}, names: map[string]int{}, stores: map[string]int{}, edges: map[edge]bool{}}
			if err := g.build(a, f); err != nil {
				t.Skipf("not an army: %v", err)
			}
			g.solve()
			g.solveIntegrity()
			got, want := g.analysis(), g.refAnalysis()
			if !reflect.DeepEqual(got, want) {
				gt, wt := got.Text(), want.Text()
				t.Fatalf("analysis differs from the reference:\ngot:\n%s\nwant:\n%s\nedges got %v\nwant %v", gt, wt, got.Edges, want.Edges)
			}
			for i, n := range g.nodes {
				for _, b := range n.binds {
					if !isSink(b) {
						continue
					}
					for _, p := range missing(n.label, audience(b.flow)) {
						approvals++
						for _, budget := range []int{0, 1, 2} {
							if got, want := g.sourceWithin(i, p, b, budget), g.refSourceOf(i, p, b); got != want {
								t.Errorf("%s.%s missing %s, budget %d:\ngot  %s\nwant %s", n.name, b.env, p, budget, got, want)
							}
						}
					}
				}
			}
		})
	}
	if approvals < 1000 {
		t.Errorf("only %d flagged (sink, reader) pairs compared: the random armies should flag more", approvals)
	}
}

// TestExplanationsLinear checks that analysing the shared army (every sink
// flagged, every agent reaching every other through the namespace) costs
// about four times as much at 4,000 threads as at 1,000, not sixteen, by the
// bytes it allocates: a count, not a time, so a busy machine cannot flake
// it.
func TestExplanationsLinear(t *testing.T) {
	alloc := func(n int) uint64 {
		a, f := sharedArmy(n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Analyze(a, f); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(1000), alloc(4000)
	ratio := float64(large) / float64(small)
	t.Logf("1,000 threads: %d MiB allocated; 4,000: %d MiB (×%.1f)", small>>20, large>>20, ratio)
	if ratio > 6 {
		t.Errorf("4× the threads allocate %.1f× the bytes: the analysis grows faster than linearly", ratio)
	}
}

// TestLookups: Sink and Label find every sink and agent of an analysis, by
// its index, and nothing else.
func TestLookups(t *testing.T) {
	a, f := sharedArmy(50)
	an, err := Analyze(a, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range an.Sinks {
		if got, ok := an.Sink(s.Agent, s.Binding); !ok || !reflect.DeepEqual(got, s) {
			t.Errorf("Sink(%s, %s) = %v, %v", s.Agent, s.Binding, got, ok)
		}
	}
	for _, ag := range an.Agents {
		if got, ok := an.Label(ag.Name); !ok || !slices.Equal(got, ag.Label) {
			t.Errorf("Label(%s) = %v, %v", ag.Name, got, ok)
		}
	}
	for _, tc := range []struct{ agent, binding string }{{"poster", "notes"}, {"nobody", "webhook"}, {"triage", "webhook"}} {
		if _, ok := an.Sink(tc.agent, tc.binding); ok {
			t.Errorf("Sink(%s, %s) found a sink", tc.agent, tc.binding)
		}
	}
	if _, ok := an.Label("nobody"); ok {
		t.Error("Label(nobody) found a label")
	}
}
