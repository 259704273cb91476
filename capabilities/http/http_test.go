package httpcap_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	httpcap "littleboxes/capabilities/http"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	captest.Check(t, "http")
}

// fakeSecrets is a capabilities.Secrets in memory that counts reads.
type fakeSecrets struct {
	mu    sync.Mutex
	m     map[string]string
	reads int
}

func (f *fakeSecrets) Get(ctx context.Context, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	v, ok := f.m[name]
	if !ok {
		return "", fmt.Errorf("secret %q not found", name)
	}
	return v, nil
}

func (f *fakeSecrets) set(name, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[name] = v
}

// box holds a value set by a server's handler and read by the test.
type box[T any] struct {
	mu sync.Mutex
	v  T
}

func (b *box[T]) set(v T) { b.mu.Lock(); b.v = v; b.mu.Unlock() }

func (b *box[T]) get() T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.v
}

// newInst makes an instance from props; with a non-empty secret the
// credential slot names "api-key", holding it.
func newInst(t *testing.T, props string, secret string) capabilities.Instance {
	t.Helper()
	inst, err := newInstErr(props, secret)
	if err != nil {
		t.Fatalf("capabilities.New(%s): %v", props, err)
	}
	t.Cleanup(func() { _ = capabilities.Cleanup(inst) })
	return inst
}

func newInstErr(props string, secret string) (capabilities.Instance, error) {
	h := &capabilities.Host{Instance: "web"}
	if secret != "" {
		h.Secrets = &fakeSecrets{m: map[string]string{"api-key": secret}}
		h.SecretRefs = map[string]string{"credential": "api-key"}
	}
	return capabilities.New(context.Background(), "http", []byte(props), h)
}

// props renders props JSON from a map.
func props(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// server starts a test server counting its requests.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func fetch(inst capabilities.Instance, args ...any) (map[string]any, error) {
	v, err := capabilities.Call(context.Background(), inst, "fetch", args)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func mustFetch(t *testing.T, inst capabilities.Instance, args ...any) map[string]any {
	t.Helper()
	res, err := fetch(inst, args...)
	if err != nil {
		t.Fatalf("fetch(%v): %v", args, err)
	}
	return res
}

func wantErr(t *testing.T, err error, target error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v containing %q", target, substr)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("err = %v, want errors.Is %v", err, target)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("err = %q, want it to contain %q", err, substr)
	}
}

