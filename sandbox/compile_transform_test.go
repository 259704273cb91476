package sandbox

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// codeModeModule is a module as Code Mode writes one of a model's code
// (app/codemode's normalizeFast and writeMain).
const codeModeModule = "async function __littleboxes_body(input: any, env: any, ctx: any) {\n" +
	"const n: number = input + 1;\n" +
	"if (n > 5) throw new Error(`too big: ${n}`);\n" +
	"return { n };\n" +
	"}\n" +
	"async function __littleboxes_main(input, env, ctx) {\n" +
	"  globalThis.env = env;\n" +
	"  let r = await __littleboxes_body(input, env, ctx);\n" +
	"  if (typeof r === \"function\") r = await r(input, env, ctx);\n" +
	"  return r;\n" +
	"}\n" +
	"export default { run: __littleboxes_main, onMessage: __littleboxes_main };\n"

// quickCases are modules the quick path takes, each run with two inputs
// (one of which may make it throw).
var quickCases = []struct {
	name, file, src string
}{
	{"code mode", "agent.ts", codeModeModule},
	{"one line", "one.js", `export default { async run(i) { if (i > 5) throw new Error("big " + i); return i * 2 } }`},
	{"typescript", "types.ts", `interface P { x: number; y?: string }
enum Color { Red = 1, Green }
type N = number
var Box = class<T> {
  #v: T
  static made = 0
  constructor(v: T) { this.#v = v; Box.made++ }
  get(): T { return this.#v }
}
export default {
  async run(i: number, env: any): Promise<any> {
    const p: P = { x: i }
    const b = new Box<number>(i)
    const o = { ...p, c: Color.Green, m: Box.made }
    if (i > 5) throw new TypeError("big: " + (o.x as N))
    return { ...o, v: b.get(), opt: p?.y ?? "none" }
  },
}
`},
	{"lowered", "lower.ts", `async function* gen(n: number) { for (let i = 0; i < n; i++) yield i }
export default {
  async run(n) {
    let sum = 0
    for await (const v of gen(n)) sum += v
    const { a, ...rest } = { a: 1, b: 2, c: n }
    try { if (n > 5) throw new RangeError("n " + n) } catch { throw new Error("caught " + n) }
    return { sum, rest, x: 2 ** n, s: ` + "`${n}`" + ` }
  }
}
`},
	{"top-level this", "this.js", "var t = this\nexport default { async run(i) { if (i > 5) null.x; return typeof t } }\n"},
	{"name of the default", "named.ts", "var agent = { async run(i: number) { if (i > 5) throw new Error('i ' + i); return [i] } }\nexport default agent\n"},
}

// TestTransformMatchesBuild checks that the quick path takes each module
// and makes of it what the Build path makes: the same results, the same
// errors, the same lines and columns in stack traces.
func TestTransformMatchesBuild(t *testing.T) {
	for _, tc := range quickCases {
		t.Run(tc.name, func(t *testing.T) {
			loader := loaderFor(tc.file)
			quick, err := compile(tc.file, tc.src, loader, "quick")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(quick.JS, "\nexports.default = ") || strings.Contains(quick.JS, "__toCommonJS") {
				t.Fatalf("the quick path did not take the module (esbuild's output changed?):\n%s", quick.JS)
			}
			long, err := compileBuild(tc.file, tc.src, loader, "long")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(quick.Exports, long.Exports) {
				t.Errorf("exports %v, Build's %v", quick.Exports, long.Exports)
			}
			exports, err := check(tc.file, tc.src, loader)
			if err != nil || !reflect.DeepEqual(exports, long.Exports) {
				t.Errorf("check = %v, %v; want %v", exports, err, long.Exports)
			}
			for _, in := range []float64{3, 9} {
				qr, qerr := NewInProcess().Run(context.Background(), &Invocation{Module: quick, Input: in, Env: noopEnv()})
				lr, lerr := NewInProcess().Run(context.Background(), &Invocation{Module: long, Input: in, Env: noopEnv()})
				if !reflect.DeepEqual(qr.Value, lr.Value) {
					t.Errorf("input %v: value %#v, Build's %#v", in, qr.Value, lr.Value)
				}
				if !reflect.DeepEqual(qerr, lerr) {
					t.Errorf("input %v: error %#v, Build's %#v", in, qerr, lerr)
				}
				if in == 9 {
					var se *ScriptError
					if !errors.As(qerr, &se) || !strings.Contains(se.Stack, tc.file+":") {
						t.Errorf("input 9: error %#v, want a ScriptError with a stack naming %s", qerr, tc.file)
					}
				}
			}
		})
	}
}

