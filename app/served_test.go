package app

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"littleboxes/app/serve"
	"littleboxes/app/serve/servetest"
)

var testDist = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>littleboxes</title>")}}

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// startServer serves a fresh API, as package serve does, on a loopback
// port.
func startServer(t testing.TB) *httptest.Server {
	t.Helper()
	return servetest.Start(t, openTest(t, "").served(), testDist, testToken)
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
		req.Header.Set(serve.TokenHeader, r.token)
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
	ts := startServer(t)
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
	ts := startServer(t)
	lines, stop := servetest.Events(t, ts, testToken)
	defer stop()
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
				return
			}
		case <-timeout:
			t.Fatal("no workspace event")
		}
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
	ts := startServer(f)
	readOnly := map[string]bool{"Version": true, "CheckCode": true, "AgentEnv": true, "Kinds": true, "Runs": true,
		"Examples": true, "Workspace": true, "ExportYAML": true, "Approvals": true, "Secrets": true, "Nope": true, "Exec": true}
	f.Fuzz(func(t *testing.T, method, body string) {
		if !readOnly[method] {
			method = "Nope"
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/call/"+method, strings.NewReader(body))
		req.Header.Set(serve.TokenHeader, testToken)
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

// TestServedIsWhatTheWindowBinds checks that serve serves exactly the
// functions Wails generated for the window (frontend/wailsjs/go/app), with
// as many arguments each: one list, bound, for both, and wailsjs
// regenerated after a change of the API.
func TestServedIsWhatTheWindowBinds(t *testing.T) {
	src, err := os.ReadFile("../frontend/wailsjs/go/app/API.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	methods, err := serve.Methods(NewAPI().bound()...)
	if err != nil {
		t.Fatal(err)
	}
	generated := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^export function (\w+)\(([^)]*)\)`).FindAllStringSubmatch(string(src), -1) {
		params := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[2], "") // Record<string, app.Pos>
		generated[m[1]] = 0
		if params != "" {
			generated[m[1]] = strings.Count(params, ",") + 1
		}
	}
	if len(generated) < 10 {
		t.Fatalf("API.d.ts declares only %d functions", len(generated))
	}
	for name, m := range methods {
		n, ok := generated[name]
		switch {
		case !ok:
			t.Errorf("%s is served but not in wailsjs: regenerate it (wails generate module)", name)
		case n != m.Type().NumIn():
			t.Errorf("%s takes %d argument(s) in Go, %d in wailsjs", name, m.Type().NumIn(), n)
		}
	}
	for name := range generated {
		if _, ok := methods[name]; !ok {
			t.Errorf("wailsjs declares %s, which is not served: regenerate it", name)
		}
	}
}

// TestShapesMatchTheGeneratedModels checks that every type of package app
// the bound methods take or return has, in frontend/wailsjs/go/models.ts,
// an interface with its JSON keys.
func TestShapesMatchTheGeneratedModels(t *testing.T) {
	src, err := os.ReadFile("../frontend/wailsjs/go/models.ts")
	if err != nil {
		t.Fatal(err)
	}
	ifaces := map[string][]string{}
	for _, b := range regexp.MustCompile(`(?ms)^\texport interface (\w+) \{\n(.*?)^\t\}`).FindAllStringSubmatch(string(src), -1) {
		var fields []string
		for _, f := range regexp.MustCompile(`(?m)^\t    (\w+)\??:`).FindAllStringSubmatch(b[2], -1) {
			fields = append(fields, f[1])
		}
		slices.Sort(fields)
		ifaces[b[1]] = fields
	}
	methods, err := serve.Methods(NewAPI().bound()...)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != "littleboxes/app" || seen[typ] {
			return
		}
		seen[typ] = true
		var fields []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, name)
			walk(f.Type)
		}
		slices.Sort(fields)
		got, ok := ifaces[typ.Name()]
		switch {
		case !ok:
			t.Errorf("models.ts has no interface %s: regenerate wailsjs", typ.Name())
		case !slices.Equal(got, fields):
			t.Errorf("%s: models.ts %v, Go %v: regenerate wailsjs", typ.Name(), got, fields)
		}
	}
	for _, m := range methods {
		mt := m.Type()
		for i := 0; i < mt.NumIn(); i++ {
			walk(mt.In(i))
		}
		for i := 0; i < mt.NumOut(); i++ {
			walk(mt.Out(i))
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d types reached from the bound methods", len(seen))
	}
}
