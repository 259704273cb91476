// Package httpcap is the capability kind "http": HTTP requests to a fixed set
// of web origins, with an optional credential added on the Go side.
//
// An instance's props name the origins it may reach (scheme, host and port,
// nothing else), the methods it may use, and whether its responses are public
// or private. A request to any other origin, a redirect to one, or a
// connection to a loopback, private or link-local address (checked on the
// address actually dialed, so DNS rebinding does not help) fails before
// anything is sent. The credential, read from the vault at the moment of each
// call, is attached only to requests for the allowed origins; it never enters
// JavaScript, and the instance replaces it (and its encodings, escaped or
// not: the vault's Redactor) with "[secret:credential]" in every response
// and error it returns.
//
// The one method, fetch, both sends data (to the origins: it is declared a
// sink, with the origins as the instance's Audience) and returns data (the
// response, readable by the instance's Label: everyone for label "public"
// on an instance without a credential (what an authenticated request
// returns is never public); else the owner and, when there is one origin,
// that origin: the server that sent a response knows what it sent, so an
// agent that read only from it may send it requests without asking. With
// several origins a response may have come from any of them, so only the
// owner may read it).
//
// The directory is capabilities/http; the package is named httpcap so that it
// does not shadow net/http.
package httpcap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"littleboxes/capabilities"
)

// ID is the kind id.
const ID = "http"

// Defaults and bounds of the props.
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
// errors.Is. Every error the instance returns has a redacted message and
// unwraps only to these and to the context errors.
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

// Auth says how the credential is attached to each request.
type Auth struct {
	Type string `json:"type" doc:"how the credential is sent: \"bearer\" (Authorization: Bearer <credential>), \"header\" (<name>: <credential>) or \"query\" (?<name>=<credential>)"`
	Name string `json:"name,omitempty" doc:"the header name (type header) or query parameter name (type query); not used with bearer"`
}

// HTTP is an instance of the kind: its exported fields are the props.
type HTTP struct {
	Origins             []string `json:"origins" doc:"the origins requests may go to, as scheme://host[:port] with no path (\"https://api.example.com\"); a path in fetch is resolved against the first"`
	AllowedMethods      []string `json:"methods,omitempty" doc:"the HTTP methods allowed (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); default [\"GET\"]"`
	Label               string   `json:"label,omitempty" doc:"who may read the responses: \"public\" (everyone; never with a credential) or \"private\" (the owner, and the origin when there is only one); default \"private\""`
	Auth                *Auth    `json:"auth,omitempty" doc:"how to attach the credential secret to each request to the origins: {type: bearer|header|query, name?}; needs the credential secret"`
	AllowPrivateNetwork bool     `json:"allow_private_network,omitempty" doc:"allow loopback, private, link-local, unspecified and multicast destinations (a service on this machine or the LAN); default false"`
	Timeout             string   `json:"timeout,omitempty" doc:"the most one request may take, redirects and body included, as a Go duration (\"30s\"); default \"15s\", at most \"2m\""`
	MaxResponseBytes    int64    `json:"max_response_bytes,omitempty" doc:"the largest response body read, in bytes; a larger one is an error; default 4194304 (4 MiB)"`
	MaxRequestBytes     int64    `json:"max_request_bytes,omitempty" doc:"the largest request body sent, in bytes; default 1048576 (1 MiB)"`
	MaxRedirects        *int     `json:"max_redirects,omitempty" doc:"how many redirects (within the origins) one request may follow; 0 returns the redirect response as it is; default 5"`
	Consequential       *bool    `json:"consequential,omitempty" doc:"false declares requests not consequential: they are never held because someone other than the owner wrote what the agent read. Default: consequential when methods allows one that may change state (anything but GET, HEAD and OPTIONS)"`

	host   *capabilities.Host
	client *http.Client
	tr     *http.Transport
	// lookup resolves a host name at dial time; a test hook.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)

	// Derived by Validate.
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

func init() {
	capabilities.Register(capabilities.Kind{
		ID:  ID,
		Doc: "HTTP requests to the origins in its props only; responses carry its label (public or private)",
		New: func() capabilities.Instance { return &HTTP{} },
		Secrets: []capabilities.SecretSlot{{
			Name:     CredentialSlot,
			Doc:      "the API token or key attached to every request as props.auth says; required when auth is set",
			Optional: true,
		}},
		Table: table,
	})
}

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{
	Interface: "HTTP",
	Doc: `HTTP requests to a fixed set of web origins chosen by the owner. A request
to any other origin, or a redirect to one, fails. If the capability has a
credential, littleboxes adds it to each request; it is never visible here,
and wherever a response would hold it, you see "[secret:credential]".`,
	Types: `/** The options of HTTP.fetch; any other key is an error. */
interface HTTPRequestInit {
  /** The method, default "GET"; only the methods the owner allowed work. */
  method?: string;
  /**
   * Request headers, name to value. Host, Content-Length, Accept-Encoding
   * and hop-by-hop headers (Connection, Transfer-Encoding, ...) cannot be
   * set; nor, when the capability adds a credential, Authorization, Cookie
   * or the credential's own header.
   */
  headers?: { [name: string]: string };
  /**
   * The request body: a string (sent as UTF-8, with Content-Type
   * "text/plain;charset=UTF-8" unless you set one) or bytes. Not with GET or
   * HEAD. For JSON: body: JSON.stringify(x) and a Content-Type header of
   * "application/json".
   */
  body?: string | Uint8Array;
}

/** The response of HTTP.fetch, its body read whole. */
interface HTTPResponse {
  /** The status code, e.g. 200. */
  status: number;
  /** The reason phrase, e.g. "OK"; may be "". */
  statusText: string;
  /** True when status is 200 to 299. */
  ok: boolean;
  /** The URL of the final response, after redirects. */
  url: string;
  /** Response headers by lowercase name; repeated headers joined with ", ". */
  headers: { [name: string]: string };
  /**
   * The body as text when it is valid UTF-8 (for JSON: JSON.parse(res.body));
   * "" when it is not, and then bodyBytes holds it.
   */
  body: string;
  /** The body's bytes, present only when the body is not valid UTF-8 (an image, say). */
  bodyBytes?: Uint8Array;
}`,
	Methods: []capabilities.Method{
		{
			Name: "fetch", Role: capabilities.Exchange,
			Doc: "sends one request to an allowed origin (audience: the origins) and returns the response (readable by the instance's label)",
			TS:  "fetch(url: string, init?: HTTPRequestInit): Promise<HTTPResponse>",
			TSDoc: `Sends one HTTP request and resolves to the whole response, like fetch().
url is absolute ("https://api.example.com/v1/items?q=x") or a path
("/v1/items?q=x") resolved against the first allowed origin. Redirects
within the allowed origins are followed. An HTTP error status (404, 500)
resolves normally: check ok or status. A request that is not allowed
(origin, method, header, body size), a network error, a response body
over the size limit or a timeout rejects with an Error saying why.
When the owner must approve the request first, it is not sent now and
the Promise resolves to { status: "pending_approval", id } instead.`,
			Params: []capabilities.Param{{Name: "url", Type: capabilities.TypeString}, {Name: "init", Type: capabilities.TypeObject, Optional: true}},
			Fn:     capabilities.Of((*HTTP).fetch),
		},
	},
})

