package httpcap_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"littleboxes/capabilities"
	httpcap "littleboxes/capabilities/http"
)

// FuzzProps checks that any props either fail with ErrProps or make an
// instance whose audience is its origins, each already canonical.
func FuzzProps(f *testing.F) {
	f.Add(`{"origins": ["https://api.example.com"]}`)
	f.Add(`{"origins": ["HTTPS://API.example.com:443/", "http://[::1]:80"], "allow_private_network": true, "methods": ["post"]}`)
	f.Add(`{"origins": ["https://a.example"], "auth": {"type": "query", "name": "k"}, "timeout": "1m", "max_redirects": 0}`)
	f.Add(`{"origins": ["https://a.example/x"]}`)
	f.Fuzz(func(t *testing.T, props string) {
		inst, err := capabilities.New(context.Background(), "http", []byte(props), &capabilities.Host{})
		if err != nil {
			if !strings.Contains(err.Error(), "invalid props") {
				t.Fatalf("err = %v, want invalid props", err)
			}
			return
		}
		defer capabilities.Cleanup(inst)
		for _, p := range inst.Flow().Audience {
			o := strings.TrimPrefix(string(p), "origin:")
			u, err := url.Parse(o)
			if err != nil {
				t.Fatalf("audience %q: %v", o, err)
			}
			if c, err := capabilities.OriginOf(u); err != nil || c != o {
				t.Fatalf("audience %q is not canonical (%q, %v)", o, c, err)
			}
		}
	})
}

// FuzzResolveURL checks that a URL fetch accepts is sent to an allowed
// origin: the host net/http would connect to is an allowed one.
func FuzzResolveURL(f *testing.F) {
	for _, s := range []string{"/x", "https://api.example.com/a?b=c", "//evil.example/", "https://api.example.com@evil.example/",
		"http://127.0.0.1:8080/", "HTTPS://API.EXAMPLE.COM:443/x", "https:api.example.com", "https://api.example.com\\@evil/",
		"http://[::1]:8080/", "https://api.example.com:443.evil/", "../../x", "?q"} {
		f.Add(s)
	}
	inst, err := capabilities.New(context.Background(), "http",
		[]byte(`{"origins": ["https://api.example.com", "http://127.0.0.1:8080"], "allow_private_network": true}`), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { capabilities.Cleanup(inst) })
	allowed := map[string]bool{"api.example.com:443": true, "127.0.0.1:8080": true}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := httpcap.ResolveURL(inst, raw)
		if err != nil {
			return
		}
		req, err := http.NewRequest("GET", got, nil)
		if err != nil {
			t.Fatalf("%q → %q: %v", raw, got, err)
		}
		host, port := req.URL.Hostname(), req.URL.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[req.URL.Scheme]
		}
		if !allowed[strings.ToLower(host)+":"+port] || req.URL.User != nil {
			t.Fatalf("%q → %q goes to %s:%s", raw, got, host, port)
		}
		if s := req.URL.Scheme; (s == "https") != (port == "443") {
			t.Fatalf("%q → %q: scheme %s to port %s", raw, got, s, port)
		}
	})
}
