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
		return rawReader(os.NewFile(0, "stdin"))
	}
	return os.Stdin
}

// stdout returns the cell's end of the pipe to the main process, made
// non-blocking as stdin is: a write that finds the pipe full parks its
// goroutine instead of holding the cell's only thread.
func stdout() io.Writer {
	if err := syscall.SetNonblock(1, true); err == nil {
		return rawWriter(os.NewFile(1, "stdout"))
	}
	return os.Stdout
}
