package capabilities

import "testing"

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
