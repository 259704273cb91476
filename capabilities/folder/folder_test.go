package folder_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/folder"
)

func TestConformance(t *testing.T) {
	captest.Check(t, folder.ID)
}

func TestProps(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, props, wantErr string
	}{
		{"minimal", `{"path": "` + dir + `"}`, ""},
		{"every prop", `{"path": "` + dir + `", "read_only": true, "max_file_bytes": 10, "max_files": 3, "max_write_bytes": 20, "readers": ["Bob@Example.com", "https://notes.example.com", "public", "agent:digest", "owner"]}`, ""},
		{"no path", `{}`, "path is required"},
		{"relative path", `{"path": "notes"}`, `path "notes" must be absolute: there is no army folder`},
		{"filesystem root", `{"path": "/"}`, "may not be the filesystem's root"},
		{"missing folder", `{"path": "` + dir + `/nope"}`, "no such file"},
		{"a file, not a folder", `{"path": "/etc/hostname"}`, "not a directory"},
		{"negative max_file_bytes", `{"path": "` + dir + `", "max_file_bytes": -1}`, "max_file_bytes is -1"},
		{"huge max_file_bytes", `{"path": "` + dir + `", "max_file_bytes": 67108865}`, "max_file_bytes is 67108865"},
		{"huge max_files", `{"path": "` + dir + `", "max_files": 100001}`, "max_files is 100001"},
		{"huge max_write_bytes", `{"path": "` + dir + `", "max_write_bytes": 268435457}`, "max_write_bytes is 268435457"},
		{"bare name reader", `{"path": "` + dir + `", "readers": ["bob"]}`, `readers[0]: "bob" is not a reader`},
		{"origin with a path", `{"path": "` + dir + `", "readers": ["https://x.example/a"]}`, "is not an origin"},
		{"display-name address", `{"path": "` + dir + `", "readers": ["Bob <bob@example.com>"]}`, "not a bare email address"},
		{"unknown field", `{"path": "` + dir + `", "paht": "x"}`, "paht"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inst, err := capabilities.New(context.Background(), folder.ID, []byte(c.props), nil)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				_ = capabilities.Cleanup(inst)
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	// The prop at fault is named, for the army file to point at it.
	err := capabilities.CheckProps(folder.ID, []byte(`{"path": "rel", "readers": ["a@b.c", "nobody"]}`), nil)
	var paths []string
	for _, pe := range capabilities.PropErrors(err) {
		paths = append(paths, pe.Path)
	}
	if !reflect.DeepEqual(paths, []string{"path", "readers[1]"}) {
		t.Fatalf("prop errors at %v, want [path readers[1]]: %v", paths, err)
	}
}

func TestFlow(t *testing.T) {
	dir := t.TempDir()
	owner := capabilities.NewLabel(capabilities.Owner)
	cases := []struct {
		name, extra     string
		label, audience capabilities.Label
	}{
		{"owner alone", "", owner, owner},
		{"readers", `"readers": ["Bob@Example.com", "https://Notes.Example.com:443", "agent:digest"]`,
			capabilities.NewLabel(capabilities.Owner, capabilities.Person("bob@example.com"), capabilities.Origin("https://notes.example.com"), capabilities.Agent("digest")),
			capabilities.NewLabel(capabilities.Owner, capabilities.Person("bob@example.com"), capabilities.Origin("https://notes.example.com"), capabilities.Agent("digest"))},
		{"public", `"readers": ["public"]`, capabilities.NewLabel(capabilities.Owner, capabilities.Public), capabilities.NewLabel(capabilities.Owner, capabilities.Public)},
		{"read-only writes to nobody but the owner", `"read_only": true, "readers": ["bob@example.com"]`,
			capabilities.NewLabel(capabilities.Owner, capabilities.Person("bob@example.com")), owner},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fl := newFolder(t, dir, c.extra).Flow()
			if !reflect.DeepEqual(fl.Label, c.label) || !reflect.DeepEqual(fl.Audience, c.audience) {
				t.Fatalf("flow = %+v, want label %v audience %v", fl, c.label, c.audience)
			}
			if fl.Shared != "folder:"+dir {
				t.Fatalf("Shared = %q, want folder:%s", fl.Shared, dir)
			}
		})
	}
	tb := capabilities.TableOf(newFolder(t, dir, ""))
	roles := map[string]capabilities.Role{}
	for _, m := range tb.Methods() {
		roles[m.Name] = m.Role
	}
	want := map[string]capabilities.Role{
		"read": capabilities.Source, "list": capabilities.Source, "glob": capabilities.Source, "stat": capabilities.Source,
		"search": capabilities.Source, "diff": capabilities.Source, "readJson": capabilities.Source, "planEdits": capabilities.Source,
		"write": capabilities.Sink, "replace": capabilities.Sink, "updateJson": capabilities.Sink, "applyEditPlan": capabilities.Sink,
	}
	if !reflect.DeepEqual(roles, want) {
		t.Fatalf("roles = %v, want %v", roles, want)
	}
}

