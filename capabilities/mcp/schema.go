package mcp

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"littleboxes/capabilities"
)

// A tool's schemas are JSON Schema documents sent by the server, decoded as
// plain data (map[string]any). Two things are made of them here: the
// TypeScript types an agent's code is written against (renderTS), and the
// check of a call's arguments before anything is sent (checkValue). Both
// know the same practical subset: type (one or a list), properties,
// required, additionalProperties, items, enum, const, anyOf, oneOf, allOf,
// description and local $ref ("#/$defs/X", "#/definitions/X"). What they do
// not know they accept as unknown: the server checks its arguments again.

// maxDepth bounds how deep a schema (and a $ref chain) is followed.
const maxDepth = 32

// maxSteps bounds the schemas visited by one rendering or check: a schema
// whose anyOf branches refer back to the root would otherwise take
// exponential time.
const maxSteps = 10000

// schemaDoc is a schema with its root, for $ref.
type schemaDoc struct {
	root map[string]any
}

// render renders s, a part of the document, as a TypeScript type.
func (d schemaDoc) render(s map[string]any) string {
	return (&walker{root: d.root, steps: maxSteps}).renderTS(s, "", 0)
}

// check checks v against s, a part of the document; at names v.
func (d schemaDoc) check(s map[string]any, v any, at string) *badArg {
	return (&walker{root: d.root, steps: maxSteps}).checkValue(s, v, at, 0)
}

// walker is one rendering or check of a document, with its budget of
// steps; past it, what is left is unknown (and accepted).
type walker struct {
	root  map[string]any
	steps int
}

// spent takes a step, and reports whether none was left.
func (d *walker) spent() bool {
	d.steps--
	return d.steps < 0
}

// resolve follows a local $ref; a schema without one is returned as it is,
// and one that cannot be followed is nil (unknown).
func (d *walker) resolve(s map[string]any) map[string]any {
	for i := 0; i < maxDepth; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = d.lookup(ref)
		if s == nil {
			return nil
		}
	}
	return nil
}

