package folder_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"littleboxes/capabilities"
	"littleboxes/capabilities/folder"
)

// FuzzPath checks the path handling: whatever the agent gives, cleanPath
// refuses it with ErrPath or returns a relative path without "..", and
// reading, writing, listing and stat'ing it on a real folder never reaches
// the directory beside it (which holds a symlink target) nor panics.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", "/etc/passwd", "a/../../b", "link/x", "sub/./b", "a//b", ".", "", "..", "a\x00b", "ü/ñ.md", `a\b`, "link", "d/../link/secret.txt", strings.Repeat("a/", 300)} {
		f.Add(s)
	}
	base := f.TempDir()
	root, outside := filepath.Join(base, "folder"), filepath.Join(base, "outside")
	put(f, outside, "secret.txt", secret)
	put(f, root, "d/file.txt", "inside")
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		f.Fatal(err)
	}
	inst := newFolder(f, root, "")
	f.Fuzz(func(t *testing.T, p string) {
		c, err := folder.CleanPath("fuzz", p, false)
		if err != nil {
			if !errors.Is(err, folder.ErrPath) {
				t.Fatalf("cleanPath(%q): err = %v, want ErrPath", p, err)
			}
		} else {
			switch {
			case strings.HasPrefix(c, "/"), c == "..", strings.HasPrefix(c, "../"), strings.Contains(c, "/../"), strings.HasSuffix(c, "/.."):
				t.Fatalf("cleanPath(%q) = %q leaves the folder", p, c)
			case !utf8.ValidString(c), strings.ContainsAny(c, "\x00\\\n"):
				t.Fatalf("cleanPath(%q) = %q is malformed", p, c)
			}
		}
		ctx := context.Background()
		for _, m := range []struct {
			name string
			args []any
		}{{"read", []any{p}}, {"stat", []any{p}}, {"list", []any{p}}, {"write", []any{p, "w"}}, {"glob", []any{p}}} {
			got, err := capabilities.Call(ctx, inst, m.name, m.args)
			if err == nil && strings.Contains(describeAll(got), secret) {
				t.Fatalf("%s(%q) reached the secret: %v", m.name, p, got)
			}
		}
		if got := content(t, outside, "secret.txt"); got != secret {
			t.Fatalf("after %q the outside secret is %q", p, got)
		}
		if es, _ := os.ReadDir(outside); len(es) != 1 {
			t.Fatalf("after %q the outside directory holds %d entries", p, len(es))
		}
	})
}

// describeAll flattens a result for a substring check.
func describeAll(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case []any:
		var b strings.Builder
		for _, x := range v {
			b.WriteString(describeAll(x))
		}
		return b.String()
	case map[string]any:
		var b strings.Builder
		for _, x := range v {
			b.WriteString(describeAll(x))
		}
		return b.String()
	}
	return ""
}

// FuzzProps checks that any props either pass CheckProps or fail with
// ErrProps naming a prop, and never panic. (It does not provision: that
// would open whatever folder the fuzzer names.)
func FuzzProps(f *testing.F) {
	for _, s := range []string{`{"path": "/tmp"}`, `{"path": "rel"}`, `{"path": "/", "readers": ["x"]}`, `{"path": "/a", "readers": ["a@b.c", "https://x.y:1", "agent:", "public"]}`, `{}`, `null`, `{"max_files": -1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, props []byte) {
		err := capabilities.CheckProps(folder.ID, props, nil)
		if err != nil && !errors.Is(err, capabilities.ErrProps) {
			t.Fatalf("err = %v, want ErrProps", err)
		}
		if err != nil {
			return
		}
		inst, _, err := capabilities.Decode(folder.ID, props)
		if err != nil {
			t.Fatal(err)
		}
		fl := inst.Flow()
		if !fl.Label.Has(capabilities.Owner) || !strings.HasPrefix(fl.Shared, "folder:/") {
			t.Fatalf("flow of %s = %+v", props, fl)
		}
	})
}
