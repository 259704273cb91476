package cell

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"testing"
)

// The pipes exec makes for a cell are the ones read and written raw.
func TestRawPipesWrapExecPipes(t *testing.T) {
	cmd := exec.Command("true")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, ok := rawWriter(in).(*rawPipe); !ok {
		t.Errorf("rawWriter(StdinPipe) is %T, want *rawPipe", rawWriter(in))
	}
	if _, ok := rawReader(out).(*rawPipe); !ok {
		t.Errorf("rawReader(StdoutPipe) is %T, want *rawPipe", rawReader(out))
	}
	if r := rawReader(bytes.NewReader(nil)); r == nil {
		t.Error("rawReader of a non-file is nil")
	}
}

// A write larger than the pipe's buffer waits for the reader (EAGAIN, then
// the netpoller) and arrives whole; end of file reads as io.EOF.
func TestRawPipeLargeWriteAndEOF(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, far over the 64 KiB buffer
	werr := make(chan error, 1)
	go func() {
		_, err := rawWriter(w).Write(want)
		w.Close()
		werr <- err
	}()
	got, err := io.ReadAll(rawReader(r))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d equal ones", len(got), len(want))
	}
}

// Writing to a pipe whose reader is gone fails rather than blocking.
func TestRawPipeWriteAfterReaderClosed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	if _, err := rawWriter(w).Write([]byte("x")); err == nil {
		t.Fatal("write to a pipe with no reader succeeded")
	}
}
