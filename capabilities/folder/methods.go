package folder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"littleboxes/capabilities"
	"littleboxes/capabilities/textdiff"
)

// Search bounds.
const (
	// DefaultMaxResults is how many matches search returns by default.
	DefaultMaxResults = 100
	// MaxResultsCeiling is the most matches search returns.
	MaxResultsCeiling = 1000
	// MaxQueryBytes bounds a search query or replace pattern.
	MaxQueryBytes = 1000
	// maxLineText is where a match's line is cut.
	maxLineText = 500
	// walkFactor: a walk visits at most walkFactor·max_files entries.
	walkFactor = 10
)

// options checks an options object's keys against known.
func options(op string, index int, opts map[string]any, known ...string) error {
	for k := range opts {
		if !slices.Contains(known, k) {
			return fmt.Errorf("folder %s: argument %d (options): unknown option %q (known: %s)", op, index+1, k, strings.Join(known, ", "))
		}
	}
	return nil
}

// optBool reads a boolean option (null or missing is def).
func optBool(op string, index int, opts map[string]any, name string, def bool) (bool, error) {
	v := opts[name]
	if v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("folder %s: %w", op, &capabilities.ArgError{Index: index, Name: "options." + name, Want: "a boolean", Got: v})
	}
	return b, nil
}

func (f *Folder) read(_ context.Context, args []any) (any, error) {
	p, err := cleanPath("read", args[0].(string), false)
	if err != nil {
		return nil, err
	}
	opts, _ := capabilities.OptObject(args, 1, "options")
	if err := options("read", 1, opts, "bytes"); err != nil {
		return nil, err
	}
	asBytes, err := optBool("read", 1, opts, "bytes", false)
	if err != nil {
		return nil, err
	}
	fl, err := f.readRegular("read", p)
	if err != nil {
		return nil, err
	}
	if asBytes {
		return fl.data, nil
	}
	if !utf8.Valid(fl.data) {
		return nil, fmt.Errorf("folder read %q: the file is not UTF-8 text; read it with { bytes: true }", p)
	}
	return string(fl.data), nil
}

// written is what a write resolves to.
func written(p string, data []byte) map[string]any {
	return map[string]any{"path": p, "bytes": float64(len(data)), "hash": hashOf(data)}
}

func (f *Folder) write(ctx context.Context, args []any) (any, error) {
	p, err := f.target("write", args)
	if err != nil {
		return nil, err
	}
	data, _ := capabilities.Bytes(args, 1, "content")
	if int64(len(data)) > f.maxWriteBytes() {
		return nil, fmt.Errorf("folder write %q: %w: %d bytes, over max_write_bytes (%d)", p, ErrTooLarge, len(data), f.maxWriteBytes())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkWritable("write", p); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := f.writeAtomic("write", p, data, f.permOf(p)); err != nil {
		return nil, err
	}
	return written(p, data), nil
}

// permOf is the permission a write of p keeps: the file's own, or 0644.
func (f *Folder) permOf(p string) fs.FileMode {
	if root := f.root.Load(); root != nil {
		if fi, err := root.Lstat(p); err == nil && fi.Mode().IsRegular() {
			return fi.Mode().Perm()
		}
	}
	return 0o644
}

// entry describes a file as FolderEntry.
func entry(p string, fi fs.FileInfo) map[string]any {
	return map[string]any{
		"name":     path.Base(p),
		"path":     p,
		"type":     kindOf(fi.Mode()),
		"size":     float64(fi.Size()),
		"modified": fi.ModTime().UTC().Format(time.RFC3339),
	}
}

// readDir reads a directory's entries sorted by name, at most limit of
// them (truncated when there were more). The directory is opened with
// O_DIRECTORY and O_NONBLOCK, so a FIFO in its place never blocks.
func (f *Folder) readDir(op, dir string, limit int) ([]fs.DirEntry, bool, error) {
	root, err := f.rootFor(op)
	if err != nil {
		return nil, false, err
	}
	d, err := root.OpenFile(dir, os.O_RDONLY|openDirFlags, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, false, fmt.Errorf("folder %s %q: not a directory", op, dir)
		}
		return nil, false, f.fsErr(op, dir, err)
	}
	defer d.Close()
	// Read more than limit, so that what is kept is the first by name of
	// a fair sample; a directory larger than this is cut anyway.
	es, err := d.ReadDir(walkFactor*limit + 1)
	if err != nil && len(es) == 0 && !errors.Is(err, io.EOF) {
		return nil, false, f.fsErr(op, dir, err)
	}
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	truncated := len(es) > limit
	if truncated {
		es = es[:limit]
	}
	return es, truncated, nil
}

