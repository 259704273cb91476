// Package web is the request engine the web capability kinds share (http,
// openapi): it is not a kind itself, and registers nothing.
//
// A Client holds the props those kinds have in common (the origins requests
// may go to, the credential's auth, allow_private_network, the timeout, the
// size caps and max_redirects), checks them (Check, for a kind's
// CheckProps), and sends requests (Send) under one set of rules: a request
// to any origin but the allowed ones, a redirect to one, or a connection to
// a loopback, private or link-local address (checked on the address
// actually dialed, so DNS rebinding does not help) fails before anything is
// sent. The credential, read from the host's secrets at the moment of each
// call, is attached only to requests for the allowed origins; it never
// enters JavaScript, and the client replaces it (and its encodings, escaped
// or not: the vault's Redactor) with Marker in every response and error it
// returns. Flow computes the label and audience those kinds declare.
//
// A kind imports this package and capabilities; this package imports the
// standard library, capabilities and the vault's redactor (never the
// keyring), and no kind.
package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"littleboxes/capabilities"
)

// Defaults and bounds of the shared props.
const (
	DefaultTimeout          = 15 * time.Second
	MaxTimeout              = 2 * time.Minute
	DefaultMaxResponseBytes = 4 << 20
	DefaultMaxRequestBytes  = 1 << 20
	DefaultMaxRedirects     = 5
	// MaxBytesLimit bounds max_response_bytes and max_request_bytes.
	MaxBytesLimit = 64 << 20
	// MaxRedirectsLimit bounds max_redirects.
	MaxRedirectsLimit = 20
)

// Sentinel errors, for callers (and tests) that check what went wrong with
// errors.Is. Every error Send returns has a redacted message and unwraps
// only to these and to the context errors.
var (
	// ErrOriginNotAllowed: a URL or redirect outside the props' origins.
	ErrOriginNotAllowed = errors.New("origin not allowed")
	// ErrPrivateAddress: a destination on a loopback, private, link-local,
	// unspecified or multicast address without allow_private_network.
	ErrPrivateAddress = errors.New("private network address refused")
	// ErrMethodNotAllowed: a method outside the props' methods.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrHeaderNotAllowed: a request header the agent may not set.
	ErrHeaderNotAllowed = errors.New("header not allowed")
	// ErrTooLarge: a request or response body over its cap.
	ErrTooLarge = errors.New("body too large")
	// ErrRedirect: too many redirects, or a redirect not followed.
	ErrRedirect = errors.New("redirect refused")
	// ErrTimeout: the request took longer than the props' timeout.
	ErrTimeout = errors.New("timed out")
	// ErrCredential: the credential could not be read or used.
	ErrCredential = errors.New("credential unavailable")
	// ErrClosed: the instance was cleaned up.
	ErrClosed = errors.New("instance closed")
)

var sentinels = []error{
	ErrOriginNotAllowed, ErrPrivateAddress, ErrMethodNotAllowed, ErrHeaderNotAllowed,
	ErrTooLarge, ErrRedirect, ErrTimeout, ErrCredential, ErrClosed,
	context.Canceled, context.DeadlineExceeded,
}

// CredentialSlot is the name of the secret slot holding the credential.
const CredentialSlot = "credential"

// Methods are the HTTP methods a client may be allowed, in the order
// messages list them.
var Methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Auth says how the credential is attached to each request.
type Auth struct {
	Type string `json:"type" doc:"how the credential is sent: \"bearer\" (Authorization: Bearer <credential>), \"header\" (<name>: <credential>) or \"query\" (?<name>=<credential>)"`
	Name string `json:"name,omitempty" doc:"the header name (type header) or query parameter name (type query); not used with bearer"`
}

