package codemode

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"

	"littleboxes/sandbox"
)

// fastCases are bodies of code as models write them, and texts made to
// mislead a scanner. For each, the fast path either declines or gives what
// the parsing path gives.
var fastCases = []struct {
	name, code string
	fast       bool // the fast path takes it
}{
	{"return", "return 1", true},
	{"bare expression", "input.n * 7", true},
	{"trailing semicolons", "input.n * 7;;;", true},
	{"statements then return", "const n: number = input.n + 1;\nawait env.echo.say(n);\nreturn { n };", true},
	{"statements then expression", "const v = await env.echo.say(input.n);\nv + 40", true},
	{"object expression", "const v = input.n;\n({ v, ok: true });", true},
	{"multi-line call last", "const a = 1;\nawait env.echo.say({\n  a,\n  b: [1, 2],\n});", true},
	{"async arrow", "async (input, env) => { return await env.echo.say(input.n + 5) }", true},
	{"async arrow, expression body", "async () => await env.echo.say(5)", true},
	{"typed arrow", "async (input: { n: number }, env: any): Promise<number> => input.n * input.n", true},
	{"arrow", "(input) => input.n", true},
	{"function expression", "(async function (input, env) { return input.n - 1 })", true},
	{"function declaration", "async function main(input, env, ctx) {\n  const x = await env.echo.say(input.n);\n  return x * 100;\n}", true},
	{"generic function declaration", "function pick<T>(input: T): T { return input }", true},
	{"function declaration with an object return type", "async function main(input: any): Promise<{ n: number }> {\n  return { n: input.n };\n}", false},
	{"function declaration with a return type", "async function main(input: any): Promise<number> {\n  return input.n;\n}", true},
	{"function declaration then a block", "function A() {} {}", false},
	{"function declaration with a group in its type parameters", "function A<T extends (x: number) => void>(f: T) { return 1 }", false},
	{"typescript interface then expression", "interface R { total: number; other: string }\nconst r: R = { total: input.n as number + 1, other: '' };\nr", true},
	{"template literal last", "const n = input.n;\n`n is ${n} and ${`nested ${n + 1}`}`", true},
	{"template holding braces and semicolons", "const s = `a;b}{${ {a: 1}.a }`;\ns + '!'", true},
	{"string holding a semicolon", "const s = \"a;b\";\ns.length", true},
	{"comment holding a semicolon", "const a = 1; // ; here\n/* and; here */ a + 1", true},
	{"regexp last", "const s = 'abc';\n/b/.test(s)", true},
	{"regexp holding a semicolon", "const s = 'a;b';\ns.split(/;/).length", false},
	{"regexp holding a brace", "const s = 'a}b';\ns.replace(/[}]/g, '').length", true},
	{"division", "const a = 10, b = 2;\na / b / 1", true},
	{"division after a call", "const f = () => 10;\nf() / 2 / 5", true},
	{"regexp after if", "const s = 'x';\nif (s) /x/.test(s);\n'done'", true},
	{"slash after a brace", "const o = {a: 4};\nlet r = 0;\nif (o.a) { r = 1 } /x/.test('x');\nr", false},
	{"keyword then regexp", "const t = typeof /a/;\nt", true},
	{"last statement over two lines", "const a = 1;\nconst b = a\n  + 1;\nb\n  * 2", false},
	{"asi: two lines no semicolons", "const a = 1\na + 1", false},
	{"if last", "await env.echo.say(1);\nif (input.n > 100) { throw new Error('big') }", false},
	{"if then expression, no semicolons", "if (input.n) { env.echo.say(1); }\ninput.n", false},
	{"else last", "let r = 0;\nif (input.n) r = 1; else r = 2;", false},
	{"for last", "let t = 0;\nfor (let i = 0; i < 3; i++) t += i;", false},
	{"const last", "const v = 1;", true},
	{"let last", "let v = 1;", true},
	{"throw last", "throw new Error('no')", true},
	{"label", "outer: for (;;) break outer;", false},
	{"class last", "class A {}", false},
	{"type alias last", "type T = number;", false},
	{"block last", "{ input.n }", false},
	{"type assertion last", "<any>input", false},
	{"negation", "!input.n", true},
	{"array destructuring", "let a = 1, b = 2;\n[a, b] = [b, a];", true},
	{"async called", "const async = (f: any) => f;\nasync(1)", true},
	{"await using", "await using x = { [Symbol.asyncDispose]: async () => {} };", true},
	{"do while", "let i = 0;\ndo i++; while (i < 3);", false},
	{"carriage returns", "const a = 1\rinput.n", false},
	{"crlf", "const a = 1;\r\ninput.n + a", true},
	{"line separator", "const a = 1;\u2028input.n", false},
	{"private name", "class A { #x = 1 }\ninput.n", false},
	{"decorator", "@dec class A {}", false},
	{"unterminated string", "const s = 'abc\nreturn 1", false},
	{"unterminated template", "const s = `abc", false},
	{"unbalanced", "const a = (1;\na", false},
	{"syntax error", "const a = ;\na", true},
	{"import in a body", "import fs from 'fs';\nreturn 1", true},
	{"non-null then division", "const a: any = 4;\na! / 2", false},
	{"non-null then division with a parenthesis", "const a: any = 4;\na! / (a + 2) / 2", true},
	{"non-null, division with a semicolon after", "const a: any = 4;\nconst b = a! / 2; const c = b / 2;\nc", false},
	{"postfix then division", "let a = 4;\na++ / 2", true},
	{"number forms", "const a = 0x1e+5, b = 1e+5, c = .5, d = 1_000n;\n[a, b, c, String(d)]", true},
	{"empty", ";", false},
	{"comment only", "// nothing", false},
	{"non-ascii in a string", "const s = 'café';\ns", true},
	{"non-ascii name", "const café = 1;\ncafé", false},
}

