package codemode

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// maxDiffCells bounds the work of the line diff (lines of a × lines of b);
// beyond it the diff replaces the whole text in one hunk.
const maxDiffCells = 4 << 20

// Diff returns a unified diff of two texts, line by line, as `diff -u`
// would show it with the names given; "" when they are the same.
func Diff(oldName, newName, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffOps(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	// Group the ops into hunks with context.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
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
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		oldStart, newStart, oldN, newN := ops[start].ai+1, ops[start].bi+1, 0, 0
		var body strings.Builder
		for _, o := range ops[start:end] {
			body.WriteByte(o.kind)
			body.WriteString(o.text)
			body.WriteByte('\n')
			if o.kind != '+' {
				oldN++
			}
			if o.kind != '-' {
				newN++
			}
		}
		if oldN == 0 {
			oldStart--
		}
		if newN == 0 {
			newStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", oldStart, oldN, newStart, newN, body.String())
		i = end
	}
	return out.String()
}

type diffOp struct {
	kind   byte // ' ', '-' or '+'
	text   string
	ai, bi int // the line's index in a and b (of the next line, for the other side)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffOps is a longest-common-subsequence line diff.
func diffOps(x, y []string) []diffOp {
	n, m := len(x), len(y)
	// Common prefix and suffix cost nothing.
	pre := 0
	for pre < n && pre < m && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && x[n-1-suf] == y[m-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', x[i], i, i})
	}
	xs, ys := x[pre:n-suf], y[pre:m-suf]
	if len(xs)*len(ys) > maxDiffCells {
		for i, l := range xs {
			ops = append(ops, diffOp{'-', l, pre + i, pre})
		}
		for j, l := range ys {
			ops = append(ops, diffOp{'+', l, pre + len(xs), pre + j})
		}
	} else {
		// lcs[i][j] is the LCS length of xs[i:] and ys[j:].
		w := len(ys) + 1
		lcs := make([]int32, (len(xs)+1)*w)
		for i := len(xs) - 1; i >= 0; i-- {
			for j := len(ys) - 1; j >= 0; j-- {
				if xs[i] == ys[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(xs) || j < len(ys) {
			switch {
			case i < len(xs) && j < len(ys) && xs[i] == ys[j]:
				ops = append(ops, diffOp{' ', xs[i], pre + i, pre + j})
				i++
				j++
			case i < len(xs) && (j == len(ys) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
				ops = append(ops, diffOp{'-', xs[i], pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', ys[j], pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', x[n-suf+k], n - suf + k, m - suf + k})
	}
	return ops
}
