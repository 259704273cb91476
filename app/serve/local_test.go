package serve_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/app/events"
	"littleboxes/app/serve"
)

type localAPI struct{}

func (localAPI) Hello(name string) string { return "hello " + name }

// TestServeLocal serves over a real Unix socket: calls need no token and no
// Host, a request with an Origin is refused, and there are no files.
func TestServeLocal(t *testing.T) {
	dir, err := os.MkdirTemp("", "lbs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hub := events.New()
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.ServeLocal(ctx, ln, serve.App{Bound: []any{localAPI{}}, Events: hub.Subscribe, Close: func() error { return nil }}, serve.LocalOptions{})
	}()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	do := func(method, path, origin, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://evil.example"+path, strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name, method, path, origin, body string
		code                             int
		want                             string
	}{
		{"call without token or Host", "POST", "/api/call/Hello", "", `["you"]`, 200, `"hello you"`},
		{"origin refused", "POST", "/api/call/Hello", "http://evil.example", `["you"]`, 403, "Origin"},
		{"no files", "GET", "/", "", "", 404, "no API"},
		{"no such method", "POST", "/api/call/Nope", "", `[]`, 404, "Nope"},
		{"a query is ignored", "POST", "/api/call/Hello?x=1", "", `["q"]`, 200, `"hello q"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := do(c.method, c.path, c.origin, c.body)
			if code != c.code || !strings.Contains(body, c.want) {
				t.Errorf("%s %s: %d %s, want %d with %q", c.method, c.path, code, body, c.code, c.want)
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
