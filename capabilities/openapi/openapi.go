// Package openapi is the capability kind "openapi": the operations of a web
// API described by an OpenAPI 3.0 or 3.1 document, as the methods of one
// binding.
//
// An instance's props name the document (spec: a JSON or YAML file, written
// in the army file relative to it, ./petstore.yaml), the origin requests go
// to, and the operations the agent may call (operations: an allowlist, by
// operationId or as "METHOD /path"; it is required, for what an agent may
// do is the owner's explicit choice, and a new version of the document
// grants nothing by itself; ["*"] allows every operation the document has,
// and says so in the army file). Beside those it has the props every web
// kind has (package web's Props: label, auth and the credential secret,
// allow_private_network, timeout, the size caps, max_redirects,
// consequential).
//
// The kind is dynamic: when provisioned it reads the document (no external
// $ref is followed: the document is read, never fetched), validates it and
// builds the method table: one method per allowed operation, named by its
// operationId when that is a JavaScript identifier and else by its
// camelCase (or, without one, by the method and path: "GET /pets/{id}" →
// getPetsId); two operations landing on one name are a provisioning error.
// A method takes one object: each path, query and header parameter by its
// name, and body for the request body. Its TypeScript declaration is
// generated from the parameters and the request and response schemas, with
// the summaries and descriptions as doc comments, and the arguments are
// checked against the same schemas before any request is made (a
// TypeError saying what is wrong).
//
// The origin prop wins over the document's servers: requests go to the
// origin alone, under the path of the document's first server (servers:
// [{url: https://api.example.com/v1}] gives /v1), whatever host that
// server names. Path parameters are escaped as one path segment each ("/"
// becomes %2F, "%" %25), and "", "." and ".." are refused, so an argument
// cannot climb out of its operation's path. Requests go through package
// web's engine, exactly as the http kind's: the origin check, the
// credential attached on the Go side only, redirects within the origin, the
// check of the address actually dialed against private networks, the size
// caps and the redaction of the credential from everything returned.
//
// A call resolves to the response body: parsed JSON for a JSON response,
// else its text (bytes when it is not UTF-8), null when it is empty; a HEAD
// operation resolves to { status, headers }. A status other than 2xx
// rejects with an Error naming it and holding the start of the body.
//
// Flow: the label and audience are the http kind's for the one origin. An
// operation that sends the origin nothing of the agent's (GET or HEAD with
// no parameters) is a source; every other operation is an exchange, for its
// arguments reach the origin: a GET's query or path parameters can carry
// what the agent read as well as a POST's body can (so, unlike the issue's
// first sketch, a GET with parameters is not a plain source). GET, HEAD and
// OPTIONS operations are not consequential (they ask, and change nothing);
// any other is, unless the owner sets consequential: false.
package openapi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// ID is the kind id.
const ID = "openapi"

// Bounds.
const (
	// MaxSpecBytes bounds the document's size.
	MaxSpecBytes = 16 << 20
	// MaxOperations bounds how many operations one instance exposes.
	MaxOperations = 1000
)

// Sentinel errors of the document and the answer; a request refused on its
// way out (origin, size, redirect, timeout, credential) fails with package
// web's sentinels (web.ErrOriginNotAllowed, web.ErrTooLarge, ...).
var (
	// ErrSpec means the document could not be read, parsed or validated.
	ErrSpec = errors.New("the OpenAPI document is not usable")
	// ErrNameCollision means two operations have the same method name.
	ErrNameCollision = errors.New("two operations have the same method name")
	// ErrStatus means the server answered with a status other than 2xx.
	ErrStatus = errors.New("the server answered with an error status")
)

// OpenAPI is an instance of the kind: its exported fields are the props.
type OpenAPI struct {
	Spec       string   `json:"spec" doc:"the OpenAPI 3.0 or 3.1 document, a JSON or YAML file beside the army, written relative to the army file (\"./petstore.yaml\"); read when the army starts, never fetched"`
	Origin     string   `json:"origin" doc:"the origin every request goes to, as scheme://host[:port] (\"https://api.example.com\"); it wins over the document's servers, whose first server gives only the base path"`
	Operations []string `json:"operations" doc:"the operations the agent may call, each by operationId (\"getPet\") or as \"METHOD /path\" (\"GET /pets/{petId}\"); [\"*\"] allows every operation of the document"`
	// The props every web kind has (label, auth, allow_private_network,
	// timeout, the size caps, max_redirects, consequential).
	web.Props

	host  *capabilities.Host
	c     *web.Client
	doc   *openapi3.T
	base  string // the base path from the document's first server, without a trailing slash
	table *capabilities.Table
	ops   []*operation
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:  ID,
		Doc: "a web API's operations, from its OpenAPI document, as methods; requests only to the origin in its props",
		New: func() capabilities.Instance { return &OpenAPI{} },
		Secrets: []capabilities.SecretSlot{{
			Name:     web.CredentialSlot,
			Doc:      "the API token or key attached to every request as props.auth says; required when auth is set",
			Optional: true,
		}},
		Table: capabilities.MustTable(capabilities.Spec{
			Interface: "OpenAPI",
			Doc:       "The operations of a web API, known once the capability is provisioned.",
		}),
		Dynamic: true,
	})
}

