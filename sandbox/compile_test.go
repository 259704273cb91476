package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"
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