// TestTransformRefuses checks modules the quick path must not take, or
// takes and must fail on, against the Build path: each compiles to the
// same error as Build's, or to a module that runs the same. The first
// cases try to import by ways the text test alone would not see.
func TestTransformRefuses(t *testing.T) {
	for _, tc := range refuseCases {
		t.Run(tc.name, func(t *testing.T) {
			loader := loaderFor(tc.file)
			quick, qerr := compile(tc.file, tc.src, loader, "quick")
			long, lerr := compileBuild(tc.file, tc.src, loader, "long")
			if !reflect.DeepEqual(qerr, lerr) {
				t.Fatalf("compile error\n%v\nBuild's\n%v", qerr, lerr)
			}
			qx, qcerr := check(tc.file, tc.src, loader)
			lx, lcerr := checkBuild(tc.file, tc.src, loader)
			if !reflect.DeepEqual(qcerr, lcerr) || !reflect.DeepEqual(qx, lx) {
				t.Errorf("check = %v, %v; checkBuild's %v, %v", qx, qcerr, lx, lcerr)
			}
			if lerr != nil {
				return
			}
			if !reflect.DeepEqual(quick.Exports, long.Exports) {
				t.Errorf("exports %v, Build's %v", quick.Exports, long.Exports)
			}
			qr, qerr := NewInProcess().Run(context.Background(), &Invocation{Module: quick, Input: 1.0})
			lr, lerr := NewInProcess().Run(context.Background(), &Invocation{Module: long, Input: 1.0})
			if !reflect.DeepEqual(qr.Value, lr.Value) || !reflect.DeepEqual(qerr, lerr) {
				t.Errorf("run = %#v, %v; Build's %#v, %v", qr.Value, qerr, lr.Value, lerr)
			}
		})
	}
}

// FuzzTransformMatchesBuild checks, for any text, that compile (quick path
// or not) and compileBuild agree: the same error, or modules with the same
// exports. The modules are not run (a text may loop forever).
func FuzzTransformMatchesBuild(f *testing.F) {
	for _, tc := range quickCases {
		f.Add(tc.file, tc.src)
	}
	for _, tc := range refuseCases {
		f.Add(tc.file, tc.src)
	}
	f.Fuzz(func(t *testing.T, file, src string) {
		if !strings.HasSuffix(file, ".ts") {
			file = "f.js"
		}
		loader := loaderFor(file)
		quick, qerr := compile(file, src, loader, "quick")
		long, lerr := compileBuild(file, src, loader, "long")
		if !reflect.DeepEqual(qerr, lerr) {
			t.Fatalf("compile error\n%v\nBuild's\n%v", qerr, lerr)
		}
		if lerr == nil && !reflect.DeepEqual(quick.Exports, long.Exports) {
			t.Fatalf("exports %v, Build's %v", quick.Exports, long.Exports)
		}
	})
}

// refuseCases are modules the quick path must not take, or takes and must
// fail on: each must compile to Build's error, or to a module that runs as
// Build's does.
var refuseCases = []struct{ name, file, src string }{
	{"require spelled with an escape", "a.js", `export default { async run() { return requ\u0069re("fs") } }`},
	{"module spelled with an escape", "a.js", `export default { async run() { return mod\u0075le.exports } }`},
	{"exports spelled with an escape", "a.js", `export default { async run() { return \u0065xports } }`},
	{"import keyword with an escape", "a.js", `export default { async run() { return imp\u006frt("fs") } }`},
	{"static import", "a.ts", "import fs from \"fs\"\nexport default { async run() { return fs } }\n"},
	{"dynamic import", "a.ts", "export default { async run() { return await import(\"fs\") } }\n"},
	{"require", "a.js", "export default { async run() { return require(\"fs\") } }\n"},
	{"import.meta", "a.js", "export default { async run() { return import.meta.url } }\n"},
	{"no default export", "a.ts", "export const x = 1\n"},
	{"no export", "a.ts", "const x = 1\n"},
	{"second export", "a.ts", "export const x = 1\nexport default { async run() { return x } }\n"},
	{"default function", "a.js", "export default function run() { return 1 }\n"},
	{"default class", "a.js", "export default class { static async run() { return 1 } }\n"},
	{"export list", "a.js", "const d = { async run() { return 1 } }\nexport { d as default }\n"},
	{"syntax error", "a.ts", "export default {\n  async run(i: number) {\n    return i +\n  }\n}\n"},
	{"type error in the syntax", "a.ts", "export default { async run(i: number): { return i } }\n"},
	{"top-level await", "a.js", "await 1\nexport default { async run() { return 1 } }\n"},
	{"with", "a.js", "with (Math) {}\nexport default { async run() { return 1 } }\n"},
	{"legacy octal", "a.js", "const x = 010\nexport default { async run() { return x } }\n"},
	{"await as a name", "a.js", "var await = 1\nexport default { async run() { return 1 } }\n"},
	{"html comment", "a.js", "const x = 1 <!--2\nexport default { async run() { return x } }\n"},
	{"duplicate declaration", "a.ts", "let x = 1\nlet x = 2\nexport default { async run() { return x } }\n"},
	{"hashbang", "a.js", "#!/usr/bin/env node\nexport default { async run() { return 1 } }\n"},
	{"default is not an object", "a.js", "export default 42\n"},
	{"assigns to a constant", "a.ts", "export default { async run(i: number) { const r = 1; if (i > 5) r = 2; return r } }\n"},
	{"reads a constant before it is declared", "a.js", "const a = b\nconst b = 1\nexport default { async run() { return [a, b] } }\n"},
	{"reads a class before it is declared", "a.js", "const a = typeof C\nclass C {}\nexport default { async run() { return a } }\n"},
	{"let at the top", "a.ts", "let n: number = 1\nexport default { async run() { return n++ } }\n"},
	{"eval", "a.js", "var x = 1\nexport default { async run() { return eval(\"x\") } }\n"},
	{"names the wrapper's exports", "a.js", "export default { async run() { return typeof exports } }\n"},
}

