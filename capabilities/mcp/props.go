package mcp

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"littleboxes/capabilities"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// forbiddenHeaders are headers the transport itself sets.
var forbiddenHeaders = []string{"Host", "Content-Length", "Content-Type", "Accept", "Connection", "Transfer-Encoding", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-Id"}

// CheckProps implements capabilities.PropsChecker.
func (m *MCP) CheckProps(secretRefs map[string]string) error {
	var ps capabilities.Problems
	used := map[string]bool{}
	useSlot := func(path, slot string) {
		if !isSlot(slot) {
			ps.Addf(path, "%s: %q is not a secret slot; use one of %s", path, slot, strings.Join(Slots, ", "))
			return
		}
		used[slot] = true
		if secretRefs[slot] == "" {
			ps.Addf(path, "%s: uses the secret slot %s, but no secret is given for it: name the secret in the capability's secrets", path, slot)
		}
	}
	switch {
	case m.Command == "" && m.URL == "":
		// Not given yet: an army still being built may lack it, as it may lack
		// a required prop (the palette adds a capability with no props).
		ps.Add(&capabilities.PropError{Msg: "give either command (a local server over stdio) or url (a streamable HTTP server)", Err: capabilities.ErrIncomplete})
	case m.Command != "" && m.URL != "":
		ps.Addf("url", "url: give either command or url, not both")
	}
	if m.Command != "" {
		if strings.TrimSpace(m.Command) != m.Command || strings.ContainsAny(m.Command, "\x00\n") {
			ps.Addf("command", "command: %q is not a program name or path (arguments go in args)", m.Command)
		}
		for _, k := range sortedKeys(m.Env) {
			if !envName.MatchString(k) {
				ps.Addf("env."+k, "env.%s: not an environment variable name (letters, digits and _)", k)
			}
			if strings.ContainsRune(m.Env[k], 0) {
				ps.Addf("env."+k, "env.%s: holds a NUL byte", k)
			}
		}
		for _, k := range sortedKeys(m.SecretEnv) {
			path := "secret_env." + k
			if !envName.MatchString(k) {
				ps.Addf(path, "%s: not an environment variable name (letters, digits and _)", path)
			}
			if _, dup := m.Env[k]; dup {
				ps.Addf(path, "%s: %s is also in env; give it in one place", path, k)
			}
			useSlot(path, m.SecretEnv[k])
		}
		for i, a := range m.Args {
			if strings.ContainsRune(a, 0) {
				ps.Addf(fmt.Sprintf("args[%d]", i), "args[%d]: holds a NUL byte", i)
			}
		}
		if len(m.SecretHeaders) > 0 {
			ps.Addf("secret_headers", "secret_headers: only for a url server; a command's secrets go in secret_env")
		}
		m.principal = capabilities.Provider("mcp:" + commandName(m.Command, m.Args))
	} else if m.URL != "" {
		if len(m.Env) > 0 || len(m.SecretEnv) > 0 || len(m.Args) > 0 {
			ps.Addf("url", "url: env, secret_env and args are for a command server; a url server's secrets go in secret_headers")
		}
		origin, err := checkURL(m.URL, m.AllowInsecureHTTP)
		if err != nil {
			ps.Addf("url", "url: %v", err)
		}
		m.origin = origin
		m.principal = capabilities.Origin(origin)
		m.headers = map[string]headerSource{}
		for _, k := range sortedKeys(m.SecretHeaders) {
			path := "secret_headers." + k
			if !headerName.MatchString(k) {
				ps.Addf(path, "%s: %q is not a header name", path, k)
				continue
			}
			canon := http.CanonicalHeaderKey(k)
			if containsFold(forbiddenHeaders, canon) {
				ps.Addf(path, "%s: the MCP transport sets %s itself", path, canon)
				continue
			}
			src, err := parseTemplate(m.SecretHeaders[k])
			if err != nil {
				ps.Addf(path, "%s: %v", path, err)
				continue
			}
			useSlot(path, src.slot)
			m.headers[canon] = src
		}
	}
	for _, slot := range sortedKeys(secretRefs) {
		if secretRefs[slot] != "" && !used[slot] {
			ps.Addf("", "a secret is given for slot %s but no secret_env or secret_headers uses it, so the server would never get it", slot)
		}
	}
	seen := map[string]bool{}
	for i, t := range m.Tools {
		at := fmt.Sprintf("tools[%d]", i)
		switch {
		case t == "":
			ps.Addf(at, "%s: empty tool name", at)
		case seen[t]:
			ps.Addf(at, "%s: %s is listed twice", at, t)
		}
		seen[t] = true
	}
	for _, t := range sortedKeys(m.Roles) {
		path := "roles." + t
		switch capabilities.Role(m.Roles[t]) {
		case capabilities.Source, capabilities.Sink, capabilities.Exchange, capabilities.Pure:
		default:
			ps.Addf(path, "%s: %q is not one of source, sink, exchange, pure", path, m.Roles[t])
		}
		if len(m.Tools) > 0 && !seen[t] {
			ps.Addf(path, "%s: %s is not in tools, so it cannot be called", path, t)
		}
	}
	m.timeout = capabilities.CheckTimeout(&ps, "timeout", m.Timeout, DefaultTimeout, MaxTimeout)
	m.checked = len(ps) == 0
	return ps.Err()
}

func isSlot(s string) bool {
	for _, x := range Slots {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// commandName names a command server for its principal: the program's base
// name and its arguments, bounded.
func commandName(cmd string, args []string) string {
	s := strings.Join(append([]string{filepath.Base(cmd)}, args...), " ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// parseTemplate reads a secret header's value: a bare slot name, or a
// template holding exactly one {slot}.
func parseTemplate(v string) (headerSource, error) {
	open := strings.Index(v, "{")
	if open < 0 {
		return headerSource{slot: strings.TrimSpace(v)}, nil
	}
	end := strings.Index(v[open:], "}")
	if end < 0 {
		return headerSource{}, fmt.Errorf("%q: an unclosed {", v)
	}
	src := headerSource{prefix: v[:open], slot: v[open+1 : open+end], suffix: v[open+end+1:]}
	if strings.ContainsAny(src.suffix, "{}") || strings.Contains(src.prefix, "}") {
		return headerSource{}, fmt.Errorf("%q: a template holds exactly one {slot}", v)
	}
	return src, nil
}

// checkURL checks a server URL and returns its origin.
func checkURL(s string, insecure bool) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q holds a user name or password: give the credential as a secret in secret_headers", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("%q has a fragment", s)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "http" && !insecure && !capabilities.IsLoopback(host) {
		return "", fmt.Errorf("%q is plain http to %s, which anyone on the way can read; use https, or set allow_insecure_http", s, host)
	}
	// The origin as the http kind writes it, so that one server is one
	// principal whichever kind reaches it.
	o, err := capabilities.OriginOf(u)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return o, nil
}
