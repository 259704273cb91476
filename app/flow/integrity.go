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
			w := n.integrity
			for _, b := range n.srcs {
				w = join(w, b.flow.Writers)
			}
			for _, e := range n.in {
				w = join(w, g.nodes[e.from].integrity)
			}
			if !slices.Equal(w, n.integrity) {
				n.integrity = w
				changed = true
			}
		}
	}
}

// join returns the join of integrities a and b, returning a itself (no
// copy) when b adds nothing: most joins in a fixpoint add nothing.
func join(a, b capabilities.Label) capabilities.Label {
	for _, p := range b {
		if p != capabilities.Owner && !slices.Contains(a, p) {
			return capabilities.Join(a, b)
		}
	}
	return a
}

// judgeIntegrity sets s's integrity verdict, for the sink b of node z whose
// confidentiality verdict is set, and makes s.Verdict the combined one.
//
// The rule: a consequential sink called by an agent whose integrity is not
// trusted needs approval unless the people it reaches could have steered it
// themselves: everyone in its audience but the owner is among the agent's
// writers, and no writer is outside the audience. A thread's sender
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
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s is not consequential (%s): what steers it only shapes what its audience learns", b.env, b.kind)
	case b.flow.Inconsequential:
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s's props make it not consequential (consequential: false, or only methods that change nothing allowed), so it is not held for what steered %s", b.env, n.name)
	case len(n.integrity) == 0:
		s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("%s has read nothing anyone but the owner wrote (its integrity is trusted)", n.name)
	default:
		silent, outside := steering(n.integrity, s.Audience)
		if len(silent) == 0 && len(outside) == 0 {
			s.Integrity, s.IntegrityWhy = Safe, fmt.Sprintf("everyone %s reaches (%s) could have steered it themselves: %s's writers are %s", b.env, list(s.Audience), n.name, list(n.integrity))+plan
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
// and the writers outside the audience: the rule holds the sink when either
// is not empty.
func steering(writers, aud capabilities.Label) (silent, outside capabilities.Label) {
	for _, p := range aud {
		if p != capabilities.Owner && !writers.Has(p) {
			silent = append(silent, p)
		}
	}
	for _, w := range writers {
		if !aud.Has(w) {
			outside = append(outside, w)
		}
	}
	return silent, outside
}

// steeredWhy explains an integrity approval: the writers of node z outside
// the sink's audience (or, when all are in it, every writer), each with the
// shortest path back to a source it wrote, then who the sink reaches that
// wrote none of it. Writers reached by the same path share one clause.
func (g *graph) steeredWhy(z int, sink *bind, silent, outside capabilities.Label) string {
	ws := outside
	if len(ws) == 0 {
		ws = g.nodes[z].integrity
	}
	found := g.writtenBy(z, ws)
	var clauses []string
	byClause := map[string][]string{}
	for _, w := range ws {
		c := found[w] // found has every writer of a solved graph
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
	if len(outside) > 0 {
		why += fmt.Sprintf(", outside its audience (%s)", list(audience(sink.flow)))
	}
	if len(silent) > 0 {
		why += fmt.Sprintf("; it reaches %s, who wrote none of it", list(silent))
	}
	return why
}

// writtenBy searches breadth-first over incoming edges from node z for the
// nearest source written by each of ws, and says for each how its data
// reaches z ("mail mailbox[1a2b], via channel triage[1a2b] → summarizer").
// Of sources equally near it takes the first the search meets (incoming
// edges in order of the sending node's name, a node's sources in binding
// order). The search stops once every writer is found.
func (g *graph) writtenBy(z int, ws capabilities.Label) map[capabilities.Principal]string {
	found := map[capabilities.Principal]string{}
	parent := map[int]step{z: {node: -1}}
	visit := func(n int) bool {
		for _, b := range g.nodes[n].srcs {
			for _, w := range b.flow.Writers {
				if _, ok := found[w]; ok || !ws.Has(w) || w == capabilities.Owner {
					continue
				}
				found[w] = g.writerPath(z, n, b, parent)
			}
		}
		return len(found) >= len(ws)
	}
	if visit(z) {
		return found
	}
	queue := []int{z}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.nodes[n].in {
			if _, seen := parent[e.from]; seen {
				continue
			}
			parent[e.from] = step{node: n, kind: e.kind}
			if visit(e.from) {
				return found
			}
			queue = append(queue, e.from)
		}
	}
	return found
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
	via := "via "
	switch {
	case len(kinds) == 1 && kinds[EdgeChannel]:
		via = "via channel "
	case len(kinds) == 1 && kinds[EdgeShared]:
		via = "via shared store "
	}
	return what + ", " + via + strings.Join(names, " → ")
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
