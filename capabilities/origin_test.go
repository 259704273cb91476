package capabilities

import (
	"strings"
	"testing"
)

// TestNormalizeOriginRefuses: what is not exactly scheme://host[:port] is
// refused, so that no kind makes a principal of a URL that one server
// could be named by in two ways.
func TestNormalizeOriginRefuses(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"path", "https://a.example/v1", "is not an origin"},
		{"query", "https://a.example?x=1", "is not an origin"},
		{"empty query", "https://a.example?", "is not an origin"},
		{"fragment", "https://a.example#x", "is not an origin"},
		{"empty fragment", "https://a.example#", "is not an origin"},
		{"userinfo", "https://user:pw@a.example", "user name or password"},
		{"userinfo steering the host", "https://a.example@evil.example", "user name or password"},
		{"no scheme", "a.example", "is not an origin"},
		{"other scheme", "ftp://a.example", "http or https"},
		{"opaque", "https:a.example", "no host"},
		{"no host", "https://", "no host"},
		{"port only", "https://:443", "no host"},
		{"unicode host", "https://exämple.com", "punycode"},
		{"percent in host", "https://a%2eexample", "is not a URL"},
		{"bad IPv6", "http://[::g]", "is not a URL"},
		{"port zero", "https://a.example:0", "port"},
		{"port leading zero", "https://a.example:0443", "port"},
		{"port too large", "https://a.example:65536", "port"},
		{"not a URL", "https://a b", "is not a URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeOrigin(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NormalizeOrigin(%q) = %q, %v; want an error containing %q", c.in, got, err, c.want)
			}
		})
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://API.Example.com":     "https://api.example.com",
		"HTTPS://api.example.com:443": "https://api.example.com",
		"http://api.example.com:80/":  "http://api.example.com",
		"https://api.example.com:80":  "https://api.example.com:80",
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080",
		"http://[::1]:80":             "http://[::1]",
		"https://xn--exmple-cua.com":  "https://xn--exmple-cua.com",
	} {
		if got, err := NormalizeOrigin(in); err != nil || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestIsLoopback: only localhost and loopback address literals name this
// machine; a name that looks like one is not resolved, and not trusted.
func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":              true,
		"LocalHost":              true,
		"localhost.":             false,
		"127.0.0.1":              true,
		"127.8.9.10":             true,
		"::1":                    true,
		"[::1]":                  true,
		"":                       false,
		"x.localhost":            false,
		"localhost.evil.example": false,
		"evil-localhost":         false,
		"127.0.0.1.evil.example": false,
		"0x7f.0.0.1":             false,
		"10.0.0.1":               false,
		"::ffff:10.0.0.1":        false,
		"[::2]":                  false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