// allowedMethods are the methods props may allow.
var allowedMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Provision keeps the host, for reading the credential at call time, and
// builds the HTTP client. The props are checked by Validate.
func (h *HTTP) Provision(ctx context.Context, host *capabilities.Host) error {
	h.host = host
	if h.lookup == nil {
		h.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	h.tr = newTransport(h)
	h.client = &http.Client{
		Transport:     &credentialTransport{h: h, next: h.tr},
		CheckRedirect: h.checkRedirect,
	}
	return nil
}

// CheckProps implements capabilities.PropsChecker: it checks the props,
// every one of them, fills in the defaults, and checks that a credential is
// given exactly when auth is set.
func (h *HTTP) CheckProps(secretRefs map[string]string) error {
	var ps capabilities.Problems
	if len(h.Origins) == 0 {
		ps.Addf("origins", `origins: at least one origin is required, e.g. ["https://api.example.com"]`)
	}
	h.allowed = map[string]bool{}
	h.origins = nil
	for i, o := range h.Origins {
		at := fmt.Sprintf("origins[%d]", i)
		n, err := normalizeOrigin(o)
		if err != nil {
			ps.Addf(at, "%s: %v", at, err)
			continue
		}
		if !h.AllowPrivateNetwork {
			if reason := privateHost(n); reason != "" {
				ps.Addf(at, "%s: %s is %s; set allow_private_network to reach it", at, n, reason)
				continue
			}
		}
		if !h.allowed[n] {
			h.allowed[n] = true
			h.origins = append(h.origins, n)
		}
	}
	h.methods = map[string]bool{}
	for i, m := range h.AllowedMethods {
		u := strings.ToUpper(strings.TrimSpace(m))
		if !slices.Contains(allowedMethods, u) {
			ps.Addf(fmt.Sprintf("methods[%d]", i), "methods[%d]: %q is not one of %s", i, m, strings.Join(allowedMethods, ", "))
			continue
		}
		h.methods[u] = true
	}
	if len(h.methods) == 0 {
		h.methods["GET"] = true
	}
	switch h.Label {
	case "", "private", "public":
	default:
		ps.Addf("label", "label: %q is neither \"public\" nor \"private\"", h.Label)
	}
	h.timeout = DefaultTimeout
	if h.Timeout != "" {
		d, err := time.ParseDuration(h.Timeout)
		switch {
		case err != nil:
			ps.Addf("timeout", "timeout: %q is not a duration like \"30s\"", h.Timeout)
		case d <= 0 || d > MaxTimeout:
			ps.Addf("timeout", "timeout: %s is not between 0 and %s", d, MaxTimeout)
		default:
			h.timeout = d
		}
	}
	var err error
	if h.maxResp, err = byteLimit("max_response_bytes", h.MaxResponseBytes, DefaultMaxResponseBytes); err != nil {
		ps.Add(err)
	}
	if h.maxReq, err = byteLimit("max_request_bytes", h.MaxRequestBytes, DefaultMaxRequestBytes); err != nil {
		ps.Add(err)
	}
	h.maxRedirects = DefaultMaxRedirects
	if h.MaxRedirects != nil {
		if n := *h.MaxRedirects; n < 0 || n > MaxRedirectsLimit {
			ps.Addf("max_redirects", "max_redirects: %d is not between 0 and %d", n, MaxRedirectsLimit)
		} else {
			h.maxRedirects = n
		}
	}
	hasCredential := secretRefs[CredentialSlot] != ""
	if h.Auth != nil {
		if err := h.Auth.validate(); err != nil {
			ps.Add(err)
		} else if !hasCredential {
			ps.Addf("auth", "auth is set (type %s) but no %q secret is given: name the secret holding the token in the capability's secrets", h.Auth.Type, CredentialSlot)
		}
	} else if hasCredential {
		ps.Addf("", "a %q secret is given but auth is not set, so it would never be sent: set auth (e.g. {\"type\": \"bearer\"})", CredentialSlot)
	}
	return ps.Err()
}

// Validate checks that the instance was checked and provisioned.
func (h *HTTP) Validate() error {
	if h.allowed == nil {
		var refs map[string]string
		if h.host != nil {
			refs = h.host.SecretRefs
		}
		if err := h.CheckProps(refs); err != nil {
			return err
		}
	}
	if h.client == nil {
		return errors.New("not provisioned")
	}
	// A second bound, beside the call's context, which ends first and so
	// names the timeout clearly.
	h.client.Timeout = h.timeout + time.Second
	h.ready = true
	return nil
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

func byteLimit(name string, v, def int64) (int64, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0 || v > MaxBytesLimit:
		return 0, capabilities.PropErrorf(name, "%s: %d is not between 1 and %d", name, v, MaxBytesLimit)
	}
	return v, nil
}

// Cleanup closes the idle connections; later calls fail.
func (h *HTTP) Cleanup() error {
	h.closed.Store(true)
	if h.tr != nil {
		h.tr.CloseIdleConnections()
	}
	return nil
}

// Flow implements capabilities.Instance. The label (who may read the
// responses) is everyone for label "public" on an instance with no
// credential; else the owner, plus the origin when there is just one (it
// wrote the responses): what an authenticated request returns is never
// public, whatever the label prop says. The audience (who sees the
// requests) is the origins. It is computed from the props (auth is set
// exactly when a credential is given) and, once provisioned, the secret
// references, so it works on an instance that was only decoded.
func (h *HTTP) Flow() capabilities.Flow {
	var aud []capabilities.Principal
	for _, o := range h.Origins {
		if n, err := normalizeOrigin(o); err == nil {
			o = n
		}
		aud = append(aud, capabilities.Origin(o))
	}
	// One origin written twice (in another case, with its default port) is
	// one origin: NewLabel drops the repeats.
	audience := capabilities.NewLabel(aud...)
	label := capabilities.NewLabel(capabilities.Owner)
	switch {
	case h.Label == "public" && !h.hasCredential():
		label = capabilities.NewLabel(capabilities.Public)
	case len(audience) == 1:
		label = capabilities.NewLabel(capabilities.Owner, audience[0])
	}
	// What a response holds was written by its origin. A request is
	// consequential when it may change state: a method other than GET,
	// HEAD or OPTIONS is allowed, unless the owner said otherwise.
	return capabilities.Flow{Label: label, Audience: audience, Writers: capabilities.Join(audience),
		Inconsequential: h.Consequential != nil && !*h.Consequential || !h.changesState()}
}

// changesState reports whether the props allow a method that may change
// state at the origin (anything but GET, HEAD and OPTIONS; GET alone when
// none is given).
func (h *HTTP) changesState() bool {
	for _, m := range h.AllowedMethods {
		switch strings.ToUpper(strings.TrimSpace(m)) {
		case "GET", "HEAD", "OPTIONS":
		default:
			return true
		}
	}
	return false
}

// hasCredential reports whether the instance attaches a credential to its
// requests, or was given one.
func (h *HTTP) hasCredential() bool {
	return h.Auth != nil || h.host != nil && h.host.SecretRefs[CredentialSlot] != ""
}

// normalizeOrigin checks that s is an origin (http or https scheme, a host,
// maybe a port, nothing else) and returns it in canonical form: lowercase,
// without a default port.
func normalizeOrigin(s string) (string, error) {
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
	o, err := originOf(u)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return o, nil
}

// originOf returns the canonical origin of an absolute http(s) URL.
func originOf(u *url.URL) (string, error) {
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

// Interface guards.
var (
	_ capabilities.Instance     = (*HTTP)(nil)
	_ capabilities.Provisioner  = (*HTTP)(nil)
	_ capabilities.Validator    = (*HTTP)(nil)
	_ capabilities.PropsChecker = (*HTTP)(nil)
	_ capabilities.CleanerUpper = (*HTTP)(nil)
)