func TestProps(t *testing.T) {
	good := `"origins": ["https://api.example.com"]`
	tests := []struct {
		name   string
		props  string
		secret string
		want   string // "" for success
	}{
		{"minimal", `{` + good + `}`, "", ""},
		{"everything", `{"origins": ["https://api.example.com", "http://other.example:8080"], "methods": ["get", "POST"], "label": "public",
			"auth": {"type": "bearer"}, "timeout": "30s", "max_response_bytes": 100, "max_request_bytes": 100, "max_redirects": 0}`, "tok-123456", ""},
		{"header auth", `{` + good + `, "auth": {"type": "header", "name": "X-Api-Key"}}`, "tok-123456", ""},
		{"query auth", `{` + good + `, "auth": {"type": "query", "name": "key"}}`, "tok-123456", ""},
		{"private literal allowed", `{"origins": ["http://127.0.0.1:8080"], "allow_private_network": true}`, "", ""},
		{"unknown field", `{` + good + `, "origin": "x"}`, "", `unknown field "origin"`},
		{"unknown auth field", `{` + good + `, "auth": {"type": "bearer", "token": "x"}}`, "", `unknown field "token"`},
		{"no origins", `{}`, "", "origins: at least one origin is required"},
		{"empty origins", `{"origins": []}`, "", "origins: at least one origin is required"},
		{"bad url", `{"origins": ["https://api.example.com:port"]}`, "", `origins[0]: "https://api.example.com:port" is not a URL`},
		{"origin with path", `{"origins": ["https://api.example.com/v1"]}`, "", "is not an origin: give only scheme://host[:port]"},
		{"origin with query", `{"origins": ["https://api.example.com?x=1"]}`, "", "is not an origin"},
		{"origin with fragment", `{"origins": ["https://api.example.com#x"]}`, "", "is not an origin"},
		{"origin with userinfo", `{"origins": ["https://me:pw@api.example.com"]}`, "", "holds a user name or password"},
		{"origin not http", `{"origins": ["ftp://api.example.com"]}`, "", "the scheme must be http or https"},
		{"origin without scheme", `{"origins": ["api.example.com"]}`, "", "is not an origin"},
		{"origin bad port", `{"origins": ["https://api.example.com:70000"]}`, "", "is not a number from 1 to 65535"},
		{"origin unicode", `{"origins": ["https://bücher.example"]}`, "", "punycode"},
		{"private literal", `{"origins": ["http://10.0.0.5"]}`, "", "a private network address; set allow_private_network"},
		{"loopback literal", `{"origins": ["http://[::1]:8080"]}`, "", "a loopback address"},
		{"localhost", `{"origins": ["http://localhost:8080"]}`, "", "this machine (localhost)"},
		{"bad method", `{` + good + `, "methods": ["CONNECT"]}`, "", `methods[0]: "CONNECT" is not one of`},
		{"bad label", `{` + good + `, "label": "secret"}`, "", `label: "secret" is neither`},
		{"bad timeout", `{` + good + `, "timeout": "soon"}`, "", `timeout: "soon" is not a duration`},
		{"long timeout", `{` + good + `, "timeout": "3m"}`, "", "is not more than 0 and at most 2m0s"},
		{"zero timeout", `{` + good + `, "timeout": "0s"}`, "", "0s is not more than 0"},
		{"negative response cap", `{` + good + `, "max_response_bytes": -1}`, "", "max_response_bytes is -1"},
		{"huge request cap", `{` + good + `, "max_request_bytes": 1000000000}`, "", "max_request_bytes is 1000000000, want 1 to 67108864"},
		{"redirects", `{` + good + `, "max_redirects": 21}`, "", "max_redirects: 21"},
		{"wrong type", `{"origins": "https://api.example.com"}`, "", "cannot unmarshal"},
		{"auth without credential", `{` + good + `, "auth": {"type": "bearer"}}`, "", `auth is set (type bearer) but no "credential" secret is given`},
		{"credential without auth", `{` + good + `}`, "tok-123456", `a "credential" secret is given but auth is not set`},
		{"auth bad type", `{` + good + `, "auth": {"type": "basic"}}`, "tok-123456", `auth.type: "basic" is not one of bearer, header, query`},
		{"auth header without name", `{` + good + `, "auth": {"type": "header"}}`, "tok-123456", "auth.name: the header name is required"},
		{"auth header bad name", `{` + good + `, "auth": {"type": "header", "name": "X Key"}}`, "tok-123456", "is not a valid header name"},
		{"auth header host", `{` + good + `, "auth": {"type": "header", "name": "host"}}`, "tok-123456", "cannot carry the credential"},
		{"auth query without name", `{` + good + `, "auth": {"type": "query"}}`, "tok-123456", "query parameter name is required"},
		{"auth bearer with name", `{` + good + `, "auth": {"type": "bearer", "name": "X"}}`, "tok-123456", "not used with type bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := newInstErr(tt.props, tt.secret)
			if inst != nil {
				defer capabilities.Cleanup(inst)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			wantErr(t, err, capabilities.ErrProps, tt.want)
		})
	}
}