// compiled is a module's JavaScript without its source map, without
// the annotations esbuild writes when it lowers syntax (the parsing path's
// pass writes them into its text, the compile ignores them), and without
// the line that exports the default when sandbox.Compile took its quick
// path (it may take it for one text and not the other: esbuild warns of a
// BigInt literal, not of the BigInt call the parsing path writes).
func compiled(t *testing.T, src string) (string, error) {
	t.Helper()
	m, err := sandbox.Compile("agent.ts", src)
	if err != nil {
		return "", err
	}
	js, _, _ := strings.Cut(m.JS, "//# sourceMappingURL=")
	js = strings.Replace(js, "\nexports.default = agent_default;\n\n\n", "\n", 1)
	return strings.ReplaceAll(js, "/* @__PURE__ */ ", ""), nil
}

// runSource runs src's run entry with an env whose echo.say returns its
// argument, and returns its value or error.
func runSource(src string) (any, error) {
	m, err := sandbox.Compile("agent.ts", src)
	if err != nil {
		return nil, err
	}
	env := map[string]sandbox.Binding{"echo": sandbox.Methods{
		"say": func(_ context.Context, args []any) (any, error) { return args[0], nil },
	}}
	res, err := sandbox.NewInProcess().Run(context.Background(), &sandbox.Invocation{
		Module: m, Entry: sandbox.EntryRun, Input: map[string]any{"n": 2.0}, Env: env,
		Limits: sandbox.Limits{Deadline: 5 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	return res.Value, nil
}

// TestNormalizeFast: where the fast path takes code, it gives a module
// that compiles to what the parsing path's does, or one that does not
// compile (Module then asks the parsing path, for its error).
func TestNormalizeFast(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			fast, ok := normalizeFast(tc.code)
			if ok != tc.fast {
				t.Fatalf("fast path took it: %v, want %v\n%s", ok, tc.fast, fast)
			}
			if !ok {
				return
			}
			fastJS, err := compiled(t, fast)
			if err != nil {
				return // Module falls back to the parsing path
			}
			sameAsParsing(t, tc.code, fast, fastJS)
		})
	}
}

// sameAsParsing fails t unless the parsing path takes code and compiles
// it to fastJS, the fast path's module (source fast) compiled.
func sameAsParsing(t *testing.T, code, fast, fastJS string) {
	t.Helper()
	slow, err := Normalize(code)
	if err != nil {
		t.Fatalf("the fast path's module compiles; the parsing path refuses the code: %v\n%s", err, fast)
	}
	slowJS, err := compiled(t, slow)
	if err != nil {
		t.Fatalf("the parsing path's module does not compile: %v", err)
	}
	if !sameModule(fastJS, slowJS) {
		t.Fatalf("compiled differently:\nfast:\n%s\nslow:\n%s", fastJS, slowJS)
	}
}

