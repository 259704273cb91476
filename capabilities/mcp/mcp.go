// Package mcp is the capability kind "mcp": an MCP server's tools as the
// methods of one binding.
//
// An instance's props name one server: a local command speaking MCP over
// stdio (command, args, env), or a streamable HTTP endpoint (url). When
// provisioned it starts (or connects to) the server, lists its tools and
// builds its method table (the kind is dynamic): one method per tool the
// props allow, named by the tool's name when that is a JavaScript identifier
// and else by its camelCase ("get-env" → getEnv), taking one object (the
// tool's arguments), which is checked against the tool's input schema before
// anything is sent, and declared in TypeScript generated from the tool's
// input and output schemas, with its descriptions as doc comments. A call
// resolves to the tool's structured content when it has some, else to its
// content blocks as plain data; a tool that reports an error rejects with
// an Error holding its text.
//
// A stdio server is the owner's own program, run outside the cells on the
// owner's machine: its environment is exactly the props' env plus the
// secrets (nothing of littleboxes' own environment, not even PATH; the
// command itself is found on littleboxes' PATH), its stderr goes to the log,
// redacted, and it is restarted with backoff if it dies, until Cleanup stops
// it. Secrets reach the server host-side only: from the keyring into the
// server's environment (secret_env) or into the HTTP headers of each request
// (secret_headers), read when the server is started or connected to; every
// value they take is redacted (as "[secret:SLOT]") from what a call returns,
// from errors and from the log.
//
// Flow: a tool the server marks readOnlyHint is a source, any other an
// exchange (what it is sent reaches the server; what it returns comes from
// it); the roles prop overrides both. The label and the audience are the
// server's principal (its origin for a URL, "provider:mcp:COMMAND ARGS" for
// a command) with the owner, or only the owner for a server the owner
// vouches for (trusted).
//
// A server must not silently grow new authority: an instance provisioned
// with Storage pins the tools it exposes the first time, for its army
// (Host.Army), and a later change
// (a tool added, removed, or with a changed description, schema or
// read-only hint) fails provisioning with ErrToolsChanged until the owner
// accepts it (Accept). Without Storage, nothing is pinned.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/capabilities"
	"littleboxes/vault"
)

// ID is the kind id.
const ID = "mcp"

// Slots are the secret slots an instance may map to environment variables
// or headers; each is optional.
var Slots = []string{"token", "api_key", "credential", "password"}

// Bounds.
const (
	// DefaultTimeout is how long one tool call may take by default.
	DefaultTimeout = 60 * time.Second
	// MaxTimeout bounds the timeout prop.
	MaxTimeout = 10 * time.Minute
	// connectTimeout bounds starting or connecting to a server and listing
	// its tools.
	connectTimeout = 30 * time.Second
	// maxTools bounds how many tools a server may list.
	maxTools = 512
)

// ErrToolFailed means the tool ran and reported an error (isError).
var ErrToolFailed = errors.New("the MCP tool reported an error")

// ErrNameCollision means two tools have the same method name.
var ErrNameCollision = errors.New("two MCP tools have the same method name")

// MCP is an instance of the kind: its exported fields are the props.
type MCP struct {
	Command           string            `json:"command,omitempty" doc:"a local MCP server to run, speaking MCP over stdio: the program (found on littleboxes' PATH, or a path); not with url"`
	Args              []string          `json:"args,omitempty" doc:"the command's arguments"`
	Env               map[string]string `json:"env,omitempty" doc:"the command's whole environment, name to plain value (nothing else of littleboxes' environment is passed, not even PATH); secrets go in secret_env"`
	SecretEnv         map[string]string `json:"secret_env,omitempty" doc:"environment variables of the command set from secrets, name to secret slot (token, api_key, credential, password): {GITHUB_TOKEN: token}"`
	URL               string            `json:"url,omitempty" doc:"a streamable HTTP MCP server's endpoint (https://host/mcp; plain http only to loopback unless allow_insecure_http); not with command"`
	SecretHeaders     map[string]string `json:"secret_headers,omitempty" doc:"HTTP headers sent to the url's server set from secrets, name to a slot (the header is the secret) or a template holding one {slot}: {Authorization: \"Bearer {token}\"}"`
	AllowInsecureHTTP bool              `json:"allow_insecure_http,omitempty" doc:"allow a plain http url to a host other than loopback (what is sent, secrets included, can be read on the way); default false"`
	Tools             []string          `json:"tools,omitempty" doc:"the tools the agent may call, by the server's names; default all of them"`
	Roles             map[string]string `json:"roles,omitempty" doc:"a tool's flow role in place of the default (source for a tool marked read-only, else exchange): tool name to source, sink, exchange or pure"`
	Trusted           bool              `json:"trusted,omitempty" doc:"the owner vouches for this server (a local tool of their own): what it returns is readable by the owner only and what it is sent reaches the owner only; default false (the server is its own principal)"`
	Consequential     *bool             `json:"consequential,omitempty" doc:"false declares the tools that write (sink or exchange) not consequential: they are never held because someone other than the owner wrote what the agent read; default true"`
	Timeout           string            `json:"timeout,omitempty" doc:"the most one tool call may take, as a Go duration (\"2m\"); default \"60s\", at most \"10m\""`

	// Derived by CheckProps.
	checked   bool
	principal capabilities.Principal
	origin    string                  // the url's origin
	headers   map[string]headerSource // header name → how its value is made
	timeout   time.Duration

	host   *capabilities.Host
	red    *vault.Redactor
	srv    *server
	tr     *http.Transport
	cut    *atomic.Int64 // the url's responses cut at MaxResponseBytes
	table  *capabilities.Table
	tools  map[string]*tool // by method name
	hashes toolHashes       // the exposed tools, as pinned
	stderr *lineLog
}

