package codemode

import (
	"testing"

	"littleboxes/capabilities/textdiff"
)

// TestDiff: Diff is textdiff.Unified, whose own tests cover the diff; here,
// that a change gives the same non-empty diff through both.
func TestDiff(t *testing.T) {
	a, b := "1\n2\n3\n", "1\ntwo\n3\n"
	got, want := Diff("old", "new", a, b), textdiff.Unified("old", "new", a, b)
	if got == "" || got != want {
		t.Fatalf("Diff gave\n%s\ntextdiff.Unified gives\n%s", got, want)
	}
}
