package flow

// Integrity: who could have written (steered) what an agent reads, the dual
// of its label, and the rule it gives consequential sinks.

import (
	"fmt"
	"slices"
	"strings"

	"littleboxes/capabilities"
)

// trusted is how integrity nil (written by the owner alone) is shown.
const trusted = "trusted"

// integrityString shows an integrity: "trusted", or its principals.
func integrityString(w capabilities.Label) string {
	if len(w) == 0 {
		return trusted
	}
	return list(w)
}

// solveIntegrity iterates the joins from trusted until nothing changes: a
// node's integrity is the join of its sources' writers and of the
// integrity of every node with an edge into it. Integrities only grow
// within the finite set of writers the sources name, so this terminates,
// cycles included.
func (g *graph) solveIntegrity() {
	for changed := true; changed; {
		changed = false
		for _, n := range g.nodes {
			// The inputs only grow, so starting from trusted each pass
			// reaches the same fixpoint, and lets a node share the slice
			// of an input holding all its writers (thousands of threads
			// sharing a store all have the store's writers: one slice).
			ins := make([]capabilities.Label, 0, len(n.srcs)+len(n.in))
			for _, b := range n.srcs {
				ins = append(ins, b.flow.Writers)
			}
			for _, e := range n.in {
				ins = append(ins, g.nodes[e.from].integrity)
			}
			w := joinAll(ins)
			if !same(w, n.integrity) {
				n.integrity = w
				changed = true
			}
		}
	}
}

// joinAll returns the join of integrities ls: the largest of them itself
// when it holds all the others, else one new label.
func joinAll(ls []capabilities.Label) capabilities.Label {
	var big capabilities.Label
	for _, l := range ls {
		if len(l) > len(big) {
			big = l
		}
	}
	if slices.Contains(big, capabilities.Owner) {
		return capabilities.Join(ls...)
	}
	for _, l := range ls {
		if !subset(l, big) {
			return capabilities.Join(ls...)
		}
	}
	return big
}

// join returns the join of integrities a and b, returning a or b itself (no
// copy) when it holds the other: most joins in a fixpoint add nothing.
func join(a, b capabilities.Label) capabilities.Label {
	switch {
	case subset(b, a):
		return a
	case subset(a, b) && !slices.Contains(b, capabilities.Owner):
		return b
	}
	return capabilities.Join(a, b)
}

// subset reports whether sorted label b holds nothing but the owner that
// sorted label a lacks, by one merge.
func subset(b, a capabilities.Label) bool {
	i := 0
	for _, p := range b {
		for i < len(a) && a[i] < p {
			i++
		}
		if p != capabilities.Owner && (i == len(a) || a[i] != p) {
			return false
		}
	}
	return true
}

// same reports whether integrities a and b are equal, at once when they
// share their backing array.
func same(a, b capabilities.Label) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// brief lists up to named principals of l, saying how many more there are.
func brief(l capabilities.Label) string {
	if len(l) <= named {
		return list(l)
	}
	return fmt.Sprintf("%s and %d more", list(l[:named]), len(l)-named)
}

// has reports whether the sorted label l holds p, by binary search.
func has(l capabilities.Label, p capabilities.Principal) bool {
	_, ok := slices.BinarySearch(l, p)
	return ok
}

// named is how many writers an integrity explanation names, nearest first;
// it says how many more there are. When thousands of threads share a store,
// every agent has thousands of writers: naming each, with its path, was
// quadratic.
const named = 3

// judgeIntegrity sets s's integrity verdict, for the sink b of node z whose
// confidentiality verdict is set, and makes s.Verdict the combined one.
//
// The rule: a consequential sink called by an agent whose integrity is not
// trusted needs approval unless the people it reaches could have steered it
// themselves: everyone in its audience but the owner is among the agent's
// writers, and no writer is outside the audience (a sink reaching the owner
// alone is never held by this rule). A thread's sender
// steering a reply to that sender alone, or a reply among people who all
// wrote in the thread, stays automatic; a reply that reaches a cc'd person
// who wrote nothing, or a webhook POST shaped by a mail, is held.
func (g *graph) judgeIntegrity(z int, b *bind, s *Sink) {
	n := g.nodes[z]
	s.Confidentiality = s.Verdict
	s.Steerers = n.integrity
	s.Consequential = !b.flow.Inconsequential && b.consequential
	plan := ""
	if n.plan {
		plan = fmt.Sprintf(" (%s runs plan-mode code its model wrote without seeing the data, so its control flow is trusted; but data others wrote may still reach the arguments, and the analysis, at the level of bindings, counts it)", n.name)
	}
	switch {
	case !b.consequential:
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s is not consequential (a %s call): what steers it only shapes what its audience learns", b.env, b.kind)
	case b.flow.Inconsequential:
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s's props make it not consequential (consequential: false, or only methods that change nothing allowed), so it is not held for what steered %s", b.env, n.name)
	case len(n.integrity) == 0:
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s has read nothing anyone but the owner wrote (its integrity is trusted)", n.name)
	default:
		silent, outside := steering(n.integrity, s.Audience)
		if len(silent) == 0 && outside == 0 {
			s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("everyone %s reaches (%s) could have steered it themselves: %s's writers are %s", b.env, list(s.Audience), n.name, brief(n.integrity))+plan
			break
		}
		s.Integrity, s.IntegrityWhy = Approval, g.steeredWhy(z, b, silent, outside)+plan
	}
	if s.Integrity == Approval {
		s.Verdict = Approval
	}
}

