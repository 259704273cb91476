package folder_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/folder"
)

// planWorld is a folder with a todo list and a config, and a plan changing
// both and adding a new file in a new directory.
func planWorld(t *testing.T) (string, capabilities.Instance, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	put(t, dir, "todo.md", "- [ ] milk\n- [ ] eggs\n")
	put(t, dir, "config.json", `{"n": 1}`)
	inst := newFolder(t, dir, "")
	plan := captest.MustCall(t, inst, "planEdits", []any{
		map[string]any{"path": "todo.md", "replace": map[string]any{"search": "- [ ] milk", "replacement": "- [x] milk"}},
		map[string]any{"path": "config.json", "json": []any{map[string]any{"op": "set", "pointer": "/n", "value": 2.0}}},
		map[string]any{"path": "log/2026/12.md", "content": "bought milk\n"},
		map[string]any{"path": "todo.md", "replace": map[string]any{"search": "eggs", "replacement": "bread"}},
	}).(map[string]any)
	return dir, inst, plan
}

// unchanged checks the folder is as planWorld made it.
func unchanged(t *testing.T, dir string) {
	t.Helper()
	if got := content(t, dir, "todo.md"); got != "- [ ] milk\n- [ ] eggs\n" {
		t.Fatalf("todo.md = %q", got)
	}
	if got := content(t, dir, "config.json"); got != `{"n": 1}` {
		t.Fatalf("config.json = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); !os.IsNotExist(err) {
		t.Fatalf("log/ exists (%v)", err)
	}
}

func TestPlanAndApply(t *testing.T) {
	dir, inst, plan := planWorld(t)
	unchanged(t, dir) // planning writes nothing
	files := plan["files"].([]any)
	if len(files) != 3 {
		t.Fatalf("plan has %d files, want 3: %v", len(files), plan)
	}
	todo := files[0].(map[string]any)
	wantDiff := "--- a/todo.md\n+++ b/todo.md\n@@ -1,2 +1,2 @@\n-- [ ] milk\n-- [ ] eggs\n+- [x] milk\n+- [ ] bread\n"
	if todo["path"] != "todo.md" || todo["diff"] != wantDiff || !strings.HasPrefix(todo["before"].(string), "sha256:") {
		t.Fatalf("todo.md in the plan = %v\nwant diff %q", todo, wantDiff)
	}
	if nf := files[2].(map[string]any); nf["before"] != nil || !strings.HasPrefix(nf["diff"].(string), "--- /dev/null\n+++ b/log/2026/12.md\n@@ -0,0 +1,1 @@\n+bought milk\n") {
		t.Fatalf("the new file in the plan = %v", nf)
	}
	if s := plan["summary"]; s != "todo.md: +2 -2\nconfig.json: +3 -1\nlog/2026/12.md: new file, +1" {
		t.Fatalf("summary = %q", s)
	}
	res := captest.MustCall(t, inst, "applyEditPlan", plan)
	if !reflect.DeepEqual(res, map[string]any{"applied": []any{"todo.md", "config.json", "log/2026/12.md"}}) {
		t.Fatalf("applyEditPlan = %v", res)
	}
	if got := content(t, dir, "todo.md"); got != "- [x] milk\n- [ ] bread\n" {
		t.Fatalf("todo.md = %q", got)
	}
	if got := content(t, dir, "config.json"); got != "{\n  \"n\": 2\n}\n" {
		t.Fatalf("config.json = %q", got)
	}
	if got := content(t, dir, "log/2026/12.md"); got != "bought milk\n" {
		t.Fatalf("log = %q", got)
	}
	// Applying it again finds the files changed since: nothing happens.
	err := captest.CallErr(t, inst, "changed since the plan", "applyEditPlan", plan)
	if !errors.Is(err, folder.ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
}

func TestPlanNoChanges(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.txt", "same")
	inst := newFolder(t, dir, "")
	plan := captest.MustCall(t, inst, "planEdits", []any{map[string]any{"path": "a.txt", "content": "same"}}).(map[string]any)
	if len(plan["files"].([]any)) != 0 || plan["summary"] != "no changes" {
		t.Fatalf("plan = %v", plan)
	}
	if res := captest.MustCall(t, inst, "applyEditPlan", plan); !reflect.DeepEqual(res, map[string]any{"applied": []any{}}) {
		t.Fatalf("applying an empty plan = %v", res)
	}
	// A new empty file is a change.
	plan = captest.MustCall(t, inst, "planEdits", []any{map[string]any{"path": "empty.txt", "content": ""}}).(map[string]any)
	captest.MustCall(t, inst, "applyEditPlan", plan)
	if got := content(t, dir, "empty.txt"); got != "" {
		t.Fatalf("empty.txt = %q", got)
	}
}

func TestPlanRefused(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.txt", "x")
	put(t, dir, "bin", "\xff")
	inst := newFolder(t, dir, "")
	for _, c := range []struct {
		edit any
		want string
	}{
		{"a.txt", "edit 1: want an object"},
		{map[string]any{"path": "a.txt"}, "exactly one of content, replace or json"},
		{map[string]any{"path": "a.txt", "content": "y", "json": []any{}}, "exactly one"},
		{map[string]any{"path": "a.txt", "delete": true}, `unknown field "delete"`},
		{map[string]any{"path": "a.txt", "replace": map[string]any{"search": "q", "replacement": "r"}}, "does not occur"},
		{map[string]any{"path": "nope.txt", "replace": map[string]any{"search": "q", "replacement": "r"}}, "does not exist"},
		{map[string]any{"path": "a.txt", "json": []any{}}, "not valid JSON"},
		{map[string]any{"path": "bin", "content": "y"}, "not UTF-8 text"},
		{map[string]any{"path": "../a.txt", "content": "y"}, "path refused"},
	} {
		captest.CallErr(t, inst, c.want, "planEdits", []any{c.edit})
	}
	captest.CallErr(t, inst, "0 edits", "planEdits", []any{})
}

func TestApplyStale(t *testing.T) {
	dir, inst, plan := planWorld(t)
	put(t, dir, "config.json", `{"n": 5}`) // changed by someone else since
	err := captest.CallErr(t, inst, `"config.json": the plan does not match the folder: the file changed since the plan`, "applyEditPlan", plan)
	if !errors.Is(err, folder.ErrStale) {
		t.Fatalf("err = %v", err)
	}
	if got := content(t, dir, "todo.md"); got != "- [ ] milk\n- [ ] eggs\n" {
		t.Fatalf("todo.md was written: %q", got)
	}
	// A file the plan creates that appeared since, or one it edits that went.
	_, inst, plan = planWorld(t)
	dir2 := inst.Flow().Shared[len("folder:"):]
	put(t, dir2, "log/2026/12.md", "someone else's")
	captest.CallErr(t, inst, "the plan creates it, but a file is there now", "applyEditPlan", plan)
	_, inst, plan = planWorld(t)
	dir3 := inst.Flow().Shared[len("folder:"):]
	os.Remove(filepath.Join(dir3, "todo.md"))
	captest.CallErr(t, inst, "the file is gone since the plan", "applyEditPlan", plan)
}

// clone deep-copies a plan so a test can alter it.
func clone(plan map[string]any) map[string]any {
	var files []any
	for _, f := range plan["files"].([]any) {
		m := map[string]any{}
		for k, v := range f.(map[string]any) {
			m[k] = v
		}
		files = append(files, m)
	}
	return map[string]any{"files": files, "summary": plan["summary"]}
}

// TestApplyAltered: what is applied is exactly what the plan's diffs show;
// a plan altered after planEdits is refused whole.
func TestApplyAltered(t *testing.T) {
	dir, inst, plan := planWorld(t)
	put(t, dir, "copy.json", `{"n": 1}`)
	alter := []struct {
		name string
		do   func(files []any)
		want string
	}{
		{"a diff line changed", func(fs []any) {
			f := fs[0].(map[string]any)
			f["diff"] = strings.Replace(f["diff"].(string), "+- [x] milk", "+- [x] whisky", 1)
		}, "does not give the content the plan promised"},
		{"the after hash changed", func(fs []any) {
			fs[1].(map[string]any)["after"] = "sha256:00"
		}, "does not give the content the plan promised"},
		{"the path changed", func(fs []any) {
			// copy.json holds what config.json does: only the diff's
			// headers tell them apart.
			fs[1].(map[string]any)["path"] = "copy.json"
		}, "the headers must be"},
		{"the path spelled otherwise", func(fs []any) {
			fs[0].(map[string]any)["path"] = "./todo.md"
		}, "not as planEdits writes it"},
		{"a hunk moved", func(fs []any) {
			f := fs[0].(map[string]any)
			f["diff"] = strings.Replace(f["diff"].(string), "@@ -1,2 +1,2 @@", "@@ -2,2 +2,2 @@", 1)
		}, "the diff does not apply"},
		{"a diff cut short", func(fs []any) {
			f := fs[0].(map[string]any)
			f["diff"] = strings.TrimSuffix(f["diff"].(string), "+- [ ] bread\n")
		}, "counts"},
		{"a file twice", func(fs []any) {
			fs[1] = fs[0]
		}, "comes twice"},
		{"an unknown field", func(fs []any) {
			fs[0].(map[string]any)["content"] = "x"
		}, `unknown field "content"`},
	}
	for _, a := range alter {
		t.Run(a.name, func(t *testing.T) {
			p := clone(plan)
			a.do(p["files"].([]any))
			captest.CallErr(t, inst, a.want, "applyEditPlan", p)
			unchanged(t, dir)
		})
	}
	captest.CallErr(t, inst, "a plan has files and summary", "applyEditPlan", map[string]any{"files": []any{}, "extra": 1.0})
	captest.CallErr(t, inst, "no files array", "applyEditPlan", map[string]any{})
}

// TestApplyRollback: a failure part way through restores every file
// written before it, removes the files and directories it made, and says so.
func TestApplyRollback(t *testing.T) {
	t.Run("a write fails", func(t *testing.T) {
		dir, inst, plan := planWorld(t)
		folder.SetHookBeforeWrite(inst, func(i int, p string) error {
			if i == 2 {
				return errors.New("disk full")
			}
			return nil
		})
		err := captest.CallErr(t, inst, "disk full; the 2 files written before were restored: nothing changed", "applyEditPlan", plan)
		_ = err
		unchanged(t, dir)
	})
	t.Run("a file changes while the plan applies", func(t *testing.T) {
		dir, inst, plan := planWorld(t)
		folder.SetHookBeforeWrite(inst, func(i int, p string) error {
			if i == 1 {
				put(t, dir, "config.json", `{"n": 1, "raced": true}`)
			}
			return nil
		})
		err := captest.CallErr(t, inst, "changed while the plan was applied; the 1 files written before were restored", "applyEditPlan", plan)
		if !errors.Is(err, folder.ErrStale) {
			t.Fatalf("err = %v", err)
		}
		if got := content(t, dir, "todo.md"); got != "- [ ] milk\n- [ ] eggs\n" {
			t.Fatalf("todo.md was not restored: %q", got)
		}
		if got := content(t, dir, "config.json"); got != `{"n": 1, "raced": true}` {
			t.Fatalf("the racing write was lost: %q", got)
		}
	})
	t.Run("a parent became a file", func(t *testing.T) {
		// No hook: a real write error. The plan makes log/2026/12.md; a
		// file named log appears before it is applied.
		dir, inst, plan := planWorld(t)
		put(t, dir, "log", "a file")
		captest.CallErr(t, inst, `"log" is not a directory; the 2 files written before were restored`, "applyEditPlan", plan)
		if got := content(t, dir, "todo.md"); got != "- [ ] milk\n- [ ] eggs\n" {
			t.Fatalf("todo.md = %q", got)
		}
		if got := content(t, dir, "config.json"); got != `{"n": 1}` {
			t.Fatalf("config.json = %q", got)
		}
	})
	t.Run("new directories are removed", func(t *testing.T) {
		dir := t.TempDir()
		put(t, dir, "z.txt", "z")
		inst := newFolder(t, dir, "")
		plan := captest.MustCall(t, inst, "planEdits", []any{
			map[string]any{"path": "a/b/c.txt", "content": "new"},
			map[string]any{"path": "z.txt", "content": "changed"},
		})
		folder.SetHookBeforeWrite(inst, func(i int, p string) error {
			if i == 1 {
				return errors.New("boom")
			}
			return nil
		})
		captest.CallErr(t, inst, "boom; the 1 files written before were restored", "applyEditPlan", plan)
		if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
			t.Fatalf("the directory the plan made is still there (%v)", err)
		}
		if got := content(t, dir, "z.txt"); got != "z" {
			t.Fatalf("z.txt = %q", got)
		}
	})
}

func TestApplyLimits(t *testing.T) {
	dir := t.TempDir()
	inst := newFolder(t, dir, `"max_write_bytes": 100`)
	plan := captest.MustCall(t, inst, "planEdits", []any{map[string]any{"path": "a.txt", "content": strings.Repeat("a", 60)}}).(map[string]any)
	// A plan over the limit cannot be made; nor applied when put together by hand.
	two := clone(plan)
	two["files"] = append(two["files"].([]any), map[string]any{"path": "b.txt", "before": nil, "after": plan["files"].([]any)[0].(map[string]any)["after"],
		"diff": strings.ReplaceAll(plan["files"].([]any)[0].(map[string]any)["diff"].(string), "a.txt", "b.txt")})
	captest.CallErr(t, inst, "over max_write_bytes (100)", "applyEditPlan", two)
	if got := content(t, dir, "a.txt"); got != "<missing>" {
		t.Fatalf("a.txt = %q", got)
	}
	captest.MustCall(t, inst, "applyEditPlan", plan)
}
