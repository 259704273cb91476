package capabilities

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Type is the type of one argument in a method's argument schema.
type Type string

// Argument types.
const (
	TypeString  Type = "string"
	TypeInteger Type = "integer" // a number with no fractional part, within ±2^53
	TypeNumber  Type = "number"
	TypeBoolean Type = "boolean"
	TypeObject  Type = "object" // a plain object
	TypeArray   Type = "array"
	TypeBytes   Type = "bytes" // a Uint8Array, or a string taken as UTF-8
	TypeAny     Type = "any"   // any plain data, null included
)

// want is how an error message names what a type accepts.
func (t Type) want() string {
	switch t {
	case TypeString:
		return "a string"
	case TypeInteger:
		return "an integer"
	case TypeNumber:
		return "a number"
	case TypeBoolean:
		return "a boolean"
	case TypeObject:
		return "an object"
	case TypeArray:
		return "an array"
	case TypeBytes:
		return "a string or Uint8Array"
	default:
		return "a value"
	}
}

// accepts reports whether a plain-data value v is of type t.
func (t Type) accepts(v any) bool {
	switch t {
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeInteger:
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && math.Abs(f) <= 1<<53
	case TypeNumber:
		_, ok := v.(float64)
		return ok
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeObject:
		_, ok := v.(map[string]any)
		return ok
	case TypeArray:
		_, ok := v.([]any)
		return ok
	case TypeBytes:
		switch v.(type) {
		case []byte, string:
			return true
		}
		return false
	case TypeAny:
		return true
	}
	return false
}

func (t Type) valid() bool {
	switch t {
	case TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeObject, TypeArray, TypeBytes, TypeAny:
		return true
	}
	return false
}

// Param is one argument of a method, as its schema checks it before the
// method's function runs.
type Param struct {
	// Name is the argument's name, as in the TypeScript signature.
	Name string
	// Type is what the argument must be.
	Type Type
	// Optional arguments may be left out or null; only trailing arguments
	// may be optional.
	Optional bool
	// Want, when set, says what the argument must be in the message of a
	// refused one, in place of its type's words ("a message of plain
	// data" for an any).
	Want string
	// Hint, when set, ends the message of a refused argument: how to fix
	// it ("store objects with JSON.stringify").
	Hint string
}

// Func is a method's Go function. It is handed the instance the table
// belongs to and the arguments, already checked against the method's
// schema.
type Func func(ctx context.Context, inst Instance, args []any) (any, error)

// Of adapts a method expression of the instance type T, such as (*KV).get,
// to a Func. It is called once, when the table is built: a call costs one
// type assertion, no closure and no map.
func Of[T Instance](f func(T, context.Context, []any) (any, error)) Func {
	return func(ctx context.Context, inst Instance, args []any) (any, error) {
		t, ok := inst.(T)
		if !ok {
			return nil, fmt.Errorf("a method of %s called on %T", reflect.TypeFor[T](), inst)
		}
		return f(t, ctx, args)
	}
}

// Method is one method of a table, declared once.
type Method struct {
	// Name is the JavaScript method name.
	Name string
	// Role is the method's part in the flow analysis.
	Role Role
	// Doc is one line saying what the method does.
	Doc string
	// TS is the member's TypeScript signature, without a trailing semicolon:
	// `get(key: string): Promise<string | null>`. It must start with Name
	// and an opening parenthesis and name every Param ("key:", "prefix?:").
	TS string
	// TSDoc, when set, is the member's doc comment in the TypeScript
	// declaration (lines without comment markers), for when Doc is too
	// short for a model writing code against it; else Doc is used.
	TSDoc string
	// Params is the argument schema, in order.
	Params []Param
	// Fn runs the method.
	Fn Func
	// Inconsequential marks a writing method (Sink or Exchange) whose
	// effect does not matter beyond its audience learning what it sends
	// (a report to the owner, a channel send, a model call): the integrity
	// rule never holds it. Writing methods are consequential by default (a
	// mail sent in the owner's name, a POST, a file others read): a kind
	// that forgets to say is held, not let through.
	Inconsequential bool
}

