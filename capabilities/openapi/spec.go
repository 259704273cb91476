package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"littleboxes/capabilities"
)

// operation is one allowed operation of the document.
type operation struct {
	id      string // operationId, or "" when the document gives none
	method  string // uppercase
	path    string // the document's path template ("/pets/{petId}")
	name    string // the JavaScript method name
	op      *openapi3.Operation
	params  []*param // by name, sorted
	body    *body    // nil when the operation takes none
	accept  string   // the Accept header, "" for none
	headRes bool     // a HEAD operation: resolves to status and headers
}

// param is one parameter of an operation.
type param struct {
	name     string
	in       string // path, query or header
	required bool
	explode  bool
	schema   *openapi3.SchemaRef
	doc      string
}

// body is an operation's request body.
type body struct {
	required  bool
	mediaType string // the content type sent
	json      bool
	schema    *openapi3.SchemaRef // for a JSON body; nil for any
	doc       string
}

// loadSpec reads, parses and validates the document at path: a regular
// file of at most MaxSpecBytes, OpenAPI 3.0 or 3.1, with no external $ref
// (it is read, never fetched).
func loadSpec(ctx context.Context, path string) (*openapi3.T, error) {
	name := filepath.Base(path)
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: spec %s: no such file (the path is relative to the army file)", ErrSpec, name)
		}
		return nil, fmt.Errorf("%w: spec %s: %v", ErrSpec, name, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if fi, err = os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w: spec %s: %v", ErrSpec, name, err)
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: spec %s: not a regular file", ErrSpec, name)
	}
	if fi.Size() > MaxSpecBytes {
		return nil, fmt.Errorf("%w: spec %s: %d bytes, over %d", ErrSpec, name, fi.Size(), MaxSpecBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: spec %s: %v", ErrSpec, name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: spec %s: %v", ErrSpec, name, err)
	}
	if len(data) > MaxSpecBytes {
		return nil, fmt.Errorf("%w: spec %s: over %d bytes", ErrSpec, name, MaxSpecBytes)
	}
	return parseSpec(ctx, name, data)
}

// parseSpec parses and validates a document's bytes; name names it in
// errors.
func parseSpec(ctx context.Context, name string, data []byte) (doc *openapi3.T, err error) {
	defer func() {
		// The parser is a library working on bytes from outside: a panic in
		// it is a bad document, not a crash of the army.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%w: spec %s: the parser failed: %v", ErrSpec, name, r)
		}
	}()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.Context = ctx
	doc, err = loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("%w: spec %s: not an OpenAPI document: %v", ErrSpec, name, oneLine(err))
	}
	if doc.OpenAPI == "" {
		return nil, fmt.Errorf("%w: spec %s: not an OpenAPI document (it has no openapi field)", ErrSpec, name)
	}
	if !doc.IsOpenAPI30() && !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("%w: spec %s: OpenAPI %s is not supported (3.0 and 3.1 are)", ErrSpec, name, doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("%w: spec %s: %v", ErrSpec, name, oneLine(err))
	}
	return doc, nil
}

// basePath is the path of the document's first server, its variables at
// their defaults, without a trailing slash ("" for none). Its host is
// ignored: the origin prop wins.
func basePath(doc *openapi3.T) (string, error) {
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		return "", nil
	}
	s := doc.Servers[0]
	uri := s.URL
	for _, name := range sortedKeys(s.Variables) {
		if v := s.Variables[name]; v != nil {
			uri = strings.ReplaceAll(uri, "{"+name+"}", v.Default)
		}
	}
	if strings.Contains(uri, "{") {
		return "", fmt.Errorf("servers[0]: %q has a variable with no default", s.URL)
	}
	bp, err := (&openapi3.Server{URL: uri}).BasePath()
	if err != nil {
		// A relative server URL ("/v1") is a path already.
		if strings.HasPrefix(uri, "/") {
			bp = uri
		} else {
			return "", fmt.Errorf("servers[0]: %q is not a URL", s.URL)
		}
	}
	if i := strings.IndexAny(bp, "?#"); i >= 0 {
		bp = bp[:i]
	}
	bp = strings.TrimRight(bp, "/")
	for _, seg := range strings.Split(bp, "/") {
		if seg == "." || seg == ".." {
			return "", fmt.Errorf("servers[0]: the path %q holds a . or .. segment", bp)
		}
	}
	return bp, nil
}

