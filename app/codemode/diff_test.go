package codemode

import "testing"

func TestDiff(t *testing.T) {
	for _, tc := range []struct{ name, a, b, want string }{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"from nothing", "", "x\ny\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"to nothing", "x\n", "", "--- old\n+++ new\n@@ -1,1 +0,0 @@\n-x\n"},
		{"one line changed in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"two far changes are two hunks", "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n"},
		{"insertion", "a\nc\n", "a\nb\nc\n", "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff("old", "new", tc.a, tc.b); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