// Client is the shared request engine of one capability instance. A kind
// sets the exported fields from its props, calls Check from its CheckProps,
// Provision from its Provision and Validate from its Validate, then Send for
// each call, and Cleanup at the end.
type Client struct {
	// Name begins every message about a call ("http fetch").
	Name string
	// OriginsProp names the prop the origins come from, in problems:
	// "origins" (a list, each problem at origins[i]) or "origin" (one).
	OriginsProp string
	// Origins are the origins requests may go to, as the props give them.
	Origins []string
	// OriginsLater lets Check pass with no origins yet: the kind sets them
	// when provisioned (from an OpenAPI spec's servers) and checks again.
	OriginsLater bool
	// Methods are the HTTP methods allowed, uppercase, each one of
	// Methods; none means GET.
	Methods []string
	// Label is the label prop: "", "private" or "public".
	Label string
	// Auth says how the credential is attached; nil for none.
	Auth *Auth
	// AllowPrivateNetwork allows loopback, private, link-local,
	// unspecified and multicast destinations.
	AllowPrivateNetwork bool
	// Timeout is the timeout prop, a Go duration; "" for the default.
	Timeout string
	// MaxResponseBytes and MaxRequestBytes are the caps; 0 for the
	// defaults.
	MaxResponseBytes, MaxRequestBytes int64
	// MaxRedirects is max_redirects; nil for the default.
	MaxRedirects *int

	host   *capabilities.Host
	client *http.Client
	tr     *http.Transport
	// lookup resolves a host name at dial time; nil: the system resolver.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)

	// Derived by Check and Validate.
	checked      bool
	ready        bool
	origins      []string        // normalized, in props order
	allowed      map[string]bool // normalized origins
	methods      map[string]bool
	timeout      time.Duration
	maxResp      int64
	maxReq       int64
	maxRedirects int
	closed       atomic.Bool
}

// Check checks the shared props, every one of them, fills in the defaults,
// and checks that a credential is given exactly when auth is set. It adds
// every problem to ps, each a *capabilities.PropError, for the kind's
// CheckProps to return with its own; it reads no secret and makes no
// connection.
func (c *Client) Check(ps *capabilities.Problems, secretRefs map[string]string) {
	prop := c.OriginsProp
	if prop == "" {
		prop = "origins"
	}
	if len(c.Origins) == 0 && !c.OriginsLater {
		ps.Addf(prop, `%s: at least one origin is required, e.g. ["https://api.example.com"]`, prop)
	}
	c.allowed = map[string]bool{}
	c.origins = nil
	for i, o := range c.Origins {
		at := prop
		if prop == "origins" {
			at = fmt.Sprintf("origins[%d]", i)
		}
		n, err := capabilities.NormalizeOrigin(o)
		if err != nil {
			ps.Addf(at, "%s: %v", at, err)
			continue
		}
		if !c.AllowPrivateNetwork {
			if reason := privateHost(n); reason != "" {
				ps.Addf(at, "%s: %s is %s; set allow_private_network to reach it", at, n, reason)
				continue
			}
		}
		if !c.allowed[n] {
			c.allowed[n] = true
			c.origins = append(c.origins, n)
		}
	}
	c.methods = map[string]bool{}
	for _, m := range c.Methods {
		c.methods[m] = true
	}
	if len(c.methods) == 0 {
		c.methods["GET"] = true
	}
	switch c.Label {
	case "", "private", "public":
	default:
		ps.Addf("label", "label: %q is neither \"public\" nor \"private\"", c.Label)
	}
	c.timeout = capabilities.CheckTimeout(ps, "timeout", c.Timeout, DefaultTimeout, MaxTimeout)
	c.maxResp = capabilities.CheckLimit(ps, "max_response_bytes", c.MaxResponseBytes, MaxBytesLimit, DefaultMaxResponseBytes)
	c.maxReq = capabilities.CheckLimit(ps, "max_request_bytes", c.MaxRequestBytes, MaxBytesLimit, DefaultMaxRequestBytes)
	c.maxRedirects = DefaultMaxRedirects
	if c.MaxRedirects != nil {
		if n := *c.MaxRedirects; n < 0 || n > MaxRedirectsLimit {
			ps.Addf("max_redirects", "max_redirects: %d is not between 0 and %d", n, MaxRedirectsLimit)
		} else {
			c.maxRedirects = n
		}
	}
	hasCredential := secretRefs[CredentialSlot] != ""
	if c.Auth != nil {
		if err := c.Auth.validate(); err != nil {
			ps.Add(err)
		} else if !hasCredential {
			ps.Addf("auth", "auth is set (type %s) but no %q secret is given: name the secret holding the token in the capability's secrets", c.Auth.Type, CredentialSlot)
		}
	} else if hasCredential {
		ps.Addf("", "a %q secret is given but auth is not set, so it would never be sent: set auth (e.g. {\"type\": \"bearer\"})", CredentialSlot)
	}
	c.checked = true
}

