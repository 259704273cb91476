package mcp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"littleboxes/capabilities"
)

func parse(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestRenderTS(t *testing.T) {
	for _, c := range []struct{ name, schema, want string }{
		{"scalars", `{"type": "object", "properties": {"s": {"type": "string"}, "n": {"type": "integer"}, "b": {"type": "boolean"}, "z": {"type": "null"}}, "required": ["s"]}`,
			"{\n  b?: boolean;\n  n?: number;\n  s: string;\n  z?: null;\n}"},
		{"doc and quoted key", `{"type": "object", "properties": {"the-key": {"type": "string", "description": "A key."}}}`,
			"{\n  /** A key. */\n  \"the-key\"?: string;\n}"},
		{"nullable list", `{"type": ["string", "null"]}`, "string | null"},
		{"enum", `{"enum": ["a", 1, true, null]}`, `"a" | 1 | true | null`},
		{"const", `{"const": "x"}`, `"x"`},
		{"array of union", `{"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}`, "(string | number)[]"},
		{"array without items", `{"type": "array"}`, "unknown[]"},
		{"oneOf", `{"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}`, "string | string[]"},
		{"allOf", `{"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "object", "properties": {"b": {"type": "number"}}}]}`,
			"{\n  a?: string;\n} & {\n  b?: number;\n}"},
		{"map", `{"type": "object", "additionalProperties": {"type": "number"}}`, "{ [key: string]: number }"},
		{"closed empty", `{"type": "object", "properties": {}, "additionalProperties": false}`, "{}"},
		{"ref", `{"type": "object", "properties": {"p": {"$ref": "#/$defs/P"}}, "$defs": {"P": {"type": "string", "description": "A p."}}}`,
			"{\n  /** A p. */\n  p?: string;\n}"},
		{"loop", `{"$ref": "#"}`, "unknown"},
		{"exponential", `{"anyOf": [{"$ref": "#"}, {"$ref": "#"}, {"type": "string"}]}`, "unknown"},
		{"unknown", `{"format": "date"}`, "unknown"},
		{"union with unknown", `{"anyOf": [{"type": "string"}, {}]}`, "unknown"},
		{"comment end", `{"type": "object", "properties": {"a": {"type": "string", "description": "x */ y"}}}`, "{\n  /** x * / y */\n  a?: string;\n}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := parse(t, c.schema)
			if got := (schemaDoc{root: s}).render(s); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestCheckValue(t *testing.T) {
	schema := parse(t, `{
		"type": "object",
		"properties": {
			"name": {"type": "string"},
			"count": {"type": "integer"},
			"tags": {"type": "array", "items": {"type": "string"}},
			"mode": {"enum": ["fast", "slow"]},
			"when": {"anyOf": [{"type": "string"}, {"type": "number"}]},
			"opt": {"type": ["boolean", "null"]},
			"sub": {"type": "object", "properties": {"x": {"$ref": "#/definitions/X"}}, "required": ["x"]}
		},
		"required": ["name"],
		"additionalProperties": false,
		"definitions": {"X": {"type": "number"}}
	}`)
	d := schemaDoc{root: schema}
	for _, c := range []struct {
		name string
		args string
		want string // "" for accepted
	}{
		{"ok", `{"name": "a", "count": 2, "tags": ["x"], "mode": "fast", "when": 3, "opt": null, "sub": {"x": 1.5}}`, ""},
		{"missing", `{}`, "argument 1 (args): args.name is required (string) but missing"},
		{"wrong type", `{"name": 1}`, "argument 1 (args.name): want a string, got the number 1"},
		{"not integer", `{"name": "a", "count": 2.5}`, "argument 1 (args.count): want an integer, got the number 2.5"},
		{"item", `{"name": "a", "tags": ["x", 2]}`, "argument 1 (args.tags[1]): want a string, got the number 2"},
		{"enum", `{"name": "a", "mode": "medium"}`, `argument 1 (args.mode): want one of "fast", "slow", got a string`},
		{"anyOf", `{"name": "a", "when": true}`, "argument 1 (args.when): want string | number, got a boolean"},
		{"type list", `{"name": "a", "opt": "yes"}`, "argument 1 (args.opt): want a boolean or null, got a string"},
		{"extra", `{"name": "a", "nmae": "b"}`, `argument 1 (args): args has no property "nmae"; it has count, mode, name, opt, sub, tags, when`},
		{"nested required", `{"name": "a", "sub": {}}`, "argument 1 (args): args.sub.x is required (number) but missing"},
		{"ref", `{"name": "a", "sub": {"x": "1"}}`, "argument 1 (args.sub.x): want a number, got a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := d.check(schema, parse(t, c.args), "args")
			if c.want == "" {
				if bad != nil {
					t.Fatalf("refused: %v", bad.callError("m"))
				}
				return
			}
			if bad == nil {
				t.Fatal("accepted")
			}
			err := bad.callError("m")
			var ce *capabilities.CallError
			if !errors.As(err, &ce) || !ce.TypeError() || err.Error() != c.want {
				t.Fatalf("err = %v, want a CallError %q", err, c.want)
			}
			if !strings.HasPrefix(ce.In("tools"), "env.tools.m: argument 1") {
				t.Fatalf("as the agent reads it: %q", ce.In("tools"))
			}
		})
	}
}

// FuzzSchema renders and checks against schemas a server sends: neither may
// panic or loop, whatever the schema and the value.
func FuzzSchema(f *testing.F) {
	f.Add(`{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}`, `{"a": 1}`)
	f.Add(`{"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}`, `{}`)
	f.Add(`{"anyOf": [{"allOf": [{"$ref": "#"}]}], "items": {"$ref": "#"}}`, `[[[]]]`)
	f.Add(`{"type": ["array", "object"], "items": {"enum": [1, "x", {"a": 1}]}, "additionalProperties": {"const": null}}`, `{"x": null, "y": [1]}`)
	f.Fuzz(func(t *testing.T, schema, value string) {
		var s map[string]any
		var v any
		if json.Unmarshal([]byte(schema), &s) != nil || json.Unmarshal([]byte(value), &v) != nil {
			return
		}
		d := schemaDoc{root: s}
		_ = d.render(s)
		if bad := d.check(s, v, "args"); bad != nil {
			_ = bad.callError("m").Error()
		}
	})
}
