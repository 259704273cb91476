// Package textdiff is the line diff littleboxes shows and applies: unified
// diffs as `diff -u` writes them (three lines of context, "\ No newline at
// end of file" where a text ends without one), made by Myers' algorithm
// with bounded work, and applied back exactly. The folder kind diffs and
// patches files with it; Code Mode shows a model's code against the
// agent's with it. It is a helper of the capabilities layer, not a kind.
package textdiff

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Diff bounds.
const (
	// contextLines is how many unchanged lines a hunk shows around a change.
	contextLines = 3
	// maxEditCost bounds the Myers search (its trace takes about
	// 8·maxEditCost² bytes): past this many differing lines the changed
	// middle is shown as one deletion and one insertion.
	maxEditCost = 1000
)

const noNewline = `\ No newline at end of file`

// splitLines splits text into lines, each keeping its "\n"; the last may
// lack one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// op is one line of an edit script: ' ' kept, '-' deleted, '+' inserted.
type op struct {
	kind byte
	line string
}

// editScript returns the line edits turning a into b: the common prefix
// and suffix kept, the middle by Myers' algorithm (bounded by maxEditCost).
func editScript(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []op
	for _, l := range a[:pre] {
		out = append(out, op{' ', l})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, op{' ', l})
	}
	return out
}

// myers is the O(ND) shortest edit script; past maxEditCost it gives up on
// minimality and deletes all of a, then inserts all of b.
func myers(a, b []string) []op {
	n, m := len(a), len(b)
	max := min(n+m, maxEditCost)
	if n == 0 || m == 0 {
		return replaceAll(a, b)
	}
	off := max + 1
	v := make([]int, 2*max+3)
	var trace [][]int
	found := false
	var d int
	for d = 0; d <= max && !found; d++ {
		// v as iteration d reads it: k from -d-1 to d+1.
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
	}
	if !found {
		return replaceAll(a, b)
	}
	// Walk back through the trace.
	var rev []op
	x, y := n, m
	for d := len(trace) - 1; d >= 0 && (x > 0 || y > 0); d-- {
		tr := trace[d]
		at := func(k int) int { return tr[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, op{' ', a[x]})
		}
		if d == 0 {
			break
		}
		if x == px {
			y--
			rev = append(rev, op{'+', b[y]})
		} else {
			x--
			rev = append(rev, op{'-', a[x]})
		}
	}
	for x > 0 && y > 0 { // the snake at d = 0
		x--
		y--
		rev = append(rev, op{' ', a[x]})
	}
	out := make([]op, len(rev))
	for i, o := range rev {
		out[len(rev)-1-i] = o
	}
	return out
}

func replaceAll(a, b []string) []op {
	out := make([]op, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, op{'-', l})
	}
	for _, l := range b {
		out = append(out, op{'+', l})
	}
	return out
}

// Unified returns the unified diff of before and after, "" when they are
// equal. from and to are the header names ("a/notes.md", "/dev/null").
func Unified(from, to, before, after string) string {
	if before == after {
		return ""
	}
	ops := editScript(splitLines(before), splitLines(after))
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
	// oldLine[i], newLine[i]: the 1-based line numbers before op i.
	oldAt, newAt := make([]int, len(ops)+1), make([]int, len(ops)+1)
	oldAt[0], newAt[0] = 1, 1
	for i, o := range ops {
		oldAt[i+1], newAt[i+1] = oldAt[i], newAt[i]
		if o.kind != '+' {
			oldAt[i+1]++
		}
		if o.kind != '-' {
			newAt[i+1]++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-contextLines, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*contextLines {
				end = min(end+contextLines, run)
				break
			}
			end = run
		}
		oldN, newN := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				oldN++
			}
			if o.kind != '-' {
				newN++
			}
		}
		oldStart, newStart := oldAt[start], newAt[start]
		if oldN == 0 {
			oldStart--
		}
		if newN == 0 {
			newStart--
		}
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
		for _, o := range ops[start:end] {
			b.WriteByte(o.kind)
			if strings.HasSuffix(o.line, "\n") {
				b.WriteString(o.line)
			} else {
				b.WriteString(o.line)
				b.WriteString("\n" + noNewline + "\n")
			}
		}
		i = end
	}
	return b.String()
}

