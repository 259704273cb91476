// Package servetest serves an app as `littleboxes serve` does, on a
// loopback port, for tests.
package servetest

import (
	"io/fs"
	"net"
	"net/http/httptest"
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
