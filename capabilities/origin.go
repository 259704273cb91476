package capabilities

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Origins are principals (Origin) that several kinds compute from what the
// owner wrote: the http and openapi kinds' origins, an MCP server's URL, a
// folder's readers. One server must be one principal whichever kind names
// it, so all of them go through NormalizeOrigin or OriginOf.

// NormalizeOrigin checks that s is an origin (http or https scheme, a host,
// maybe a port, nothing else) and returns it in canonical form: lowercase,
// without a default port.
func NormalizeOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", fmt.Errorf("%q is not an origin: give only scheme://host[:port], without a path, query or fragment", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q holds a user name or password: give only scheme://host[:port], and the credential as a secret", s)
	}
	o, err := OriginOf(u)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return o, nil
}

// OriginOf returns the canonical origin of an absolute http(s) URL.
func OriginOf(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("the scheme must be http or https")
	}
	if u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("no host")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("no host")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == ':' || c == '_') {
			return "", fmt.Errorf("host %q: only ASCII letters, digits, '-', '.' and '_' (write an international name in punycode, xn--...)", host)
		}
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("host %q is not a valid IPv6 address", host)
		}
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// IsLoopback reports whether host (a URL's host name, maybe in brackets)
// names this machine: "localhost" or a loopback IP address. Other names are
// not resolved, so a name that merely resolves to a loopback address (or
// one under .localhost, or "localhost." as a fully qualified name, which a
// resolver may send anywhere) does not count: only these may be reached in
// plain text, or trusted as the owner, without the owner saying so.
func IsLoopback(host string) bool {
	h := strings.ToLower(host)
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
