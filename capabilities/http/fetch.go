package httpcap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"littleboxes/capabilities"
)

// secretKey is the context key under which a call's credential travels from
// fetch to credentialTransport, so that each hop of a redirect chain gets it
// afresh (and only hops to allowed origins).
type secretKey struct{}

// fetch is env.NAME.fetch(url, init?).
func (h *HTTP) fetch(ctx context.Context, args []any) (any, error) {
	if h.closed.Load() {
		return nil, fmt.Errorf("http fetch: %w", ErrClosed)
	}
	if !h.ready {
		return nil, errors.New("http fetch: the capability is not provisioned and validated")
	}
	rawURL, err := capabilities.String(args, 0, "url")
	if err != nil {
		return nil, err
	}
	init, err := capabilities.OptObject(args, 1, "init")
	if err != nil {
		return nil, err
	}
	req, err := h.parseRequest(rawURL, init)
	if err != nil {
		return nil, err
	}

	// Read the credential now, for this call only, and build the redactor
	// that keeps it out of everything returned.
	var red *redactor
	if h.Auth != nil {
		secret, err := h.host.Secret(ctx, CredentialSlot)
		if err != nil {
			return nil, fmt.Errorf("http fetch %s: %w: %v", req.shown, ErrCredential, err)
		}
		if len(secret) < minRedactLen {
			return nil, fmt.Errorf("http fetch %s: %w: the credential is shorter than %d bytes, too short to keep out of responses", req.shown, ErrCredential, minRedactLen)
		}
		red = newRedactor(secret)
		ctx = context.WithValue(ctx, secretKey{}, secret)
	}

	res, err := h.do(ctx, req, red)
	if err != nil {
		return nil, redactErr(red, err)
	}
	return res, nil
}

// request is a checked fetch request.
type request struct {
	method string
	url    *url.URL
	shown  string // the URL as the agent gave it, resolved; for messages
	header http.Header
	body   []byte
}

// initKeys are the options fetch takes.
var initKeys = []string{"method", "headers", "body"}

// parseRequest checks everything about a request that can be checked before
// connecting: the URL's origin, the method, the headers, the body size.
func (h *HTTP) parseRequest(rawURL string, init map[string]any) (*request, error) {
	for k := range init {
		if !containsString(initKeys, k) {
			return nil, fmt.Errorf("http fetch: init: unknown option %q (the options are %s)", k, strings.Join(initKeys, ", "))
		}
	}
	u, err := h.resolveURL(rawURL)
	if err != nil {
		return nil, err
	}
	r := &request{url: u, shown: u.String(), header: http.Header{}}

	r.method = "GET"
	if m, ok := init["method"]; ok && m != nil {
		s, ok := m.(string)
		if !ok {
			return nil, &capabilities.ArgError{Index: 1, Name: "init.method", Want: "a string", Got: m}
		}
		r.method = strings.ToUpper(s)
	}
	if !h.methods[r.method] {
		return nil, fmt.Errorf("http fetch %s: %w: %q (allowed: %s)", r.shown, ErrMethodNotAllowed, r.method, strings.Join(h.methodList(), ", "))
	}

	if hv, ok := init["headers"]; ok && hv != nil {
		hm, ok := hv.(map[string]any)
		if !ok {
			return nil, &capabilities.ArgError{Index: 1, Name: "init.headers", Want: "an object of header names to string values", Got: hv}
		}
		names := make([]string, 0, len(hm))
		for name := range hm {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v, ok := hm[name].(string)
			if !ok {
				return nil, &capabilities.ArgError{Index: 1, Name: "init.headers[" + strconv.Quote(name) + "]", Want: "a string", Got: hm[name]}
			}
			if !validToken(name) {
				return nil, fmt.Errorf("http fetch %s: %w: %q is not a valid header name", r.shown, ErrHeaderNotAllowed, name)
			}
			if !validHeaderValue(v) {
				return nil, fmt.Errorf("http fetch %s: %w: the value of %s holds a line break or control character", r.shown, ErrHeaderNotAllowed, name)
			}
			key := http.CanonicalHeaderKey(name)
			if reason := h.headerForbidden(key); reason != "" {
				return nil, fmt.Errorf("http fetch %s: %w: %s cannot be set: %s", r.shown, ErrHeaderNotAllowed, key, reason)
			}
			if _, dup := r.header[key]; dup {
				return nil, fmt.Errorf("http fetch %s: init.headers: %s is given twice (header names are case-insensitive)", r.shown, key)
			}
			r.header[key] = []string{v}
		}
	}

	if bv, ok := init["body"]; ok && bv != nil {
		switch b := bv.(type) {
		case string:
			r.body = []byte(b)
			if r.header.Get("Content-Type") == "" {
				r.header.Set("Content-Type", "text/plain;charset=UTF-8") // as fetch does
			}
		case []byte:
			r.body = b
		default:
			return nil, &capabilities.ArgError{Index: 1, Name: "init.body", Want: "a string or Uint8Array", Got: bv}
		}
		if r.method == "GET" || r.method == "HEAD" {
			return nil, fmt.Errorf("http fetch %s: a %s request cannot have a body", r.shown, r.method)
		}
		if int64(len(r.body)) > h.maxReq {
			return nil, fmt.Errorf("http fetch %s: %w: the request body is %d bytes, over max_request_bytes (%d)", r.shown, ErrTooLarge, len(r.body), h.maxReq)
		}
	}
	return r, nil
}

