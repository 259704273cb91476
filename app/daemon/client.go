package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/events"
)

// Client talks to the engine of one data directory over its socket. Its
// methods are safe for concurrent use.
type Client struct {
	path string
	hc   *http.Client
}

// RemoteError is an error the engine returned: its text is the engine's.
type RemoteError struct {
	Status int // the HTTP status (422: the method's error)
	Msg    string
}

func (e *RemoteError) Error() string { return e.Msg }

// Dial connects to the engine serving dataDir. It fails with an error
// wrapping ErrNotRunning when none answers.
func Dial(ctx context.Context, dataDir string) (*Client, error) {
	path := SocketPath(dataDir)
	conn, err := dialCheck(ctx, path)
	if err != nil {
		return nil, err
	}
	conn.Close()
	tr := &http.Transport{
		DialContext:        func(ctx context.Context, _, _ string) (net.Conn, error) { return dialCheck(ctx, path) },
		MaxIdleConns:       4,
		IdleConnTimeout:    30 * time.Second,
		DisableCompression: true,
	}
	c := NewClient(tr)
	c.path = path
	return c, nil
}

// NewClient returns a client of the engine that rt reaches. Its requests
// name the host "littleboxes" and carry no token: rt takes them where the
// engine listens and adds what that listener asks for. Dial is the way to
// the engine of a data directory; NewClient serves one reached otherwise,
// as a test's engine on a loopback port behind package serve's token.
func NewClient(rt http.RoundTripper) *Client {
	return &Client{hc: &http.Client{Transport: rt}}
}

// Close closes the client's idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// Path returns the socket's path ("" for a client made by NewClient).
func (c *Client) Path() string { return c.path }

// base is the URL the requests are made to; the host is not looked at.
const base = "http://littleboxes"

// Call calls the API method with args (encoded as a JSON array) and
// decodes its JSON result into out (nil: discarded). An error the method
// returned comes back as a *RemoteError whose text is the engine's.
func (c *Client) Call(ctx context.Context, method string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	body, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("engine call %s: encoding the arguments: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/call/"+url.PathEscape(method), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("engine call %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("engine call %s: %w", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("engine call %s: reading the answer: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("engine call %s: %s: %s", method, resp.Status, strings.TrimSpace(string(b)))
		}
		return &RemoteError{Status: resp.StatusCode, Msg: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("engine call %s: decoding the answer: %w", method, err)
	}
	return nil
}

// Events streams the engine's events (serve's /api/events). The channel
// closes when the stream ends: ctx done, or the engine gone. The
// goroutine reading the stream ends with it.
func (c *Client) Events(ctx context.Context) (<-chan events.Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
	if err != nil {
		return nil, fmt.Errorf("engine events: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("engine events: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("engine events: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	out := make(chan events.Event, 64)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue // a comment (heartbeat) or a blank line
			}
			var ev events.Event
			if json.Unmarshal([]byte(data), &ev) != nil {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// spawnWait bounds how long Spawn waits for the engine it started.
const spawnWait = 30 * time.Second

// LogName is the engine's log file in the data directory, when spawned.
const LogName = "daemon.log"

// Spawn returns a client of the engine serving dataDir, starting one when
// none runs: `exe daemon --data DIR ARGS…`, in a session of its own,
// stdin from /dev/null, stdout and stderr appended to DATA/daemon.log. It
// waits (bounded) until the engine answers. When two front ends spawn at
// once, one engine wins the socket and the other exits with ErrRunning;
// both front ends end up clients of the winner. The process started is
// reaped by a goroutine that ends when it exits.
func Spawn(ctx context.Context, exe, dataDir string, args ...string) (*Client, error) {
	if c, err := Dial(ctx, dataDir); err == nil {
		return c, nil
	} else if !errors.Is(err, ErrNotRunning) {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("starting the engine: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dataDir, LogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("starting the engine: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(exe, append([]string{"daemon", "--data", dataDir}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf // Stdin nil: /dev/null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the engine: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps the engine: ends when it exits
	ctx, cancel := context.WithTimeout(ctx, spawnWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var exitErr error
	var exitedAt time.Time
	for {
		c, err := Dial(ctx, dataDir)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrNotRunning) {
			return nil, err
		}
		if !exitedAt.IsZero() && time.Since(exitedAt) > 2*time.Second {
			// Not a lost race (the winner would answer by now): it failed.
			return nil, fmt.Errorf("the engine exited (%v): see %s", exitErr, filepath.Join(dataDir, LogName))
		}
		select {
		case exitErr = <-exited:
			// Lost the race to another engine, which answers soon, or
			// failed.
			exitedAt = time.Now()
			exited = nil
		case <-ctx.Done():
			return nil, fmt.Errorf("the engine did not answer within %v: see %s: %w", spawnWait, filepath.Join(dataDir, LogName), ctx.Err())
		case <-tick.C:
		}
	}
}
