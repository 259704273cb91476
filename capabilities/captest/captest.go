// Package captest holds the checks every capability kind must pass: it is
// registered and well-formed, its props decode strictly, and its TypeScript
// declaration matches a golden file.
package captest

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Check runs the conformance checks for the kind registered under id. The
// golden TypeScript declaration lives in testdata/ID.d.ts of the calling
// package; run `go test -update` to rewrite it.
func Check(t *testing.T, id string) {
	t.Helper()
	k, err := capabilities.Lookup(id)
	if err != nil {
		t.Fatalf("kind %s: %v", id, err)
	}
	t.Run("props schema", func(t *testing.T) {
		fields, err := capabilities.PropsSchema(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			if f.Doc == "" || f.Type == "" {
				t.Fatalf("field %+v lacks doc or type", f)
			}
		}
	})
	t.Run("unknown props field", func(t *testing.T) {
		_, _, err := capabilities.Decode(id, []byte(`{"no_such_field_anywhere": 1}`))
		if !errors.Is(err, capabilities.ErrProps) || !strings.Contains(err.Error(), "no_such_field_anywhere") {
			t.Fatalf("err = %v, want ErrProps naming the field", err)
		}
	})
	t.Run("malformed props", func(t *testing.T) {
		for _, bad := range []string{`[]`, `{"a":`, `{} {}`, `"x"`} {
			if _, _, err := capabilities.Decode(id, []byte(bad)); !errors.Is(err, capabilities.ErrProps) {
				t.Fatalf("props %s: err = %v, want ErrProps", bad, err)
			}
		}
	})
	t.Run("methods declared", func(t *testing.T) {
		inst := k.New()
		if len(inst.Methods()) == 0 {
			t.Fatal("no methods")
		}
		for _, m := range inst.Methods() {
			decl, ok := k.Method(m)
			if !ok {
				t.Fatalf("method %s not declared", m)
			}
			if !strings.Contains(k.TypeScript, decl.Name+"(") {
				t.Fatalf("method %s missing from the TypeScript declaration", m)
			}
		}
	})
	t.Run("typescript golden", func(t *testing.T) {
		got, err := capabilities.RenderEnv([]capabilities.Binding{{Name: "cap", Kind: id}})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", id+".d.ts")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("golden file: %v (run go test -update)", err)
		}
		if got != string(want) {
			t.Fatalf("TypeScript declaration differs from %s (run go test -update and review):\n%s", path, got)
		}
	})
}