// httpMethods are the methods an operation may use, in the order methods
// are declared.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// build collects the allowed operations and makes the method table.
func (o *OpenAPI) build() error {
	specName := filepath.Base(o.Spec)
	type found struct {
		method, path string
		op           *openapi3.Operation
		item         *openapi3.PathItem
	}
	var all []found
	paths := o.doc.Paths.Map()
	for _, p := range sortedKeys(paths) {
		item := paths[p]
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, m := range sortedKeys(ops) {
			if ops[m] == nil {
				continue
			}
			all = append(all, found{method: strings.ToUpper(m), path: p, op: ops[m], item: item})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].path != all[j].path {
			return all[i].path < all[j].path
		}
		return slices.Index(httpMethods, all[i].method) < slices.Index(httpMethods, all[j].method)
	})
	key := func(f found) string { return f.method + " " + f.path }
	var known []string
	for _, f := range all {
		if f.op.OperationID != "" {
			known = append(known, f.op.OperationID)
		} else {
			known = append(known, key(f))
		}
	}
	allowAll := slices.Equal(o.Operations, []string{"*"})
	allowed := map[string]bool{}
	for i, want := range o.Operations {
		if allowAll {
			break
		}
		w := want
		if m, p, ok := strings.Cut(want, " "); ok {
			w = strings.ToUpper(m) + " " + p
		}
		hit := false
		for _, f := range all {
			if f.op.OperationID == w || key(f) == w {
				hit = true
			}
		}
		if !hit {
			pe := capabilities.PropErrorf(fmt.Sprintf("operations[%d]", i), "operations[%d]: %s has no operation %q; it has %s", i, specName, want, strings.Join(known, ", "))
			pe.Err = capabilities.ErrProps
			return pe
		}
		allowed[w] = true
	}
	o.ops = nil
	byName := map[string]string{}
	for _, f := range all {
		if !allowAll && !allowed[f.op.OperationID] && !allowed[key(f)] {
			continue
		}
		label := key(f)
		if f.op.OperationID != "" {
			label = f.op.OperationID + " (" + key(f) + ")"
		}
		if !slices.Contains(httpMethods, f.method) {
			return fmt.Errorf("%w: %s: operation %s: the method %s is not supported (%s are)", ErrSpec, specName, label, f.method, strings.Join(httpMethods, ", "))
		}
		if len(o.ops) == MaxOperations {
			return fmt.Errorf("%w: %s: more than %d operations allowed; list fewer in operations", ErrSpec, specName, MaxOperations)
		}
		name := f.op.OperationID
		if name == "" {
			name = strings.ToLower(f.method) + " " + f.path
		}
		name = capabilities.MethodName(name)
		if name == "" {
			return fmt.Errorf("%w: %s: operation %s: no JavaScript method name can be made of it", ErrSpec, specName, label)
		}
		if other, dup := byName[name]; dup {
			return fmt.Errorf("%w: %s and %s are both %s; leave one out of operations", ErrNameCollision, other, label, name)
		}
		byName[name] = label
		op, err := newOperation(f.method, f.path, f.op, f.item, name)
		if err != nil {
			return fmt.Errorf("%w: %s: operation %s: %v", ErrSpec, specName, label, err)
		}
		o.ops = append(o.ops, op)
	}
	tb, err := o.makeTable()
	if err != nil {
		return err
	}
	o.table = tb
	return nil
}

// pathVar matches a path template's variables.
var pathVar = regexp.MustCompile(`\{([^{}]*)\}`)

