package codemode

import (
	"strings"
	"testing"
)

// TestModuleTakesQuickCompile checks that the modules Module makes of the
// usual replies are ones sandbox.Compile compiles by esbuild's Transform
// (its quick path, whose output exports the default with one assignment)
// rather than by a Build (whose output carries esbuild's CommonJS helpers):
// a change of the wrapper's text that names import, require, module,
// exports or eval, adds an export, or declares a top-level const would
// send every attempt the long way, about half a millisecond more each.
func TestModuleTakesQuickCompile(t *testing.T) {
	for name, reply := range map[string]string{
		"fenced body":   "```ts\nconst n: number = input + 1;\nawait env.b0.noop(n);\nreturn { n };\n```",
		"bare body":     "const rows = await env.kv.list();\nrows.length",
		"arrow":         "async (input, env) => { const x: string[] = []; return x }",
		"function":      "async function main(input: any, env: any) { return env }",
		"last function": "const k = 2;\nfunction double(x: number) { return x * k }",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Module("agent.ts", reply)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.JS, "\nexports.default = ") || strings.Contains(m.JS, "__toCommonJS") {
				t.Errorf("the module took the long way:\n%s\ncompiled to\n%s", m.Source, m.JS)
			}
		})
	}
}
