package openapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// Bounds of the TypeScript rendering.
const (
	// maxDepth bounds how deep a schema is rendered inline.
	maxDepth = 24
	// maxSteps bounds the schemas visited by one rendering: past it, what
	// is left is unknown.
	maxSteps = 20000
)

// makeTable builds the method table of the allowed operations, with the
// TypeScript types their signatures use.
func (o *OpenAPI) makeTable() (*capabilities.Table, error) {
	prefix := capabilities.TypeName(o.host.Instance)
	if prefix == "" {
		prefix = "OpenAPI"
	}
	r := &renderer{prefix: prefix, named: map[string]string{}, used: map[string]bool{}, steps: maxSteps}
	var methods []capabilities.Method
	var decls []string
	for _, op := range o.ops {
		m, decl := o.method(r, op)
		methods = append(methods, m)
		decls = append(decls, decl)
	}
	// Named schemas after the methods' own types, in the order first met.
	types := strings.Join(append(decls, r.decls...), "\n\n")
	title := strings.TrimSpace(o.doc.Info.Title)
	api := "this web API"
	if title != "" {
		api = "the web API " + strconv.Quote(capabilities.FirstLine(title))
	}
	doc := "The operations of " + api + ", sent to " + o.Origin + ".\n" +
		"Each method takes one object: its path, query and header parameters by\n" +
		"name, and body for the request body; it is checked against the API's\n" +
		"schemas before anything is sent. A method resolves to the response body\n" +
		"(parsed JSON for a JSON response, else text; null when empty) and rejects\n" +
		"with an Error naming the status when the server answers other than 2xx.\n" +
		"A method that sends data (its doc says exchange) resolves to\n" +
		"{ status: \"pending_approval\", id } instead when the owner must approve\n" +
		"the call first."
	if o.Auth != nil {
		doc += "\nlittleboxes adds the credential to each request; you never see it, and\n" +
			"wherever a response would hold it you see \"" + web.Marker + "\"."
	}
	tb, err := capabilities.NewTable(capabilities.Spec{Interface: r.unique(prefix + "API"), Doc: doc, Types: types, Methods: methods})
	if err != nil {
		return nil, fmt.Errorf("building the method table: %w", err)
	}
	return tb, nil
}

// method builds the table's method for op, and the declaration of its
// argument and result types.
func (o *OpenAPI) method(r *renderer, op *operation) (capabilities.Method, string) {
	role := capabilities.Exchange
	if (op.method == "GET" || op.method == "HEAD") && len(op.params) == 0 && op.body == nil {
		role = capabilities.Source
	}
	readOnly := op.method == "GET" || op.method == "HEAD" || op.method == "OPTIONS"

	argsType := r.unique(r.prefix + capabilities.TypeName(op.name) + "Args")
	resultType := r.unique(r.prefix + capabilities.TypeName(op.name) + "Result")
	var decl strings.Builder
	decl.WriteString(capabilities.TSDocLine("", "The arguments of "+op.name+": "+op.method+" "+op.path+"."))
	fmt.Fprintf(&decl, "type %s = %s;\n\n", argsType, r.args(op))
	decl.WriteString(capabilities.TSDocLine("", "What "+op.name+" resolves to."))
	fmt.Fprintf(&decl, "type %s = %s;", resultType, r.result(op))

	optional := op.body == nil || !op.body.required
	for _, p := range op.params {
		optional = optional && !p.required
	}
	ts := fmt.Sprintf("%s(args: %s): Promise<%s>", op.name, argsType, resultType)
	if optional {
		ts = fmt.Sprintf("%s(args?: %s): Promise<%s>", op.name, argsType, resultType)
	}
	summary := strings.TrimSpace(op.op.Summary)
	desc := strings.TrimSpace(op.op.Description)
	doc := capabilities.FirstLine(summary)
	if doc == "" {
		doc = capabilities.FirstLine(desc)
	}
	if doc == "" {
		doc = op.method + " " + op.path
	}
	var tsdoc []string
	if summary != "" {
		tsdoc = append(tsdoc, summary)
	}
	if desc != "" && desc != summary {
		tsdoc = append(tsdoc, desc)
	}
	what := string(role)
	if role == capabilities.Exchange {
		what += ": the arguments reach " + o.Origin
	}
	tsdoc = append(tsdoc, op.method+" "+op.path+" ("+what+")")
	if op.op.Deprecated {
		tsdoc = append(tsdoc, "@deprecated")
	}
	m := capabilities.Method{
		Name: op.name, Role: role, Doc: doc, TS: ts, TSDoc: strings.Join(tsdoc, "\n\n"),
		Params:          []capabilities.Param{{Name: "args", Type: capabilities.TypeObject, Optional: optional, Want: "an object of the operation's arguments"}},
		Inconsequential: readOnly && role.Writes(),
		Fn: func(ctx context.Context, inst capabilities.Instance, args []any) (any, error) {
			oi, ok := inst.(*OpenAPI)
			if !ok {
				return nil, fmt.Errorf("an OpenAPI operation called on %T", inst)
			}
			return oi.call(ctx, op, args)
		},
	}
	return m, decl.String()
}

// renderer renders schemas as TypeScript. A schema named in the document's
// components (met through a $ref) becomes a named type, declared once, so
// that recursive schemas end.
type renderer struct {
	prefix string
	named  map[string]string // a $ref → its type name
	used   map[string]bool
	decls  []string
	steps  int
}

// unique returns name, or name with a number, unused so far.
func (r *renderer) unique(name string) string {
	n := name
	for i := 2; r.used[n]; i++ {
		n = name + strconv.Itoa(i)
	}
	r.used[n] = true
	return n
}

