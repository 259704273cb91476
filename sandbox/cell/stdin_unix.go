//go:build unix

package cell

import (
	"io"
	"os"
	"syscall"
)

// stdin returns the cell's end of the pipe from the main process, made
// non-blocking so that it is read through the netpoller: the reading
// goroutine parks instead of holding a thread in read(2).
func stdin() io.Reader {
	if err := syscall.SetNonblock(0, true); err == nil {
		return os.NewFile(0, "stdin")
	}
	return os.Stdin
}
