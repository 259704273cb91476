package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"littleboxes/capabilities"
	"littleboxes/vault"
)

// secretKey is the context key under which a call's credential travels from
// Send to credentialTransport, so that each hop of a redirect chain gets it
// afresh (and only hops to allowed origins).
type secretKey struct{}

// Request is a checked request: its URL from ResolveURL, its headers each
// allowed by CheckHeader, its method allowed (AllowsMethod), its body within
// the cap (CheckBody).
type Request struct {
	Method string
	URL    *url.URL
	// Shown is the URL as the agent gave it, resolved; for messages.
	Shown  string
	Header http.Header
	Body   []byte
}

// Response is a response read whole, every part of it redacted.
type Response struct {
	// Status is the status code; StatusText the reason phrase, trimmed.
	Status     int
	StatusText string
	// URL is the URL of the final response, after redirects.
	URL string
	// Header holds the response headers by lowercase name, repeated ones
	// joined with ", ".
	Header map[string]string
	// Body is the body, its length within max_response_bytes.
	Body []byte
}

// Send sends a checked request: it reads the credential now, for this call
// only, attaches it on the way out, and keeps it (and its encodings) out of
// the response and of any error, which unwraps only to this package's
// sentinels and the context errors.
func (c *Client) Send(ctx context.Context, r *Request) (*Response, error) {
	if err := c.Usable(); err != nil {
		return nil, err
	}
	var red *vault.Redactor
	if c.Auth != nil {
		secret, err := c.host.Secret(ctx, CredentialSlot)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w: %v", c.Name, r.Shown, ErrCredential, err)
		}
		if len(secret) < vault.MinRedactLen {
			return nil, fmt.Errorf("%s %s: %w: the credential is shorter than %d bytes, too short to keep out of responses", c.Name, r.Shown, ErrCredential, vault.MinRedactLen)
		}
		red = newRedactor(secret)
		ctx = context.WithValue(ctx, secretKey{}, secret)
	}
	res, err := c.do(ctx, r, red)
	if err != nil {
		return nil, redactErr(red, err)
	}
	return res, nil
}

// Usable returns an error unless the client is provisioned and validated,
// and not cleaned up: a kind checks it before anything else of a call.
func (c *Client) Usable() error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", c.Name, ErrClosed)
	}
	if !c.ready {
		return fmt.Errorf("%s: the capability is not provisioned and validated", c.Name)
	}
	return nil
}