func TestFetch(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0xff, 0xfe, 0x00, 0x80})
			return
		case "/missing":
			http.NotFound(w, r)
			return
		}
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"body": string(body), "x-test": r.Header.Get("X-Test"), "ct": r.Header.Get("Content-Type"),
		})
	})
	inst := newInst(t, props(t, map[string]any{
		"origins":               []string{srv.URL},
		"methods":               []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		"allow_private_network": true,
	}), "")

	decode := func(t *testing.T, res map[string]any) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(res["body"].(string)), &m); err != nil {
			t.Fatalf("body %q: %v", res["body"], err)
		}
		return m
	}

	t.Run("get absolute", func(t *testing.T) {
		res := mustFetch(t, inst, srv.URL+"/a/b?x=1#frag")
		if res["status"] != 200.0 || res["statusText"] != "OK" || res["ok"] != true || res["url"] != srv.URL+"/a/b?x=1" {
			t.Fatalf("res = %v", res)
		}
		h := res["headers"].(map[string]any)
		if h["x-multi"] != "a, b" || h["content-type"] != "application/json" {
			t.Fatalf("headers = %v", h)
		}
		if _, ok := res["bodyBytes"]; ok {
			t.Fatal("bodyBytes present for a text body")
		}
		m := decode(t, res)
		if m["method"] != "GET" || m["path"] != "/a/b" || m["query"] != "x=1" {
			t.Fatalf("server saw %v", m)
		}
	})
	t.Run("relative path", func(t *testing.T) {
		m := decode(t, mustFetch(t, inst, "/rel?q=2"))
		if m["path"] != "/rel" || m["query"] != "q=2" {
			t.Fatalf("server saw %v", m)
		}
		m = decode(t, mustFetch(t, inst, "rel2"))
		if m["path"] != "/rel2" {
			t.Fatalf("server saw %v", m)
		}
	})
	t.Run("no path", func(t *testing.T) {
		m := decode(t, mustFetch(t, inst, srv.URL))
		if m["path"] != "/" {
			t.Fatalf("server saw %v", m)
		}
	})
	t.Run("post string body and headers", func(t *testing.T) {
		m := decode(t, mustFetch(t, inst, "/p", map[string]any{
			"method": "post", "body": `{"a":1}`,
			"headers": map[string]any{"x-test": "yes", "Content-Type": "application/json"},
		}))
		if m["method"] != "POST" || m["body"] != `{"a":1}` || m["x-test"] != "yes" || m["ct"] != "application/json" {
			t.Fatalf("server saw %v", m)
		}
	})
	t.Run("put bytes body", func(t *testing.T) {
		m := decode(t, mustFetch(t, inst, "/p", map[string]any{"method": "PUT", "body": []byte("raw\x01")}))
		if m["method"] != "PUT" || m["body"] != "raw\x01" || m["ct"] != "" {
			t.Fatalf("server saw %v", m)
		}
		m = decode(t, mustFetch(t, inst, "/p", map[string]any{"method": "PATCH", "body": "text"}))
		if m["body"] != "text" || m["ct"] != "text/plain;charset=UTF-8" {
			t.Fatalf("server saw %v", m)
		}
	})
	t.Run("other methods", func(t *testing.T) {
		for _, method := range []string{"PATCH", "DELETE", "OPTIONS"} {
			m := decode(t, mustFetch(t, inst, "/m", map[string]any{"method": method}))
			if m["method"] != method {
				t.Fatalf("server saw %v", m)
			}
		}
	})
	t.Run("head", func(t *testing.T) {
		res := mustFetch(t, inst, "/h", map[string]any{"method": "HEAD"})
		if res["status"] != 200.0 || res["body"] != "" {
			t.Fatalf("res = %v", res)
		}
	})
	t.Run("null init fields", func(t *testing.T) {
		mustFetch(t, inst, "/n", map[string]any{"method": nil, "headers": nil, "body": nil})
		mustFetch(t, inst, "/n", nil)
	})
	t.Run("binary body", func(t *testing.T) {
		res := mustFetch(t, inst, "/binary")
		if res["body"] != "" || string(res["bodyBytes"].([]byte)) != "\xff\xfe\x00\x80" {
			t.Fatalf("res = %v", res)
		}
	})
	t.Run("error status resolves", func(t *testing.T) {
		res := mustFetch(t, inst, "/missing")
		if res["status"] != 404.0 || res["ok"] != false || res["statusText"] != "Not Found" {
			t.Fatalf("res = %v", res)
		}
	})
}