// args renders an operation's arguments object.
func (r *renderer) args(op *operation) string {
	if len(op.params) == 0 && op.body == nil {
		return "{}"
	}
	var members []capabilities.TSMember
	for _, p := range op.params {
		doc := "The " + p.in + " parameter " + p.name + "."
		if p.doc != "" {
			doc = p.doc + " (" + p.in + ")"
		}
		members = append(members, capabilities.TSMember{Name: p.name, Doc: doc, Required: p.required, Type: r.ref(p.schema, "  ", 0)})
	}
	if bd := op.body; bd != nil {
		doc := "The request body (" + bd.mediaType + ")."
		if bd.doc != "" {
			doc = bd.doc + " (" + bd.mediaType + ")"
		}
		t := "string | Uint8Array"
		if bd.json {
			t = r.ref(bd.schema, "  ", 0)
		}
		members = append(members, capabilities.TSMember{Name: "body", Doc: doc, Required: bd.required, Type: t})
	}
	return capabilities.TSObject("", members, "")
}

// result renders what an operation resolves to.
func (r *renderer) result(op *operation) string {
	if op.headRes {
		return "{ status: number; headers: { [name: string]: string } }"
	}
	var parts []string
	add := func(t string) {
		for _, p := range parts {
			if p == t {
				return
			}
		}
		parts = append(parts, t)
	}
	for _, res := range successes(op.op) {
		if len(res.Content) == 0 {
			add("null")
			continue
		}
		for _, t := range sortedKeys(res.Content) {
			mt := res.Content[t]
			switch {
			case isJSON(t) && mt != nil && mt.Schema != nil:
				add(r.ref(mt.Schema, "", 0))
			case isJSON(t):
				add("unknown")
			default:
				add("string | Uint8Array")
			}
		}
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return capabilities.TSUnion(parts)
}

// ref renders a schema reference: a component's name, or the schema inline.
func (r *renderer) ref(sr *openapi3.SchemaRef, indent string, depth int) string {
	if sr == nil || sr.Value == nil {
		return "unknown"
	}
	if sr.Ref != "" && strings.HasPrefix(sr.Ref, "#/") {
		if name, ok := r.named[sr.Ref]; ok {
			return name
		}
		base := sr.Ref[strings.LastIndex(sr.Ref, "/")+1:]
		name := r.unique(r.prefix + capabilities.TypeName(base))
		if capabilities.TypeName(base) == "" {
			name = r.unique(r.prefix + "Schema")
		}
		r.named[sr.Ref] = name
		var d strings.Builder
		if desc := describe(sr.Value); desc != "" {
			d.WriteString(capabilities.TSDocLine("", desc))
		}
		fmt.Fprintf(&d, "type %s = %s;", name, r.schema(sr.Value, "", 0))
		r.decls = append(r.decls, d.String())
		return name
	}
	return r.schema(sr.Value, indent, depth)
}

// schema renders a schema inline, nested objects indented by indent.
func (r *renderer) schema(s *openapi3.Schema, indent string, depth int) string {
	r.steps--
	if s == nil || depth > maxDepth || r.steps < 0 {
		return "unknown"
	}
	t := r.bare(s, indent, depth)
	if s.Nullable && t != "unknown" && !strings.HasSuffix(t, "| null") && t != "null" {
		t = capabilities.TSUnion([]string{t, "null"})
	}
	return t
}

func (r *renderer) bare(s *openapi3.Schema, indent string, depth int) string {
	if s.Always != nil {
		if *s.Always {
			return "unknown"
		}
		return "never"
	}
	if s.Const != nil {
		return capabilities.TSLiteral(s.Const)
	}
	if len(s.Enum) > 0 {
		return capabilities.TSEnum(s.Enum)
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) > 0 {
			return capabilities.TSUnion(r.refs(alts, indent, depth))
		}
	}
	if len(s.AllOf) > 0 {
		return capabilities.TSIntersection(r.refs(s.AllOf, indent, depth))
	}
	var ts []string
	if s.Type != nil {
		ts = s.Type.Slice()
	}
	if len(ts) == 0 {
		switch {
		case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
			ts = []string{"object"}
		case s.Items != nil:
			ts = []string{"array"}
		default:
			return "unknown"
		}
	}
	return capabilities.TSOfTypes(ts,
		func() string { return r.ref(s.Items, indent, depth+1) },
		func() string { return r.object(s, indent, depth) })
}

// refs renders each of the schemas (the alternatives of a oneOf or anyOf,
// the parts of an allOf).
func (r *renderer) refs(all openapi3.SchemaRefs, indent string, depth int) []string {
	parts := make([]string, len(all))
	for i, a := range all {
		parts[i] = r.ref(a, indent, depth+1)
	}
	return parts
}

func (r *renderer) object(s *openapi3.Schema, indent string, depth int) string {
	extra := "unknown"
	ap := s.AdditionalProperties
	switch {
	case ap.Has != nil && !*ap.Has:
		extra = ""
	case ap.Schema != nil:
		extra = r.ref(ap.Schema, indent+"  ", depth+1)
	}
	req := map[string]bool{}
	for _, n := range s.Required {
		req[n] = true
	}
	members := make([]capabilities.TSMember, 0, len(s.Properties))
	for _, name := range sortedKeys(s.Properties) {
		ps := s.Properties[name]
		doc := ""
		if ps != nil && ps.Value != nil {
			doc = describe(ps.Value)
		}
		members = append(members, capabilities.TSMember{Name: name, Doc: doc, Required: req[name], Type: r.ref(ps, indent+"  ", depth+1)})
	}
	return capabilities.TSObject(indent, members, extra)
}

// describe returns a schema's description (or title), for a doc comment.
func describe(s *openapi3.Schema) string {
	if d := strings.TrimSpace(s.Description); d != "" {
		return d
	}
	return strings.TrimSpace(s.Title)
}
