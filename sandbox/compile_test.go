package sandbox

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// TestLeanHelpers checks that esbuild's CommonJS helpers were replaced by the
// cheaper ones (leanHelpers): an esbuild upgrade that changes their text
// makes this fail instead of silently costing every isolate more.
func TestLeanHelpers(t *testing.T) {
	m, err := Compile("lean.ts", "export const x = 1\nexport function f() { return 2 }\nexport default { async run() { return x + f() } }\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"for (var name in all)", "for (let key of __getOwnPropNames(from))", "__copyProps(__defProp({}"} {
		if strings.Contains(m.JS, bad) {
			t.Errorf("compiled module still has %q: esbuild's helpers changed; update leanHelperReplacer", bad)
		}
	}
	for _, good := range []string{"for (var names = __getOwnPropNames(all)", "for (let names = __getOwnPropNames(from)", "var __toCommonJS = (mod) => mod;"} {
		if !strings.Contains(m.JS, good) {
			t.Errorf("compiled module lacks %q", good)
		}
	}
	res, err := NewInProcess().Run(context.Background(), &Invocation{Module: m, Entry: EntryRun})
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != int64(3) && res.Value != float64(3) {
		t.Errorf("run = %#v, want 3", res.Value)
	}
}

// TestLoad checks that a module loaded from the JavaScript Compile made
// runs as the compiled one does, stack traces naming the original lines,
// without running esbuild again.
func TestLoad(t *testing.T) {
	src := "export default {\n  async run(n: number) {\n    if (n > 1) return n * 2\n    throw new Error('small')\n  }\n}\n"
	m, err := Compile("load.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	before := Stats()
	l, err := Load(m.Filename, m.Hash, m.JS)
	if err != nil {
		t.Fatal(err)
	}
	if after := Stats(); after.Compiles != before.Compiles || after.Checks != before.Checks {
		t.Fatalf("Load ran esbuild: stats %+v → %+v", before, after)
	}
	if l.Hash != m.Hash || l.Filename != m.Filename || l.JS != m.JS {
		t.Fatalf("loaded module %+v", l)
	}
	res, err := NewInProcess().Run(context.Background(), &Invocation{Module: l, Input: 3.0})
	if err != nil || (res.Value != int64(6) && res.Value != float64(6)) {
		t.Fatalf("run = %#v, %v; want 6", res.Value, err)
	}
	_, err = NewInProcess().Run(context.Background(), &Invocation{Module: l, Input: 1.0})
	var se *ScriptError
	if !errors.As(err, &se) || se.Message != "small" || !strings.Contains(se.Stack, "load.ts:4") {
		t.Fatalf("error = %#v, want ScriptError small at load.ts:4", err)
	}
	if _, err := Load("bad.js", "h", "(function (module, exports, require) { return ) })"); err == nil {
		t.Fatal("Load took broken JavaScript")
	} else if ce := (*CompileError)(nil); !errors.As(err, &ce) {
		t.Fatalf("Load error %T, want *CompileError", err)
	}
	if _, err := Load("a.js", "", m.JS); err == nil {
		t.Fatal("Load took a module with no hash")
	}
}

// TestCJSExports checks the exports read from the CommonJS output against
// esbuild's metafile, and that text of the module cannot pass for them.
func TestCJSExports(t *testing.T) {
	fake := "const s = `\n__export(a_exports, {\n  default: () => q\n});\nmodule.exports = __toCommonJS(a_exports);\n`;\n"
	for _, src := range []string{
		"export default { async run() {} }",
		"export const x = 1; let y = 2; export { y as \"a b\", y as z }; export default function () {}",
		"const q = {}; export { q as default }",
		"export default class {}; export async function f() {}; export let k",
		"export const x = 1",
		"const a = 1",
		fake + "export const x = 1",
		fake + "const a = 1",
		"var __defProp = Object.defineProperty;\n" + fake,
	} {
		want, werr := check("a.ts", src, loaderFor("a.ts"))
		r := build("a.ts", src, loaderFor("a.ts"), api.FormatCommonJS, false, api.SourceMapInline)
		if len(r.OutputFiles) != 1 {
			t.Fatalf("%q: no output", src)
		}
		got, ok := cjsExports(string(r.OutputFiles[0].Contents))
		if !ok && werr == nil && !strings.Contains(src, "\"") {
			t.Errorf("%q: exports not read from the CommonJS output: Compile builds twice", src)
		}
		if ok && werr == nil && !slices.Equal(got, want) {
			t.Errorf("%q: exports %q, metafile says %q", src, got, want)
		}
		// Compile, which reads them, agrees with check.
		_, cerr := Compile("a.ts", src)
		var ce *CompileError
		if (werr == nil) != (cerr == nil) || (werr != nil && (!errors.As(cerr, &ce) || cerr.Error() != werr.Error())) {
			t.Errorf("%q: Compile error %v, check error %v", src, cerr, werr)
		}
	}
}
