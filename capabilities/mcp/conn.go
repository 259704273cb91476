package mcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Restart and wait bounds of a server connection.
const (
	// firstBackoff is the wait before the first restart of a server that
	// ended; each failed restart doubles it up to maxBackoff.
	firstBackoff = 200 * time.Millisecond
	maxBackoff   = 30 * time.Second
	// stableAfter is how long a session must last for the next restart to
	// start again from firstBackoff.
	stableAfter = 30 * time.Second
	// terminateWait is how long a stdio server has to exit once its stdin
	// is closed, before SIGTERM (and then SIGKILL).
	terminateWait = 500 * time.Millisecond
)

// downWait is how long a call waits for a server being restarted (a
// variable for the tests).
var downWait = 5 * time.Second

// server is the connection to one MCP server: a session, made again with
// backoff whenever it ends (the process died, the connection dropped) until
// close. Its one goroutine, supervise, is owned by the instance and ends in
// close.
type server struct {
	name    string // for messages: the command or the URL
	connect func(ctx context.Context) (*sdk.ClientSession, error)
	// recheck runs on each new session after the first: an error keeps
	// calls failing with it (the server's tools changed under it).
	recheck func(ctx context.Context, cs *sdk.ClientSession) error
	logf    func(format string, args ...any)

	ctx    context.Context // ends in close
	cancel context.CancelFunc
	done   chan struct{} // closed when supervise returns

	mu      sync.Mutex
	cs      *sdk.ClientSession // nil while down
	up      chan struct{}      // closed when cs is set again
	lastErr error              // why the server is down
	broken  error              // set by recheck; calls fail with it
	closed  bool
}

// ErrServerDown means the server is not running and did not come back in
// time for the call.
var ErrServerDown = errors.New("the MCP server is not running")

// ErrClosed means the instance was cleaned up.
var ErrClosed = errors.New("instance closed")

// start connects for the first time (an error is the provision's) and
// starts the supervisor.
func (s *server) start(ctx context.Context) (*sdk.ClientSession, error) {
	cs, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.done = make(chan struct{})
	s.cs = cs
	s.up = make(chan struct{})
	close(s.up)
	go s.supervise(cs)
	return cs, nil
}

// supervise waits for each session to end and makes a new one, with
// backoff, until close.
func (s *server) supervise(cs *sdk.ClientSession) {
	defer close(s.done)
	backoff := firstBackoff
	for {
		began := time.Now()
		err := cs.Wait()
		_ = cs.Close()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.downLocked(cs)
		s.lastErr = fmt.Errorf("%s ended: %v", s.name, errText(err))
		s.mu.Unlock()
		if time.Since(began) > stableAfter {
			backoff = firstBackoff
		}
		for {
			s.logf("mcp %s ended (%v); restarting in %s", s.name, errText(err), backoff)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxBackoff)
			next, cerr := s.connect(s.ctx)
			if cerr != nil {
				err = cerr
				s.mu.Lock()
				s.lastErr = fmt.Errorf("restarting %s: %v", s.name, cerr)
				s.mu.Unlock()
				continue
			}
			rerr := s.recheck(s.ctx, next)
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				_ = next.Close()
				return
			}
			if rerr != nil {
				s.broken = rerr
				s.logf("mcp %s: %v", s.name, rerr)
			}
			s.cs = next
			close(s.up)
			s.mu.Unlock()
			cs = next
			break
		}
	}
}

// lost marks cs as ended, as a call found it (before supervise may have):
// calls wait for the next session.
func (s *server) lost(cs *sdk.ClientSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downLocked(cs)
	if s.lastErr == nil {
		s.lastErr = fmt.Errorf("%s: the connection closed", s.name)
	}
}

// downLocked marks cs as ended if it is the current session; s.mu is held.
func (s *server) downLocked(cs *sdk.ClientSession) {
	if s.cs == cs && cs != nil {
		s.cs, s.up = nil, make(chan struct{})
	}
}

func errText(err error) string {
	if err == nil {
		return "the connection closed"
	}
	return err.Error()
}

// session returns the current session, waiting up to downWait (or ctx) for
// a server being restarted.
func (s *server) session(ctx context.Context) (*sdk.ClientSession, error) {
	deadline := time.NewTimer(downWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		cs, up, closed, broken, last := s.cs, s.up, s.closed, s.broken, s.lastErr
		s.mu.Unlock()
		switch {
		case closed:
			return nil, ErrClosed
		case broken != nil:
			return nil, broken
		case cs != nil:
			return cs, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%v): %w", ErrServerDown, s.why(last), ctx.Err())
		case <-deadline.C:
			return nil, fmt.Errorf("%w: %v; it did not come back within %s", ErrServerDown, s.why(last), downWait)
		}
	}
}

// why returns why the server is down now, or else last.
func (s *server) why(last error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return s.lastErr
	}
	return last
}

// close stops the supervisor and the session (a stdio server's process)
// and waits for both.
func (s *server) close() error {
	if s.done == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	cs := s.cs
	s.mu.Unlock()
	s.cancel()
	var err error
	if cs != nil {
		err = cs.Close()
	}
	<-s.done
	return err
}

// lineLog is a stdio server's stderr: each line logged, redacted; the last
// few kept for the message of a server that fails to start.
type lineLog struct {
	name   string
	logf   func(format string, args ...any)
	redact func(string) string

	mu   sync.Mutex
	buf  []byte
	tail []string
}

// maxLine bounds a logged stderr line.
const maxLine = 4096

// Write implements io.Writer.
func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			if len(l.buf) > maxLine {
				l.emit(l.buf[:maxLine])
				l.buf = append(l.buf[:0], l.buf[maxLine:]...)
			}
			return len(p), nil
		}
		l.emit(l.buf[:i])
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
	}
}

func (l *lineLog) emit(line []byte) {
	s := l.redact(strings.TrimRight(string(line), "\r"))
	if s == "" {
		return
	}
	l.logf("mcp %s stderr: %s", l.name, s)
	l.tail = append(l.tail, s)
	if len(l.tail) > 5 {
		l.tail = l.tail[1:]
	}
}

// flush logs a last line without a newline.
func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = l.buf[:0]
	}
}

// lastLines returns the last lines logged, for an error message.
func (l *lineLog) lastLines() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, " | ")
}