// headerSource is a secret header: prefix + the slot's secret + suffix.
type headerSource struct {
	slot, prefix, suffix string
}

// tool is one exposed tool.
type tool struct {
	name   string // the server's name
	method string // the JavaScript name
	doc    schemaDoc
	input  map[string]any
}

func init() {
	var slots []capabilities.SecretSlot
	for _, s := range Slots {
		slots = append(slots, capabilities.SecretSlot{Name: s, Optional: true,
			Doc: "a secret the props map into the server's environment (secret_env) or its request headers (secret_headers)"})
	}
	capabilities.Register(capabilities.Kind{
		ID:      ID,
		Doc:     "an MCP server's tools (a local command over stdio, or a streamable HTTP endpoint) as methods",
		New:     func() capabilities.Instance { return &MCP{} },
		Secrets: slots,
		Table: capabilities.MustTable(capabilities.Spec{
			Interface: "MCPTools",
			Doc:       "The tools of an MCP server, known once the capability is provisioned.",
		}),
		Dynamic: true,
	})
}

// Flow implements capabilities.Instance: the server's principal with the
// owner, or the owner alone for a trusted server. It is computed from the
// props, so it works on an instance that was only decoded.
func (m *MCP) Flow() capabilities.Flow {
	inconsequential := m.Consequential != nil && !*m.Consequential
	if m.Trusted {
		return capabilities.Flow{Label: capabilities.NewLabel(capabilities.Owner), Audience: capabilities.NewLabel(capabilities.Owner), Inconsequential: inconsequential}
	}
	p := m.principal
	if p == "" {
		if m.URL != "" {
			if o, err := checkURL(m.URL, true); err == nil {
				p = capabilities.Origin(o)
			}
		}
		if p == "" {
			p = capabilities.Provider("mcp:" + commandName(m.Command, m.Args))
		}
	}
	// What the server returns, it wrote.
	return capabilities.Flow{Label: capabilities.NewLabel(capabilities.Owner, p), Audience: capabilities.NewLabel(p),
		Writers: capabilities.NewLabel(p), Inconsequential: inconsequential}
}

// Table implements capabilities.Tabler: the table built when provisioned.
func (m *MCP) Table() *capabilities.Table { return m.table }

// Provision starts (or connects to) the server, lists its tools, pins them
// (with Storage) and builds the method table.
func (m *MCP) Provision(ctx context.Context, h *capabilities.Host) error {
	if h == nil {
		h = &capabilities.Host{}
	}
	m.host = h
	if !m.checked {
		if err := m.CheckProps(h.SecretRefs); err != nil {
			return err
		}
	}
	m.red = vault.NewRedactor()
	logf := vault.RedactLogf(m.red, h.Logff)
	name := m.URL
	if m.Command != "" {
		name = commandName(m.Command, m.Args)
		m.stderr = &lineLog{name: name, logf: logf, redact: m.red.String}
	}
	if m.URL != "" {
		m.cut = new(atomic.Int64)
		m.tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second}
	}
	m.srv = &server{name: name, logf: logf, connect: m.connect, recheck: m.recheck}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	cs, err := m.srv.start(cctx)
	if err != nil {
		return m.redactErr(fmt.Errorf("starting the MCP server %s: %w", name, err))
	}
	tools, err := listTools(cctx, cs)
	if err != nil {
		return m.redactErr(fmt.Errorf("listing the tools of %s: %w", name, err))
	}
	if err := m.build(tools, serverTitle(cs)); err != nil {
		return m.redactErr(err)
	}
	if h.Storage != nil {
		if err := pin(ctx, h.Storage, h.Army, h.Instance, m.hashes); err != nil {
			return m.redactErr(fmt.Errorf("mcp %s: %w", h.Instance, err))
		}
	}
	return nil
}