// Checked reports whether Check has run.
func (c *Client) Checked() bool { return c.checked }

// AllowedOrigins returns the checked origins, normalized, in props order.
// The slice is the client's own: do not change it.
func (c *Client) AllowedOrigins() []string { return c.origins }

// Provision keeps the host, for reading the credential at call time, and
// builds the HTTP client.
func (c *Client) Provision(host *capabilities.Host) {
	c.host = host
	c.tr = newTransport(c)
	c.client = &http.Client{
		Transport:     &credentialTransport{c: c, next: c.tr},
		CheckRedirect: c.checkRedirect,
	}
}

// Validate checks that the client was checked and provisioned, and makes
// it ready for Send.
func (c *Client) Validate() error {
	if !c.checked {
		return errors.New("the props were not checked")
	}
	if c.client == nil {
		return errors.New("not provisioned")
	}
	if len(c.origins) == 0 {
		return errors.New("no origin to send requests to")
	}
	// A second bound, beside the call's context, which ends first and so
	// names the timeout clearly.
	c.client.Timeout = c.timeout + time.Second
	c.ready = true
	return nil
}

// SetLookup replaces the name resolution the dialer uses (nil: the
// system's), so that a test name like rebind.test can resolve to 127.0.0.1.
// Call it before the first request.
func (c *Client) SetLookup(f func(ctx context.Context, host string) ([]netip.Addr, error)) {
	c.lookup = f
}

// Transport returns the client's transport (after Provision), for a test
// that must trust its own TLS server's certificate. Change it only before
// the first request.
func (c *Client) Transport() *http.Transport { return c.tr }

func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.lookup != nil {
		return c.lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// Cleanup closes the idle connections; later calls fail.
func (c *Client) Cleanup() {
	c.closed.Store(true)
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
}

func (a *Auth) validate() error {
	switch a.Type {
	case "bearer":
		if a.Name != "" {
			return capabilities.PropErrorf("auth.name", "auth.name: not used with type bearer (the header is Authorization); remove it or use type header")
		}
	case "header":
		if a.Name == "" {
			return capabilities.PropErrorf("auth.name", "auth.name: the header name is required with type header")
		}
		if !validToken(a.Name) {
			return capabilities.PropErrorf("auth.name", "auth.name: %q is not a valid header name", a.Name)
		}
		if reason := headerForbiddenAlways(http.CanonicalHeaderKey(a.Name)); reason != "" {
			return capabilities.PropErrorf("auth.name", "auth.name: %q cannot carry the credential: %s", a.Name, reason)
		}
	case "query":
		if a.Name == "" {
			return capabilities.PropErrorf("auth.name", "auth.name: the query parameter name is required with type query")
		}
	default:
		return capabilities.PropErrorf("auth.type", "auth.type: %q is not one of bearer, header, query", a.Type)
	}
	return nil
}

// Flow computes the flow of a web instance from its props, so that it works
// on an instance that was only decoded. The label (who may read the
// responses) is everyone for label "public" on an instance with no
// credential; else the owner, plus the origin when there is just one (it
// wrote the responses): what an authenticated request returns is never
// public, whatever the label prop says. The audience (who sees the
// requests) is the origins, each normalized when it is valid.
func Flow(origins []string, label string, credential bool) capabilities.Flow {
	var aud []capabilities.Principal
	for _, o := range origins {
		if n, err := capabilities.NormalizeOrigin(o); err == nil {
			o = n
		}
		aud = append(aud, capabilities.Origin(o))
	}
	// One origin written twice (in another case, with its default port) is
	// one origin: NewLabel drops the repeats.
	audience := capabilities.NewLabel(aud...)
	l := capabilities.NewLabel(capabilities.Owner)
	switch {
	case label == "public" && !credential:
		l = capabilities.NewLabel(capabilities.Public)
	case len(audience) == 1:
		l = capabilities.NewLabel(capabilities.Owner, audience[0])
	}
	return capabilities.Flow{Label: l, Audience: audience}
}
