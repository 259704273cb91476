//go:build !linux

package cell

// closeInherited does nothing here: only Linux lists a process's descriptors
// in /proc.
func closeInherited() {}
