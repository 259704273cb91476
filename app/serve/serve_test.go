package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/events"
	"littleboxes/app/serve"
	"littleboxes/app/serve/servetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testAssets = fstest.MapFS{"frontend/dist/index.html": {Data: []byte("<!doctype html><title>littleboxes</title>")}}

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fake is a bound value standing for the app's API.
type fake struct{ hub *events.Hub }

// Spec is an argument object.
type Spec struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
}

func newFake() *fake { return &fake{hub: events.New()} }

func (f *fake) Version() string               { return "0.1.0-dev" }
func (f *fake) Echo(s string) (string, error) { return s, nil }
func (f *fake) Add(a, b int) int              { return a + b }
func (f *fake) Make(s Spec) (Spec, error)     { return s, nil }
func (f *fake) Fail(why string) error         { return errors.New("failed: " + why) }
func (f *fake) Nothing()                      {}
func (f *fake) Boom() string                  { panic("boom") }

// Publish sends a workspace event, as an edit does.
func (f *fake) Publish(detail string) { f.hub.Publish(events.Event{Type: "workspace", Detail: detail}) }

func (f *fake) close() error { return nil }

func (f *fake) app() serve.App {
	return serve.App{Bound: []any{f}, Events: f.hub.Subscribe, Close: f.close}
}

// fakeOpener opens a fake, noting when it is closed.
func fakeOpener(closed *atomic.Bool) serve.Opener {
	return func(ctx context.Context, o serve.Options) (serve.App, error) {
		a := newFake().app()
		c := a.Close
		a.Close = func() error { closed.Store(true); return c() }
		return a, nil
	}
}

func mustSub(t testing.TB) fs.FS {
	sub, err := fs.Sub(testAssets, "frontend/dist")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// startServer serves a fake on a loopback port.
func startServer(t testing.TB) (*fake, *httptest.Server) {
	t.Helper()
	f := newFake()
	t.Cleanup(f.hub.Close)
	return f, servetest.Start(t, f.app(), mustSub(t), testToken)
}

func call(t *testing.T, ts *httptest.Server, method, body, token string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/api/call/"+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(serve.TokenHeader, token)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("sets a cookie: %q", c)
	}
	return res.StatusCode, string(b)
}