func TestBadArguments(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "methods": []string{"GET", "POST"}, "allow_private_network": true}), "")
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"no url", nil, "argument 1 (url): want a string, got nothing"},
		{"url number", []any{1.0}, "argument 1 (url): want a string"},
		{"init not object", []any{"/", "GET"}, "argument 2 (init): want an object"},
		{"unknown option", []any{"/", map[string]any{"mode": "cors"}}, `init: unknown option "mode"`},
		{"method not string", []any{"/", map[string]any{"method": 1.0}}, "init.method"},
		{"headers not object", []any{"/", map[string]any{"headers": []any{"a"}}}, "init.headers"},
		{"header value not string", []any{"/", map[string]any{"headers": map[string]any{"X-A": 1.0}}}, `init.headers["X-A"]`},
		{"duplicate header", []any{"/", map[string]any{"headers": map[string]any{"X-A": "1", "x-a": "2"}}}, "X-A is given twice"},
		{"body not string", []any{"/", map[string]any{"method": "POST", "body": map[string]any{}}}, "init.body"},
		{"body with get", []any{"/", map[string]any{"body": "x"}}, "a GET request cannot have a body"},
		{"bad url", []any{"http://[::1"}, "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fetch(inst, tt.args...)
			wantErr(t, err, nil, tt.want)
		})
	}
	if _, err := capabilities.Call(context.Background(), inst, "get", []any{"/"}); err == nil || err.Error() != "there is no method get; it has fetch" {
		t.Fatalf("unknown method: err = %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("server hit %d times by refused requests", hits.Load())
	}
}

func TestMethodsAllowlist(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	def := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true}), "")
	for _, m := range []string{"POST", "DELETE", "HEAD", "CONNECT", "TRACE", "get "} {
		_, err := fetch(def, "/", map[string]any{"method": m})
		wantErr(t, err, httpcap.ErrMethodNotAllowed, "(allowed: GET)")
	}
	if hits.Load() != 0 {
		t.Fatalf("server hit %d times", hits.Load())
	}
	mustFetch(t, def, "/", map[string]any{"method": "get"})
	post := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "methods": []string{"post"}, "allow_private_network": true}), "")
	mustFetch(t, post, "/", map[string]any{"method": "POST", "body": "x"})
	_, err := fetch(post, "/")
	wantErr(t, err, httpcap.ErrMethodNotAllowed, `"GET" (allowed: POST)`)
}

func TestFlow(t *testing.T) {
	tests := []struct {
		props         string
		label         []string
		audience      []string
		consequential bool
	}{
		{`{"origins": ["https://API.example.com:443", "http://b.example:8080/"]}`, []string{"owner"},
			[]string{"origin:http://b.example:8080", "origin:https://api.example.com"}, false},
		// One origin: it wrote the responses, so it may read them too.
		{`{"origins": ["https://api.example.com"], "label": "private"}`, []string{"origin:https://api.example.com", "owner"}, []string{"origin:https://api.example.com"}, false},
		{`{"origins": ["https://api.example.com"], "label": "public", "methods": ["GET", "head"]}`, []string{"public"}, []string{"origin:https://api.example.com"}, false},
		// A POST may change state: consequential, unless the owner says not.
		{`{"origins": ["https://api.example.com"], "methods": ["GET", "POST"]}`, []string{"origin:https://api.example.com", "owner"}, []string{"origin:https://api.example.com"}, true},
		{`{"origins": ["https://api.example.com"], "methods": ["POST"], "consequential": false}`, []string{"origin:https://api.example.com", "owner"}, []string{"origin:https://api.example.com"}, false},
	}
	for _, tt := range tests {
		inst := newInst(t, tt.props, "")
		f := inst.Flow()
		if strings.Join(f.Label.Strings(), " ") != strings.Join(tt.label, " ") ||
			strings.Join(f.Audience.Strings(), " ") != strings.Join(tt.audience, " ") || f.Shared != "" || f.Dynamic {
			t.Fatalf("%s: flow = %+v", tt.props, f)
		}
		// The origins wrote what the responses hold.
		if strings.Join(f.Writers.Strings(), " ") != strings.Join(tt.audience, " ") {
			t.Fatalf("%s: writers = %v, want the origins", tt.props, f.Writers)
		}
		if f.Inconsequential == tt.consequential {
			t.Fatalf("%s: inconsequential = %v", tt.props, f.Inconsequential)
		}
		// A decoded, unprovisioned instance reports the same flow.
		dec, _, err := capabilities.Decode("http", []byte(tt.props))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(dec.Flow()) != fmt.Sprint(f) {
			t.Fatalf("decoded flow %+v, provisioned %+v", dec.Flow(), f)
		}
	}
	k, _ := capabilities.Lookup("http")
	if m, ok := k.Table.Method("fetch"); !ok || m.Role != capabilities.Exchange {
		t.Fatalf("fetch declared as %+v", m)
	}
}