// TestFolderIsSymlink: the folder's path may be a symbolic link; it is
// resolved once, and the Shared key names the real folder.
func TestFolderIsSymlink(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	put(t, real, "a.txt", "A")
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	inst := newFolder(t, link, "")
	if got := captest.MustCall(t, inst, "read", "a.txt"); got != "A" {
		t.Fatalf("read = %v", got)
	}
	captest.MustCall(t, inst, "write", "b.txt", "B")
	if got := content(t, real, "b.txt"); got != "B" {
		t.Fatalf("the write landed elsewhere: real/b.txt = %q", got)
	}
	if sh := inst.Flow().Shared; sh != "folder:"+real {
		t.Fatalf("Shared = %q, want the resolved folder", sh)
	}
	// Pointing the link elsewhere later changes nothing for this instance.
	other := filepath.Join(base, "other")
	put(t, other, "a.txt", "OTHER")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, link); err != nil {
		t.Fatal(err)
	}
	if got := captest.MustCall(t, inst, "read", "a.txt"); got != "A" {
		t.Fatalf("after the link moved, read = %v, want the folder resolved at provision", got)
	}
}

func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	inst := newFolder(t, dir, "")
	res := captest.MustCall(t, inst, "write", "notes/日本語/naïve.md", "héllo\n").(map[string]any)
	if res["path"] != "notes/日本語/naïve.md" || res["bytes"] != 7.0 || !strings.HasPrefix(res["hash"].(string), "sha256:") {
		t.Fatalf("write = %v", res)
	}
	if got := captest.MustCall(t, inst, "read", "./notes//日本語/naïve.md"); got != "héllo\n" {
		t.Fatalf("read = %q", got)
	}
	captest.MustCall(t, inst, "write", "bin", []byte{0xff, 0, 1})
	captest.CallErr(t, inst, "not UTF-8 text; read it with { bytes: true }", "read", "bin")
	if got := captest.MustCall(t, inst, "read", "bin", map[string]any{"bytes": true}); !reflect.DeepEqual(got, []byte{0xff, 0, 1}) {
		t.Fatalf("read bytes = %v", got)
	}
	captest.CallErr(t, inst, `unknown option "byte"`, "read", "bin", map[string]any{"byte": true})
	captest.CallErr(t, inst, "file does not exist", "read", "nope.txt")
	captest.CallErr(t, inst, "not a regular file (it is a dir)", "read", "notes")
	captest.CallErr(t, inst, "it is a dir", "write", "notes", "x")
	captest.CallErr(t, inst, "the path is empty", "write", "", "x")
	captest.CallErr(t, inst, `"bin" is not a directory`, "write", "bin/x.txt", "x")
	// A write keeps the file's permissions and leaves no temporary file.
	if err := os.Chmod(filepath.Join(dir, "bin"), 0o600); err != nil {
		t.Fatal(err)
	}
	captest.MustCall(t, inst, "write", "bin", "text")
	if fi, _ := os.Stat(filepath.Join(dir, "bin")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after write = %v", fi.Mode())
	}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("a temporary file was left: %s", e.Name())
		}
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.json", `{"a":1}`)
	inst := newFolder(t, dir, `"read_only": true`)
	for _, c := range []struct {
		method string
		args   []any
	}{
		{"write", []any{"a.json", "x"}},
		{"replace", []any{"a.json", "1", "2"}},
		{"updateJson", []any{"a.json", []any{map[string]any{"op": "delete", "pointer": "/a"}}}},
		{"applyEditPlan", []any{map[string]any{"files": []any{}}}},
	} {
		_, err := capabilities.Call(context.Background(), inst, c.method, c.args)
		if !errors.Is(err, folder.ErrReadOnly) || !strings.Contains(err.Error(), "read_only is set") {
			t.Errorf("%s on a read-only folder: err = %v", c.method, err)
		}
	}
	if got := content(t, dir, "a.json"); got != `{"a":1}` {
		t.Fatalf("a.json = %q", got)
	}
	// Reading, and planning, still work.
	captest.MustCall(t, inst, "readJson", "a.json")
	captest.MustCall(t, inst, "planEdits", []any{map[string]any{"path": "a.json", "content": "{}"}})
}

