package codemode

import "littleboxes/capabilities/textdiff"

// Diff returns a unified diff of two texts, line by line, as `diff -u`
// would show it with the names given; "" when they are the same. It is
// textdiff.Unified, the one diff littleboxes has (the folder kind's too).
func Diff(oldName, newName, a, b string) string {
	return textdiff.Unified(oldName, newName, a, b)
}