// connect starts the command (with its environment and secrets) or
// connects to the url (with its secret headers), reading the secrets now.
func (m *MCP) connect(ctx context.Context) (*sdk.ClientSession, error) {
	client := sdk.NewClient(&sdk.Implementation{Name: "littleboxes", Version: "1"}, nil)
	var t sdk.Transport
	if m.Command != "" {
		env := make([]string, 0, len(m.Env)+len(m.SecretEnv))
		for _, k := range sortedKeys(m.Env) {
			env = append(env, k+"="+m.Env[k])
		}
		for _, k := range sortedKeys(m.SecretEnv) {
			v, err := m.secret(ctx, m.SecretEnv[k])
			if err != nil {
				return nil, err
			}
			env = append(env, k+"="+v)
		}
		cmd := exec.Command(m.Command, m.Args...)
		cmd.Env = env // never nil: a nil Env would mean littleboxes' own environment
		cmd.Stderr = m.stderr
		t = &sdk.CommandTransport{Command: cmd, TerminateDuration: terminateWait}
		cs, err := client.Connect(ctx, t, nil)
		if err != nil {
			m.stderr.flush()
			if tail := m.stderr.lastLines(); tail != "" {
				return nil, fmt.Errorf("%w (its stderr: %s)", err, tail)
			}
			return nil, err
		}
		return cs, nil
	}
	headers := http.Header{}
	for name, src := range m.headers {
		v, err := m.secret(ctx, src.slot)
		if err != nil {
			return nil, err
		}
		headers.Set(name, src.prefix+v+src.suffix)
	}
	hc := &http.Client{
		Transport: &headerTransport{headers: headers, next: m.tr, cut: m.cut},
		// A redirect would carry the secret headers elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t = &sdk.StreamableClientTransport{Endpoint: m.URL, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: 1}
	return client.Connect(ctx, t, nil)
}

// secret reads a slot's secret and makes the redactor know it.
func (m *MCP) secret(ctx context.Context, slot string) (string, error) {
	v, err := m.host.Secret(ctx, slot)
	if err != nil {
		return "", err
	}
	if len(v) < vault.MinRedactLen {
		return "", fmt.Errorf("secret slot %s: the secret is shorter than %d bytes, too short to be redacted", slot, vault.MinRedactLen)
	}
	if err := m.red.Add(slot, v); err != nil {
		return "", err
	}
	return v, nil
}

// MaxResponseBytes bounds what a server may send in answer to one request:
// over stdio, one JSON-RPC frame (the Go SDK's own bound); over HTTP, one
// response body. A larger answer fails the call (over stdio the connection
// too, and the server is restarted).
const MaxResponseBytes = sdk.DefaultMaxLineLength

// ErrResponseTooLarge means an HTTP server's answer exceeded
// MaxResponseBytes.
var ErrResponseTooLarge = fmt.Errorf("the MCP server's response exceeds %d MiB", MaxResponseBytes>>20)

// headerTransport adds the secret headers to each request and bounds each
// response body to MaxResponseBytes.
type headerTransport struct {
	headers http.Header
	next    http.RoundTripper
	// cut counts the responses cut at MaxResponseBytes: the SDK reports a
	// cut response as one that ended without an answer, and call says why.
	cut *atomic.Int64
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.headers {
		r.Header[k] = v
	}
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxResponseBytes, cut: t.cut}
	}
	return resp, err
}

// limitedBody fails a read once more than left bytes were read.
type limitedBody struct {
	io.ReadCloser
	left int64
	cut  *atomic.Int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrResponseTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.cut.Add(1)
		return 0, ErrResponseTooLarge
	}
	return n, err
}