// newOperation reads an operation's parameters and body.
func newOperation(method, path string, op *openapi3.Operation, item *openapi3.PathItem, name string) (*operation, error) {
	out := &operation{id: op.OperationID, method: method, path: path, name: name, op: op, headRes: method == "HEAD"}
	// The operation's parameters override the path item's of the same
	// name and location.
	byKey := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, pr := range list {
			if pr == nil || pr.Value == nil {
				continue
			}
			byKey[pr.Value.In+"\x00"+pr.Value.Name] = pr.Value
		}
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(byKey) {
		p := byKey[k]
		switch p.In {
		case "path", "query", "header":
		case "cookie":
			if p.Required {
				return nil, fmt.Errorf("it needs the cookie parameter %q, which is not supported", p.Name)
			}
			continue
		default:
			return nil, fmt.Errorf("parameter %q is in %q", p.Name, p.In)
		}
		if p.In == "header" {
			switch strings.ToLower(p.Name) {
			case "accept", "content-type", "authorization":
				continue // OpenAPI says these are ignored as parameters
			}
		}
		if in, dup := seen[p.Name]; dup {
			return nil, fmt.Errorf("the %s parameter %q and the %s one have the same name, which one object of arguments cannot tell apart", in, p.Name, p.In)
		}
		seen[p.Name] = p.In
		if p.Name == "body" {
			return nil, fmt.Errorf(`a parameter is named "body", the name of the request body's argument`)
		}
		if !isIdentLike(p.Name) {
			return nil, fmt.Errorf("parameter name %q holds a control character", p.Name)
		}
		sch := p.Schema
		if sch == nil {
			// A parameter described by content: take its JSON schema, if any.
			if mt := p.Content.Get("application/json"); mt != nil {
				sch = mt.Schema
			}
		}
		explode := p.In == "query" && (p.Style == "" || p.Style == "form")
		if p.Explode != nil {
			explode = *p.Explode
		}
		if p.In == "query" && p.Style != "" && p.Style != "form" {
			if p.Required {
				return nil, fmt.Errorf("the query parameter %q has style %s, which is not supported (form is)", p.Name, p.Style)
			}
			continue
		}
		out.params = append(out.params, &param{name: p.Name, in: p.In, required: p.Required || p.In == "path", explode: explode, schema: sch, doc: strings.TrimSpace(p.Description)})
	}
	sort.Slice(out.params, func(i, j int) bool { return out.params[i].name < out.params[j].name })
	for _, m := range pathVar.FindAllStringSubmatch(path, -1) {
		if seen[m[1]] != "path" {
			return nil, fmt.Errorf("the path's {%s} is not declared as a path parameter", m[1])
		}
	}
	for _, p := range out.params {
		if p.in == "path" && !strings.Contains(path, "{"+p.name+"}") {
			return nil, fmt.Errorf("the path parameter %q is not in the path", p.name)
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		b, err := newBody(rb.Value)
		if err != nil {
			return nil, err
		}
		out.body = b
	}
	out.accept = acceptOf(op)
	return out, nil
}

// newBody picks the body's media type: JSON when the operation takes it,
// else its first other type (sent as a string or bytes).
func newBody(rb *openapi3.RequestBody) (*body, error) {
	b := &body{required: rb.Required, doc: strings.TrimSpace(rb.Description)}
	types := sortedKeys(rb.Content)
	for _, t := range types {
		if isJSON(t) {
			b.mediaType, b.json = t, true
			if mt := rb.Content[t]; mt != nil {
				b.schema = mt.Schema
			}
			return b, nil
		}
	}
	if len(types) == 0 {
		b.mediaType, b.json = "application/json", true
		return b, nil
	}
	b.mediaType = types[0]
	if strings.Contains(b.mediaType, "*") {
		b.mediaType = "application/octet-stream"
	}
	return b, nil
}

// acceptOf is the Accept header for an operation's 2xx responses.
func acceptOf(op *openapi3.Operation) string {
	var types []string
	for _, r := range successes(op) {
		for _, t := range sortedKeys(r.Content) {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	return strings.Join(types, ", ")
}

// successes returns the operation's 2xx responses (or its default one
// when it declares none), in status order.
func successes(op *openapi3.Operation) []*openapi3.Response {
	var out []*openapi3.Response
	m := op.Responses.Map()
	for _, code := range sortedKeys(m) {
		if len(code) == 3 && code[0] == '2' && m[code] != nil && m[code].Value != nil {
			out = append(out, m[code].Value)
		}
	}
	if len(out) == 0 {
		if d := m["default"]; d != nil && d.Value != nil {
			out = append(out, d.Value)
		}
	}
	return out
}

// isJSON reports whether a media type is JSON (application/json, or a
// +json suffix).
func isJSON(mediaType string) bool {
	t, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	t = strings.TrimSpace(t)
	return t == "application/json" || strings.HasSuffix(t, "+json")
}

// isIdentLike reports whether a parameter name is printable.
func isIdentLike(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// oneLine shortens an error of the parser to one line of at most 400 bytes.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
