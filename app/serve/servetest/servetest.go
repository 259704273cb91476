// Package servetest serves an app as `littleboxes serve` does, on a
// loopback port, for tests.
package servetest

import (
	"bufio"
	"context"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"littleboxes/app/serve"
)

// Start serves app and the frontend's files in dist behind token on a
// loopback port, until the test ends.
func Start(t testing.TB, app serve.App, dist fs.FS, token string) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	h, err := serve.NewHandler(app, dist, token, port, true)
	if err != nil {
		ts.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(func() {
		h.Shutdown()
		ts.Close()
	})
	return ts
}

// Events opens ts's event stream (GET /api/events) with token and returns
// its lines, the preamble first, and a func that closes the stream and
// waits for its reader. The stream is closed when the test ends, if not
// before.
func Events(t testing.TB, ts *httptest.Server, token string) (lines <-chan string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api/events", nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	req.Header.Set(serve.TokenHeader, token)
	res, err := ts.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		cancel()
		t.Fatalf("the event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan string)
	done := make(chan struct{})
	go func() {
		// Ends when the stream does: at stop, or when the server closes it.
		defer close(done)
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			select {
			case out <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return out, stop
}