// listTools lists every tool, page by page, up to maxTools.
func listTools(ctx context.Context, cs *sdk.ClientSession) ([]*sdk.Tool, error) {
	var out []*sdk.Tool
	for t, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return nil, err
		}
		if len(out) == maxTools {
			return nil, fmt.Errorf("the server lists more than %d tools", maxTools)
		}
		out = append(out, t)
	}
	return out, nil
}

// recheck lists the tools of a restarted server: if what the instance
// exposes changed, calls fail until it is provisioned again.
func (m *MCP) recheck(ctx context.Context, cs *sdk.ClientSession) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	tools, err := listTools(ctx, cs)
	if err != nil {
		return m.redactErr(fmt.Errorf("listing the tools of the restarted server: %w", err))
	}
	now := toolHashes{}
	for _, t := range m.exposed(tools) {
		now[t.Name] = m.hash(t)
	}
	if changes := diff(m.hashes, now); len(changes) > 0 {
		return fmt.Errorf("%w: after a restart: %s; provision the capability again (restart the army) to see them", ErrToolsChanged, strings.Join(changes, "; "))
	}
	return nil
}

// exposed returns the tools the props allow, in the server's order.
func (m *MCP) exposed(tools []*sdk.Tool) []*sdk.Tool {
	if len(m.Tools) == 0 {
		return tools
	}
	allow := map[string]bool{}
	for _, t := range m.Tools {
		allow[t] = true
	}
	var out []*sdk.Tool
	for _, t := range tools {
		if allow[t.Name] {
			out = append(out, t)
		}
	}
	return out
}

func (m *MCP) hash(t *sdk.Tool) string {
	return hashTool(t.Description, t.InputSchema, t.OutputSchema, t.Annotations != nil && t.Annotations.ReadOnlyHint)
}

// build makes the method table of the tools the props allow.
func (m *MCP) build(all []*sdk.Tool, title string) error {
	offered := map[string]bool{}
	var names []string
	for _, t := range all {
		offered[t.Name] = true
		names = append(names, t.Name)
	}
	sort.Strings(names)
	for _, t := range m.Tools {
		if !offered[t] {
			return fmt.Errorf("tools: the server has no tool %s; it has %s", t, strings.Join(names, ", "))
		}
	}
	for _, t := range sortedKeys(m.Roles) {
		if !offered[t] {
			return fmt.Errorf("roles.%s: the server has no tool %s; it has %s", t, t, strings.Join(names, ", "))
		}
	}
	prefix := capabilities.TypeName(m.host.Instance)
	if prefix == "" {
		prefix = "MCP"
	}
	contentType := prefix + "Content"
	var types strings.Builder
	fmt.Fprintf(&types, contentTS, contentType)
	m.tools = map[string]*tool{}
	m.hashes = toolHashes{}
	var methods []capabilities.Method
	byMethod := map[string]string{}
	for _, t := range m.exposed(all) {
		name := capabilities.MethodName(t.Name)
		if name == "" {
			return fmt.Errorf("tool %q: no JavaScript method name can be made of its name", t.Name)
		}
		if other, dup := byMethod[name]; dup {
			return fmt.Errorf("%w: tools %q and %q are both %s; leave one out with the tools prop", ErrNameCollision, other, t.Name, name)
		}
		byMethod[name] = t.Name
		m.hashes[t.Name] = m.hash(t)
		tl, method, decl := m.method(t, name, prefix, contentType)
		m.tools[name] = tl
		methods = append(methods, method)
		types.WriteString("\n\n")
		types.WriteString(decl)
	}
	server := "this MCP server"
	if title != "" {
		server = "the MCP server " + m.red.String(title)
	}
	doc := "The tools of " + server + ". Each method takes one object, the\n" +
		"tool's arguments, checked against the tool's schema before it is sent; it\n" +
		"rejects with an Error holding the tool's text when the tool reports an error.\n" +
		"A method that sends data (its doc says exchange or sink) resolves to\n" +
		"{ status: \"pending_approval\", id } instead when the owner must approve the\n" +
		"call first."
	if m.Trusted {
		doc += "\nThe owner vouches for this server: what it returns stays with the owner."
	}
	tb, err := capabilities.NewTable(capabilities.Spec{Interface: prefix + "Tools", Doc: doc, Types: types.String(), Methods: methods})
	if err != nil {
		return fmt.Errorf("building the method table: %w", err)
	}
	m.table = tb
	return nil
}