// steering returns, of a sink's audience and its caller's writers, the
// audience's principals (the owner aside) who wrote nothing the caller read,
// and how many writers are outside the audience: the rule holds the sink
// when either is not zero. (The writers outside are counted, not listed:
// thousands of threads sharing a store give every agent thousands.)
func steering(writers, aud capabilities.Label) (silent capabilities.Label, outside int) {
	if !slices.ContainsFunc(aud, func(p capabilities.Principal) bool { return p != capabilities.Owner }) {
		return nil, 0 // it reaches the owner alone, whom nothing here harms
	}
	for _, p := range aud {
		if p != capabilities.Owner && !writers.Has(p) {
			silent = append(silent, p)
		}
	}
	for _, w := range writers {
		if !aud.Has(w) {
			outside++
		}
	}
	return silent, outside
}

// steeredWhy explains an integrity approval: the writers of node z outside
// the sink's audience (or, when all are in it, every writer), each with the
// shortest path back to a source it wrote, then who the sink reaches that
// wrote none of it. Writers reached by the same path share one clause.
func (g *graph) steeredWhy(z int, sink *bind, silent capabilities.Label, outside int) string {
	ws, aud := g.nodes[z].integrity, audience(sink.flow)
	total, pick := len(ws), func(capabilities.Principal) bool { return true }
	if outside > 0 {
		total, pick = outside, func(w capabilities.Principal) bool { return !aud.Has(w) }
	}
	found, order := g.writtenBy(z, ws, pick, named)
	var clauses []string
	byClause := map[string][]string{}
	for _, w := range order {
		c := found[w]
		if _, seen := byClause[c]; !seen {
			clauses = append(clauses, c)
		}
		byClause[c] = append(byClause[c], string(w))
	}
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = strings.Join(byClause[c], ", ")
		if c != "" {
			parts[i] += " (" + c + ")"
		}
	}
	why := fmt.Sprintf("%s could be steered by %s", sink.env, strings.Join(parts, "; "))
	if more := total - len(order); more > 0 {
		why += fmt.Sprintf(" and %d more", more)
	}
	if outside > 0 {
		why += fmt.Sprintf(", outside its audience (%s)", list(aud))
	}
	if len(silent) > 0 {
		why += fmt.Sprintf("; it reaches %s, who wrote none of it", brief(silent))
	}
	return why
}

// writtenBy searches breadth-first over incoming edges from node z for the
// nearest sources written by the principals of ws (sorted) that pick
// accepts, until it has found up to k of them, and says for each how its data reaches z ("mail
// mailbox[1a2b], via channel triage[1a2b] → summarizer"); order lists them
// in the order found. Of sources equally near it takes the first the search
// meets (incoming edges in order of the sending node's name, a node's
// sources in binding order, writers in order).
func (g *graph) writtenBy(z int, ws capabilities.Label, pick func(capabilities.Principal) bool, k int) (found map[capabilities.Principal]string, order []capabilities.Principal) {
	found = map[capabilities.Principal]string{}
	want := k
	parent := map[int]step{z: {node: -1}}
	visit := func(n int) bool {
		for _, b := range g.nodes[n].srcs {
			for _, w := range b.flow.Writers {
				if _, ok := found[w]; ok || w == capabilities.Owner || !pick(w) || !has(ws, w) {
					continue
				}
				found[w] = g.writerPath(z, n, b, parent)
				order = append(order, w)
				if len(order) >= want {
					return true
				}
			}
		}
		return false
	}
	if !visit(z) {
		g.upstream(z, parent, -1, visit)
	}
	return found, order
}

// writerPath says which source b of node n was written, and the path from n
// to z (parent links each found node to the next one towards z).
func (g *graph) writerPath(z, n int, b *bind, parent map[int]step) string {
	what := b.kind + " " + b.capability
	if b.persisted {
		what = "shared store " + b.capability + ", data written before"
	}
	if n == z {
		return what
	}
	names := []string{g.nodes[n].name}
	kinds := map[EdgeKind]bool{}
	for m := n; m != z; m = parent[m].node {
		kinds[parent[m].kind] = true
		names = append(names, g.nodes[parent[m].node].name)
	}
	return what + ", " + via(kinds) + strings.Join(names, " → ")
}

// Explain says why the sink has its combined verdict: for an approval,
// which rule holds it (confidentiality, integrity or both) and why; for a
// safe sink, both reasons.
func (s Sink) Explain() string {
	switch {
	case s.Confidentiality == Approval && s.Integrity == Approval:
		return "held by both rules. Confidentiality: " + s.Why + ". Integrity: " + s.IntegrityWhy
	case s.Integrity == Approval:
		return "held by the integrity rule: " + s.IntegrityWhy
	case s.Confidentiality == Approval || s.Verdict == Approval:
		return "held by the confidentiality rule: " + s.Why
	}
	return s.Why
}
