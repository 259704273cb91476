package flow

// The explanations and edge verdicts as main computed them before they were
// made linear (one breadth-first search per flagged sink, over the whole
// graph): the reference the faster code must agree with, word for word.

import (
	"fmt"
	"slices"
	"strings"

	"littleboxes/capabilities"
)

// analysis reads the verdicts off the solved graph.
func (g *graph) refAnalysis() *Analysis {
	an := &Analysis{reads: map[string]map[string]bool{}}
	type flagged struct {
		node    int
		missing capabilities.Label
	}
	var approvals []flagged
	for i, n := range g.nodes {
		if n.store {
			st := StoreLabel{Name: n.name, Label: n.label, Writers: []string{}, Readers: []string{}}
			for _, e := range n.in {
				st.Writers = append(st.Writers, g.nodes[e.from].name)
			}
			for e := range g.edges {
				if e.from == i {
					st.Readers = append(st.Readers, g.nodes[e.to].name)
				}
			}
			slices.Sort(st.Writers)
			slices.Sort(st.Readers)
			an.Stores = append(an.Stores, st)
			continue
		}
		an.Agents = append(an.Agents, AgentLabel{Name: n.name, Template: n.template, Item: n.item, Label: n.label, LabelWhy: g.labelWhy(n)})
		an.reads[n.name] = map[string]bool{}
		for _, b := range n.binds {
			an.reads[n.name][b.env] = b.reads && b.flow.Shared == ""
			if !isSink(b) {
				continue
			}
			s := Sink{Agent: n.name, Binding: b.env, Capability: b.capability, Kind: b.kind, Audience: audience(b.flow), Dynamic: b.flow.Dynamic}
			s.Missing = missing(n.label, s.Audience)
			if len(s.Missing) == 0 {
				s.Verdict, s.Why = Safe, safeWhy(n.name, b.env, n.label, s.Audience)
			} else {
				s.Verdict, s.Why = Approval, g.refApprovalWhy(i, b, s.Missing)
				approvals = append(approvals, flagged{i, s.Missing})
			}
			an.Sinks = append(an.Sinks, s)
		}
	}
	// Flag every edge whose data reaches an approval sink lacking one of
	// the readers that sink is missing.
	flag := map[edge]bool{}
	flagSrc := map[int]bool{}
	for _, ap := range approvals {
		reach := g.refReaching(ap.node)
		for e := range g.edges {
			if reach[e.to] && len(missing(g.nodes[e.from].label, ap.missing)) > 0 {
				flag[e] = true
			}
		}
		for k, se := range g.srcEdge {
			if reach[se.to] && len(missing(norm(se.b.flow.Label), ap.missing)) > 0 {
				flagSrc[k] = true
			}
		}
	}
	verdict := func(f bool) Verdict {
		if f {
			return Approval
		}
		return Safe
	}
	seen := map[Edge]int{}
	add := func(e Edge) {
		if k, ok := seen[Edge{From: e.From, To: e.To, Kind: e.Kind}]; ok {
			if e.Verdict == Approval {
				an.Edges[k].Verdict = Approval
			}
			return
		}
		seen[Edge{From: e.From, To: e.To, Kind: e.Kind}] = len(an.Edges)
		an.Edges = append(an.Edges, e)
	}
	for e := range g.edges {
		add(Edge{From: g.nodes[e.from].name, To: g.nodes[e.to].name, Kind: e.kind, Verdict: verdict(flag[e])})
	}
	for k, se := range g.srcEdge {
		add(Edge{From: se.b.capability, To: g.nodes[se.to].name, Kind: EdgeSource, Verdict: verdict(flagSrc[k])})
	}
	slices.SortFunc(an.Agents, func(x, y AgentLabel) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(an.Stores, func(x, y StoreLabel) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(an.Sinks, func(x, y Sink) int {
		if c := strings.Compare(x.Agent, y.Agent); c != 0 {
			return c
		}
		return strings.Compare(x.Binding, y.Binding)
	})
	slices.SortFunc(an.Edges, func(x, y Edge) int {
		if c := strings.Compare(x.From, y.From); c != 0 {
			return c
		}
		if c := strings.Compare(x.To, y.To); c != 0 {
			return c
		}
		return strings.Compare(string(x.Kind), string(y.Kind))
	})
	return an
}

// reaching returns the nodes whose data can reach node z, z included.
func (g *graph) refReaching(z int) map[int]bool {
	seen := map[int]bool{z: true}
	queue := []int{z}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.nodes[n].in {
			if !seen[e.from] {
				seen[e.from] = true
				queue = append(queue, e.from)
			}
		}
	}
	return seen
}

// approvalWhy explains an approval: for each missing principal, the
// shortest path back from the agent to a source whose label lacks it.
// Principals explained by the same path share one clause.
func (g *graph) refApprovalWhy(z int, sink *bind, miss capabilities.Label) string {
	var clauses []string
	byClause := map[string][]capabilities.Principal{}
	for _, p := range miss {
		c := g.refSourceOf(z, p, sink)
		if _, ok := byClause[c]; !ok {
			clauses = append(clauses, c)
		}
		byClause[c] = append(byClause[c], p)
	}
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = fmt.Sprintf("%s; %s sends to %s, who may not read it", c, sink.env, list(byClause[c]))
	}
	return strings.Join(parts, "; and ")
}

// sourceOf finds, breadth-first over incoming edges from node z, the nearest
// source whose label lacks p, preferring any source to the sink's own
// binding, and says how its data reaches z.
func (g *graph) refSourceOf(z int, p capabilities.Principal, sink *bind) string {
	type step struct {
		next int // the node one step closer to z; -1 for z
		kind EdgeKind
	}
	for _, allowSelf := range []bool{false, true} {
		parent := map[int]step{z: {next: -1}}
		queue := []int{z}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, b := range g.nodes[n].srcs {
				if norm(b.flow.Label).Has(p) || (!allowSelf && n == z && b == sink) {
					continue
				}
				var path []string
				kinds := map[EdgeKind]bool{}
				for m := n; m != -1; m = parent[m].next {
					path = append(path, g.nodes[m].name)
					if parent[m].next != -1 {
						kinds[parent[m].kind] = true
					}
				}
				whose := "its"
				if n != z {
					whose = g.nodes[n].name + "'s"
				}
				c := fmt.Sprintf("%s can read %s env.%s (%s %s; readers %s)", g.nodes[z].name, whose, b.env, b.kind, b.capability, list(norm(b.flow.Label)))
				if len(path) > 1 {
					via := "via "
					switch {
					case len(kinds) == 1 && kinds[EdgeChannel]:
						via = "via channel "
					case len(kinds) == 1 && kinds[EdgeShared]:
						via = "via shared store "
					}
					c += " " + via + strings.Join(path, " → ")
				}
				return c
			}
			for _, e := range g.nodes[n].in {
				if _, seen := parent[e.from]; !seen {
					parent[e.from] = step{next: n, kind: e.kind}
					queue = append(queue, e.from)
				}
			}
		}
	}
	return fmt.Sprintf("%s's label (%s) lacks %s", g.nodes[z].name, list(g.nodes[z].label), p)
}