// serverTitle names a server for its interface's doc: its title or name as
// it gave them, quoted (it is the server's own word); "" when it gave none.
func serverTitle(cs *sdk.ClientSession) string {
	res := cs.InitializeResult()
	if res == nil || res.ServerInfo == nil {
		return ""
	}
	name := capabilities.FirstLine(res.ServerInfo.Title)
	if name == "" {
		name = capabilities.FirstLine(res.ServerInfo.Name)
	}
	if name == "" {
		return ""
	}
	return strconvQuote(name)
}

// contentTS declares a result's content blocks; %[1]s is the type's name.
const contentTS = `/** One block of an MCP tool's result, as the server sent it. */
interface %[1]s {
  /** "text", "image", "audio", "resource_link" or "resource". */
  type: string;
  /** The text, for type "text". */
  text?: string;
  /** Base64 data, for "image" and "audio". */
  data?: string;
  mimeType?: string;
  /** The resource's URI, for "resource_link". */
  uri?: string;
  name?: string;
  /** The resource's contents, for "resource". */
  resource?: { uri: string; mimeType?: string; text?: string; blob?: string };
  [key: string]: unknown;
}`

// method builds the table's method for tool t and its TypeScript types.
func (m *MCP) method(t *sdk.Tool, name, prefix, contentType string) (*tool, capabilities.Method, string) {
	in := plainSchema(t.InputSchema)
	tl := &tool{name: t.Name, method: name, doc: schemaDoc{root: in}, input: in}
	role := capabilities.Exchange
	if t.Annotations != nil && t.Annotations.ReadOnlyHint {
		role = capabilities.Source
	}
	if r, ok := m.Roles[t.Name]; ok {
		role = capabilities.Role(r)
	}
	argsType := prefix + capabilities.TypeName(name) + "Args"
	var decl strings.Builder
	argsDoc := "The arguments of " + name + "."
	if d := describe(in); d != "" {
		argsDoc += " " + m.red.String(d)
	}
	decl.WriteString(capabilities.TSDocLine("", argsDoc))
	fmt.Fprintf(&decl, "type %s = %s;", argsType, m.argsTS(tl))
	result := contentType + "[]"
	if out := plainSchema(t.OutputSchema); out != nil {
		result = prefix + capabilities.TypeName(name) + "Result"
		decl.WriteString("\n\n")
		decl.WriteString(capabilities.TSDocLine("", "What "+name+" resolves to: the tool's structured content."))
		fmt.Fprintf(&decl, "type %s = %s;", result, schemaDoc{root: out}.render(out))
	}
	optional := len(requiredSet(in)) == 0
	ts := fmt.Sprintf("%s(args: %s): Promise<%s>", name, argsType, result)
	if optional {
		ts = fmt.Sprintf("%s(args?: %s): Promise<%s>", name, argsType, result)
	}
	desc := m.red.String(strings.TrimSpace(t.Description))
	title := t.Title
	if title == "" && t.Annotations != nil {
		title = t.Annotations.Title
	}
	doc := capabilities.FirstLine(desc)
	if doc == "" {
		doc = capabilities.FirstLine(title)
	}
	if doc == "" {
		doc = "Calls the MCP tool " + t.Name + "."
	}
	tsdoc := desc
	if tsdoc == "" {
		tsdoc = doc
	}
	tsdoc += "\n\nThe MCP tool " + strconvQuote(t.Name) + " (" + string(role) + ")."
	method := capabilities.Method{
		Name: name, Role: role, Doc: doc, TS: ts, TSDoc: tsdoc,
		Params: []capabilities.Param{{Name: "args", Type: capabilities.TypeObject, Optional: optional,
			Want: "an object of the tool's arguments"}},
		Fn: func(ctx context.Context, inst capabilities.Instance, args []any) (any, error) {
			mi, ok := inst.(*MCP)
			if !ok {
				return nil, fmt.Errorf("an MCP tool called on %T", inst)
			}
			return mi.call(ctx, tl, args)
		},
	}
	return tl, method, decl.String()
}

