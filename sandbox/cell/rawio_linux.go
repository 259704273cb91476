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

// rawPipe reads or writes one non-blocking pipe descriptor. One goroutine
// at a time reads it and one at a time writes it (a cell's pipes have one
// reader at a time, and a frameWriter writes under its lock): the state of
// a read and of a write lives in the pipe, so that neither allocates a
// closure and its variables per call.
type rawPipe struct {
	rc      syscall.RawConn
	rd, wr  rawOp
	readFn  func(fd uintptr) bool // p.read, made once
	writeFn func(fd uintptr) bool // p.write, made once
}

// rawOp is one read or write in progress.
type rawOp struct {
	b     []byte
	n     int // bytes read or written
	errno syscall.Errno
}

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
	p := &rawPipe{rc: rc}
	p.readFn, p.writeFn = p.read, p.write
	return p
}

func (p *rawPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.rd = rawOp{b: b}
	err := p.rc.Read(p.readFn)
	n, errno := p.rd.n, p.rd.errno
	p.rd.b = nil
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

// read is one attempt of Read, for the netpoller's RawConn.Read: it
// reports false when the pipe is empty.
func (p *rawPipe) read(fd uintptr) bool {
	b := p.rd.b
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait until readable
		}
		p.rd.n, p.rd.errno = int(r), e
		return true
	}
}

func (p *rawPipe) Write(b []byte) (int, error) {
	p.wr = rawOp{b: b}
	err := p.rc.Write(p.writeFn)
	written, errno := p.wr.n, p.wr.errno
	p.wr.b = nil
	switch {
	case err != nil:
		return written, err
	case errno != 0:
		return written, os.NewSyscallError("write", errno)
	}
	return written, nil
}

// write is one attempt of Write, for the netpoller's RawConn.Write: it
// reports false when the pipe is full.
func (p *rawPipe) write(fd uintptr) bool {
	b := p.wr.b
	for p.wr.n < len(b) {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[p.wr.n])), uintptr(len(b)-p.wr.n))
		switch e {
		case 0:
			p.wr.n += int(r)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait until writable
		default:
			p.wr.errno = e
			return true
		}
	}
	return true
}