// TestTransformed checks the reading of esbuild's ESM output: only the
// shape it knows is taken.
func TestTransformed(t *testing.T) {
	head := moduleWrapperStart + "\nvar x = 1;\nvar a_default = { run() {} };\n"
	tail := "//# sourceMappingURL=data:application/json;base64,e30=\n"
	good := head + "export {\n  a_default as default\n};\n" + tail
	js, ok := transformed(good)
	if !ok {
		t.Fatal("the usual output was not taken")
	}
	if want := head + "exports.default = a_default;\n\n\n" + tail + moduleWrapperEnd; js != want {
		t.Fatalf("transformed =\n%s\nwant\n%s", js, want)
	}
	if strings.Count(js, "\n") != strings.Count(good+moduleWrapperEnd, "\n") {
		t.Error("transformed changed the line count")
	}
	for name, out := range map[string]string{
		"no banner":         strings.TrimPrefix(good, moduleWrapperStart),
		"two exports":       head + "export {\n  a_default as default,\n  x\n};\n" + tail,
		"another export":    head + "export const y = 2;\nexport {\n  a_default as default\n};\n" + tail,
		"no source map":     head + "export {\n  a_default as default\n};\n",
		"text after":        head + "export {\n  a_default as default\n};\n" + tail + "x;\n",
		"not an identifier": head + "export {\n  a-b as default\n};\n" + tail,
		"names require":     head + "require(\"x\");\nexport {\n  a_default as default\n};\n" + tail,
		"names module":      head + "module.x = 1;\nexport {\n  a_default as default\n};\n" + tail,
		"names import":      head + "import(\"x\");\nexport {\n  a_default as default\n};\n" + tail,
	} {
		if js, ok := transformed(out); ok {
			t.Errorf("%s: taken, as\n%s", name, js)
		}
	}
}

// TestTransformOptionsMatchBuild keeps the quick path's esbuild options in
// step with build's: the options that shape the output must agree.
func TestTransformOptionsMatchBuild(t *testing.T) {
	o := transformOptions("a.ts", api.LoaderTS)
	b := buildOptions("a.ts", "x", api.LoaderTS, api.FormatCommonJS, false, api.SourceMapInline)
	type shaping struct {
		Platform          api.Platform
		Target            api.Target
		Sourcemap         api.SourceMap
		SourcesContent    api.SourcesContent
		Charset           api.Charset
		LegalComments     api.LegalComments
		TreeShaking       api.TreeShaking
		IgnoreAnnotations bool
		Sourcefile        string
		Loader            api.Loader
	}
	got := shaping{o.Platform, o.Target, o.Sourcemap, o.SourcesContent, o.Charset, o.LegalComments, o.TreeShaking, o.IgnoreAnnotations, o.Sourcefile, o.Loader}
	want := shaping{b.Platform, b.Target, b.Sourcemap, b.SourcesContent, b.Charset, b.LegalComments, b.TreeShaking, b.IgnoreAnnotations, b.Stdin.Sourcefile, b.Stdin.Loader}
	if got != want {
		t.Errorf("Transform's options %+v, Build's %+v", got, want)
	}
}
