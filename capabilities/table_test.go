package capabilities

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// notes is a static test table with the shapes of schema a kind uses.
var notesTable = MustTable(Spec{
	Interface: "Notes",
	Doc:       "Notes for tests.\nA second line.",
	Types:     "/** An entry. */\ninterface Entry {\n  key: string;\n}",
	Methods: []Method{
		{Name: "get", Role: Source, Doc: "Reads a note.", TS: "get(key: string): Promise<string | null>",
			Params: []Param{{Name: "key", Type: TypeString}}, Fn: echoArgs},
		{Name: "put", Role: Sink, Doc: "Writes a note.", TS: "put(key: string, value: string): Promise<void>",
			TSDoc:  "Writes value under key.\nValues are strings.",
			Params: []Param{{Name: "key", Type: TypeString}, {Name: "value", Type: TypeString, Hint: "store objects with JSON.stringify"}}, Fn: echoArgs},
		{Name: "page", Role: Source, Doc: "Lists.", TS: "page(n: number, size?: number, raw?: Uint8Array, all?: boolean, tags?: string[], x?: unknown): Promise<Entry[]>",
			Params: []Param{{Name: "n", Type: TypeInteger}, {Name: "size", Type: TypeNumber, Optional: true}, {Name: "raw", Type: TypeBytes, Optional: true},
				{Name: "all", Type: TypeBoolean, Optional: true}, {Name: "tags", Type: TypeArray, Optional: true}, {Name: "x", Type: TypeAny, Optional: true}}, Fn: echoArgs},
	},
})

func echoArgs(_ context.Context, _ Instance, args []any) (any, error) { return args, nil }

func TestTableCheck(t *testing.T) {
	tests := []struct {
		name, method string
		args         []any
		want         string // "" means the call is accepted
	}{
		{"ok", "get", []any{"k"}, ""},
		{"trailing nulls are ignored", "get", []any{"k", nil, nil}, ""},
		{"too many", "get", []any{"k", "v"}, "takes 1 argument (key), got 2"},
		{"too many of several", "put", []any{"k", "v", 1.0}, "takes at most 2 arguments (key, value), got 3"},
		{"missing", "put", []any{"k"}, "argument 2 (value): want a string, got nothing (store objects with JSON.stringify)"},
		{"null for required", "get", []any{nil}, "argument 1 (key): want a string, got null"},
		{"wrong type", "put", []any{"k", 3.0}, "argument 2 (value): want a string, got the number 3 (store objects with JSON.stringify)"},
		{"integer", "page", []any{2.5}, "argument 1 (n): want an integer, got the number 2.5"},
		{"integer ok", "page", []any{2.0, 1.5, "raw", true, []any{}, map[string]any{}}, ""},
		{"bytes", "page", []any{1.0, nil, []byte("x")}, ""},
		{"bytes refused", "page", []any{1.0, nil, 1.0}, "argument 3 (raw): want a string or Uint8Array, got the number 1"},
		{"boolean", "page", []any{1.0, nil, nil, "yes"}, "argument 4 (all): want a boolean, got a string"},
		{"array", "page", []any{1.0, nil, nil, nil, map[string]any{}}, "argument 5 (tags): want an array, got an object"},
		{"unknown", "forward", nil, "there is no method forward; it has get, put, page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notesTable.Call(context.Background(), nil, tt.method, tt.args)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ce *CallError
			if !errors.As(err, &ce) || err.Error() != tt.want || !ce.TypeError() {
				t.Fatalf("err = %v, want a CallError %q", err, tt.want)
			}
		})
	}
}

func TestCallErrorIn(t *testing.T) {
	_, err := notesTable.Call(context.Background(), nil, "forward", nil)
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatal(err)
	}
	if got := ce.In("thread"); got != "env.thread has no method forward; it has get, put, page" {
		t.Fatalf("In = %q", got)
	}
	_, err = notesTable.Call(context.Background(), nil, "put", []any{"k", 3.0})
	if !errors.As(err, &ce) {
		t.Fatal(err)
	}
	if got := ce.In("notes"); got != "env.notes.put: argument 2 (value): want a string, got the number 3 (store objects with JSON.stringify)" {
		t.Fatalf("In = %q", got)
	}
}