func TestListGlobStat(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b.md", "a.txt", "notes/x.md", "notes/deep/y.md", "notes/deep/z.txt", ".hidden/h.md"} {
		put(t, dir, p, "x")
	}
	inst := newFolder(t, dir, "")
	l := captest.MustCall(t, inst, "list").(map[string]any)
	var names []string
	for _, e := range l["entries"].([]any) {
		e := e.(map[string]any)
		names = append(names, e["path"].(string)+":"+e["type"].(string))
	}
	if strings.Join(names, ",") != ".hidden:dir,a.txt:file,b.md:file,notes:dir" || l["truncated"] != false {
		t.Fatalf("list = %v", l)
	}
	l = captest.MustCall(t, inst, "list", "notes/deep").(map[string]any)
	if n := len(l["entries"].([]any)); n != 2 {
		t.Fatalf("list notes/deep = %v", l)
	}
	captest.CallErr(t, inst, "not a directory", "list", "a.txt")
	captest.CallErr(t, inst, "file does not exist", "list", "nope")
	for pat, want := range map[string]string{
		"*.md":       "b.md",
		"**/*.md":    ".hidden/h.md,b.md,notes/deep/y.md,notes/x.md",
		"notes/**":   "notes/deep/y.md,notes/deep/z.txt,notes/x.md",
		"notes/*/*":  "notes/deep/y.md,notes/deep/z.txt",
		"**/z.txt":   "notes/deep/z.txt",
		"[ab].*":     "a.txt,b.md",
		"nothing/**": "",
		"notes/?.md": "notes/x.md",
	} {
		g := captest.MustCall(t, inst, "glob", pat).(map[string]any)
		var got []string
		for _, p := range g["paths"].([]any) {
			got = append(got, p.(string))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("glob %q = %v, want %s", pat, got, want)
		}
	}
	captest.CallErr(t, inst, "malformed pattern", "glob", "[a")
	st := captest.MustCall(t, inst, "stat", "notes/x.md").(map[string]any)
	if st["type"] != "file" || st["size"] != 1.0 || st["name"] != "x.md" || !strings.HasSuffix(st["modified"].(string), "Z") {
		t.Fatalf("stat = %v", st)
	}
	if got := captest.MustCall(t, inst, "stat", "missing"); got != nil {
		t.Fatalf("stat of nothing = %v, want null", got)
	}
	if got := captest.MustCall(t, inst, "stat", "a.txt/under"); got != nil {
		t.Fatalf("stat under a file = %v, want null", got)
	}
}

