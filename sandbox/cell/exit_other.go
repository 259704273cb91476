//go:build !linux

package cell

// waitExited cannot watch a process here: the pipes' end of file is what
// tells a cell died.
func waitExited(int) bool { return false }