func (f *Folder) list(_ context.Context, args []any) (any, error) {
	dir, _ := capabilities.OptString(args, 0, "dir", "")
	p, err := cleanPath("list", dir, true)
	if err != nil {
		return nil, err
	}
	es, truncated, err := f.readDir("list", p, f.maxFiles())
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(es))
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			continue // gone since it was listed
		}
		out = append(out, entry(path.Join(p, e.Name()), fi))
	}
	return map[string]any{"entries": out, "truncated": truncated}, nil
}

func (f *Folder) stat(_ context.Context, args []any) (any, error) {
	p, err := cleanPath("stat", args[0].(string), true)
	if err != nil {
		return nil, err
	}
	root, err := f.rootFor("stat")
	if err != nil {
		return nil, err
	}
	fi, err := root.Lstat(p)
	if err != nil {
		err = f.fsErr("stat", p, err)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return entry(p, fi), nil
}

// errStopWalk ends a walk early, without error.
var errStopWalk = errors.New("stop walking")

// walk visits the entries under dir (cleaned), depth first in name order,
// never following a symbolic link. It stops after budget entries
// (truncated) or when visit returns errStopWalk.
func (f *Folder) walk(ctx context.Context, op, dir string, budget int, visit func(p string, e fs.DirEntry) error) (truncated bool, err error) {
	stack := []string{dir}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		es, cut, err := f.readDir(op, d, budget)
		if err != nil {
			if d == dir {
				return false, err
			}
			continue // a directory that went away or cannot be read
		}
		truncated = truncated || cut
		var subdirs []string
		for _, e := range es {
			if budget--; budget < 0 {
				return true, nil
			}
			p := path.Join(d, e.Name())
			if err := visit(p, e); err != nil {
				if errors.Is(err, errStopWalk) {
					return true, nil
				}
				return false, err
			}
			if e.IsDir() { // a DirEntry's type is the link's own: links are not followed
				subdirs = append(subdirs, p)
			}
		}
		for i := len(subdirs) - 1; i >= 0; i-- {
			stack = append(stack, subdirs[i])
		}
	}
	return truncated, nil
}

// pattern is a glob split in components.
type pattern []string

// compileGlob checks a glob (relative, no "..") and splits it.
func compileGlob(op, g string) (pattern, error) {
	c, err := cleanPath(op, g, false)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(c, "/")
	for _, s := range parts {
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("folder %s %q: a malformed pattern component %q", op, g, s)
		}
	}
	return parts, nil
}

// base is the directory a walk for the pattern starts at: its leading
// components without wildcards.
func (pt pattern) base() string {
	var lit []string
	for _, s := range pt[:len(pt)-1] {
		if strings.ContainsAny(s, `*?[`) {
			break
		}
		lit = append(lit, s)
	}
	if len(lit) == 0 {
		return "."
	}
	return strings.Join(lit, "/")
}

// match reports whether a path (cleaned, slash-separated) matches.
func (pt pattern) match(p string) bool { return matchParts(pt, strings.Split(p, "/")) }