// sameModule reports whether the fast path's compiled module is the
// parsing path's from the body on (the helpers esbuild adds when it lowers
// syntax sit before it, in an order that may differ), or is it but for a
// last expression the parsing path lost: esbuild drops an expression
// statement that folds to a primitive (!0, -1, 1 + 2), so the parsing
// path's body returns nothing where the fast path's returns the value, as
// the code means.
func sameModule(fastJS, slowJS string) bool {
	const body = "\nasync function " + bodyName + "("
	_, fastJS, _ = strings.Cut(fastJS, body)
	_, slowJS, _ = strings.Cut(slowJS, body)
	if fastJS == slowJS {
		return true
	}
	fl, sl := strings.Split(fastJS, "\n"), strings.Split(slowJS, "\n")
	if len(fl) != len(sl)+1 {
		return false
	}
	for i := range sl {
		if fl[i] != sl[i] {
			return strings.HasPrefix(fl[i], "  return ") && fl[i+1] == "}" && slices.Equal(fl[i+1:], sl[i:])
		}
	}
	return false
}

// TestModule: Module gives what Normalize and Compile give, its errors
// included, on every shape the normaliser knows.
func TestModule(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Module("agent.ts", tc.code)
			src, nerr := Normalize(tc.code)
			var want *sandbox.Module
			if nerr == nil {
				want, nerr = sandbox.Compile("agent.ts", src)
			}
			if (err == nil) != (nerr == nil) {
				t.Fatalf("Module: %v; Normalize and Compile: %v", err, nerr)
			}
			if err != nil {
				if err.Error() != nerr.Error() || errors.Is(nerr, ErrSyntax) != errors.Is(err, ErrSyntax) {
					t.Fatalf("Module's error %q, Normalize and Compile's %q", err, nerr)
				}
				return
			}
			got, gerr := runSource(m.Source)
			exp, eerr := runSource(want.Source)
			if !reflect.DeepEqual(got, exp) || (gerr == nil) != (eerr == nil) {
				t.Fatalf("Module's runs to %#v, %v; Normalize's to %#v, %v", got, gerr, exp, eerr)
			}
		})
	}
}

// FuzzNormalizeFast: whatever the text, where the fast path takes it and
// its module compiles, it agrees with a parser. For JavaScript goja parses,
// the fast path finds the last statement goja finds, and classifies it the
// same; for the rest (TypeScript), the parsing path takes the code too and
// its module compiles to the same JavaScript.
func FuzzNormalizeFast(f *testing.F) {
	for _, tc := range fastCases {
		f.Add(tc.code)
	}
	f.Fuzz(func(t *testing.T, code string) {
		p, ok := planFast(code)
		if !ok {
			return
		}
		fast, _ := normalizeFast(code)
		fastJS, err := compiled(t, fast)
		if err != nil {
			return // Module asks the parsing path
		}
		if want, ok := gojaPlan(code); ok {
			if p != want {
				t.Fatalf("the fast path's plan %+v, goja's %+v", p, want)
			}
			return
		}
		sameAsParsing(t, code, fast, fastJS)
	})
}

// gojaPlan is the plan goja's parse of code (as JavaScript) makes: the
// last statement, an expression statement, a function declaration or
// another; ok is false when goja does not parse it.
func gojaPlan(code string) (plan, bool) {
	const head = "async function f(input, env, ctx) {\n"
	wrapped := head + code + "\n}\n"
	prog, err := goja.Parse("code.js", wrapped)
	if err != nil || len(prog.Body) != 1 {
		return plan{}, false
	}
	fd, ok := prog.Body[0].(*ast.FunctionDeclaration)
	if !ok || fd.Function.Body == nil {
		return plan{}, false
	}
	stmts := fd.Function.Body.List
	for len(stmts) > 0 {
		if _, ok := stmts[len(stmts)-1].(*ast.EmptyStatement); !ok {
			break
		}
		stmts = stmts[:len(stmts)-1]
	}
	if len(stmts) == 0 {
		return plan{shape: shapeStatement}, true
	}
	switch last := stmts[len(stmts)-1].(type) {
	case *ast.ExpressionStatement:
		return plan{shape: shapeExpression, at: statementStart(wrapped, int(exprStart(last.Expression))-1) - len(head)}, true
	case *ast.FunctionDeclaration:
		return plan{shape: shapeFunction, name: last.Function.Name.Name.String()}, true
	}
	return plan{shape: shapeStatement}, true
}
