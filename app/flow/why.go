package flow

import (
	"fmt"
	"slices"
	"strings"

	"littleboxes/capabilities"
)

// list writes a label's principals separated by commas.
func list(l capabilities.Label) string {
	if len(l) == 0 {
		return "nobody"
	}
	return strings.Join(l.Strings(), ", ")
}

// labelWhy names the inputs whose meet n's label is.
func (g *graph) labelWhy(n *node) string {
	var parts []string
	for _, b := range n.srcs {
		parts = append(parts, fmt.Sprintf("env.%s (%s %s) {%s}", b.env, b.kind, b.capability, list(norm(b.flow.Label))))
	}
	for _, e := range n.in {
		from := g.nodes[e.from]
		if e.kind == EdgeShared {
			parts = append(parts, fmt.Sprintf("shared store %s {%s}", from.name, list(from.label)))
		} else {
			parts = append(parts, fmt.Sprintf("channel from %s {%s}", from.name, list(from.label)))
		}
	}
	if len(parts) == 0 {
		return "public: it reads no source, no shared store and no channel"
	}
	return "the meet of " + strings.Join(parts, "; ")
}

// safeWhy explains a safe sink.
func safeWhy(agent, env string, label, aud capabilities.Label) string {
	if label.Has(capabilities.Public) {
		return fmt.Sprintf("%s has read nothing private (its label is public), so anyone may see what %s sends", agent, env)
	}
	return fmt.Sprintf("%s's audience (%s) may read everything %s can read", env, list(aud), agent)
}

// approvalWhy explains an approval: for each missing principal, the
// shortest path back from the agent to a source whose label lacks it.
// Principals explained by the same path share one clause.
func (g *graph) approvalWhy(z int, sink *bind, miss capabilities.Label) string {
	return approvalWhyFrom(z, sink, miss, g.sourceOf)
}