// resolveURL parses the agent's URL, resolves a relative one against the
// first origin, and checks that its origin is allowed.
func (h *HTTP) resolveURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("http fetch: %q is not a URL", rawURL)
	}
	if u.Scheme == "" {
		base, _ := url.Parse(h.origins[0] + "/")
		u = base.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	o, err := originOf(u)
	if err != nil {
		return nil, fmt.Errorf("http fetch %s: %w: %v", u.Redacted(), ErrOriginNotAllowed, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("http fetch %s: the URL holds a user name or password, which is not allowed", u.Redacted())
	}
	if !h.allowed[o] {
		return nil, fmt.Errorf("http fetch %s: %w: %s is not one of %s", u, ErrOriginNotAllowed, o, strings.Join(h.origins, ", "))
	}
	if h.Auth != nil && h.Auth.Type == "query" && hasQueryParam(u.RawQuery, h.Auth.Name) {
		return nil, fmt.Errorf("http fetch %s: the query parameter %q carries the credential and cannot be set", u, h.Auth.Name)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

func (h *HTTP) methodList() []string {
	var ms []string
	for _, m := range allowedMethods {
		if h.methods[m] {
			ms = append(ms, m)
		}
	}
	return ms
}

// hopByHop are headers that belong to one connection, not to the request.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// headerForbiddenAlways says why a header (canonical key) can never be set
// by the agent nor carry the credential, or "".
func headerForbiddenAlways(key string) string {
	switch {
	case key == "Host":
		return "the host comes from the URL"
	case key == "Content-Length":
		return "it is computed from the body"
	case hopByHop[key]:
		return "it is a hop-by-hop header"
	}
	return ""
}

// headerForbidden says why the agent may not set a header (canonical key),
// or "".
func (h *HTTP) headerForbidden(key string) string {
	if r := headerForbiddenAlways(key); r != "" {
		return r
	}
	if key == "Accept-Encoding" {
		return "the response encoding is negotiated by littleboxes, which decodes it"
	}
	if h.Auth != nil {
		switch {
		case key == "Authorization" || key == "Cookie":
			return "this capability adds its own credential"
		case h.Auth.Type == "header" && key == http.CanonicalHeaderKey(h.Auth.Name):
			return "it carries this capability's credential"
		}
	}
	return ""
}

// do sends the request and reads the response.
func (h *HTTP) do(ctx context.Context, r *request, red *redactor) (map[string]any, error) {
	tctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(tctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("http fetch %s: %v", r.shown, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, h.callErr(ctx, tctx, r, err)
	}
	defer resp.Body.Close()

	if h.Auth != nil {
		if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			return nil, fmt.Errorf("http fetch %s: the response is encoded (Content-Encoding: %s), so it cannot be checked for the credential; refused", r.shown, ce)
		}
	}
	if resp.ContentLength > h.maxResp {
		return nil, fmt.Errorf("http fetch %s: %w: the response body is %d bytes, over max_response_bytes (%d)", r.shown, ErrTooLarge, resp.ContentLength, h.maxResp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, h.maxResp+1))
	if err != nil {
		return nil, h.callErr(ctx, tctx, r, err)
	}
	if int64(len(data)) > h.maxResp {
		return nil, fmt.Errorf("http fetch %s: %w: the response body is over max_response_bytes (%d)", r.shown, ErrTooLarge, h.maxResp)
	}

	headers := map[string]any{}
	for k, vs := range resp.Header {
		headers[red.String(strings.ToLower(k))] = red.String(strings.Join(vs, ", "))
	}
	finalURL := r.shown
	if resp.Request != nil && resp.Request.URL != nil {
		finalURL = resp.Request.URL.String()
	}
	statusText := strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))
	res := map[string]any{
		"status":     float64(resp.StatusCode),
		"statusText": red.String(strings.TrimSpace(statusText)),
		"ok":         resp.StatusCode >= 200 && resp.StatusCode <= 299,
		"url":        red.String(finalURL),
		"headers":    headers,
	}
	data = red.Bytes(data)
	if utf8.Valid(data) {
		res["body"] = string(data)
	} else {
		res["body"] = ""
		res["bodyBytes"] = data
	}
	return res, nil
}

// callErr turns an error of the client into a clear one. The client's own
// errors name the URL it sent, which may carry the credential (auth type
// query): this names the agent's URL instead.
func (h *HTTP) callErr(ctx, tctx context.Context, r *request, err error) error {
	if ctx.Err() == nil && tctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("http fetch %s: %w after %s (the props' timeout)", r.shown, ErrTimeout, h.timeout)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("http fetch %s: %w", r.shown, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("http fetch %s: %w", r.shown, err)
}

// checkRedirect lets the client follow a redirect only to an allowed
// origin, with an allowed method, up to max_redirects.
func (h *HTTP) checkRedirect(req *http.Request, via []*http.Request) error {
	if h.maxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > h.maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects (max_redirects)", ErrRedirect, h.maxRedirects)
	}
	o, err := originOf(req.URL)
	if err != nil || !h.allowed[o] {
		return fmt.Errorf("%w: %w: a redirect to %s, outside %s, was not followed", ErrRedirect, ErrOriginNotAllowed, req.URL.Redacted(), strings.Join(h.origins, ", "))
	}
	if req.URL.User != nil {
		return fmt.Errorf("%w: a redirect to a URL with a user name or password was not followed", ErrRedirect)
	}
	if !h.methods[req.Method] {
		return fmt.Errorf("%w: %w: the redirect would be a %s request (allowed: %s)", ErrRedirect, ErrMethodNotAllowed, req.Method, strings.Join(h.methodList(), ", "))
	}
	return nil
}

// credentialTransport attaches the call's credential to each request for an
// allowed origin (the first one and every redirect the client follows).
type credentialTransport struct {
	h    *HTTP
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *credentialTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	secret, ok := req.Context().Value(secretKey{}).(string)
	o, err := originOf(req.URL)
	if err != nil || !t.h.allowed[o] {
		// Unreachable through fetch, which checks every URL and redirect.
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s", ErrOriginNotAllowed, req.URL.Redacted())
	}
	if !ok || t.h.Auth == nil {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	switch a := t.h.Auth; a.Type {
	case "bearer":
		out.Header.Set("Authorization", "Bearer "+secret)
	case "header":
		out.Header.Set(a.Name, secret)
	case "query":
		u := *out.URL
		u.RawQuery = withQueryParam(u.RawQuery, a.Name, secret)
		out.URL = &u
	}
	resp, err := t.next.RoundTrip(out)
	if resp != nil {
		// The response names the request the client made, not the one
		// carrying the credential.
		resp.Request = req
	}
	return resp, err
}

// withQueryParam returns rawQuery with every name parameter removed and
// name=value appended.
func withQueryParam(rawQuery, name, value string) string {
	var parts []string
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" || queryKey(p) == name {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, url.QueryEscape(name)+"="+url.QueryEscape(value))
	return strings.Join(parts, "&")
}

// hasQueryParam reports whether rawQuery holds a parameter called name.
func hasQueryParam(rawQuery, name string) bool {
	for _, p := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		if queryKey(p) == name {
			return true
		}
	}
	return false
}

func queryKey(p string) string {
	k, _, _ := strings.Cut(p, "=")
	if u, err := url.QueryUnescape(k); err == nil {
		return u
	}
	return k
}

// validToken reports whether s is an HTTP token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
