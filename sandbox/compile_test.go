package sandbox

import (
	"context"
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
