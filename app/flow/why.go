package flow

import (
	"fmt"
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
	var clauses []string
	byClause := map[string][]capabilities.Principal{}
	for _, p := range miss {
		c := g.sourceOf(z, p, sink)
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
func (g *graph) sourceOf(z int, p capabilities.Principal, sink *bind) string {
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
			if st := g.nodes[n]; st.persisted != nil && !st.persisted.Has(p) {
				var path []string
				for m := n; m != -1; m = parent[m].next {
					path = append(path, g.nodes[m].name)
				}
				return fmt.Sprintf("%s can read shared store %s, which holds data written before (by this army or another sharing the data directory; readers %s) via %s",
					g.nodes[z].name, st.name, list(st.persisted), strings.Join(path, " → "))
			}
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