// TestFlowSameOrigin: one origin written twice, differing in case, default
// port or a trailing slash, is one origin: a private instance labels its
// responses owner + that origin, so an agent that read only from it may
// send it requests without asking.
func TestFlowSameOrigin(t *testing.T) {
	tests := []struct {
		name  string
		list  string // the origins prop
		label string
		count int // origins in the audience
	}{
		{"case", `["https://API.example.com", "https://api.example.com"]`, "origin:https://api.example.com owner", 1},
		{"default port and slash", `["https://API.example.com", "https://api.example.com:443/"]`, "origin:https://api.example.com owner", 1},
		{"http default port", `["http://a.example:80", "HTTP://A.EXAMPLE/"]`, "origin:http://a.example owner", 1},
		{"scheme differs", `["http://a.example", "https://a.example"]`, "owner", 2},
		{"port differs", `["https://a.example", "https://a.example:8443"]`, "owner", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := `{"origins": ` + tt.list + `}`
			for _, inst := range []capabilities.Instance{newInst(t, props, ""), decoded(t, props)} {
				f := inst.Flow()
				if got := strings.Join(f.Label.Strings(), " "); got != tt.label {
					t.Errorf("label = %s, want %s", got, tt.label)
				}
				if len(f.Audience) != tt.count {
					t.Errorf("audience = %v, want %d origins", f.Audience, tt.count)
				}
			}
		})
	}
}

func decoded(t *testing.T, props string) capabilities.Instance {
	t.Helper()
	inst, _, err := capabilities.Decode("http", []byte(props))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestClosedAndUnprovisioned(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true}), "")
	mustFetch(t, inst, "/")
	if err := capabilities.Cleanup(inst); err != nil {
		t.Fatal(err)
	}
	_, err := fetch(inst, "/")
	wantErr(t, err, httpcap.ErrClosed, "instance closed")

	dec, _, err := capabilities.Decode("http", []byte(`{"origins": ["https://api.example.com"]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = fetch(dec, "/")
	wantErr(t, err, nil, "not provisioned")
}

// lookupTo resolves every name to addrs.
func lookupTo(addrs ...string) (func(ctx context.Context, host string) ([]netip.Addr, error), *atomic.Int64) {
	var calls atomic.Int64
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		calls.Add(1)
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}, &calls
}

// hostPort returns the port of a test server.
func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// checkNoSecret fails if v (result data or an error message) holds secret
// in any of the forms a reader could decode.
func checkNoSecret(t *testing.T, where string, v any, secret string) {
	t.Helper()
	b := []byte(secret)
	forms := []string{secret, base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), url.QueryEscape(secret), url.PathEscape(secret)}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		case map[string]any:
			for k, e := range x {
				walk(path+"[key "+k+"]", k)
				walk(path+"."+k, e)
			}
			return
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
			return
		default:
			return
		}
		for _, f := range forms {
			if strings.Contains(s, f) {
				t.Fatalf("%s%s holds the credential (as %q): %q", where, path, f, s)
			}
		}
	}
	walk("", v)
}
