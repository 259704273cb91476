package textdiff_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"littleboxes/capabilities/textdiff"
)

func TestUnified(t *testing.T) {
	for _, tc := range []struct{ name, a, b, want string }{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"from nothing", "", "x\ny\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"to nothing", "x\n", "", "--- old\n+++ new\n@@ -1,1 +0,0 @@\n-x\n"},
		{"one line changed in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"two far changes are two hunks", "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n"},
		{"insertion", "a\nc\n", "a\nb\nc\n", "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"},
		{"a final newline added", "a", "a\n", "--- old\n+++ new\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+a\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := textdiff.Unified("old", "new", tc.a, tc.b); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestApplyRefuses: a diff whose context is not there, or whose headers
// name other files, does not apply.
func TestApplyRefuses(t *testing.T) {
	d := textdiff.Unified("a/f", "b/f", "1\n2\n3\n", "1\nTWO\n3\n")
	for _, tc := range []struct{ name, before, from string }{
		{"the text changed since", "1\n2b\n3\n", "a/f"},
		{"another file", "1\n2\n3\n", "a/g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := textdiff.Apply(tc.before, d, tc.from, "b/f"); !errors.Is(err, textdiff.ErrPatch) {
				t.Fatalf("Apply = %v, want ErrPatch", err)
			}
		})
	}
}

// FuzzDiff checks that a diff applied to its before gives its after.
func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\n")
	f.Add("", "x")
	f.Add("x", "")
	f.Add("a\nb", "a\nb\n")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\nX\n4\n5\n6\n7\n8\nY\n10\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		roundTrip(t, a, b)
	})
}

func roundTrip(t *testing.T, a, b string) {
	t.Helper()
	d := textdiff.Unified("a/f", "b/f", a, b)
	if a == b {
		if d != "" {
			t.Fatalf("diff of equal texts = %q", d)
		}
		return
	}
	got, err := textdiff.Apply(a, d, "a/f", "b/f")
	if err != nil {
		t.Fatalf("applying the diff of %q → %q: %v\n%s", a, b, err, d)
	}
	if got != b {
		t.Fatalf("the diff of %q → %q applied gives %q\n%s", a, b, got, d)
	}
}

// TestDiffRandom round-trips random edits of random texts, some large
// enough to pass the Myers bound.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "c\n", "dd\n", "e", "\n", "f\r\n"}
	text := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return out
	}
	for i := range 300 {
		n := r.IntN(40)
		if i%50 == 0 {
			n = 3000
		}
		a := text(n)
		b := append([]string(nil), a...)
		for range r.IntN(8) + 1 {
			if len(b) > 0 && r.IntN(2) == 0 {
				j := r.IntN(len(b))
				b = append(b[:j], b[j+1:]...)
			} else {
				j := r.IntN(len(b) + 1)
				b = append(b[:j], append(text(r.IntN(3)+1), b[j:]...)...)
			}
		}
		if i%50 == 0 {
			b = text(n) // everything differs: past the bound
		}
		roundTrip(t, strings.Join(a, ""), strings.Join(b, ""))
	}
}