// client returns a request engine holding the props.
func (o *OpenAPI) client() *web.Client {
	name := "openapi"
	if o.host != nil && o.host.Instance != "" {
		name += " " + o.host.Instance
	}
	if strings.TrimSpace(o.Origin) == "" {
		c := o.Props.Client(name, "origin", nil)
		c.OriginsLater = true // CheckProps says it is missing
		return c
	}
	return o.Props.Client(name, "origin", []string{o.Origin})
}

// CheckProps implements capabilities.PropsChecker: the spec's path, the
// origin, the operations' form and the shared web props, every problem at
// its prop. It reads no file.
func (o *OpenAPI) CheckProps(secretRefs map[string]string) error {
	var ps capabilities.Problems
	switch {
	case strings.TrimSpace(o.Spec) == "":
		ps.Addf("spec", "spec: the OpenAPI document is required, as a path relative to the army file (\"./api.yaml\")")
	case !filepath.IsAbs(o.Spec):
		ps.Addf("spec", "spec: %q is not a path relative to the army file: begin it with ./ (\"./%s\")", o.Spec, filepath.Base(o.Spec))
	default:
		switch strings.ToLower(filepath.Ext(o.Spec)) {
		case ".json", ".yaml", ".yml":
		default:
			ps.Addf("spec", "spec: %q is not a .json, .yaml or .yml file", filepath.Base(o.Spec))
		}
	}
	if len(o.Operations) == 0 {
		ps.Addf("operations", `operations: list the operations the agent may call, by operationId or as "METHOD /path" (["getPet", "POST /pets"]), or ["*"] for all of them`)
	}
	for i, op := range o.Operations {
		at := fmt.Sprintf("operations[%d]", i)
		switch {
		case op == "*":
			if len(o.Operations) > 1 {
				ps.Addf(at, `%s: "*" allows every operation; list nothing else with it`, at)
			}
		case strings.TrimSpace(op) == "":
			ps.Addf(at, "%s: empty", at)
		case strings.Contains(op, " "):
			m, p, _ := strings.Cut(op, " ")
			if !slices.Contains(web.Methods, strings.ToUpper(m)) {
				ps.Addf(at, "%s: %q: the method is not one of %s", at, op, strings.Join(web.Methods, ", "))
			} else if !strings.HasPrefix(p, "/") {
				ps.Addf(at, "%s: %q: the path must begin with / (\"GET /pets/{petId}\")", at, op)
			}
		}
	}
	if strings.TrimSpace(o.Origin) == "" {
		ps.Addf("origin", `origin: the origin requests go to is required ("https://api.example.com")`)
	}
	o.c = o.client()
	o.c.Check(&ps, secretRefs)
	return ps.Err()
}

// Provision reads and validates the document, builds the method table of
// the allowed operations and the request engine.
func (o *OpenAPI) Provision(ctx context.Context, h *capabilities.Host) error {
	if h == nil {
		h = &capabilities.Host{}
	}
	o.host = h
	if err := o.CheckProps(h.SecretRefs); err != nil {
		return err
	}
	doc, err := loadSpec(ctx, o.Spec)
	if err != nil {
		return err
	}
	o.doc = doc
	if o.base, err = basePath(doc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSpec, filepath.Base(o.Spec), err)
	}
	if err := o.build(); err != nil {
		return err
	}
	// The methods the operations use are the ones the engine allows.
	var methods []string
	for _, op := range o.ops {
		if !slices.Contains(methods, op.method) {
			methods = append(methods, op.method)
		}
	}
	o.c = o.client()
	o.c.Methods = methods
	var ps capabilities.Problems
	o.c.Check(&ps, h.SecretRefs)
	if err := ps.Err(); err != nil {
		return err
	}
	o.c.Provision(h)
	return nil
}

// Validate checks that the instance was provisioned.
func (o *OpenAPI) Validate() error {
	if o.table == nil || o.c == nil {
		return errors.New("not provisioned: the document's operations are not known")
	}
	return o.c.Validate()
}

// Cleanup closes the idle connections; later calls fail.
func (o *OpenAPI) Cleanup() error {
	if o.c != nil {
		o.c.Cleanup()
	}
	return nil
}

// Table implements capabilities.Tabler: the table built when provisioned.
func (o *OpenAPI) Table() *capabilities.Table { return o.table }

// Flow implements capabilities.Instance: the http kind's flow for the one
// origin (web.Flow). What a response holds was written by the origin.
// Whether a call is consequential is each method's own (GET, HEAD and
// OPTIONS are not), unless the owner declared none is (consequential:
// false). It is computed from the props, so it works on an instance that
// was only decoded.
func (o *OpenAPI) Flow() capabilities.Flow {
	f := web.Flow([]string{o.Origin}, o.Label, o.hasCredential())
	f.Writers = capabilities.Join(f.Audience)
	f.Inconsequential = o.NotConsequential()
	return f
}

func (o *OpenAPI) hasCredential() bool {
	return o.Auth != nil || o.host != nil && o.host.SecretRefs[web.CredentialSlot] != ""
}

// Interface guards.
var (
	_ capabilities.Instance     = (*OpenAPI)(nil)
	_ capabilities.Tabler       = (*OpenAPI)(nil)
	_ capabilities.Provisioner  = (*OpenAPI)(nil)
	_ capabilities.Validator    = (*OpenAPI)(nil)
	_ capabilities.PropsChecker = (*OpenAPI)(nil)
	_ capabilities.CleanerUpper = (*OpenAPI)(nil)
)
