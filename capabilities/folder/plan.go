package folder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"

	"littleboxes/capabilities"
	"littleboxes/capabilities/textdiff"
)

// Plan bounds.
const (
	// MaxPlanEdits bounds the edits planEdits takes.
	MaxPlanEdits = 1000
	// MaxPlanFiles bounds the files one plan changes.
	MaxPlanFiles = 100
)

// planned is one file of a plan as planEdits works it out.
type planned struct {
	path   string
	exists bool
	before string
	after  string
}

func (f *Folder) planEdits(ctx context.Context, args []any) (any, error) {
	edits := args[0].([]any)
	if len(edits) == 0 || len(edits) > MaxPlanEdits {
		return nil, fmt.Errorf("folder planEdits: %d edits, want 1 to %d", len(edits), MaxPlanEdits)
	}
	var order []*planned
	byPath := map[string]*planned{}
	for i, e := range edits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("folder planEdits: edit %d: want an object { path, content | replace | json }, got %s", i+1, capabilities.Describe(e))
		}
		ps, ok := m["path"].(string)
		if !ok {
			return nil, fmt.Errorf("folder planEdits: edit %d: path must be a string", i+1)
		}
		p, err := cleanPath("planEdits", ps, false)
		if err != nil {
			return nil, fmt.Errorf("edit %d: %w", i+1, err)
		}
		var kinds []string
		for k := range m {
			switch k {
			case "path":
			case "content", "replace", "json":
				kinds = append(kinds, k)
			default:
				return nil, fmt.Errorf("folder planEdits: edit %d (%s): unknown field %q (an edit has path and one of content, replace, json)", i+1, p, k)
			}
		}
		if len(kinds) != 1 {
			return nil, fmt.Errorf("folder planEdits: edit %d (%s): give exactly one of content, replace or json", i+1, p)
		}
		pl := byPath[p]
		if pl == nil {
			if len(order) == MaxPlanFiles {
				return nil, fmt.Errorf("folder planEdits: %w: more than %d files in one plan", ErrTooLarge, MaxPlanFiles)
			}
			if err := f.checkWritable("planEdits", p); err != nil {
				return nil, err
			}
			fl, exists, err := f.currentText("planEdits", p)
			if err != nil {
				return nil, err
			}
			pl = &planned{path: p, exists: exists, before: string(fl.data), after: string(fl.data)}
			byPath[p] = pl
			order = append(order, pl)
		}
		switch kinds[0] {
		case "content":
			s, ok := m["content"].(string)
			if !ok || !utf8.ValidString(s) {
				return nil, fmt.Errorf("folder planEdits: edit %d (%s): content must be a string", i+1, p)
			}
			pl.after = s
		case "replace":
			r, ok := m["replace"].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("folder planEdits: edit %d (%s): replace must be an object { search, replacement }", i+1, p)
			}
			if !pl.exists && pl.after == "" {
				return nil, f.fsErr("planEdits", p, fs.ErrNotExist)
			}
			if pl.after, _, err = replaceIn("planEdits", p, pl.after, r); err != nil {
				return nil, fmt.Errorf("edit %d: %w", i+1, err)
			}
		case "json":
			ops, ok := m["json"].([]any)
			if !ok {
				return nil, fmt.Errorf("folder planEdits: edit %d (%s): json must be an array of ops", i+1, p)
			}
			if pl.after, err = applyJSONOps("planEdits", p, pl.after, ops); err != nil {
				return nil, fmt.Errorf("edit %d: %w", i+1, err)
			}
		}
		if int64(len(pl.after)) > f.maxFileBytes() {
			return nil, fmt.Errorf("folder planEdits %q: %w: %d bytes, over max_file_bytes (%d)", p, ErrTooLarge, len(pl.after), f.maxFileBytes())
		}
	}
	files := []any{}
	var summary []string
	var total int64
	for _, pl := range order {
		if pl.exists && pl.after == pl.before {
			continue
		}
		total += int64(len(pl.after))
		d := planDiff(pl.path, pl.exists, pl.before, pl.after)
		var before any
		if pl.exists {
			before = hashOf([]byte(pl.before))
		}
		files = append(files, map[string]any{"path": pl.path, "before": before, "after": hashOf([]byte(pl.after)), "diff": d})
		summary = append(summary, summarize(pl.path, pl.exists, d))
	}
	if total > f.maxWriteBytes() {
		return nil, fmt.Errorf("folder planEdits: %w: the plan writes %d bytes, over max_write_bytes (%d)", ErrTooLarge, total, f.maxWriteBytes())
	}
	if len(summary) == 0 {
		summary = []string{"no changes"}
	}
	return map[string]any{"files": files, "summary": strings.Join(summary, "\n")}, nil
}