func (d *walker) lookup(ref string) map[string]any {
	if ref == "#" {
		return d.root
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = d.root
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

// types returns the schema's "type" as a list ("string" or ["string", "null"]).
func types(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func schemas(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func requiredSet(s map[string]any) map[string]bool {
	req := map[string]bool{}
	l, _ := s["required"].([]any)
	for _, e := range l {
		if n, ok := e.(string); ok {
			req[n] = true
		}
	}
	return req
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// renderTS renders a schema as a TypeScript type, nested objects indented
// by indent, property descriptions as doc comments.
func (d *walker) renderTS(s map[string]any, indent string, depth int) string {
	if depth > maxDepth || d.spent() {
		return "unknown"
	}
	if s = d.resolve(s); s == nil {
		return "unknown"
	}
	if c, ok := s["const"]; ok {
		return capabilities.TSLiteral(c)
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return capabilities.TSEnum(e)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts := schemas(s[key]); len(alts) > 0 {
			return capabilities.TSUnion(d.renderAll(alts, indent, depth))
		}
	}
	if all := schemas(s["allOf"]); len(all) > 0 {
		return capabilities.TSIntersection(d.renderAll(all, indent, depth))
	}
	ts := types(s)
	if len(ts) == 0 {
		if _, ok := s["properties"]; ok {
			ts = []string{"object"}
		} else if _, ok := s["items"]; ok {
			ts = []string{"array"}
		}
	}
	if len(ts) == 0 {
		return "unknown"
	}
	items := func() string {
		if it, ok := s["items"].(map[string]any); ok {
			return d.renderTS(it, indent, depth+1)
		}
		return "unknown"
	}
	return capabilities.TSOfTypes(ts, items, func() string { return d.renderObject(s, indent, depth) })
}

// renderAll renders each of the schemas (the alternatives of an anyOf, the
// parts of an allOf).
func (d *walker) renderAll(all []map[string]any, indent string, depth int) []string {
	parts := make([]string, len(all))
	for i, a := range all {
		parts[i] = d.renderTS(a, indent, depth+1)
	}
	return parts
}

func (d *walker) renderObject(s map[string]any, indent string, depth int) string {
	props, _ := s["properties"].(map[string]any)
	extra := "unknown"
	switch ap := s["additionalProperties"].(type) {
	case bool:
		if !ap {
			extra = ""
		}
	case map[string]any:
		extra = d.renderTS(ap, indent+"  ", depth+1)
	}
	req := requiredSet(s)
	members := make([]capabilities.TSMember, 0, len(props))
	for _, name := range sortedKeys(props) {
		ps, _ := props[name].(map[string]any)
		if ps == nil {
			ps = map[string]any{}
		}
		doc := describe(d.resolve(ps))
		members = append(members, capabilities.TSMember{Name: name, Doc: doc, Required: req[name], Type: d.renderTS(ps, indent+"  ", depth+1)})
	}
	return capabilities.TSObject(indent, members, extra)
}

// describe returns a schema's description (or title), for a doc comment.
func describe(s map[string]any) string {
	if s == nil {
		return ""
	}
	if d, ok := s["description"].(string); ok && strings.TrimSpace(d) != "" {
		return strings.TrimSpace(d)
	}
	if t, ok := s["title"].(string); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// badArg is an argument a tool's input schema refuses: at names where in the
// arguments object (args.message, args.items[2]); want says what was wanted.
type badArg struct {
	at   string
	want string
	got  any
	// detail, when set, is the whole message in place of want/got.
	detail string
}

// checkValue checks v against schema s; the first refusal is returned.
func (d *walker) checkValue(s map[string]any, v any, at string, depth int) *badArg {
	if depth > maxDepth || d.spent() {
		return nil
	}
	if s = d.resolve(s); s == nil {
		return nil
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		return &badArg{at: at, want: capabilities.TSLiteral(c), got: v}
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		found := false
		for _, x := range e {
			if jsonEqual(x, v) {
				found = true
				break
			}
		}
		if !found {
			parts := make([]string, len(e))
			for i, x := range e {
				parts[i] = capabilities.TSLiteral(x)
			}
			return &badArg{at: at, want: "one of " + strings.Join(parts, ", "), got: v}
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts := schemas(s[key]); len(alts) > 0 {
			ok := false
			for _, a := range alts {
				if d.checkValue(a, v, at, depth+1) == nil {
					ok = true
					break
				}
			}
			if !ok {
				// The alternatives, on one line.
				want := strings.Join(strings.Fields(d.renderTS(s, "", 0)), " ")
				return &badArg{at: at, want: want, got: v}
			}
		}
	}
	for _, a := range schemas(s["allOf"]) {
		if bad := d.checkValue(a, v, at, depth+1); bad != nil {
			return bad
		}
	}
	ts := types(s)
	if len(ts) > 0 {
		matched := ""
		for _, t := range ts {
			if typeAccepts(t, v) {
				matched = t
				break
			}
		}
		if matched == "" {
			wants := make([]string, len(ts))
			for i, t := range ts {
				wants[i] = typeWant(t)
			}
			return &badArg{at: at, want: strings.Join(wants, " or "), got: v}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, name := range sortedKeys(requiredMap(s)) {
			if _, ok := x[name]; !ok {
				want := "a value"
				if ps, ok := props[name].(map[string]any); ok {
					want = d.renderTS(ps, "", maxDepth-2)
					if want == "unknown" {
						want = "a value"
					}
				}
				return &badArg{detail: fmt.Sprintf("%s is required (%s) but missing", join(at, name), want)}
			}
		}
		for _, name := range sortedKeys(x) {
			if ps, ok := props[name].(map[string]any); ok {
				if bad := d.checkValue(ps, x[name], join(at, name), depth+1); bad != nil {
					return bad
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return &badArg{detail: fmt.Sprintf("%s has no property %s; it has %s", at, strconv.Quote(name), strings.Join(sortedKeys(props), ", "))}
				}
			case map[string]any:
				if bad := d.checkValue(ap, x[name], join(at, name), depth+1); bad != nil {
					return bad
				}
			}
		}
	case []any:
		if it, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				if bad := d.checkValue(it, e, fmt.Sprintf("%s[%d]", at, i), depth+1); bad != nil {
					return bad
				}
			}
		}
	}
	return nil
}

func requiredMap(s map[string]any) map[string]any {
	out := map[string]any{}
	for n := range requiredSet(s) {
		out[n] = true
	}
	return out
}

func join(at, name string) string {
	if capabilities.IsIdent(name) {
		return at + "." + name
	}
	return at + "[" + strconv.Quote(name) + "]"
}

func typeAccepts(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && math.Abs(f) <= 1<<53
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return true // a type this checker does not know: the server checks it
}

func typeWant(t string) string {
	switch t {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "integer":
		return "an integer"
	case "boolean":
		return "a boolean"
	case "null":
		return "null"
	case "object":
		return "an object"
	case "array":
		return "an array"
	}
	return t
}

// jsonEqual compares two plain-data values as JSON does.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// callError makes a refused argument a *capabilities.CallError, which the
// sandbox throws as a TypeError naming what was wanted.
func (b *badArg) callError(method string) error {
	if b.detail != "" {
		return &capabilities.CallError{Method: method, Detail: "argument 1 (args): " + b.detail}
	}
	return &capabilities.CallError{Method: method, Arg: &capabilities.ArgError{Index: 0, Name: b.at, Want: b.want, Got: b.got}}
}