// ErrPatch is wrapped by Apply's errors: the diff does not apply.
var ErrPatch = errors.New("the diff does not apply")

// Apply applies a unified diff made by Unified to before, exactly: every
// context and deleted line must be there, at the hunk's line. The headers
// must name from and to. A diff that does not apply is an error wrapping
// ErrPatch.
func Apply(before, diff, from, to string) (string, error) {
	if diff == "" {
		return before, nil
	}
	lines := splitLines(diff)
	if len(lines) < 3 || lines[0] != "--- "+from+"\n" || lines[1] != "+++ "+to+"\n" {
		return "", fmt.Errorf("%w: the headers must be --- %s and +++ %s", ErrPatch, from, to)
	}
	old := splitLines(before)
	var out strings.Builder
	pos := 0 // the next line of old to copy
	i := 2
	for i < len(lines) {
		h := lines[i]
		os, on, ns, nn, err := parseHunkHeader(h)
		if err != nil {
			return "", err
		}
		i++
		at := os - 1
		if on == 0 {
			at = os
		}
		if at < pos || at > len(old) {
			return "", fmt.Errorf("%w: hunk %q out of order or past the end", ErrPatch, strings.TrimSpace(h))
		}
		for _, l := range old[pos:at] {
			out.WriteString(l)
		}
		pos = at
		gotOld, gotNew := 0, 0
		for i < len(lines) && !strings.HasPrefix(lines[i], "@@ ") {
			l := lines[i]
			i++
			if l == "" || !strings.HasSuffix(l, "\n") {
				return "", fmt.Errorf("%w: a line without its end", ErrPatch)
			}
			text := l[1:]
			if i < len(lines) && lines[i] == noNewline+"\n" {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(old) || old[pos] != text {
					return "", fmt.Errorf("%w: line %d differs from the diff's", ErrPatch, pos+1)
				}
				pos++
				gotOld++
				if l[0] == ' ' {
					out.WriteString(text)
					gotNew++
				}
			case '+':
				out.WriteString(text)
				gotNew++
			default:
				return "", fmt.Errorf("%w: a line starting %q", ErrPatch, l[0])
			}
		}
		if gotOld != on || gotNew != nn || (nn > 0 && ns < 1) {
			return "", fmt.Errorf("%w: hunk %q counts %d,%d lines, has %d,%d", ErrPatch, strings.TrimSpace(h), on, nn, gotOld, gotNew)
		}
	}
	for _, l := range old[pos:] {
		out.WriteString(l)
	}
	return out.String(), nil
}

// parseHunkHeader parses "@@ -os,on +ns,nn @@".
func parseHunkHeader(h string) (os, on, ns, nn int, err error) {
	bad := fmt.Errorf("%w: %q is not a hunk header", ErrPatch, strings.TrimSpace(h))
	rest, ok := strings.CutPrefix(strings.TrimSuffix(h, "\n"), "@@ -")
	if !ok {
		return 0, 0, 0, 0, bad
	}
	rest, ok = strings.CutSuffix(rest, " @@")
	if !ok {
		return 0, 0, 0, 0, bad
	}
	o, n, ok := strings.Cut(rest, " +")
	if !ok {
		return 0, 0, 0, 0, bad
	}
	pair := func(s string) (int, int, bool) {
		a, b, ok := strings.Cut(s, ",")
		if !ok {
			b = "1"
		}
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		return x, y, err1 == nil && err2 == nil && x >= 0 && y >= 0
	}
	os, on, ok1 := pair(o)
	ns, nn, ok2 := pair(n)
	if !ok1 || !ok2 {
		return 0, 0, 0, 0, bad
	}
	return os, on, ns, nn, nil
}