// argsTS renders a tool's arguments type: its input schema as an object.
func (m *MCP) argsTS(t *tool) string {
	if t.input == nil {
		return "{ [key: string]: unknown }"
	}
	return t.doc.render(t.input)
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// plainSchema returns a schema as plain data (a map), or nil.
func plainSchema(v any) map[string]any {
	if v == nil {
		return nil
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// call checks the arguments against the tool's input schema and calls it.
func (m *MCP) call(ctx context.Context, t *tool, args []any) (any, error) {
	var in map[string]any
	if len(args) > 0 {
		in, _ = args[0].(map[string]any)
	}
	if in == nil {
		in = map[string]any{}
	}
	if t.input != nil {
		if bad := t.doc.check(t.input, in, "args"); bad != nil {
			return nil, bad.callError(t.method)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	cs, err := m.srv.session(ctx)
	if err != nil {
		return nil, m.redactErr(fmt.Errorf("mcp tool %s: %w", t.name, err))
	}
	var cut int64
	if m.cut != nil {
		cut = m.cut.Load()
	}
	params := &sdk.CallToolParams{Name: t.name, Arguments: in}
	res, err := cs.CallTool(ctx, params)
	if errors.Is(err, sdk.ErrConnectionClosed) {
		// The session was ending when the call began, so nothing was sent
		// (a call in flight when the connection breaks fails otherwise):
		// it is safe to send it once more, to the restarted server.
		m.srv.lost(cs)
		if cs, err = m.srv.session(ctx); err == nil {
			res, err = cs.CallTool(ctx, params)
		}
	}
	if err != nil && m.cut != nil && m.cut.Load() != cut {
		// A response was cut while this call waited: most likely its own.
		return nil, m.redactErr(fmt.Errorf("mcp tool %s: %w (%v)", t.name, ErrResponseTooLarge, err))
	}
	if err != nil {
		return nil, m.redactErr(fmt.Errorf("mcp tool %s: %w", t.name, err))
	}
	if res.IsError {
		var texts []string
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				texts = append(texts, tc.Text)
			}
		}
		return nil, m.redactErr(fmt.Errorf("%w: %s: %s", ErrToolFailed, t.name, strings.Join(texts, "\n")))
	}
	var out any
	if res.StructuredContent != nil {
		out, err = plain(res.StructuredContent)
	} else {
		out, err = plain(res.Content)
	}
	if err != nil {
		return nil, m.redactErr(fmt.Errorf("mcp tool %s: reading its result: %w", t.name, err))
	}
	if out == nil {
		out = []any{}
	}
	return m.red.Value(out), nil
}

// plain turns a result into plain data, as JSON would carry it. Content
// blocks of text alone (the usual result) are made directly, as JSON would
// make them; anything else goes through JSON.
func plain(v any) (any, error) {
	if blocks, ok := v.([]sdk.Content); ok {
		if out, ok := plainTexts(blocks); ok {
			return out, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// plainTexts is plain for content blocks that are all text with no
// metadata or annotations, in valid UTF-8; ok is false for any other.
func plainTexts(blocks []sdk.Content) (out []any, ok bool) {
	out = make([]any, len(blocks))
	for i, c := range blocks {
		tc, isText := c.(*sdk.TextContent)
		if !isText || tc == nil || tc.Meta != nil || tc.Annotations != nil || !utf8.ValidString(tc.Text) {
			return nil, false
		}
		out[i] = map[string]any{"type": "text", "text": tc.Text}
	}
	return out, true
}

// redactErr returns err with every secret the instance read redacted from
// its message (the vault's Redactor.Error: errors.Is still works). The
// secrets go only into a server's environment or request headers, never
// into a URL or another field an error might carry.
func (m *MCP) redactErr(err error) error {
	if err == nil || m.red == nil {
		return err
	}
	return m.red.Error(err)
}

// Validate checks that the instance was provisioned.
func (m *MCP) Validate() error {
	if m.table == nil {
		return errors.New("not provisioned: the server's tools are not known")
	}
	return nil
}

// Cleanup stops the server (a command's process: its stdin closed, then
// SIGTERM, then SIGKILL) or closes the connection, and waits for them.
func (m *MCP) Cleanup() error {
	var err error
	if m.srv != nil {
		err = m.srv.close()
	}
	if m.stderr != nil {
		m.stderr.flush()
	}
	if m.tr != nil {
		m.tr.CloseIdleConnections()
	}
	if err != nil && m.Command != "" {
		// A process that exits on a signal or with a status once its stdin
		// is closed has still stopped.
		var ee *exec.ExitError
		if errors.As(err, &ee) || errors.Is(err, os.ErrProcessDone) {
			return nil
		}
	}
	return m.redactErr(err)
}

// Interface guards.
var (
	_ capabilities.Instance     = (*MCP)(nil)
	_ capabilities.Tabler       = (*MCP)(nil)
	_ capabilities.Provisioner  = (*MCP)(nil)
	_ capabilities.Validator    = (*MCP)(nil)
	_ capabilities.PropsChecker = (*MCP)(nil)
	_ capabilities.CleanerUpper = (*MCP)(nil)
)
