package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

var testAssets = fstest.MapFS{"frontend/dist/index.html": {Data: []byte("<!doctype html><title>littleboxes</title>")}}

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// startServer serves a fresh API on a loopback port.
func startServer(t testing.TB) (*server, *httptest.Server) {
	t.Helper()
	a := openTest(t, "")
	ts := httptest.NewUnstartedServer(nil)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	dist := mustSub(t)
	s := newServer(a, dist, testToken, port, true)
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(func() {
		s.shutdown()
		ts.Close()
	})
	return s, ts
}

func mustSub(t testing.TB) fs.FS {
	sub, err := subDist(testAssets)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

type request struct {
	method, path, body string
	host, origin       string
	token              string // the header
	cookie             string
}

func do(t *testing.T, ts *httptest.Server, r request) (int, string, http.Header) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	req, err := http.NewRequest(r.method, ts.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.host != "" {
		req.Host = r.host
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	if r.token != "" {
		req.Header.Set(TokenHeader, r.token)
	}
	if r.cookie != "" {
		// The cookie today's and earlier servers set, and any name at all.
		req.AddCookie(&http.Cookie{Name: "littleboxes_token", Value: r.cookie})
		req.AddCookie(&http.Cookie{Name: "token", Value: r.cookie})
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// An open event stream does not end: its first line will do.
		line, _ := bufio.NewReader(res.Body).ReadString('\n')
		return res.StatusCode, line, res.Header
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestServeSecurity(t *testing.T) {
	_, ts := startServer(t)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	p := strconv.Itoa(port)
	tests := []struct {
		name     string
		req      request
		wantCode int
		wantBody string
	}{
		{"no token", request{path: "/api/call/Version"}, 401, "token"},
		{"wrong token", request{path: "/api/call/Version", token: strings.Repeat("0", 64)}, 401, "token"},
		{"wrong token in the query", request{path: "/api/call/Version?token=abc"}, 400, "#token="},
		{"wrong cookie", request{path: "/api/call/Version", cookie: "abc"}, 401, "token"},
		// Attacks: browsers send 127.0.0.1's cookies to every port, and a
		// URL's query is kept in logs and history.
		{"the token only in a cookie", request{path: "/api/call/Version", cookie: testToken}, 401, "token"},
		{"the token only in a cookie, for the events", request{method: "GET", path: "/api/events", cookie: testToken}, 401, "token"},
		{"the token in the query", request{path: "/api/call/Version?token=" + testToken}, 400, "#token="},
		{"the token in the query, for the events", request{method: "GET", path: "/api/events?token=" + testToken}, 400, "#token="},
		{"the page with the token in the query", request{method: "GET", path: "/?token=" + testToken}, 400, "#token="},
		{"the token in the query beside the header", request{path: "/api/call/Version?token=" + testToken, token: testToken}, 400, "#token="},
		// Paths that are not names: a 4xx, never a 500.
		{"a path that is not UTF-8", request{method: "GET", path: "/%ff"}, 400, "path"},
		{"a path that is not UTF-8, with the token", request{method: "GET", path: "/%ff", token: testToken}, 400, "path"},
		{"a path that is not UTF-8, deeper", request{method: "GET", path: "/assets/%c0%80.js"}, 400, "path"},
		{"a path with a NUL", request{method: "GET", path: "/a%00b"}, 400, "path"},
		{"an API path that is not UTF-8", request{path: "/api/call/%ff", token: testToken}, 400, "path"},
		{"an API path that is not UTF-8, no token", request{path: "/api/call/%ff"}, 401, "token"},
		{"a missing file", request{method: "GET", path: "/nosuch.js"}, 404, ""},
		{"foreign host", request{path: "/api/call/Version", token: testToken, host: "evil.example:" + p}, 403, "Host"},
		{"foreign host without a port", request{path: "/api/call/Version", token: testToken, host: "evil.example"}, 403, "Host"},
		{"loopback host on another port", request{path: "/api/call/Version", token: testToken, host: "127.0.0.1:1"}, 403, "Host"},
		{"foreign origin", request{path: "/api/call/Version", token: testToken, origin: "http://evil.example"}, 403, "origin"},
		{"null origin", request{path: "/api/call/Version", token: testToken, origin: "null"}, 403, "origin"},
		{"https origin", request{path: "/api/call/Version", token: testToken, origin: "https://127.0.0.1:" + p}, 403, "origin"},
		{"good", request{path: "/api/call/Version", token: testToken}, 200, `"0.1.0-dev"`},
		{"good with its own origin", request{path: "/api/call/Version", token: testToken, origin: "http://127.0.0.1:" + p}, 200, `"0.1.0-dev"`},
		{"good as localhost", request{path: "/api/call/Version", token: testToken, host: "localhost:" + p, origin: "http://localhost:" + p}, 200, `"0.1.0-dev"`},
		{"good as [::1]", request{path: "/api/call/Version", token: testToken, host: "[::1]:" + p}, 200, `"0.1.0-dev"`},
		{"the page, which holds no secret", request{method: "GET", path: "/"}, 200, "<title>littleboxes</title>"},
		{"the page with the token in the fragment (a client never sends it)", request{method: "GET", path: "/#token=" + testToken}, 200, "<title>littleboxes</title>"},
		{"the events with the token in the header", request{method: "GET", path: "/api/events", token: testToken}, 200, ": littleboxes events"},
		{"the page from a foreign host", request{method: "GET", path: "/", host: "evil.example:" + p}, 403, "Host"},
		{"wrong argument type", request{path: "/api/call/AgentEnv", token: testToken, body: `[1]`}, 400, "argument 1 (a string)"},
		{"wrong argument count", request{path: "/api/call/Bind", token: testToken, body: `["a"]`}, 400, "takes 3 argument(s)"},
		{"body not an array", request{path: "/api/call/Workspace", token: testToken, body: `{}`}, 400, "JSON array"},
		{"wrong field type in a spec", request{path: "/api/call/AddAgent", token: testToken, body: `[{"name":"x","triggers":"manual"}]`}, 400, "argument 1 (AgentSpec object)"},
		{"unknown method", request{path: "/api/call/Nope", token: testToken}, 404, "no API method"},
		{"exported but not served", request{path: "/api/call/Close", token: testToken}, 404, "no API method"},
		{"GET a call", request{method: "GET", path: "/api/call/Version", token: testToken}, 405, "POST"},
		{"method error", request{path: "/api/call/OpenExample", token: testToken, body: `["nosuch"]`}, 422, `no example army \"nosuch\"`},
		{"void method", request{path: "/api/call/MoveNodes", token: testToken, body: `[{"summarizer":{"x":1,"y":2}}]`}, 200, "null"},
		{"a call with args", request{path: "/api/call/CheckCode", token: testToken, body: `["export default {}"]`}, 200, "[]"},
		{"Exec", request{path: "/api/call/Exec", token: testToken, body: `["export default { run(i) { return i + 1 } }", "41"]`}, 200, `"value":"42"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := do(t, ts, tt.req)
			if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%d %s, want %d with %q", code, body, tt.wantCode, tt.wantBody)
			}
			if code >= 400 && !strings.Contains(body, `"error"`) && tt.req.method != "GET" {
				t.Errorf("error without {error}: %s", body)
			}
			if c := h.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("sets a cookie: %q", c)
			}
		})
	}
}

func TestServeEvents(t *testing.T) {
	_, ts := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api/events", nil)
	req.Header.Set(TokenHeader, testToken)
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	if <-lines != ": littleboxes events" {
		t.Fatal("no preamble")
	}
	code, body, _ := do(t, ts, request{path: "/api/call/AddAgent", token: testToken, body: `[{"name":"echo","code":"export default {}"}]`})
	if code != 200 {
		t.Fatalf("AddAgent: %d %s", code, body)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			data, ok := strings.CutPrefix(l, "data: ")
			if !ok {
				continue
			}
			var ev Event
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			if ev.Type == EventWorkspace && strings.Contains(ev.Detail, "echo") {
				cancel()
				for range lines {
				}
				return
			}
		case <-timeout:
			t.Fatal("no workspace event")
		}
	}
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
	done := make(chan int)
	go func() {
		done <- serve(ctx, testAssets, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, &stdout, &stderr)
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
	req, _ := http.NewRequest(http.MethodPost, base+"/api/call/Workspace", nil)
	req.Header.Set(TokenHeader, token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var w Workspace
	err = json.NewDecoder(res.Body).Decode(&w)
	res.Body.Close()
	if err != nil || w.Name != "inbox" || !w.Running {
		t.Fatalf("workspace %q running %v: %v", w.Name, w.Running, err)
	}
	// An open event stream does not hold the shutdown up.
	ereq, _ := http.NewRequest(http.MethodGet, base+"/api/events", nil)
	ereq.Header.Set(TokenHeader, token)
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
}

func TestServeRefusesRemoteWithoutFlag(t *testing.T) {
	var stdout, stderr syncBuffer
	code := serve(context.Background(), testAssets, []string{"--addr", "0.0.0.0:0", "--data", t.TempDir()}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--allow-remote") || stdout.String() != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// FuzzCall sends arbitrary bodies to read-only API methods: every answer
// is a JSON 200, 400, 404 or 422, never a panic or a 500.
func FuzzCall(f *testing.F) {
	for _, seed := range []struct{ method, body string }{
		{"Version", ""}, {"CheckCode", `["export default {}"]`}, {"CheckCode", `[1]`}, {"AgentEnv", `["triage"]`},
		{"Kinds", `[]`}, {"Runs", `["triage", 3]`}, {"Runs", `["x", 1.5]`}, {"Nope", `[`}, {"Exec", `["", "{"]`},
	} {
		f.Add(seed.method, seed.body)
	}
	_, ts := startServer(f)
	readOnly := map[string]bool{"Version": true, "CheckCode": true, "AgentEnv": true, "Kinds": true, "Runs": true,
		"Examples": true, "Workspace": true, "ExportYAML": true, "Approvals": true, "Secrets": true, "Nope": true, "Exec": true}
	f.Fuzz(func(t *testing.T, method, body string) {
		if !readOnly[method] {
			method = "Nope"
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/call/"+method, strings.NewReader(body))
		req.Header.Set(TokenHeader, testToken)
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v any
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
			t.Fatalf("%s %q: %d, not JSON: %v", method, body, res.StatusCode, err)
		}
		switch res.StatusCode {
		case 200, 400, 404, 422:
		default:
			t.Fatalf("%s %q: %d %v", method, body, res.StatusCode, v)
		}
	})
}

// TestCallableMatchesTheContract checks the served methods against
// frontend/src/lib/api.ts: the same names as its METHODS (plus Exec and
// Army), each with as many parameters as its Api declaration.
func TestCallableMatchesTheContract(t *testing.T) {
	src, err := os.ReadFile("../frontend/src/lib/api.ts")
	if err != nil {
		t.Skipf("no contract to check against: %v", err)
	}
	text := string(src)
	_, list, ok := strings.Cut(text, "export const METHODS")
	if !ok {
		t.Fatal("api.ts has no METHODS")
	}
	list, _, _ = strings.Cut(list, "];")
	var methods []string
	for _, m := range regexp.MustCompile(`"([A-Za-z]+)"`).FindAllStringSubmatch(list, -1) {
		methods = append(methods, m[1])
	}
	want := append(slices.Clone(methods), "Exec")
	slices.Sort(want)
	got := slices.Clone(Callable)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Callable %v\napi.ts    %v", got, want)
	}
	_, iface, _ := strings.Cut(text, "export interface Api {")
	iface, _, _ = strings.Cut(iface, "\n}")
	api := reflect.TypeOf(&API{})
	for _, m := range regexp.MustCompile(`(?m)^\s*([A-Z][A-Za-z]*)\(([^)]*)\)`).FindAllStringSubmatch(iface, -1) {
		params := regexp.MustCompile(`<[^>]*>|\{[^}]*\}`).ReplaceAllString(m[2], "")
		n := 0
		if strings.TrimSpace(params) != "" {
			n = strings.Count(params, ",") + 1
		}
		gm, ok := api.MethodByName(m[1])
		if !ok {
			t.Errorf("api.ts declares %s, app.API lacks it", m[1])
			continue
		}
		if gm.Type.NumIn()-1 != n {
			t.Errorf("%s takes %d argument(s) in api.ts, %d in Go", m[1], n, gm.Type.NumIn()-1)
		}
	}
}

// TestShapesMatchTheContract checks that the JSON keys of the Go types are
// the fields of the interfaces of the same name in api.ts.
func TestShapesMatchTheContract(t *testing.T) {
	src, err := os.ReadFile("../frontend/src/lib/api.ts")
	if err != nil {
		t.Skipf("no contract to check against: %v", err)
	}
	types := map[string]reflect.Type{
		"Pos": reflect.TypeOf(Pos{}), "Problem": reflect.TypeOf(Problem{}), "BindingView": reflect.TypeOf(BindingView{}),
		"InstanceView": reflect.TypeOf(InstanceView{}), "AgentView": reflect.TypeOf(AgentView{}),
		"CapabilityView": reflect.TypeOf(CapabilityView{}), "ChannelView": reflect.TypeOf(ChannelView{}),
		"SinkView": reflect.TypeOf(SinkView{}), "Workspace": reflect.TypeOf(Workspace{}), "PropField": reflect.TypeOf(PropField{}),
		"MethodInfo": reflect.TypeOf(MethodInfo{}), "KindInfo": reflect.TypeOf(KindInfo{}), "AgentSpec": reflect.TypeOf(AgentSpec{}),
		"CapabilitySpec": reflect.TypeOf(CapabilitySpec{}), "Diagnostic": reflect.TypeOf(Diagnostic{}),
		"ConsoleLine": reflect.TypeOf(ConsoleLine{}), "RunRecord": reflect.TypeOf(RunRecord{}), "Effect": reflect.TypeOf(Effect{}),
		"Event": reflect.TypeOf(Event{}),
	}
	blocks := regexp.MustCompile(`(?ms)^export interface (\w+) \{\n(.*?)^\}`).FindAllStringSubmatch(string(src), -1)
	seen := map[string]bool{}
	for _, b := range blocks {
		typ, ok := types[b[1]]
		if !ok {
			continue
		}
		seen[b[1]] = true
		var ts []string
		for _, f := range regexp.MustCompile(`(?m)^  (\w+)\??:`).FindAllStringSubmatch(b[2], -1) {
			ts = append(ts, f[1])
		}
		var gofields []string
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				gofields = append(gofields, name)
			}
		}
		slices.Sort(ts)
		slices.Sort(gofields)
		if !slices.Equal(ts, gofields) {
			t.Errorf("%s: api.ts %v, Go %v", b[1], ts, gofields)
		}
	}
	for name := range types {
		if !seen[name] {
			t.Errorf("api.ts has no interface %s", name)
		}
	}
}

// TestServeLimits checks the http.Server serve runs against clients that
// hold a connection: a request whose headers never end, a kept-alive
// connection left idle, and headers too large.
func TestServeLimits(t *testing.T) {
	for name, v := range map[string]int64{
		"ReadHeader": int64(serveLimits.ReadHeader), "Idle": int64(serveLimits.Idle),
		"MaxHeaderBytes": int64(serveLimits.MaxHeaderBytes), "CallBody": int64(serveLimits.CallBody),
	} {
		if v <= 0 {
			t.Errorf("serveLimits.%s is %d: unlimited", name, v)
		}
	}
	a := openTest(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s := newServer(a, mustSub(t), testToken, port, true)
	lim := httpLimits{ReadHeader: 200 * time.Millisecond, Idle: 200 * time.Millisecond, MaxHeaderBytes: 4 << 10, CallBody: 200 * time.Millisecond}
	s.callBody = lim.CallBody
	srv := httpServer(s, lim)
	go srv.Serve(ln)
	t.Cleanup(func() {
		s.shutdown()
		srv.Close()
	})
	host := "127.0.0.1:" + strconv.Itoa(port)
	get := "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	tests := []struct {
		name  string
		send  []string // written one after another, 50 ms apart
		want  string   // in what the server sent before closing
		slack time.Duration
	}{
		{"headers that never end", []string{"GET / HTTP/1.1\r\nHost: " + host + "\r\n", "X-Slow: 1\r\n"}, "", 3 * time.Second},
		{"a kept-alive connection left idle", []string{get}, "200 OK", 3 * time.Second},
		{"headers too large", []string{"GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"}, "431", 3 * time.Second},
		{"a call whose body never ends", []string{"POST /api/call/Version HTTP/1.1\r\nHost: " + host + "\r\n" + TokenHeader + ": " + testToken +
			"\r\nContent-Length: 100\r\n\r\n[", "  "}, "408", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, part := range tt.send {
				if _, err := io.WriteString(c, part); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(tt.slack))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("the server kept the connection open %v: %v (got %q)", tt.slack, err, got)
			}
			if !strings.Contains(string(got), tt.want) {
				t.Errorf("got %q, want %q in it", got, tt.want)
			}
		})
	}
}
