package flow

// The explanations and edge verdicts as main computed them before they were
// made linear (one breadth-first search per flagged sink, over the whole
// graph): the reference the faster code must agree with, word for word.

import (
	"fmt"
	"strings"

	"littleboxes/capabilities"
)

// analysis reads the verdicts off the solved graph.
func (g *graph) refAnalysis() *Analysis {
	an := &Analysis{reads: map[string]map[string]bool{}}
	// Each store's readers, found edge by edge; integrity (in judgeSink)
	// has no older algorithm to compare with.
	readers := map[int][]string{}
	for i, n := range g.nodes {
		if !n.store {
			continue
		}
		for e := range g.edges {
			if e.from == i {
				readers[i] = append(readers[i], g.nodes[e.to].name)
			}
		}
	}
	approvals := g.judge(an, readers, g.refApprovalWhy)
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
	g.finish(an, flag, flagSrc)
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

// refApprovalWhy is approvalWhy over the old search for sources.
func (g *graph) refApprovalWhy(z int, sink *bind, miss capabilities.Label) string {
	return approvalWhyFrom(z, sink, miss, g.refSourceOf)
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
					c += " " + via(kinds) + strings.Join(path, " → ")
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
