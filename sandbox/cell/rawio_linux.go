package cell

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// The pipes between the main process and a cell are read and written with
// raw system calls on their non-blocking descriptors, waiting in the
// netpoller only when a call would block. Through os.File every read and
// write enters the scheduler's system-call path, which wakes the runtime's
// monitor thread from its deep sleep whenever the process was idle; it then
// polls every 20 µs for a millisecond and more. A cell and the main process
// go idle and wake up again for every frame, so that thread alone took about
// a seventh of the CPU time of each process under a stream of messages. A
// read or write of a non-blocking pipe never blocks, so it need not tell the
// scheduler.

// syscallConner is an *os.File, or something that embeds one.
type syscallConner interface {
	SyscallConn() (syscall.RawConn, error)
}

// rawPipe reads or writes one non-blocking pipe descriptor.
type rawPipe struct{ rc syscall.RawConn }

// rawReader returns r reading with raw system calls when r is a file whose
// descriptor the netpoller watches; otherwise r itself.
func rawReader(r io.Reader) io.Reader {
	if p := newRawPipe(r); p != nil {
		return p
	}
	return r
}

// rawWriter is rawReader for writing.
func rawWriter(w io.Writer) io.Writer {
	if p := newRawPipe(w); p != nil {
		return p
	}
	return w
}

func newRawPipe(x any) *rawPipe {
	sc, ok := x.(syscallConner)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &rawPipe{rc: rc}
}

func (p *rawPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := p.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until readable
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (p *rawPipe) Write(b []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := p.rc.Write(func(fd uintptr) bool {
		for written < len(b) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[written])), uintptr(len(b)-written))
			switch e {
			case 0:
				written += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait until writable
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return written, err
	case errno != 0:
		return written, os.NewSyscallError("write", errno)
	}
	return written, nil
}