// Table is a method table: the methods of a kind (or of one instance of a
// dynamic kind), each declared once. The callable names, dispatch, the flow
// roles and the TypeScript interface all follow from it. A Table is made by
// NewTable and never changes after.
type Table struct {
	iface   string
	doc     string
	types   string
	methods []Method
	index   map[string]int
	names   []string
	reads   bool
	writes  bool
	conseq  bool
}

// Spec declares a method table.
type Spec struct {
	// Interface is the TypeScript interface's name ("KV").
	Interface string
	// Doc is the interface's doc comment, lines without comment markers.
	Doc string
	// Types, when set, declares the TypeScript types the signatures use
	// (interface HTTPResponse { … }), rendered after the interface.
	Types string
	// Methods are the methods, in declaration order.
	Methods []Method
}

// NewTable makes a method table from its spec. It checks every method has a
// JavaScript name, a role, a doc line, a TypeScript signature naming its
// parameters and a function, and that no name comes twice.
func NewTable(s Spec) (*Table, error) {
	iface := s.Interface
	if !isIdent(iface) {
		return nil, fmt.Errorf("method table: interface name %q is not a TypeScript identifier", iface)
	}
	if strings.TrimSpace(s.Doc) == "" {
		return nil, fmt.Errorf("method table %s: no doc comment", iface)
	}
	t := &Table{iface: iface, doc: s.Doc, types: strings.TrimSpace(s.Types), methods: append([]Method(nil), s.Methods...), index: make(map[string]int, len(s.Methods))}
	for i, m := range t.methods {
		if err := checkMethod(m); err != nil {
			return nil, fmt.Errorf("method table %s: %w", iface, err)
		}
		if _, dup := t.index[m.Name]; dup {
			return nil, fmt.Errorf("method table %s: method %s declared twice", iface, m.Name)
		}
		t.index[m.Name] = i
		t.names = append(t.names, m.Name)
		t.reads = t.reads || m.Role.Reads()
		t.writes = t.writes || m.Role.Writes()
		t.conseq = t.conseq || m.Role.Writes() && !m.Inconsequential
	}
	return t, nil
}

// MustTable is NewTable for a static kind's table, declared at package
// level: a malformed table is a programming error, and it panics.
func MustTable(s Spec) *Table {
	t, err := NewTable(s)
	if err != nil {
		panic("capabilities.MustTable: " + err.Error())
	}
	return t
}

func checkMethod(m Method) error {
	if !isIdent(m.Name) {
		return fmt.Errorf("method name %q is not a JavaScript identifier", m.Name)
	}
	switch m.Role {
	case Pure, Source, Sink, Exchange:
	default:
		return fmt.Errorf("method %s has no role", m.Name)
	}
	if m.Doc == "" || strings.Contains(m.Doc, "\n") {
		return fmt.Errorf("method %s: Doc must be one line", m.Name)
	}
	if !strings.HasPrefix(m.TS, m.Name+"(") || strings.Contains(m.TS, "\n") || strings.HasSuffix(m.TS, ";") {
		return fmt.Errorf("method %s: TS %q must be one line starting %s( with no semicolon", m.Name, m.TS, m.Name)
	}
	if m.Fn == nil {
		return fmt.Errorf("method %s has no function", m.Name)
	}
	optional := false
	for _, p := range m.Params {
		if !isIdent(p.Name) || !p.Type.valid() {
			return fmt.Errorf("method %s: parameter %q of type %q", m.Name, p.Name, p.Type)
		}
		if optional && !p.Optional {
			return fmt.Errorf("method %s: required parameter %s after an optional one", m.Name, p.Name)
		}
		optional = p.Optional
		mark := p.Name + ":"
		if p.Optional {
			mark = p.Name + "?:"
		}
		if !strings.Contains(m.TS, mark) {
			return fmt.Errorf("method %s: TS %q does not declare parameter %q", m.Name, m.TS, mark)
		}
	}
	return nil
}

// Interface is the TypeScript interface's name ("KV").
func (t *Table) Interface() string { return t.iface }

// Doc is the interface's doc comment, without comment markers.
func (t *Table) Doc() string { return t.doc }

// Methods returns the methods in declaration order. The slice is the
// table's own: do not change it.
func (t *Table) Methods() []Method { return t.methods }

