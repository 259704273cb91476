package capabilities

import (
	"strings"
	"testing"
)

func TestMethodAndTypeNames(t *testing.T) {
	cases := []struct{ in, method, typ string }{
		{"echo", "echo", "Echo"},
		{"get-env", "getEnv", "GetEnv"},
		{"list files", "listFiles", "ListFiles"},
		{"get /pets/{petId}", "getPetsPetId", "GetPetsPetId"},
		{"2fa", "_2fa", "2fa"},
		{"$ref", "$ref", "Ref"},
		{"--", "", ""},
		{"héllo", "hLlo", "HLlo"},
		{"get_env", "get_env", "Get_env"},
		{"a.b.c", "aBC", "ABC"},
		{"2fa-check", "_2faCheck", "2faCheck"},
		{"Get-Env", "GetEnv", "GetEnv"},
		{"héllo-wörld", "hLloWRld", "HLloWRld"},
	}
	for _, c := range cases {
		if got := MethodName(c.in); got != c.method {
			t.Errorf("MethodName(%q) = %q, want %q", c.in, got, c.method)
		}
		if got := TypeName(c.in); got != c.typ {
			t.Errorf("TypeName(%q) = %q, want %q", c.in, got, c.typ)
		}
	}
}

func TestTSHelpers(t *testing.T) {
	if got := TSUnion([]string{"string", "number", "string"}); got != "string | number" {
		t.Errorf("TSUnion = %q", got)
	}
	if got := TSUnion([]string{"string", "unknown"}); got != "unknown" {
		t.Errorf("TSUnion with unknown = %q", got)
	}
	if got := TSParen("a | b"); got != "(a | b)" {
		t.Errorf("TSParen = %q", got)
	}
	if got := TSLiteral("x"); got != `"x"` {
		t.Errorf("TSLiteral = %q", got)
	}
	if got := TSLiteral([]any{1}); got != "unknown" {
		t.Errorf("TSLiteral(array) = %q", got)
	}
	if got := TSDocLine("  ", "ends */ early\nand wraps"); got != "  /** ends * / early and wraps */\n" {
		t.Errorf("TSDocLine = %q", got)
	}
}

func TestTSSchemaHelpers(t *testing.T) {
	if got := TSEnum([]any{"a", 1.0, "a", nil}); got != `"a" | 1 | null` {
		t.Errorf("TSEnum = %q", got)
	}
	if got := TSIntersection([]string{"A", "B | C"}); got != "A & (B | C)" {
		t.Errorf("TSIntersection = %q", got)
	}
	var called []string
	items := func() string { called = append(called, "items"); return "string | number" }
	object := func() string { called = append(called, "object"); return "{}" }
	for _, c := range []struct {
		types []string
		want  string
		calls int
	}{
		{[]string{"integer", "null"}, "number | null", 0},
		{[]string{"array", "object"}, "(string | number)[] | {}", 2},
		{[]string{"boolean", "number", "integer"}, "boolean | number", 0},
		{[]string{"date", "array"}, "unknown", 0},
	} {
		called = nil
		if got := TSOfTypes(c.types, items, object); got != c.want || len(called) != c.calls {
			t.Errorf("TSOfTypes(%q) = %q calling %q, want %q calling %d", c.types, got, called, c.want, c.calls)
		}
	}
	members := []TSMember{
		{Name: "id", Required: true, Type: "string"},
		{Name: "x-rate", Doc: "per */ second", Type: "number"},
	}
	for _, c := range []struct {
		indent  string
		members []TSMember
		extra   string
		want    string
	}{
		{"", nil, "", "{}"},
		{"", nil, "unknown", "{ [key: string]: unknown }"},
		{"", members, "unknown", "{\n  id: string;\n  /** per * / second */\n  \"x-rate\"?: number;\n}"},
		{"  ", members[:1], "boolean", "{\n    id: string;\n    [key: string]: boolean;\n  }"},
	} {
		if got := TSObject(c.indent, c.members, c.extra); got != c.want {
			t.Errorf("TSObject(%q, %v, %q) = %q, want %q", c.indent, c.members, c.extra, got, c.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	long := strings.Repeat("x", 201)
	for in, want := range map[string]string{
		"  Lists pets.  \nMore words.": "Lists pets.",
		"":                             "",
		long:                           long[:200] + "…",
		strings.Repeat("y", 200):       strings.Repeat("y", 200),
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}
