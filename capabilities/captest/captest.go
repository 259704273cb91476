// Package captest holds the checks every capability kind must pass: it is
// registered and well-formed, its props decode strictly, its method table is
// consistent (a call to a method it lacks, or with too many arguments, is a
// CallError naming what is valid), and its TypeScript declaration matches a
// golden file. A dynamic kind's table is known only once an instance is
// provisioned: CheckTable checks such an instance's table.
package captest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
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
	t.Run("method table", func(t *testing.T) {
		if k.Dynamic {
			if inst := k.New(); capabilities.TableOf(inst) != k.Table {
				t.Fatal("an unprovisioned instance of a dynamic kind should have the kind's table")
			}
			return
		}
		if len(k.Table.Names()) == 0 {
			t.Fatal("no methods")
		}
		inst := k.New()
		if got := capabilities.TableOf(inst); got != k.Table {
			t.Fatalf("TableOf(a new %s) is not the kind's table", id)
		}
		CheckTable(t, inst)
	})
	t.Run("typescript golden", func(t *testing.T) {
		got, err := capabilities.RenderEnv([]capabilities.Binding{{Name: "cap", Kind: id}})
		if err != nil {
			t.Fatal(err)
		}
		Golden(t, filepath.Join("testdata", id+".d.ts"), []byte(got))
	})
}

// Golden checks got against the golden file at path (testdata/NAME, say);
// with `go test -update` it first rewrites the file, creating its folder.
func Golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the output differs from %s (run go test -update and review):\n%s", path, got)
	}
}

// CheckTable checks the method table of inst (capabilities.TableOf): every
// name is a JavaScript identifier and comes once, every method has a valid
// role, a doc line and a TypeScript signature, the rendered interface
// declares each method, and a call to a method the table lacks, or with one
// argument too many, is a *capabilities.CallError that names what is valid
// and never reaches the method's function. For a dynamic kind, pass an
// instance as provisioned.
func CheckTable(t *testing.T, inst capabilities.Instance) {
	t.Helper()
	tb := capabilities.TableOf(inst)
	seen := map[string]bool{}
	for _, m := range tb.Methods() {
		if seen[m.Name] {
			t.Errorf("method %s comes twice", m.Name)
		}
		seen[m.Name] = true
		switch m.Role {
		case capabilities.Pure, capabilities.Source, capabilities.Sink, capabilities.Exchange:
		default:
			t.Errorf("method %s has role %q", m.Name, m.Role)
		}
		if m.Doc == "" || m.TS == "" || m.Fn == nil {
			t.Errorf("method %s lacks a doc, a TypeScript signature or a function", m.Name)
		}
	}
	if got := strings.Join(tb.Names(), ","); got != strings.Join(keys(tb), ",") {
		t.Errorf("Names() = %s, want the methods' names in order", got)
	}
	ts := tb.TypeScript()
	if !strings.Contains(ts, "interface "+tb.Interface()+" {") {
		t.Errorf("the TypeScript does not declare interface %s:\n%s", tb.Interface(), ts)
	}
	for _, m := range tb.Methods() {
		if !strings.Contains(ts, "  "+m.TS+";\n") {
			t.Errorf("the TypeScript does not declare %s:\n%s", m.Name, ts)
		}
	}
	ctx := context.Background()
	_, err := capabilities.Call(ctx, inst, "noSuchMethodAnywhere", nil)
	var ce *capabilities.CallError
	if !errors.As(err, &ce) || !ce.Unknown || !ce.TypeError() {
		t.Fatalf("calling an unknown method: err = %v, want a *CallError", err)
	}
	msg := ce.In("cap")
	if !strings.HasPrefix(msg, "env.cap has no method noSuchMethodAnywhere; it has ") {
		t.Errorf("unknown method message %q", msg)
	}
	for _, n := range tb.Names() {
		if !strings.Contains(msg, n) {
			t.Errorf("unknown method message %q does not name %s", msg, n)
		}
	}
	for _, m := range tb.Methods() {
		args := make([]any, len(m.Params)+1)
		for i := range args {
			args[i] = "x"
		}
		_, err := capabilities.Call(ctx, inst, m.Name, args)
		if !errors.As(err, &ce) || ce.Method != m.Name || !strings.Contains(err.Error(), "got "+strconv.Itoa(len(args))) {
			t.Errorf("%s with %d arguments: err = %v, want a *CallError saying how many it takes", m.Name, len(args), err)
		}
	}
}

func keys(tb *capabilities.Table) []string {
	var out []string
	for _, m := range tb.Methods() {
		out = append(out, m.Name)
	}
	return out
}