// Names returns the callable method names in declaration order. The slice is
// the table's own: do not change it.
func (t *Table) Names() []string { return t.names }

// Method returns the method named name.
func (t *Table) Method(name string) (*Method, bool) {
	i, ok := t.index[name]
	if !ok {
		return nil, false
	}
	return &t.methods[i], true
}

// Reads reports whether any method returns labelled data (a source or an
// exchange).
func (t *Table) Reads() bool { return t.reads }

// Writes reports whether any method sends data to the audience (a sink or
// an exchange).
func (t *Table) Writes() bool { return t.writes }

// Consequential reports whether any writing method is consequential (not
// Method.Inconsequential).
func (t *Table) Consequential() bool { return t.conseq }

// Lookup returns the method named name, or a *CallError naming the methods
// there are.
func (t *Table) Lookup(name string) (*Method, error) {
	if m, ok := t.Method(name); ok {
		return m, nil
	}
	return nil, &CallError{Method: name, Unknown: true, Methods: t.names}
}

// Call runs the method named name on inst: it looks the name up, checks the
// arguments against the method's schema, and calls its function. A name the
// table lacks and refused arguments are a *CallError.
func (t *Table) Call(ctx context.Context, inst Instance, name string, args []any) (any, error) {
	m, err := t.Lookup(name)
	if err != nil {
		return nil, err
	}
	return m.Invoke(ctx, inst, args)
}

// Invoke checks args against the method's schema and runs it on inst. Extra
// trailing nulls are ignored (JavaScript's f(a, undefined)); any other
// extra argument, a missing required one or one of the wrong type is a
// *CallError.
func (m *Method) Invoke(ctx context.Context, inst Instance, args []any) (any, error) {
	if err := m.Check(args); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.Fn(ctx, inst, args)
}

// Check checks args against the method's schema.
func (m *Method) Check(args []any) error {
	n := len(args)
	for n > len(m.Params) && args[n-1] == nil {
		n--
	}
	if n > len(m.Params) {
		return &CallError{Method: m.Name, Detail: m.arity(n)}
	}
	for i, p := range m.Params {
		var v any
		if i < len(args) {
			v = args[i]
		}
		if v == nil {
			if p.Optional {
				continue
			}
			if i >= len(args) {
				v = missing{}
			}
		} else if p.Type.accepts(v) {
			continue
		}
		want := p.Want
		if want == "" {
			want = p.Type.want()
		}
		return &CallError{Method: m.Name, Arg: &ArgError{Index: i, Name: p.Name, Want: want, Got: v}, Hint: p.Hint}
	}
	return nil
}

// arity says how many arguments the method takes, for got arguments given.
func (m *Method) arity(got int) string {
	names := make([]string, len(m.Params))
	for i, p := range m.Params {
		names[i] = p.Name
	}
	switch len(m.Params) {
	case 0:
		return fmt.Sprintf("takes no arguments, got %d", got)
	case 1:
		return fmt.Sprintf("takes 1 argument (%s), got %d", names[0], got)
	default:
		return fmt.Sprintf("takes at most %d arguments (%s), got %d", len(m.Params), strings.Join(names, ", "), got)
	}
}

// missing stands for an argument left out, in an ArgError.
type missing struct{}

// CallError is a call its method table refuses: a method that does not exist,
// or arguments the method's schema refuses. Its message says what is valid
// instead, for its reader is often a model fixing its own code. The sandbox
// throws it into JavaScript as a TypeError (TypeError reports true),
// prefixed with the binding and method ("env.notes.put: ").
type CallError struct {
	// Method is the method called.
	Method string
	// Unknown is true when the table has no such method; Methods then
	// lists the methods it has.
	Unknown bool
	Methods []string
	// Arg is the refused argument, if one was.
	Arg *ArgError
	// Hint, when set, ends the message: how to fix the argument.
	Hint string
	// Detail says what else was wrong (too many arguments).
	Detail string
}

func (e *CallError) Error() string {
	switch {
	case e.Unknown:
		return "there is no method " + e.Method + "; " + has(e.Methods)
	case e.Arg != nil && e.Hint != "":
		return e.Arg.Error() + " (" + e.Hint + ")"
	case e.Arg != nil:
		return e.Arg.Error()
	default:
		return e.Detail
	}
}