func TestTableTypeScript(t *testing.T) {
	want := `/**
 * Notes for tests.
 * A second line.
 */
interface Notes {
  /** Reads a note. */
  get(key: string): Promise<string | null>;
  /**
   * Writes value under key.
   * Values are strings.
   */
  put(key: string, value: string): Promise<void>;
  /** Lists. */
  page(n: number, size?: number, raw?: Uint8Array, all?: boolean, tags?: string[], x?: unknown): Promise<Entry[]>;
}

/** An entry. */
interface Entry {
  key: string;
}`
	if got := notesTable.TypeScript(); got != want {
		t.Fatalf("TypeScript:\n%s\nwant:\n%s", got, want)
	}
	if !notesTable.Reads() || !notesTable.Writes() || strings.Join(notesTable.Names(), ",") != "get,put,page" {
		t.Fatal("roles or names wrong")
	}
}

func TestNewTableRefuses(t *testing.T) {
	ok := Method{Name: "get", Role: Source, Doc: "Gets.", TS: "get(key: string): Promise<string>", Params: []Param{{Name: "key", Type: TypeString}}, Fn: echoArgs}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"bad interface", Spec{Interface: "no-ident", Doc: "x"}, "not a TypeScript identifier"},
		{"no doc", Spec{Interface: "X"}, "no doc comment"},
		{"twice", Spec{Interface: "X", Doc: "x", Methods: []Method{ok, ok}}, "declared twice"},
		{"no role", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method { m := ok; m.Role = ""; return m }()}}, "no role"},
		{"no doc line", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method { m := ok; m.Doc = ""; return m }()}}, "one line"},
		{"TS of another name", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method { m := ok; m.TS = "got(key: string)"; return m }()}}, "must be one line starting get("},
		{"no function", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method { m := ok; m.Fn = nil; return m }()}}, "no function"},
		{"param not in TS", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method { m := ok; m.Params = []Param{{Name: "id", Type: TypeString}}; return m }()}}, `does not declare parameter "id:"`},
		{"optional not marked", Spec{Interface: "X", Doc: "x", Methods: []Method{func() Method {
			m := ok
			m.Params = []Param{{Name: "key", Type: TypeString, Optional: true}}
			return m
		}()}}, `does not declare parameter "key?:"`},
		{"required after optional", Spec{Interface: "X", Doc: "x", Methods: []Method{{Name: "f", Role: Pure, Doc: "f", TS: "f(a?: string, b: string)", Fn: echoArgs,
			Params: []Param{{Name: "a", Type: TypeString, Optional: true}, {Name: "b", Type: TypeString}}}}}, "after an optional one"},
		{"bad type", Spec{Interface: "X", Doc: "x", Methods: []Method{{Name: "f", Role: Pure, Doc: "f", TS: "f(a: string)", Fn: echoArgs,
			Params: []Param{{Name: "a", Type: "text"}}}}}, `of type "text"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTable(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// tools is a dynamic kind used only by these tests: each instance's
// methods are its props' tool names, known once provisioned.
type tools struct {
	Names []string `json:"names" doc:"The tools' names."`
	table *Table
}

var toolsKind = MustTable(Spec{Interface: "Tools", Doc: "Tools known once provisioned."})

func (x *tools) Flow() Flow    { return Flow{Label: NewLabel(Owner), Audience: NewLabel(Owner)} }
func (x *tools) Table() *Table { return x.table }
func (x *tools) Provision(context.Context, *Host) error {
	var ms []Method
	for _, n := range x.Names {
		ms = append(ms, Method{Name: n, Role: Sink, Doc: "Runs " + n + ".", TS: n + "(input: object): Promise<unknown>",
			Params: []Param{{Name: "input", Type: TypeObject}},
			Fn: func(_ context.Context, _ Instance, args []any) (any, error) {
				return n + " ran", nil
			}})
	}
	t, err := NewTable(Spec{Interface: "Tools", Doc: "The tools of this server.", Methods: ms})
	x.table = t
	return err
}

func init() {
	Register(Kind{ID: "test.tools", Doc: "A dynamic kind for tests.", New: func() Instance { return &tools{} }, Table: toolsKind, Dynamic: true})
}

func TestDynamicKind(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, "test.tools", []byte(`{"names": ["search", "fetch"]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, "test.tools", []byte(`{"names": ["echo"]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(TableOf(a).Names(), ","); got != "search,fetch" {
		t.Fatalf("names = %s", got)
	}
	if got, err := Bind(a).Call(ctx, "fetch", []any{map[string]any{}}); err != nil || got != "fetch ran" {
		t.Fatalf("fetch = %v, %v", got, err)
	}
	if _, err := Bind(a).Call(ctx, "echo", nil); err == nil || err.Error() != "there is no method echo; it has search, fetch" {
		t.Fatalf("echo on a: %v", err)
	}
	if TableOf(&tools{}) != toolsKind {
		t.Fatal("an unprovisioned instance should have the kind's table")
	}
	env, err := RenderEnv([]Binding{{Name: "a", Kind: "test.tools", Table: TableOf(a)}, {Name: "b", Kind: "test.tools", Table: TableOf(b)},
		{Name: "c", Kind: "test.tools", Table: TableOf(a)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"interface Tools {\n", "  search(input: object): Promise<unknown>;\n", "interface Tools2 {\n  /** Runs echo. */\n  echo(",
		"readonly a: Tools;", "readonly b: Tools2;", "readonly c: Tools;"} {
		if !strings.Contains(env, want) {
			t.Fatalf("env lacks %q:\n%s", want, env)
		}
	}
	if strings.Count(env, "interface Tools {") != 1 {
		t.Fatalf("the same table rendered twice:\n%s", env)
	}
}

func TestTableOfUnregistered(t *testing.T) {
	if _, err := Call(context.Background(), &unregistered{}, "x", nil); err == nil || err.Error() != "there is no method x; it has no methods" {
		t.Fatalf("err = %v", err)
	}
}

type unregistered struct{}

func (unregistered) Flow() Flow { return Flow{} }

// TestConsequential: a table is consequential when a writing method is not
// marked Inconsequential;
// Join drops
// the owner and gives nil (trusted) for nothing.
func TestConsequential(t *testing.T) {
	fn := func(context.Context, Instance, []any) (any, error) { return nil, nil }
	mk := func(ms ...Method) *Table {
		return MustTable(Spec{Interface: "T", Doc: "t", Methods: ms})
	}
	read := Method{Name: "read", Role: Source, Doc: "r", TS: "read()", Fn: fn}
	note := Method{Name: "note", Role: Sink, Doc: "n", TS: "note()", Fn: fn, Inconsequential: true}
	post := Method{Name: "post", Role: Exchange, Doc: "p", TS: "post()", Fn: fn}
	for _, tc := range []struct {
		name string
		t    *Table
		want bool
	}{
		{"reads only", mk(read), false},
		{"an inconsequential sink", mk(read, note), false},
		{"an exchange", mk(read, note, post), true},
	} {
		if got := tc.t.Consequential(); got != tc.want {
			t.Errorf("%s: Consequential = %v, want %v", tc.name, got, tc.want)
		}
	}
	a, b := Person("a@example.com"), Person("b@example.com")
	if j := Join(nil, NewLabel(Owner)); j != nil {
		t.Errorf("Join of trusted = %v, want nil", j)
	}
	if j := Join(NewLabel(b), NewLabel(Owner, a, b)); !slices.Equal(j, NewLabel(a, b)) {
		t.Errorf("Join = %v", j)
	}
}