// ResolveURL parses the agent's URL, resolves a relative one against the
// first origin, and checks that its origin is allowed.
func (c *Client) ResolveURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a URL", c.Name, rawURL)
	}
	if u.Scheme == "" {
		base, _ := url.Parse(c.origins[0] + "/")
		u = base.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	o, err := capabilities.OriginOf(u)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %v", c.Name, u.Redacted(), ErrOriginNotAllowed, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %s: the URL holds a user name or password, which is not allowed", c.Name, u.Redacted())
	}
	if !c.allowed[o] {
		return nil, fmt.Errorf("%s %s: %w: %s is not one of %s", c.Name, u, ErrOriginNotAllowed, o, strings.Join(c.origins, ", "))
	}
	if c.Auth != nil && c.Auth.Type == "query" && hasQueryParam(u.RawQuery, c.Auth.Name) {
		return nil, fmt.Errorf("%s %s: the query parameter %q carries the credential and cannot be set", c.Name, u, c.Auth.Name)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// AllowsMethod checks that method (uppercase) is allowed.
func (c *Client) AllowsMethod(shown, method string) error {
	if !c.methods[method] {
		return fmt.Errorf("%s %s: %w: %q (allowed: %s)", c.Name, shown, ErrMethodNotAllowed, method, strings.Join(c.methodList(), ", "))
	}
	return nil
}

// CheckHeader checks a request header the agent sets: a valid name, a value
// with no line break, and a header the agent may set. It returns the
// canonical key.
func (c *Client) CheckHeader(shown, name, value string) (string, error) {
	if !validToken(name) {
		return "", fmt.Errorf("%s %s: %w: %q is not a valid header name", c.Name, shown, ErrHeaderNotAllowed, name)
	}
	if !validHeaderValue(value) {
		return "", fmt.Errorf("%s %s: %w: the value of %s holds a line break or control character", c.Name, shown, ErrHeaderNotAllowed, name)
	}
	key := http.CanonicalHeaderKey(name)
	if reason := c.headerForbidden(key); reason != "" {
		return "", fmt.Errorf("%s %s: %w: %s cannot be set: %s", c.Name, shown, ErrHeaderNotAllowed, key, reason)
	}
	return key, nil
}

// CheckBody checks a request body's size and that the method may carry one.
func (c *Client) CheckBody(r *Request) error {
	if r.Method == "GET" || r.Method == "HEAD" {
		return fmt.Errorf("%s %s: a %s request cannot have a body", c.Name, r.Shown, r.Method)
	}
	if int64(len(r.Body)) > c.maxReq {
		return fmt.Errorf("%s %s: %w: the request body is %d bytes, over max_request_bytes (%d)", c.Name, r.Shown, ErrTooLarge, len(r.Body), c.maxReq)
	}
	return nil
}

func (c *Client) methodList() []string {
	var ms []string
	for _, m := range Methods {
		if c.methods[m] {
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
func (c *Client) headerForbidden(key string) string {
	if r := headerForbiddenAlways(key); r != "" {
		return r
	}
	if key == "Accept-Encoding" {
		return "the response encoding is negotiated by littleboxes, which decodes it"
	}
	if c.Auth != nil {
		switch {
		case key == "Authorization" || key == "Cookie":
			return "this capability adds its own credential"
		case c.Auth.Type == "header" && key == http.CanonicalHeaderKey(c.Auth.Name):
			return "it carries this capability's credential"
		}
	}
	return ""
}

// do sends the request and reads the response.
func (c *Client) do(ctx context.Context, r *Request, red *vault.Redactor) (*Response, error) {
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(tctx, r.Method, r.URL.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", c.Name, r.Shown, err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.callErr(ctx, tctx, r, err)
	}
	defer resp.Body.Close()

	if c.Auth != nil {
		if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			return nil, fmt.Errorf("%s %s: the response is encoded (Content-Encoding: %s), so it cannot be checked for the credential; refused", c.Name, r.Shown, ce)
		}
	}
	if resp.ContentLength > c.maxResp {
		return nil, fmt.Errorf("%s %s: %w: the response body is %d bytes, over max_response_bytes (%d)", c.Name, r.Shown, ErrTooLarge, resp.ContentLength, c.maxResp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResp+1))
	if err != nil {
		return nil, c.callErr(ctx, tctx, r, err)
	}
	if int64(len(data)) > c.maxResp {
		return nil, fmt.Errorf("%s %s: %w: the response body is over max_response_bytes (%d)", c.Name, r.Shown, ErrTooLarge, c.maxResp)
	}

	headers := map[string]string{}
	for k, vs := range resp.Header {
		headers[red.String(strings.ToLower(k))] = red.String(strings.Join(vs, ", "))
	}
	finalURL := r.Shown
	if resp.Request != nil && resp.Request.URL != nil {
		finalURL = resp.Request.URL.String()
	}
	statusText := strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))
	return &Response{
		Status:     resp.StatusCode,
		StatusText: red.String(strings.TrimSpace(statusText)),
		URL:        red.String(finalURL),
		Header:     headers,
		Body:       red.Bytes(data),
	}, nil
}

// callErr turns an error of the client into a clear one. The client's own
// errors name the URL it sent, which may carry the credential (auth type
// query): this names the agent's URL instead.
func (c *Client) callErr(ctx, tctx context.Context, r *Request, err error) error {
	if ctx.Err() == nil && tctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s %s: %w after %s (the props' timeout)", c.Name, r.Shown, ErrTimeout, c.timeout)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", c.Name, r.Shown, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w", c.Name, r.Shown, err)
}

// checkRedirect lets the client follow a redirect only to an allowed
// origin, with an allowed method, up to max_redirects.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.maxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects (max_redirects)", ErrRedirect, c.maxRedirects)
	}
	o, err := capabilities.OriginOf(req.URL)
	if err != nil || !c.allowed[o] {
		return fmt.Errorf("%w: %w: a redirect to %s, outside %s, was not followed", ErrRedirect, ErrOriginNotAllowed, req.URL.Redacted(), strings.Join(c.origins, ", "))
	}
	if req.URL.User != nil {
		return fmt.Errorf("%w: a redirect to a URL with a user name or password was not followed", ErrRedirect)
	}
	if !c.methods[req.Method] {
		return fmt.Errorf("%w: %w: the redirect would be a %s request (allowed: %s)", ErrRedirect, ErrMethodNotAllowed, req.Method, strings.Join(c.methodList(), ", "))
	}
	return nil
}

// credentialTransport attaches the call's credential to each request for an
// allowed origin (the first one and every redirect the client follows).
type credentialTransport struct {
	c    *Client
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *credentialTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	secret, ok := req.Context().Value(secretKey{}).(string)
	o, err := capabilities.OriginOf(req.URL)
	if err != nil || !t.c.allowed[o] {
		// Unreachable through Send, which checks every URL and redirect.
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s", ErrOriginNotAllowed, req.URL.Redacted())
	}
	if !ok || t.c.Auth == nil {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	switch a := t.c.Auth; a.Type {
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
