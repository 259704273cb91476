// Package httpcap is the capability kind "http": HTTP requests to a fixed set
// of web origins, with an optional credential added on the Go side.
//
// An instance's props name the origins it may reach (scheme, host and port,
// nothing else), the methods it may use, and whether its responses are public
// or private. Requests go through the shared request engine of package web:
// a request to any other origin, a redirect to one, or a connection to a
// loopback, private or link-local address (checked on the address actually
// dialed, so DNS rebinding does not help) fails before anything is sent. The
// credential, read from the vault at the moment of each call, is attached
// only to requests for the allowed origins; it never enters JavaScript, and
// the instance replaces it (and its encodings, escaped or not: the vault's
// Redactor) with "[secret:credential]" in every response and error it
// returns.
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
	"slices"
	"strings"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// ID is the kind id.
const ID = "http"

// Sentinel errors, for callers (and tests) that check what went wrong with
// errors.Is: package web's. Every error the instance returns has a redacted
// message and unwraps only to these and to the context errors.
var (
	// ErrOriginNotAllowed: a URL or redirect outside the props' origins.
	ErrOriginNotAllowed = web.ErrOriginNotAllowed
	// ErrPrivateAddress: a destination on a loopback, private, link-local,
	// unspecified or multicast address without allow_private_network.
	ErrPrivateAddress = web.ErrPrivateAddress
	// ErrMethodNotAllowed: a method outside the props' methods.
	ErrMethodNotAllowed = web.ErrMethodNotAllowed
	// ErrHeaderNotAllowed: a request header the agent may not set.
	ErrHeaderNotAllowed = web.ErrHeaderNotAllowed
	// ErrTooLarge: a request or response body over its cap.
	ErrTooLarge = web.ErrTooLarge
	// ErrRedirect: too many redirects, or a redirect not followed.
	ErrRedirect = web.ErrRedirect
	// ErrTimeout: the request took longer than the props' timeout.
	ErrTimeout = web.ErrTimeout
	// ErrCredential: the credential could not be read or used.
	ErrCredential = web.ErrCredential
	// ErrClosed: the instance was cleaned up.
	ErrClosed = web.ErrClosed
)

// CredentialSlot is the name of the secret slot holding the credential.
const CredentialSlot = web.CredentialSlot

// Marker replaces the credential, and each of its encodings, wherever it
// would appear in what fetch returns or in an error.
const Marker = web.Marker

// Auth says how the credential is attached to each request.
type Auth = web.Auth

// HTTP is an instance of the kind: its exported fields are the props.
type HTTP struct {
	Origins        []string `json:"origins" doc:"the origins requests may go to, as scheme://host[:port] with no path (\"https://api.example.com\"); a path in fetch is resolved against the first"`
	AllowedMethods []string `json:"methods,omitempty" doc:"the HTTP methods allowed (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); default [\"GET\"]"`
	// The props every web kind has (label, auth, allow_private_network,
	// timeout, the size caps, max_redirects, consequential).
	web.Props

	host *capabilities.Host
	// c is the request engine, set from the props by CheckProps.
	c *web.Client
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

// Provision keeps the host, for reading the credential at call time, and
// builds the HTTP client. The props are checked by Validate.
func (h *HTTP) Provision(ctx context.Context, host *capabilities.Host) error {
	h.host = host
	if h.c == nil {
		h.c = h.client()
	}
	h.c.Provision(host)
	return nil
}

// client returns a request engine holding the props.
func (h *HTTP) client() *web.Client {
	return h.Props.Client("http fetch", "origins", h.Origins)
}

// CheckProps implements capabilities.PropsChecker: it checks the props,
// every one of them, fills in the defaults, and checks that a credential is
// given exactly when auth is set.
func (h *HTTP) CheckProps(secretRefs map[string]string) error {
	if h.c == nil {
		h.c = h.client()
	}
	// The methods first, for Check derives the allowed set from them; their
	// problems are told after the shared props'.
	var bad capabilities.Problems
	h.c.Methods = nil
	for i, m := range h.AllowedMethods {
		u := strings.ToUpper(strings.TrimSpace(m))
		if !slices.Contains(web.Methods, u) {
			bad.Addf(fmt.Sprintf("methods[%d]", i), "methods[%d]: %q is not one of %s", i, m, strings.Join(web.Methods, ", "))
			continue
		}
		h.c.Methods = append(h.c.Methods, u)
	}
	var ps capabilities.Problems
	h.c.Check(&ps, secretRefs)
	ps = append(ps, bad...)
	return ps.Err()
}

// Validate checks that the instance was checked and provisioned.
func (h *HTTP) Validate() error {
	if h.c == nil {
		return errors.New("not provisioned")
	}
	if !h.c.Checked() {
		var refs map[string]string
		if h.host != nil {
			refs = h.host.SecretRefs
		}
		if err := h.CheckProps(refs); err != nil {
			return err
		}
	}
	return h.c.Validate()
}

// Cleanup closes the idle connections; later calls fail.
func (h *HTTP) Cleanup() error {
	if h.c != nil {
		h.c.Cleanup()
	}
	return nil
}

// Flow implements capabilities.Instance (web.Flow). The label (who may read
// the responses) is everyone for label "public" on an instance with no
// credential; else the owner, plus the origin when there is just one (it
// wrote the responses): what an authenticated request returns is never
// public, whatever the label prop says. The audience (who sees the
// requests) is the origins. It is computed from the props (auth is set
// exactly when a credential is given) and, once provisioned, the secret
// references, so it works on an instance that was only decoded.
func (h *HTTP) Flow() capabilities.Flow {
	f := web.Flow(h.Origins, h.Label, h.hasCredential())
	// What a response holds was written by its origin. A request is
	// consequential when it may change state: a method other than GET,
	// HEAD or OPTIONS is allowed, unless the owner said otherwise.
	f.Writers = capabilities.Join(f.Audience)
	f.Inconsequential = h.NotConsequential() || !h.changesState()
	return f
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

// Interface guards.
var (
	_ capabilities.Instance     = (*HTTP)(nil)
	_ capabilities.Provisioner  = (*HTTP)(nil)
	_ capabilities.Validator    = (*HTTP)(nil)
	_ capabilities.PropsChecker = (*HTTP)(nil)
	_ capabilities.CleanerUpper = (*HTTP)(nil)
)
