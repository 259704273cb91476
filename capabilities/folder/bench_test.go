package folder_test

import (
	"fmt"
	"strings"
	"testing"

	"littleboxes/capabilities/captest"
)

// BenchmarkSearch searches 500 files of 200 lines each for a word on one
// line of each.
func BenchmarkSearch(b *testing.B) {
	dir := b.TempDir()
	line := strings.Repeat("lorem ipsum dolor sit amet ", 3) + "\n"
	for i := range 500 {
		put(b, dir, fmt.Sprintf("d%02d/f%03d.md", i%20, i), strings.Repeat(line, 100)+"needle\n"+strings.Repeat(line, 99))
	}
	inst := newFolder(b, dir, "")
	b.ResetTimer()
	for b.Loop() {
		res := captest.MustCall(b, inst, "search", "needle", map[string]any{"maxResults": 1000.0}).(map[string]any)
		if n := len(res["matches"].([]any)); n != 500 {
			b.Fatalf("%d matches", n)
		}
	}
}

// BenchmarkPlanApply plans and applies an edit to 10 files of 1000 lines.
func BenchmarkPlanApply(b *testing.B) {
	dir := b.TempDir()
	var body strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&body, "line %d\n", i)
	}
	for i := range 10 {
		put(b, dir, fmt.Sprintf("f%d.txt", i), body.String())
	}
	inst := newFolder(b, dir, "")
	n := 0
	b.ResetTimer()
	for b.Loop() {
		var edits []any
		for i := range 10 {
			edits = append(edits, map[string]any{"path": fmt.Sprintf("f%d.txt", i), "replace": map[string]any{"search": `line 500( edit \d+)?\n`, "replacement": fmt.Sprintf("line 500 edit %d\n", n), "regex": true}})
		}
		n++
		plan := captest.MustCall(b, inst, "planEdits", edits)
		captest.MustCall(b, inst, "applyEditPlan", plan)
	}
}