func TestSearch(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.md", "alpha\nBeta beta\r\nγ beta\n")
	put(t, dir, "sub/b.txt", "no match\nbeta at end: beta")
	put(t, dir, "bin.dat", "beta\x00beta")
	inst := newFolder(t, dir, "")
	res := captest.MustCall(t, inst, "search", "beta").(map[string]any)
	want := []any{
		map[string]any{"path": "a.md", "line": 2.0, "column": 6.0, "text": "Beta beta"},
		map[string]any{"path": "a.md", "line": 3.0, "column": 3.0, "text": "γ beta"},
		map[string]any{"path": "sub/b.txt", "line": 2.0, "column": 1.0, "text": "beta at end: beta"},
		map[string]any{"path": "sub/b.txt", "line": 2.0, "column": 14.0, "text": "beta at end: beta"},
	}
	if !reflect.DeepEqual(res["matches"], want) || res["truncated"] != false {
		t.Fatalf("search = %#v", res)
	}
	res = captest.MustCall(t, inst, "search", "^b", map[string]any{"regex": true, "caseSensitive": false, "glob": "**/*.md"}).(map[string]any)
	if m := res["matches"].([]any); len(m) != 1 || m[0].(map[string]any)["line"] != 2.0 {
		t.Fatalf("regex search = %v", res)
	}
	res = captest.MustCall(t, inst, "search", "BETA", map[string]any{"caseSensitive": false}).(map[string]any)
	if m := res["matches"].([]any); len(m) != 5 || m[0].(map[string]any)["column"] != 1.0 {
		t.Fatalf("case-insensitive search = %v", res)
	}
	res = captest.MustCall(t, inst, "search", "beta", map[string]any{"maxResults": 2.0}).(map[string]any)
	if len(res["matches"].([]any)) != 2 || res["truncated"] != true {
		t.Fatalf("bounded search = %v", res)
	}
	res = captest.MustCall(t, inst, "search", "beta", map[string]any{"dir": "sub"}).(map[string]any)
	if len(res["matches"].([]any)) != 2 {
		t.Fatalf("search in sub = %v", res)
	}
	captest.CallErr(t, inst, "regular expression", "search", "(", map[string]any{"regex": true})
	captest.CallErr(t, inst, "options.maxResults", "search", "x", map[string]any{"maxResults": 1001.0})
	captest.CallErr(t, inst, `unknown option "limit"`, "search", "x", map[string]any{"limit": 1.0})
	captest.CallErr(t, inst, "the query is 0 bytes", "search", "")
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.md", "- [ ] milk\n- [ ] eggs\n")
	inst := newFolder(t, dir, "")
	res := captest.MustCall(t, inst, "replace", "a.md", "- [ ]", "- [x]").(map[string]any)
	if res["replacements"] != 2.0 || content(t, dir, "a.md") != "- [x] milk\n- [x] eggs\n" {
		t.Fatalf("replace = %v, file %q", res, content(t, dir, "a.md"))
	}
	captest.MustCall(t, inst, "replace", "a.md", `\[x\] (\w+)`, "[ ] ${1}!", map[string]any{"regex": true, "expect": 2.0})
	if got := content(t, dir, "a.md"); got != "- [ ] milk!\n- [ ] eggs!\n" {
		t.Fatalf("regex replace gave %q", got)
	}
	err := captest.CallErr(t, inst, "1 occurrences", "replace", "a.md", "milk", "tea", map[string]any{"expect": 2.0})
	if !errors.Is(err, folder.ErrNoMatch) {
		t.Fatalf("err = %v, want ErrNoMatch", err)
	}
	captest.CallErr(t, inst, "does not occur; nothing was written", "replace", "a.md", "bread", "tea")
	captest.CallErr(t, inst, "there is no dryRun option: planEdits", "replace", "a.md", "milk", "tea", map[string]any{"dryRun": true})
	captest.CallErr(t, inst, "file does not exist", "replace", "nope.md", "a", "b")
	if got := content(t, dir, "a.md"); got != "- [ ] milk!\n- [ ] eggs!\n" {
		t.Fatalf("a refused replace wrote %q", got)
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.txt", "one\ntwo\nthree\n")
	inst := newFolder(t, dir, "")
	if got := captest.MustCall(t, inst, "diff", "x\n", "x\n"); got != "" {
		t.Fatalf("diff of equal texts = %q", got)
	}
	want := "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
	if got := captest.MustCall(t, inst, "diff", "a\nb\n", "a\nc\n"); got != want {
		t.Fatalf("diff = %q, want %q", got, want)
	}
	want = "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"
	if got := captest.MustCall(t, inst, "diff", map[string]any{"path": "a.txt"}, "one\n2\nthree\n"); got != want {
		t.Fatalf("file diff = %q, want %q", got, want)
	}
	want = "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,1 @@\n+hi\n\\ No newline at end of file\n"
	if got := captest.MustCall(t, inst, "diff", map[string]any{"path": "new.txt"}, "hi"); got != want {
		t.Fatalf("new-file diff = %q, want %q", got, want)
	}
	captest.CallErr(t, inst, "argument 1 (before): want a string or { path: string }, got the number 3", "diff", 3.0, "x")
	captest.CallErr(t, inst, "want a string or { path: string }", "diff", map[string]any{"file": "a.txt"}, "x")
}

func TestJSON(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "c.json", `{"name": "notes", "tags": ["a"], "deep": {"x": 1, "y": 2}}`)
	put(t, dir, "bad.json", `{"a": `)
	inst := newFolder(t, dir, "")
	got := captest.MustCall(t, inst, "readJson", "c.json")
	want := map[string]any{"name": "notes", "tags": []any{"a"}, "deep": map[string]any{"x": 1.0, "y": 2.0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("readJson = %v", got)
	}
	captest.CallErr(t, inst, "not valid JSON", "readJson", "bad.json")
	captest.MustCall(t, inst, "updateJson", "c.json", []any{
		map[string]any{"op": "set", "pointer": "/tags/-", "value": "b"},
		map[string]any{"op": "set", "pointer": "/new/path/here", "value": true},
		map[string]any{"op": "delete", "pointer": "/deep/x"},
		map[string]any{"op": "delete", "pointer": "/absent/thing"},
		map[string]any{"op": "merge", "pointer": "/deep", "value": map[string]any{"z": "<&>", "y": nil}},
		map[string]any{"op": "set", "pointer": "/a~1b", "value": 1.0},
	})
	wantFile := `{
  "a/b": 1,
  "deep": {
    "z": "<&>"
  },
  "name": "notes",
  "new": {
    "path": {
      "here": true
    }
  },
  "tags": [
    "a",
    "b"
  ]
}
`
	if got := content(t, dir, "c.json"); got != wantFile {
		t.Fatalf("c.json =\n%s\nwant\n%s", got, wantFile)
	}
	// Numbers are kept digit for digit, even past 2^53.
	put(t, dir, "ids.json", `{"id": 12345678901234567890, "f": 1.50}`)
	captest.MustCall(t, inst, "updateJson", "ids.json", []any{map[string]any{"op": "set", "pointer": "/n", "value": 2.0}})
	if got := content(t, dir, "ids.json"); got != "{\n  \"f\": 1.50,\n  \"id\": 12345678901234567890,\n  \"n\": 2\n}\n" {
		t.Fatalf("ids.json = %q", got)
	}
	captest.MustCall(t, inst, "updateJson", "fresh.json", []any{map[string]any{"op": "set", "pointer": "/v", "value": 1.0}})
	if got := content(t, dir, "fresh.json"); got != "{\n  \"v\": 1\n}\n" {
		t.Fatalf("fresh.json = %q", got)
	}
	for _, c := range []struct {
		op   map[string]any
		want string
	}{
		{map[string]any{"op": "set", "pointer": "/name/x", "value": 1.0}, `goes into a string`},
		{map[string]any{"op": "set", "pointer": "/tags/5", "value": 1.0}, "past the end"},
		{map[string]any{"op": "set", "pointer": "tags", "value": 1.0}, `must be "" or start with "/"`},
		{map[string]any{"op": "set", "pointer": "/x"}, "needs a value"},
		{map[string]any{"op": "set", "pointer": "/x", "value": []byte("b")}, "which JSON cannot"},
		{map[string]any{"op": "move", "pointer": "/x"}, `want "set", "delete" or "merge"`},
		{map[string]any{"op": "delete", "pointer": "/x", "value": 1.0}, `has no field "value"`},
		{map[string]any{"op": "merge", "value": 3.0}, "must be an object"},
	} {
		before := content(t, dir, "c.json")
		captest.CallErr(t, inst, c.want, "updateJson", "c.json", []any{c.op})
		if content(t, dir, "c.json") != before {
			t.Fatalf("a refused op %v changed the file", c.op)
		}
	}
	captest.CallErr(t, inst, "not valid JSON", "updateJson", "bad.json", []any{map[string]any{"op": "delete", "pointer": "/a"}})
}

func TestClosed(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.txt", "a")
	inst, err := capabilities.New(context.Background(), folder.ID, []byte(`{"path": "`+dir+`"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := capabilities.Cleanup(inst); err != nil {
		t.Fatal(err)
	}
	if err := capabilities.Cleanup(inst); err != nil {
		t.Fatalf("a second Cleanup: %v", err)
	}
	for _, m := range []struct {
		name string
		args []any
	}{{"read", []any{"a.txt"}}, {"write", []any{"a.txt", "b"}}, {"list", nil}, {"search", []any{"a"}}} {
		if _, err := capabilities.Call(context.Background(), inst, m.name, m.args); !errors.Is(err, folder.ErrClosed) {
			t.Errorf("%s after Cleanup: err = %v, want ErrClosed", m.name, err)
		}
	}
}

// TestConcurrent runs writers, plans and readers on one instance at once
// (run it with -race): every read sees a whole file, and every plan applies
// whole or not at all.
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.txt", "0\n")
	put(t, dir, "b.txt", "0\n")
	inst := newFolder(t, dir, "")
	done := make(chan error, 4)
	for w := range 4 {
		go func() { // owned by this test; sends once when done
			for i := range 25 {
				switch w {
				case 0, 1:
					v := fmt.Sprintf("%d-%d\n", w, i)
					plan, err := capabilities.Call(context.Background(), inst, "planEdits", []any{[]any{
						map[string]any{"path": "a.txt", "content": v}, map[string]any{"path": "b.txt", "content": v},
					}})
					if err != nil {
						done <- err
						return
					}
					if _, err := capabilities.Call(context.Background(), inst, "applyEditPlan", []any{plan}); err != nil && !errors.Is(err, folder.ErrStale) {
						done <- err
						return
					}
				default:
					got, err := capabilities.Call(context.Background(), inst, "read", []any{"a.txt"})
					if err != nil || !strings.HasSuffix(got.(string), "\n") {
						done <- fmt.Errorf("read a.txt = %q, %v", got, err)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if a, b := content(t, dir, "a.txt"), content(t, dir, "b.txt"); a != b {
		t.Fatalf("a plan applied in part: a.txt %q, b.txt %q", a, b)
	}
}
