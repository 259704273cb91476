package mcp

import (
	"strings"
)

// Filter returns the parts of an env declaration (as RenderEnv writes it)
// that query matches. The query is split into words; a part matches when
// its text, doc comments included, contains any word, case-insensitively.
// The parts are the declaration's top-level items (each interface or type
// with the doc comment above it) and, inside an interface, each member with
// its doc comment: an item whose header line matches is kept whole, else
// only its matching members are kept, inside the item's braces. The header
// comment and the Env interface (which names the bindings) are always kept.
// An empty query returns decl unchanged; a query matching nothing returns
// the Env interface and a line saying nothing matched.
func Filter(decl, query string) string {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return decl
	}
	match := func(s string) bool {
		s = strings.ToLower(s)
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	var out strings.Builder
	found := false
	for i, it := range items(decl) {
		switch {
		case i == 0 && it.header == "" && len(it.members) == 0:
			out.WriteString(it.doc) // the leading comment
		case strings.HasPrefix(it.header, "interface Env "):
			out.WriteString(it.text())
		case match(it.doc + it.header):
			found = true
			out.WriteString(it.text())
		default:
			var ms []string
			for _, m := range it.members {
				if match(m) {
					ms = append(ms, m)
				}
			}
			if len(ms) == 0 {
				continue
			}
			found = true
			out.WriteString(it.doc + it.header + strings.Join(ms, "") + it.footer)
		}
	}
	if !found {
		out.WriteString("// Nothing else matches " + strings.Join(words, " or ") + ": search with no query for the whole declaration.\n")
	}
	return out.String()
}

// item is one top-level declaration: doc comment lines, the header line, the
// members (each with its doc comment lines, for a braced item) and the
// closing line.
type item struct {
	doc, header, footer string
	members             []string
}

func (it item) text() string { return it.doc + it.header + strings.Join(it.members, "") + it.footer }

// items splits decl into top-level items. A line at column 0 that is not a
// comment starts an item's header; a header ending in "{" opens a body that
// its "}" line at column 0 closes; inside, a member ends at a line ending in
// ";" or "}" at depth zero of the body.
func items(decl string) []item {
	lines := strings.SplitAfter(decl, "\n")
	var out []item
	var cur item
	var member strings.Builder
	inBody, depth := false, 0
	for _, ln := range lines {
		if ln == "" {
			continue
		}
		trim := strings.TrimSpace(ln)
		switch {
		case inBody && strings.HasPrefix(ln, "}"):
			if member.Len() > 0 {
				cur.members = append(cur.members, member.String())
				member.Reset()
			}
			cur.footer = ln
			out = append(out, cur)
			cur, inBody = item{}, false
		case inBody:
			member.WriteString(ln)
			depth += strings.Count(trim, "{") - strings.Count(trim, "}")
			if depth <= 0 && (strings.HasSuffix(trim, ";") || strings.HasSuffix(trim, "}")) && !strings.HasPrefix(trim, "*") && !strings.HasPrefix(trim, "/*") {
				cur.members = append(cur.members, member.String())
				member.Reset()
				depth = 0
			}
		case strings.HasPrefix(trim, "//") && len(out) == 0 && cur.doc == "":
			out = append(out, item{doc: ln}) // the leading comment
		case trim == "" || strings.HasPrefix(trim, "//") || strings.HasPrefix(trim, "/*") || strings.HasPrefix(trim, "*"):
			cur.doc += ln // a doc comment, or the blank line before an item
		default:
			cur.header = ln
			if strings.HasSuffix(trim, "{") {
				inBody, depth = true, 0
			} else {
				out = append(out, cur)
				cur = item{}
			}
		}
	}
	if cur.doc != "" || cur.header != "" {
		out = append(out, cur)
	}
	return out
}
