package vault

import (
	"fmt"
	"io"
	"sync"
)

// Writer redacts a stream (a console, a log file) on its way to an
// underlying writer. A secret may arrive split across Write calls, so Writer
// holds back the shortest tail of what it was given that could still grow
// into a secret (at most the longest known form, less one byte; usually
// nothing) until the next Write, Flush or Close. Its output is the same as
// redacting the whole stream at once. Writer is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	r   *Redactor
	buf []byte
}

// NewWriter returns a Writer redacting with r into w.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r}
}

// Write redacts what can be redacted so far and writes it. It returns
// len(p) unless the underlying writer fails; what it holds back is written
// by a later call.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.r.m.Load()
	if m == nil && len(w.buf) == 0 {
		if _, err := w.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if err := w.emit(m, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// emit writes the redacted, settled part of the buffer (all of it when
// final) and keeps the rest.
func (w *Writer) emit(m *matcher, final bool) error {
	out, n := w.buf, len(w.buf)
	if m != nil {
		var changed bool
		out, n, changed = redact(m, w.buf, final)
		if !changed {
			out = w.buf[:n]
		}
	}
	var err error
	if len(out) > 0 {
		_, err = w.w.Write(out)
	}
	if err != nil {
		// Drop what failed: keeping it would repeat it on the next call.
		w.buf = w.buf[:0]
		return err
	}
	w.buf = append(w.buf[:0], w.buf[n:]...)
	return nil
}

// Flush redacts and writes everything held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	return w.emit(w.r.m.Load(), true)
}

// Close flushes the Writer. It does not close the underlying writer.
func (w *Writer) Close() error { return w.Flush() }

// RedactLogf returns a logf (the tailscale convention: a printf-like
// function passed in rather than a global logger) that formats its message,
// redacts it with r, and passes it to logf.
func RedactLogf(r *Redactor, logf func(format string, args ...any)) func(format string, args ...any) {
	return func(format string, args ...any) {
		logf("%s", r.String(fmt.Sprintf(format, args...)))
	}
}

var _ io.WriteCloser = (*Writer)(nil)