// planDiff is a plan file's diff: "a/PATH" (or /dev/null for a new file)
// to "b/PATH"; a new empty file is the headers alone.
func planDiff(p string, exists bool, before, after string) string {
	from := "a/" + p
	if !exists {
		from = "/dev/null"
	}
	d := textdiff.Unified(from, "b/"+p, before, after)
	if d == "" {
		d = "--- " + from + "\n+++ b/" + p + "\n"
	}
	return d
}

// summarize is a plan file's summary line: "notes/a.md: +3 -1".
func summarize(p string, isOld bool, diff string) string {
	add, del := 0, 0
	for i, l := range strings.Split(diff, "\n") {
		switch {
		case i < 2:
		case strings.HasPrefix(l, "+"):
			add++
		case strings.HasPrefix(l, "-"):
			del++
		}
	}
	if !isOld {
		return fmt.Sprintf("%s: new file, +%d", p, add)
	}
	return fmt.Sprintf("%s: +%d -%d", p, add, del)
}

// step is one file of a plan being applied.
type step struct {
	path    string
	exists  bool
	before  []byte
	mode    fs.FileMode
	after   []byte
	wantOld string // the plan's before hash, "" for a new file
}

func (f *Folder) applyEditPlan(ctx context.Context, args []any) (any, error) {
	if err := f.writable("applyEditPlan"); err != nil {
		return nil, err
	}
	plan := args[0].(map[string]any)
	for k := range plan {
		if k != "files" && k != "summary" {
			return nil, fmt.Errorf("folder applyEditPlan: a plan has files and summary, not %q: pass planEdits' result unchanged", k)
		}
	}
	fs_, ok := plan["files"].([]any)
	if !ok {
		return nil, fmt.Errorf("folder applyEditPlan: the plan has no files array: pass planEdits' result unchanged")
	}
	if len(fs_) > MaxPlanFiles {
		return nil, fmt.Errorf("folder applyEditPlan: %w: %d files, at most %d", ErrTooLarge, len(fs_), MaxPlanFiles)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Phase 1: check every file and work out its new content; nothing is
	// written unless all of them check.
	var steps []step
	seen := map[string]bool{}
	var total int64
	for i, x := range fs_ {
		st, err := f.checkStep(i, x)
		if err != nil {
			return nil, err
		}
		if seen[st.path] {
			return nil, fmt.Errorf("folder applyEditPlan: file %d: %q comes twice in the plan", i+1, st.path)
		}
		seen[st.path] = true
		total += int64(len(st.after))
		steps = append(steps, st)
	}
	if total > f.maxWriteBytes() {
		return nil, fmt.Errorf("folder applyEditPlan: %w: the plan writes %d bytes, over max_write_bytes (%d)", ErrTooLarge, total, f.maxWriteBytes())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Phase 2: write them in order; on any failure restore those written.
	var done []step
	var made [][]string
	for i, st := range steps {
		err := f.writeStep(i, st, &made)
		if err != nil {
			if rerr := f.rollback(done, made); rerr != nil {
				return nil, fmt.Errorf("%w; and restoring the %d files written before failed: %v", err, len(done), rerr)
			}
			return nil, fmt.Errorf("%w; the %d files written before were restored: nothing changed", err, len(done))
		}
		done = append(done, st)
	}
	applied := make([]any, len(steps))
	for i, st := range steps {
		applied[i] = st.path
	}
	return map[string]any{"applied": applied}, nil
}

// checkStep checks the i-th file of a plan against the folder and works out
// its new content by applying the plan's diff to the file as it is now.
func (f *Folder) checkStep(i int, x any) (step, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return step{}, fmt.Errorf("folder applyEditPlan: file %d: want { path, before, after, diff }, got %s", i+1, capabilities.Describe(x))
	}
	for k := range m {
		switch k {
		case "path", "before", "after", "diff":
		default:
			return step{}, fmt.Errorf("folder applyEditPlan: file %d: unknown field %q (a plan file has path, before, after, diff)", i+1, k)
		}
	}
	ps, ok1 := m["path"].(string)
	after, ok2 := m["after"].(string)
	d, ok3 := m["diff"].(string)
	before, ok4 := m["before"].(string)
	if !ok1 || !ok2 || !ok3 || !(ok4 || m["before"] == nil) {
		return step{}, fmt.Errorf("folder applyEditPlan: file %d: path, after and diff must be strings and before a string or null", i+1)
	}
	p, err := cleanPath("applyEditPlan", ps, false)
	if err != nil {
		return step{}, err
	}
	if p != ps {
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: the path is not as planEdits writes it (%q)", ps, ErrStale, p)
	}
	if err := f.checkWritable("applyEditPlan", p); err != nil {
		return step{}, err
	}
	fl, exists, err := f.current("applyEditPlan", p)
	if err != nil {
		return step{}, err
	}
	switch {
	case exists && !ok4:
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: the plan creates it, but a file is there now; plan again", p, ErrStale)
	case !exists && ok4:
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: the file is gone since the plan; plan again", p, ErrStale)
	case exists && hashOf(fl.data) != before:
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: the file changed since the plan; plan again", p, ErrStale)
	}
	from := "a/" + p
	if !exists {
		from = "/dev/null"
	}
	var newText string
	if strings.TrimSuffix(d, "\n") == "--- "+from+"\n+++ b/"+p && !exists {
		newText = "" // a new empty file
	} else if newText, err = textdiff.Apply(string(fl.data), d, from, "b/"+p); err != nil {
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: %v", p, ErrStale, err)
	}
	if hashOf([]byte(newText)) != after {
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: its diff does not give the content the plan promised (the plan was altered)", p, ErrStale)
	}
	if int64(len(newText)) > f.maxFileBytes() {
		return step{}, fmt.Errorf("folder applyEditPlan %q: %w: %d bytes, over max_file_bytes (%d)", p, ErrTooLarge, len(newText), f.maxFileBytes())
	}
	mode := fs.FileMode(0o644)
	if exists {
		mode = fl.mode
	}
	return step{path: p, exists: exists, before: fl.data, mode: mode, after: []byte(newText), wantOld: before}, nil
}

// writeStep writes one file of a plan, after checking again that it is as
// the plan found it; it appends the directories it made to made.
func (f *Folder) writeStep(i int, st step, made *[][]string) error {
	if f.hookBeforeWrite != nil {
		if err := f.hookBeforeWrite(i, st.path); err != nil {
			return fmt.Errorf("folder applyEditPlan %q: %w", st.path, err)
		}
	}
	fl, exists, err := f.current("applyEditPlan", st.path)
	if err != nil {
		return err
	}
	if exists != st.exists || (exists && hashOf(fl.data) != st.wantOld) {
		return fmt.Errorf("folder applyEditPlan %q: %w: the file changed while the plan was applied", st.path, ErrStale)
	}
	dirs, err := f.writeAtomic("applyEditPlan", st.path, st.after, st.mode)
	if err != nil {
		return err
	}
	*made = append(*made, dirs)
	return nil
}

// rollback restores the files of done (written, in order) as they were, in
// reverse, and removes the directories the writes made.
func (f *Folder) rollback(done []step, made [][]string) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		st := done[i]
		if st.exists {
			if _, err := f.writeAtomic("applyEditPlan rollback", st.path, st.before, st.mode); err != nil {
				errs = append(errs, err)
			}
		} else if root, err := f.rootFor("applyEditPlan rollback"); err != nil {
			errs = append(errs, err)
		} else if err := root.Remove(st.path); err != nil {
			errs = append(errs, f.fsErr("applyEditPlan rollback", st.path, err))
		}
		if i < len(made) {
			f.removeDirs(made[i])
		}
	}
	return errors.Join(errs...)
}
