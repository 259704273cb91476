package codemode

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"littleboxes/sandbox"
)

// runNormalized normalises reply, compiles the module and runs entry with
// input and an env whose echo.say returns its first argument.
func runNormalized(t *testing.T, reply, entry string, input any) (any, error) {
	t.Helper()
	src, err := Normalize(reply)
	if err != nil {
		return nil, err
	}
	m, err := sandbox.Compile("agent.ts", src)
	if err != nil {
		t.Fatalf("normalised code does not compile: %v\n%s", err, src)
	}
	env := map[string]sandbox.Binding{"echo": sandbox.Methods{
		"say": func(_ context.Context, args []any) (any, error) { return args[0], nil },
	}}
	res, err := sandbox.NewInProcess().Run(context.Background(), &sandbox.Invocation{
		Module: m, Entry: entry, Input: input, Env: env, Context: map[string]any{"agent": "a"},
	})
	if err != nil {
		return nil, err
	}
	return res.Value, nil
}

func TestNormalizeForms(t *testing.T) {
	input := map[string]any{"n": float64(2)}
	for _, tc := range []struct {
		name, reply string
		want        any
	}{
		{"module", "export default { async run(input, env) { return input.n * 10 }, async onMessage(m) { return m.n * 10 } }", float64(20)},
		{"module in a fence with prose", "Here is the agent:\n\n```ts\nexport default {\n  async run(input: {n: number}, env: any) { return input.n + 1 },\n  async onMessage(m: any) { return m.n + 1 },\n}\n```\nIt adds one.", float64(3)},
		{"default-exported async function", "export default async function (input, env, ctx) { return ctx.agent + input.n }", "a2"},
		{"default-exported arrow", "export default async (input: any) => input.n * 3;", float64(6)},
		{"async arrow", "async (input, env) => { return await env.echo.say(input.n + 5) }", float64(7)},
		{"arrow with types in a fence", "```typescript\nasync (input: { n: number }, env: Env): Promise<number> => input.n * input.n\n```", float64(4)},
		{"function expression", "(async function (input, env) { return input.n - 1 })", float64(1)},
		{"function declaration", "async function main(input, env, ctx) {\n  const x = await env.echo.say(input.n);\n  return x * 100;\n}", float64(200)},
		{"bare body with return", "const v = await env.echo.say(input.n);\nreturn { doubled: v * 2 };", map[string]any{"doubled": float64(4)}},
		{"bare body, last expression", "const v = await env.echo.say(input.n);\nv + 40", float64(42)},
		{"bare body, last expression an object", "const v = input.n;\n({ v, ok: true });", map[string]any{"v": float64(2), "ok": true}},
		{"bare body, trailing semicolons", "input.n * 7;;;", float64(14)},
		{"bare body, no result", "await env.echo.say(1);\nif (input.n > 100) { throw new Error('big') }", nil},
		{"typescript body", "interface R { total: number }\nconst r: R = { total: input.n as number + 1 };\nr", map[string]any{"total": float64(3)}},
		{"unterminated fence", "```js\nreturn input.n * 5", float64(10)},
		{"non-code fence skipped", "```text\nnot code\n```\n```js\ninput.n\n```", float64(2)},
		{"only a fence of another language", "```python\ninput.n + 9\n```", float64(11)},
		{"env as a global, as MCP clients write it", "async () => await env.echo.say(5)", float64(5)},
		{"bare body, last expression a tagged template", "const n = input.n;\nString.raw`n=${n}`", "n=2"},
		{"bare body, last expression a tagged template in a sum", "String.raw`a` + input.n", "a2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, entry := range []string{sandbox.EntryRun, sandbox.EntryOnMessage} {
				got, err := runNormalized(t, tc.reply, entry, input)
				if err != nil {
					t.Fatalf("%s: %v", entry, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("%s: got %#v, want %#v", entry, got, tc.want)
				}
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		is          error
		says        string
	}{
		{"empty", "", ErrNoCode, ""},
		{"blank fence", "```js\n\n```", ErrNoCode, ""},
		{"syntax error names the model's line", "const a = 1;\nconst b = ;\nreturn a", ErrSyntax, "line 2"},
		{"import in a body", "import fs from 'fs';\nreturn 1", ErrSyntax, "line 1"},
		{"too big", strings.Repeat("x", MaxReplyBytes+1), nil, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(tc.reply)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct{ name, reply, want string }{
		{"no fence", "  return 1  ", "return 1"},
		{"js fence", "x\n```js\nreturn 1\n```\ny", "return 1"},
		{"tilde fence", "~~~ts\nreturn 2\n~~~", "return 2"},
		{"longer fence holds a shorter one", "````js\nconst s = \"```\";\n````", "const s = \"```\";"},
		{"first code fence wins", "```js\na\n```\n```js\nb\n```", "a"},
		{"indented fence", "  ```js\n  return 3\n  ```", "return 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Extract(tc.reply); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"return 1", "```js\nx\n```", "export default {}", "async () => 1", "({a:1})", "function f(){}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		src, err := Normalize(reply)
		if err != nil {
			return
		}
		if src == "" {
			t.Fatal("no error and no source")
		}
	})
}
