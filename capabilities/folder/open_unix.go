//go:build unix

package folder

import "golang.org/x/sys/unix"

// The extra flags a file and a directory are opened with: O_NONBLOCK, so
// that opening a FIFO swapped in never blocks, and O_DIRECTORY, so that a
// directory read opens nothing else.
const (
	openFileFlags = unix.O_NONBLOCK
	openDirFlags  = unix.O_DIRECTORY | unix.O_NONBLOCK
)