// In returns the message as a binding named env tells it to an agent that
// called env.NAME.METHOD: "env.thread has no method forward; it has read,
// reply" or "env.notes.put: argument 2 (value): want a string, got the
// number 3".
func (e *CallError) In(env string) string {
	if e.Unknown {
		return "env." + env + " has no method " + e.Method + "; " + has(e.Methods)
	}
	return "env." + env + "." + e.Method + ": " + e.Error()
}

// TypeError reports true: the sandbox throws a CallError as a TypeError.
func (e *CallError) TypeError() bool { return true }

func has(names []string) string {
	if len(names) == 0 {
		return "it has no methods"
	}
	return "it has " + strings.Join(names, ", ")
}

// Tabler is implemented by an instance of a dynamic kind: one whose methods
// are known only once it is provisioned (an MCP server's tools). Table
// returns the table it built then; a nil table means the kind's.
type Tabler interface {
	Table() *Table
}

// emptyTable is the table of an instance of no registered kind.
var emptyTable = MustTable(Spec{Interface: "Unknown", Doc: "An instance of no registered kind."})

// TableOf returns inst's method table: the one a dynamic kind's instance
// built (Tabler), else its kind's. An instance of no registered kind has an
// empty table: every call is a CallError.
func TableOf(inst Instance) *Table {
	if tb, ok := inst.(Tabler); ok {
		if t := tb.Table(); t != nil {
			return t
		}
	}
	registryMu.RLock()
	t := tables[reflect.TypeOf(inst)]
	registryMu.RUnlock()
	if t == nil {
		return emptyTable
	}
	return t
}

// Call runs a method of inst through its table (TableOf).
func Call(ctx context.Context, inst Instance, method string, args []any) (any, error) {
	return TableOf(inst).Call(ctx, inst, method, args)
}

// Bound is an instance as a sandbox binding: its table's names are its
// methods and every call goes through the table.
type Bound struct {
	inst  Instance
	table *Table
}

// Bind returns inst as a binding, its table looked up once.
func Bind(inst Instance) Bound { return Bound{inst: inst, table: TableOf(inst)} }

// Methods lists the callable method names.
func (b Bound) Methods() []string { return b.table.Names() }

// Call runs one method.
func (b Bound) Call(ctx context.Context, method string, args []any) (any, error) {
	return b.table.Call(ctx, b.inst, method, args)
}

// render writes the table as a TypeScript interface named name: the
// interface's doc comment, one documented member per method, then the
// types the signatures use.
func (t *Table) render(b *strings.Builder, name string) {
	writeDoc(b, "", t.doc)
	fmt.Fprintf(b, "interface %s {\n", name)
	for _, m := range t.methods {
		doc := m.TSDoc
		if doc == "" {
			doc = m.Doc
		}
		writeDoc(b, "  ", doc)
		fmt.Fprintf(b, "  %s;\n", m.TS)
	}
	b.WriteString("}")
	if t.types != "" {
		b.WriteString("\n\n")
		b.WriteString(t.types)
	}
}

// TypeScript renders the table as its TypeScript interface, with doc
// comments, as a model writing the agent would read it.
func (t *Table) TypeScript() string {
	var b strings.Builder
	t.render(&b, t.iface)
	return b.String()
}

// writeDoc writes a doc comment: one line as /** … */, more as a block.
func writeDoc(b *strings.Builder, indent, doc string) {
	doc = strings.ReplaceAll(strings.TrimSpace(doc), "*/", "* /")
	if !strings.Contains(doc, "\n") {
		fmt.Fprintf(b, "%s/** %s */\n", indent, doc)
		return
	}
	fmt.Fprintf(b, "%s/**\n", indent)
	for _, l := range strings.Split(doc, "\n") {
		if l = strings.TrimRight(l, " "); l == "" {
			fmt.Fprintf(b, "%s *\n", indent)
		} else {
			fmt.Fprintf(b, "%s * %s\n", indent, l)
		}
	}
	fmt.Fprintf(b, "%s */\n", indent)
}
