package army

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is what Load, Parse and Validate return when an army is not right:
// every problem found, not only the first, in the order of the file.
type Error struct {
	// File names the army file in messages ("army.yaml"); Load sets it to the
	// path it was given, Parse leaves it empty.
	File string
	// Problems are the problems, sorted by position (problems without a
	// position last, in the order found).
	Problems []Problem
}

// Problem is one thing wrong with an army.
type Problem struct {
	// Pos is where in the file: the key of the field at fault, or the item of
	// a list; zero when unknown (an army built in code, say).
	Pos Pos
	// Field is the path of the field at fault, e.g.
	// "agents.triage.bindings.report" or "channels[2].to"; empty for the
	// file as a whole.
	Field string
	// Msg says what is wrong, and when it can, what would be right.
	Msg string
	// Kind is the sort of problem, set where it is found: callers decide
	// on it (an editor saves an army that is only incomplete), never on
	// Msg.
	Kind ProblemKind
}

// ProblemKind is the sort of a Problem.
type ProblemKind uint8

// The kinds of problems.
const (
	// ProblemInvalid is something wrong: a name taken or malformed, a
	// reference to nothing, a value of the wrong type, an unknown field.
	ProblemInvalid ProblemKind = iota
	// ProblemIncomplete is something not there yet, in an army still
	// being built: a required field or prop, a secret, an agent's code, the
	// channel a message trigger waits for, the message trigger a channel
	// needs.
	ProblemIncomplete
	// ProblemSyntax is a file that does not read as YAML.
	ProblemSyntax
)

// String returns "invalid", "incomplete" or "syntax".
func (k ProblemKind) String() string {
	switch k {
	case ProblemIncomplete:
		return "incomplete"
	case ProblemSyntax:
		return "syntax"
	}
	return "invalid"
}

// maxRendered caps how many problems Error renders.
const maxRendered = 100

// Error renders one line per problem, like a compiler:
//
//	army.yaml:12:5: agents.triage.bindings.report: no capability named "owner-reprot" (did you mean "owner-report"?)
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxRendered {
			fmt.Fprintf(&b, "\n… and %d more problems", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.format(e.File))
	}
	if len(e.Problems) == 0 {
		return "invalid army"
	}
	return b.String()
}

// String renders the problem as Error does, without a file name.
func (p Problem) String() string { return p.format("") }

func (p Problem) format(file string) string {
	var b strings.Builder
	b.WriteString(file)
	if p.Pos.Line > 0 {
		if file != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Pos.Line))
		if p.Pos.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Pos.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// String renders a position as "line:column", or "" when unknown.
func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return ""
	case p.Column <= 0:
		return strconv.Itoa(p.Line)
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// problems collects problems. A problem found while reading the file marks
// its field broken: later problems at that field or beneath it are dropped,
// so one mistake is reported once rather than again by every check that
// trips on what could not be read. Validation reports at most one problem
// per field.
type problems struct {
	list   []Problem
	broken map[string]bool // fields that could not be read
	seen   map[string]bool // fields with a validation problem
	spent  int             // work spent on suggestions
}

// suggestBudget bounds the work spent looking for suggestions in one file,
// so that a file with thousands of dangling names among thousands of
// agents stays quick to check.
const suggestBudget = 1 << 24

// closest is the package's closest, within the budget.
func (ps *problems) closest(s string, candidates []string) string {
	if ps.spent > suggestBudget {
		return ""
	}
	for _, c := range candidates {
		ps.spent += (len(s) + 1) * (len(c) + 1)
	}
	return closest(s, candidates)
}

// addf reports a problem reading field and marks it broken.
func (ps *problems) addf(pos Pos, field, format string, args ...any) {
	ps.addKindf(ProblemInvalid, pos, field, format, args...)
}

// addKindf is addf for a problem of kind k.
func (ps *problems) addKindf(k ProblemKind, pos Pos, field, format string, args ...any) {
	if ps.isBroken(field) {
		return
	}
	ps.markBroken(field)
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...), Kind: k})
}

// markBroken marks field broken without reporting it.
func (ps *problems) markBroken(field string) {
	if ps.broken == nil {
		ps.broken = map[string]bool{}
	}
	ps.broken[field] = true
}

// notef reports a problem that leaves field readable (a duplicate key: the
// first one stands).
func (ps *problems) notef(pos Pos, field, format string, args ...any) {
	if ps.isBroken(field) {
		return
	}
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// checkf reports a validation problem, unless field could not be read or
// already has one.
func (ps *problems) checkf(pos Pos, field, format string, args ...any) {
	ps.checkKindf(ProblemInvalid, pos, field, format, args...)
}

// checkKindf is checkf for a problem of kind k.
func (ps *problems) checkKindf(k ProblemKind, pos Pos, field, format string, args ...any) {
	if ps.isBroken(field) || ps.seen[field] {
		return
	}
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	ps.seen[field] = true
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...), Kind: k})
}

// isBroken reports whether field or a field it is part of has a problem.
func (ps *problems) isBroken(field string) bool {
	for f := field; ; {
		if ps.broken[f] {
			return true
		}
		p := parent(f)
		if p == f {
			return false
		}
		f = p
	}
}

// parent returns the path of the field holding field ("a.b[2]" → "a.b",
// "a.b" → "a", "a" → "").
func parent(field string) string {
	i := strings.LastIndexAny(field, ".[")
	if i < 0 {
		return ""
	}
	return field[:i]
}

// err returns the problems as an *Error, or nil when there are none.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].Pos, list[j].Pos
		if (a.Line > 0) != (b.Line > 0) {
			return a.Line > 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return &Error{File: file, Problems: list}
}

// join appends a name or key to a field path, quoting it when it is not a
// plain word.
func join(path, name string) string {
	if !plainKey(name) {
		name = strconv.Quote(name)
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func plainKey(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '$') {
			return false
		}
	}
	return true
}

// index appends a list index to a field path.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// suggest returns ` (did you mean "x"?)` for the candidate closest to s, or
// "" when none is close.
func suggest(s string, candidates []string) string {
	if best := closest(s, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// closest returns the candidate nearest to s by edit distance (with
// transpositions), if it is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	if len(s) > 256 {
		return ""
	}
	best, bestD := "", 0
	for _, c := range candidates {
		if c == s || len(c) > 256 {
			continue
		}
		d := distance(strings.ToLower(s), strings.ToLower(c))
		limit := 1 + max(len(s), len(c))/4
		if d <= limit && d < max(len(s), len(c)) && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// oneOf renders a list of names for a message: "a, b or c".
func oneOf(names []string) string {
	switch len(names) {
	case 0:
		return "(none)"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