func matchParts(pt, parts []string) bool {
	for len(pt) > 0 {
		if pt[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if matchParts(pt[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pt[0], parts[0]); !ok {
			return false
		}
		pt, parts = pt[1:], parts[1:]
	}
	return len(parts) == 0
}

func (f *Folder) glob(ctx context.Context, args []any) (any, error) {
	pt, err := compileGlob("glob", args[0].(string))
	if err != nil {
		return nil, err
	}
	max := f.maxFiles()
	var found []string
	truncated, err := f.walk(ctx, "glob", pt.base(), walkFactor*max, func(p string, e fs.DirEntry) error {
		if e.Type().IsRegular() && pt.match(p) {
			if len(found) == max {
				return errStopWalk
			}
			found = append(found, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		err, truncated = nil, false
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(found)
	paths := make([]any, len(found))
	for i, p := range found {
		paths[i] = p
	}
	return map[string]any{"paths": paths, "truncated": truncated}, nil
}

func (f *Folder) search(ctx context.Context, args []any) (any, error) {
	query := args[0].(string)
	if query == "" || len(query) > MaxQueryBytes {
		return nil, fmt.Errorf("folder search: the query is %d bytes, want 1 to %d", len(query), MaxQueryBytes)
	}
	opts, _ := capabilities.OptObject(args, 1, "options")
	if err := options("search", 1, opts, "regex", "caseSensitive", "dir", "glob", "maxResults"); err != nil {
		return nil, err
	}
	isRegex, err := optBool("search", 1, opts, "regex", false)
	if err != nil {
		return nil, err
	}
	caseSensitive, err := optBool("search", 1, opts, "caseSensitive", true)
	if err != nil {
		return nil, err
	}
	dir := "."
	if v := opts["dir"]; v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("folder search: %w", &capabilities.ArgError{Index: 1, Name: "options.dir", Want: "a string", Got: v})
		}
		if dir, err = cleanPath("search", s, true); err != nil {
			return nil, err
		}
	}
	var filter pattern
	if v := opts["glob"]; v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("folder search: %w", &capabilities.ArgError{Index: 1, Name: "options.glob", Want: "a string", Got: v})
		}
		if filter, err = compileGlob("search", s); err != nil {
			return nil, err
		}
	}
	maxResults := DefaultMaxResults
	if v := opts["maxResults"]; v != nil {
		n, ok := v.(float64)
		if !ok || n < 1 || n > MaxResultsCeiling || n != float64(int(n)) {
			return nil, fmt.Errorf("folder search: %w", &capabilities.ArgError{Index: 1, Name: "options.maxResults", Want: fmt.Sprintf("an integer from 1 to %d", MaxResultsCeiling), Got: v})
		}
		maxResults = int(n)
	}
	expr := query
	if !isRegex {
		expr = regexp.QuoteMeta(query)
	}
	if !caseSensitive {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("folder search: the regular expression %q: %v", query, err)
	}
	matches := []any{}
	files := 0
	truncated, err := f.walk(ctx, "search", dir, walkFactor*f.maxFiles(), func(p string, e fs.DirEntry) error {
		if !e.Type().IsRegular() || (filter != nil && !filter.match(p)) {
			return nil
		}
		if files++; files > f.maxFiles() {
			return errStopWalk
		}
		fl, err := f.readRegular("search", p)
		if err != nil || !utf8.Valid(fl.data) || slices.Contains(fl.data, 0) {
			return nil // not a text file, too large, or gone
		}
		text := string(fl.data)
		add := func(n int, line string, at int) error {
			if len(matches) == maxResults {
				return errStopWalk
			}
			matches = append(matches, map[string]any{
				"path": p, "line": float64(n),
				"column": float64(len(utf16.Encode([]rune(line[:at]))) + 1),
				"text":   cut(line, maxLineText),
			})
			return nil
		}
		if isRegex || strings.Contains(query, "\n") {
			// A regular expression is matched line by line (^ and $ are
			// the line's ends).
			for n, line := range strings.Split(text, "\n") {
				line = strings.TrimSuffix(line, "\r")
				for _, loc := range re.FindAllStringIndex(line, -1) {
					if err := add(n+1, line, loc[0]); err != nil {
						return err
					}
				}
			}
			return nil
		}
		// Plain text is found in the whole file, then placed in its line:
		// the same matches, without splitting a file with none.
		n, start := 1, 0 // the line number and start of offset start
		for _, at := range literalMatches(text, query, re, caseSensitive) {
			for {
				i := strings.IndexByte(text[start:at], '\n')
				if i < 0 {
					break
				}
				n, start = n+1, start+i+1
			}
			end := strings.IndexByte(text[start:], '\n')
			if end < 0 {
				end = len(text) - start
			}
			line := strings.TrimSuffix(text[start:start+end], "\r")
			if at-start > len(line) {
				continue // a match in the line's \r
			}
			if err := add(n, line, at-start); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"matches": matches, "truncated": truncated}, nil
}

// literalMatches returns the byte offsets of the non-overlapping
// occurrences of query in text: by strings.Index when case matters, else by
// re (the query quoted, case folded).
func literalMatches(text, query string, re *regexp.Regexp, caseSensitive bool) []int {
	var out []int
	if !caseSensitive {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			out = append(out, loc[0])
		}
		return out
	}
	for at := 0; ; {
		i := strings.Index(text[at:], query)
		if i < 0 {
			return out
		}
		out = append(out, at+i)
		at += i + len(query)
	}
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (f *Folder) replace(ctx context.Context, args []any) (any, error) {
	p, err := f.target("replace", args)
	if err != nil {
		return nil, err
	}
	opts, _ := capabilities.OptObject(args, 3, "options")
	if _, ok := opts["dryRun"]; ok {
		return nil, fmt.Errorf("folder replace: there is no dryRun option: planEdits([{ path, replace: { search, replacement } }]) returns the diff without writing")
	}
	if err := options("replace", 3, opts, "regex", "expect"); err != nil {
		return nil, err
	}
	r := map[string]any{"search": args[1], "replacement": args[2]}
	for k, v := range opts {
		r[k] = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int
	data, err := f.editOne(ctx, "replace", p, func(text string) (string, error) {
		out, count, err := replaceIn("replace", p, text, r)
		n = count
		return out, err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"path": p, "replacements": float64(n), "hash": hashOf(data)}, nil
}

// editOne reads the text file at p, changes it and writes it back; the
// caller holds f.mu.
func (f *Folder) editOne(ctx context.Context, op, p string, change func(string) (string, error)) ([]byte, error) {
	if err := f.checkWritable(op, p); err != nil {
		return nil, err
	}
	fl, ok, err := f.currentText(op, p)
	if err != nil {
		return nil, err
	}
	if !ok && op == "replace" {
		return nil, f.fsErr(op, p, fs.ErrNotExist)
	}
	out, err := change(string(fl.data))
	if err != nil {
		return nil, err
	}
	data := []byte(out)
	if int64(len(data)) > f.maxWriteBytes() {
		return nil, fmt.Errorf("folder %s %q: %w: %d bytes, over max_write_bytes (%d)", op, p, ErrTooLarge, len(data), f.maxWriteBytes())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	perm := fs.FileMode(0o644)
	if ok {
		perm = fl.mode
	}
	if _, err := f.writeAtomic(op, p, data, perm); err != nil {
		return nil, err
	}
	return data, nil
}

// replaceIn applies a FolderReplace (r) to text, returning the new text and
// the number of occurrences.
func replaceIn(op, p, text string, r map[string]any) (string, int, error) {
	for k := range r {
		switch k {
		case "search", "replacement", "regex", "expect":
		default:
			return "", 0, fmt.Errorf("folder %s %q: unknown replace field %q (known: search, replacement, regex, expect)", op, p, k)
		}
	}
	search, ok1 := r["search"].(string)
	replacement, ok2 := r["replacement"].(string)
	if !ok1 || !ok2 {
		return "", 0, fmt.Errorf("folder %s %q: a replace needs search and replacement strings", op, p)
	}
	if search == "" || len(search) > MaxQueryBytes {
		return "", 0, fmt.Errorf("folder %s %q: search is %d bytes, want 1 to %d", op, p, len(search), MaxQueryBytes)
	}
	isRegex := false
	if v := r["regex"]; v != nil {
		b, ok := v.(bool)
		if !ok {
			return "", 0, fmt.Errorf("folder %s %q: regex must be a boolean", op, p)
		}
		isRegex = b
	}
	expect := -1
	if v := r["expect"]; v != nil {
		n, ok := v.(float64)
		if !ok || n < 0 || n != float64(int(n)) {
			return "", 0, fmt.Errorf("folder %s %q: expect must be a whole number", op, p)
		}
		expect = int(n)
	}
	var out string
	var count int
	if isRegex {
		re, err := regexp.Compile(search)
		if err != nil {
			return "", 0, fmt.Errorf("folder %s %q: the regular expression %q: %v", op, p, search, err)
		}
		count = len(re.FindAllStringIndex(text, -1))
		out = re.ReplaceAllString(text, replacement)
	} else {
		count = strings.Count(text, search)
		out = strings.ReplaceAll(text, search, replacement)
	}
	switch {
	case expect >= 0 && count != expect:
		return "", 0, fmt.Errorf("folder %s %q: %w: %d occurrences of %q, expected %d; nothing was written", op, p, ErrNoMatch, count, cut(search, 100), expect)
	case count == 0:
		return "", 0, fmt.Errorf("folder %s %q: %w: %q does not occur; nothing was written", op, p, ErrNoMatch, cut(search, 100))
	}
	return out, count, nil
}

func (f *Folder) diff(_ context.Context, args []any) (any, error) {
	after := args[1].(string)
	if int64(len(after)) > f.maxFileBytes() {
		return nil, fmt.Errorf("folder diff: %w: after is %d bytes, over max_file_bytes (%d)", ErrTooLarge, len(after), f.maxFileBytes())
	}
	switch b := args[0].(type) {
	case string:
		if int64(len(b)) > f.maxFileBytes() {
			return nil, fmt.Errorf("folder diff: %w: before is %d bytes, over max_file_bytes (%d)", ErrTooLarge, len(b), f.maxFileBytes())
		}
		return textdiff.Unified("a", "b", b, after), nil
	case map[string]any:
		ps, ok := b["path"].(string)
		if !ok || len(b) != 1 {
			break
		}
		p, err := cleanPath("diff", ps, false)
		if err != nil {
			return nil, err
		}
		fl, exists, err := f.currentText("diff", p)
		if err != nil {
			return nil, err
		}
		from := "a/" + p
		if !exists {
			from = "/dev/null"
		}
		return textdiff.Unified(from, "b/"+p, string(fl.data), after), nil
	}
	return nil, fmt.Errorf("folder diff: %w", &capabilities.ArgError{Index: 0, Name: "before", Want: "a string or { path: string }", Got: args[0]})
}