// TestCall checks the transport of calls: every exported method of the
// bound values, its arguments decoded from a JSON array, its result or
// error encoded.
func TestCall(t *testing.T) {
	_, ts := startServer(t)
	p := strconv.Itoa(ts.Listener.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name, method, body string
		token              string
		header             map[string]string
		wantCode           int
		wantBody           string
	}{
		{"no args", "Version", "", testToken, nil, 200, `"0.1.0-dev"`},
		{"empty array", "Version", "[]", testToken, nil, 200, `"0.1.0-dev"`},
		{"a string", "Echo", `["hi"]`, testToken, nil, 200, `"hi"`},
		{"numbers", "Add", `[40, 2]`, testToken, nil, 200, `42`},
		{"an object, unknown fields ignored", "Make", `[{"name":"x","items":["a"],"extra":1}]`, testToken, nil, 200, `{"name":"x","items":["a"]}`},
		{"a method error", "Fail", `["why"]`, testToken, nil, 422, `"failed: why"`},
		{"a void method", "Nothing", "[]", testToken, nil, 200, "null"},
		{"a panic", "Boom", "[]", testToken, nil, 500, "internal error: boom"},
		{"wrong argument type", "Echo", `[1]`, testToken, nil, 400, "argument 1 (a string)"},
		{"wrong field type", "Make", `[{"items":"a"}]`, testToken, nil, 400, "argument 1 (Spec object)"},
		{"wrong argument count", "Add", `[1]`, testToken, nil, 400, "takes 2 argument(s) (a number, a number), got 1"},
		{"body not an array", "Echo", `{}`, testToken, nil, 400, "JSON array"},
		{"unknown method", "Nope", "", testToken, nil, 404, "no API method"},
		{"unexported method", "close", "", testToken, nil, 404, "no API method"},
		{"no token", "Version", "", "", nil, 401, "token"},
		{"wrong token", "Version", "", strings.Repeat("0", 64), nil, 401, "token"},
		{"foreign host", "Version", "", testToken, map[string]string{"Host": "evil.example:" + p}, 403, "Host"},
		{"foreign origin", "Version", "", testToken, map[string]string{"Origin": "http://evil.example"}, 403, "origin"},
		{"own origin", "Version", "", testToken, map[string]string{"Origin": "http://127.0.0.1:" + p}, 200, `"0.1.0-dev"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, ts, tt.method, tt.body, tt.token, tt.header)
			if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%d %s, want %d with %q", code, body, tt.wantCode, tt.wantBody)
			}
			if code >= 400 && !strings.Contains(body, `"error"`) {
				t.Errorf("error without {error}: %s", body)
			}
		})
	}
}

func TestMethodsRefusesDuplicates(t *testing.T) {
	if _, err := serve.Methods(newFake(), newFake()); err == nil || !strings.Contains(err.Error(), "two bound values") {
		t.Errorf("err = %v", err)
	}
	m, err := serve.Methods(newFake())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Version", "Echo", "Publish"} {
		if _, ok := m[name]; !ok {
			t.Errorf("no method %s", name)
		}
	}
	if _, ok := m["close"]; ok {
		t.Error("an unexported method is served")
	}
}

func TestEvents(t *testing.T) {
	_, ts := startServer(t)
	lines, stop := servetest.Events(t, ts, testToken)
	defer stop()
	if l := <-lines; l != ": littleboxes events" {
		t.Fatalf("no preamble: %q", l)
	}
	if code, body := call(t, ts, "Publish", `["edit"]`, testToken, nil); code != 200 {
		t.Fatalf("Publish: %d %s", code, body)
	}
	for l := range lines {
		data, ok := strings.CutPrefix(l, "data: ")
		if !ok {
			continue
		}
		var ev events.Event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if ev.Type != "workspace" || ev.Detail != "edit" {
			t.Errorf("event %+v", ev)
		}
		return
	}
	t.Fatal("the stream ended")
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeCommand runs the serve command itself: it prints the URL first,
// serves it, and stops cleanly when its context ends.
func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	var closed atomic.Bool
	done := make(chan int)
	go func() {
		done <- serve.Run(ctx, testAssets, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, &stdout, &stderr, fakeOpener(&closed))
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if line, _, ok := strings.Cut(stdout.String(), "\n"); ok {
			url = line
			break
		}
	}
	base, token, ok := strings.Cut(strings.TrimPrefix(url, "littleboxes serve: "), "/#token=")
	if !strings.HasPrefix(url, "littleboxes serve: http://127.0.0.1:") || !ok || len(token) != 64 {
		t.Fatalf("first line %q; stderr %s", url, stderr.String())
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/call/Echo", strings.NewReader(`["hi"]`))
	req.Header.Set(serve.TokenHeader, token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	err = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if err != nil || got != "hi" {
		t.Fatalf("Echo: %q, %v", got, err)
	}
	// An open event stream does not hold the shutdown up.
	ereq, _ := http.NewRequest(http.MethodGet, base+"/api/events", nil)
	ereq.Header.Set(serve.TokenHeader, token)
	eres, err := http.DefaultClient.Do(ereq)
	if err != nil {
		t.Fatal(err)
	}
	defer eres.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d; stderr %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	io.Copy(io.Discard, eres.Body)
	http.DefaultClient.CloseIdleConnections()
	if !closed.Load() {
		t.Error("the app was not closed")
	}
}

func TestServeRefusesRemoteWithoutFlag(t *testing.T) {
	var stdout, stderr syncBuffer
	var closed atomic.Bool
	code := serve.Run(context.Background(), testAssets, []string{"--addr", "0.0.0.0:0", "--data", t.TempDir()}, &stdout, &stderr, fakeOpener(&closed))
	if code != 2 || !strings.Contains(stderr.String(), "--allow-remote") || stdout.String() != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