// approvalWhyFrom is approvalWhy with the search for a principal's source
// given (the reference tests give the old search).
func approvalWhyFrom(z int, sink *bind, miss capabilities.Label, sourceOf func(int, capabilities.Principal, *bind) string) string {
	var clauses []string
	byClause := map[string][]capabilities.Principal{}
	for _, p := range miss {
		c := sourceOf(z, p, sink)
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

// searchBudget is how many nodes sourceOf's breadth-first search from a
// sink may find before it turns to the distances to the nearest source
// lacking the principal (distances), which cost a walk of the whole graph
// but are computed once per principal. Most searches end within a few
// nodes: at the agent's own thread, at the first writer of a store.
const searchBudget = 64

// sourceOf finds, breadth-first over incoming edges from node z, the nearest
// source whose label lacks p, preferring any source to the sink's own
// binding, and says how its data reaches z. Of sources equally near, it
// takes the first the search meets (incoming edges in order of the sending
// node's name, a node's sources in binding order).
func (g *graph) sourceOf(z int, p capabilities.Principal, sink *bind) string {
	return g.sourceWithin(z, p, sink, searchBudget)
}

// sourceWithin is sourceOf with a search budget.
func (g *graph) sourceWithin(z int, p capabilities.Principal, sink *bind, budget int) string {
	if path, b := g.searchFrom(z, p, sink, budget); b != nil {
		return g.clause(z, path, b)
	}
	// Nothing but z's sink itself lacks p.
	if g.lacking(z, p, nil) == sink && sink != nil {
		return g.clause(z, []step{{node: z}}, sink)
	}
	return fmt.Sprintf("%s's label (%s) lacks %s", g.nodes[z].name, list(g.nodes[z].label), p)
}

// step is one node of a path from a source's node to the sink's node z, and
// the kind of the edge it leaves by towards z (none for z).
type step struct {
	node int
	kind EdgeKind
}

// lacking returns node n's first source whose label lacks p, not counting
// skip, or nil.
func (g *graph) lacking(n int, p capabilities.Principal, skip *bind) *bind {
	for _, b := range g.nodes[n].srcs {
		if b != skip && !g.norm(b).Has(p) {
			return b
		}
	}
	return nil
}

// searchFrom returns the nearest source lacking p other than z's sink, and
// the path from its node to z: breadth-first from z, or, once more than
// budget nodes are found, down the distances of p.
func (g *graph) searchFrom(z int, p capabilities.Principal, sink *bind, budget int) ([]step, *bind) {
	if b := g.lacking(z, p, sink); b != nil {
		return []step{{node: z}}, b
	}
	parent := map[int]step{z: {node: -1}}
	var at int
	var b *bind
	found, over := g.upstream(z, parent, budget, func(n int) bool {
		at, b = n, g.lacking(n, p, nil)
		return b != nil
	})
	if over {
		return g.descend(z, p, sink)
	}
	if !found {
		return nil, nil
	}
	var path []step
	for m := at; m != z; m = parent[m].node {
		path = append(path, step{node: m, kind: parent[m].kind})
	}
	return append(path, step{node: z}), b
}

// upstream searches breadth-first over incoming edges from node z (z
// itself not visited): parent, holding z, links each node found to the next
// one towards z. A node is visited when it is found, not when it is taken
// from the queue: nodes are taken in the order they are found, so the first
// visited that matters is the nearest. found reports that a visit returned
// true and ended the search; over that more than budget nodes were found
// first (budget < 0: no limit).
func (g *graph) upstream(z int, parent map[int]step, budget int, visit func(n int) bool) (found, over bool) {
	queue := []int{z}
	for len(queue) > 0 {
		if budget >= 0 && len(parent) > budget {
			return false, true
		}
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.nodes[n].in {
			if _, seen := parent[e.from]; seen {
				continue
			}
			parent[e.from] = step{node: n, kind: e.kind}
			if visit(e.from) {
				return true, false
			}
			queue = append(queue, e.from)
		}
	}
	return false, false
}

// descend finds what searchFrom would, by the distances of p: from z it
// takes, at each step, the first incoming edge that leads one nearer. That
// is the first of the shortest paths in the search's order (a search reaches
// each node first along the shortest path that comes first in edge order),
// so the same source and path.
func (g *graph) descend(z int, p capabilities.Principal, sink *bind) ([]step, *bind) {
	if g.lacking(z, p, nil) != nil {
		// Only z's own sink lacks p at z (searchFrom looked at the rest),
		// and it does not count here, but the distances count it. Rare:
		// search the whole graph.
		return g.searchFrom(z, p, sink, len(g.nodes))
	}
	dist := g.distances(p)
	if dist[z] < 0 {
		return nil, nil
	}
	path := []step{{node: z}}
	for n := z; dist[n] > 0; {
		for _, e := range g.nodes[n].in {
			if dist[e.from] == dist[n]-1 {
				path = append(path, step{node: e.from, kind: e.kind})
				n = e.from
				break
			}
		}
	}
	slices.Reverse(path) // source first
	return path, g.lacking(path[0].node, p, nil)
}

// distances returns, for each node, how many edges its data travels at
// least from a node with a source lacking p (0 for such a node, -1 when
// none reaches it), computed once per principal.
func (g *graph) distances(p capabilities.Principal) []int {
	if d, ok := g.dist[p]; ok {
		return d
	}
	if g.out == nil {
		g.out = make([][]int, len(g.nodes))
		for i, n := range g.nodes {
			for _, e := range n.in {
				g.out[e.from] = append(g.out[e.from], i)
			}
		}
	}
	d := make([]int, len(g.nodes))
	var queue []int
	for i := range g.nodes {
		d[i] = -1
		if g.lacking(i, p, nil) != nil {
			d[i] = 0
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range g.out[n] {
			if d[m] < 0 {
				d[m] = d[n] + 1
				queue = append(queue, m)
			}
		}
	}
	if g.dist == nil {
		g.dist = map[capabilities.Principal][]int{}
	}
	g.dist[p] = d
	return d
}

// clause says that z can read source b, at path[0]'s node, and how its data
// reaches z along path (source first, z last).
func (g *graph) clause(z int, path []step, b *bind) string {
	n := path[0].node
	names := make([]string, len(path))
	kinds := map[EdgeKind]bool{}
	for i, s := range path {
		names[i] = g.nodes[s.node].name
		if s.node != z {
			kinds[s.kind] = true
		}
	}
	if b.persisted {
		return fmt.Sprintf("%s can read shared store %s, which holds data written before (by this army or another sharing the data directory; readers %s) via %s",
			g.nodes[z].name, g.nodes[n].name, list(g.norm(b)), strings.Join(names, " → "))
	}
	whose := "its"
	if n != z {
		whose = g.nodes[n].name + "'s"
	}
	c := fmt.Sprintf("%s can read %s env.%s (%s %s; readers %s)", g.nodes[z].name, whose, b.env, b.kind, b.capability, list(g.norm(b)))
	if len(path) > 1 {
		c += " " + via(kinds) + strings.Join(names, " → ")
	}
	return c
}

// via is the word before a path along edges of these kinds: "via channel "
// when every edge is a channel, "via shared store " when every one is a
// shared store, else "via ".
func via(kinds map[EdgeKind]bool) string {
	switch {
	case len(kinds) == 1 && kinds[EdgeChannel]:
		return "via channel "
	case len(kinds) == 1 && kinds[EdgeShared]:
		return "via shared store "
	}
	return "via "
}
