// Package mcp serves an army's agent as an MCP server with two tools, as
// Cloudflare's Code Mode servers do: search returns the TypeScript
// declaration of the env the agent's code gets (whole, or the parts a query
// matches), and execute runs code against that env once, in a fresh isolate
// with exactly the agent's guarded bindings, recorded as a run of the agent.
// A model connected through a desktop MCP client thus gets no authority the
// agent lacks: every flow verdict holds whatever code it writes, and a
// flagged sink is held for the owner to approve.
//
// The transports are the official Go SDK's: stdio (Serve) and streamable
// HTTP (Handler), the latter on loopback behind a bearer token.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/codemode"
	"littleboxes/app/engine"
	"littleboxes/sandbox"
)

// Trigger is the trigger an execute run is recorded under.
const Trigger = "mcp"

// ErrAgent is wrapped by New when the agent to serve cannot be chosen.
var ErrAgent = errors.New("no agent to serve")

// Options configure a Server.
type Options struct {
	// Agent is the agent whose env the tools expose; "" means the army's
	// only agent.
	Agent string
	// Army is the army's name, used in the tools' texts (the approvals
	// command to run).
	Army string
	// Version is the version reported to clients; "" reports "dev".
	Version string
	// Attached says the backend is the data directory's engine (not one in
	// this process), which approvals approve reaches while this server runs.
	Attached bool
}

// Backend is the engine a Server exposes an agent of: an *engine.Engine in
// this process (Local), or the data directory's engine over its socket
// (package cli's), so that what execute holds lands where the window and
// `approvals list` see it.
type Backend interface {
	// Agents lists the army's agents.
	Agents(ctx context.Context) ([]string, error)
	// Declaration is the TypeScript declaration of agent's env.
	Declaration(ctx context.Context, agent string) (string, error)
	// Execute normalises, compiles and runs code once as agent, recorded
	// under Trigger. A result may come with an error (the console so far).
	Execute(ctx context.Context, agent, code string, input any) (*sandbox.Result, error)
	// Pending lists the ids of agent's pending approvals.
	Pending(ctx context.Context, agent string) ([]string, error)
}

// Server is littleboxes as an MCP server over one agent of an engine.
type Server struct {
	b        Backend
	agent    string
	army     string
	attached bool
	srv      *sdk.Server
}

// Local is the Backend over an engine in this process. It caches the
// compiled code it runs.
type Local struct {
	e *engine.Engine

	mu      sync.Mutex
	modules map[string]*sandbox.Module // code as sent → compiled, at most maxModules
}

// NewLocal returns the Backend over e.
func NewLocal(e *engine.Engine) *Local { return &Local{e: e} }

// maxModules bounds the cache of compiled execute code: a client that
// sends the same code again (a retry, a loop over inputs) skips normalising
// and compiling it.
const maxModules = 64

// New returns a server exposing agent opts.Agent of e (the engine's only
// agent when it is ""); an unknown or ambiguous agent is an error wrapping
// ErrAgent that lists the agents there are.
func New(e *engine.Engine, opts Options) (*Server, error) {
	if opts.Army == "" {
		opts.Army = e.ArmyName()
	}
	return NewServer(context.Background(), NewLocal(e), opts)
}

// NewServer returns a server exposing agent opts.Agent of b (its only
// agent when it is ""), as New does; opts.Army names the army.
func NewServer(ctx context.Context, b Backend, opts Options) (*Server, error) {
	agents, err := b.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the agents: %w", err)
	}
	name := opts.Agent
	switch {
	case name == "" && len(agents) == 1:
		name = agents[0]
	case name == "":
		return nil, fmt.Errorf("%w: the army has %d agents, name one with --agent (%s)", ErrAgent, len(agents), strings.Join(agents, ", "))
	case !slices.Contains(agents, name):
		return nil, fmt.Errorf("%w: the army has no agent %q (have: %s)", ErrAgent, name, strings.Join(agents, ", "))
	}
	army := opts.Army
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	s := &Server{b: b, agent: name, army: army, attached: opts.Attached}
	s.srv = sdk.NewServer(&sdk.Implementation{Name: "littleboxes", Title: "littleboxes: " + army + "/" + name, Version: version},
		&sdk.ServerOptions{Instructions: s.instructions()})
	sdk.AddTool(s.srv, &sdk.Tool{
		Name: "search",
		Description: "The TypeScript declaration of `env`, the only door to the outside the code given to `execute` has " +
			"(agent " + name + " of army " + army + "). Without a query: all of it. With one: the interfaces and members " +
			"whose text contains any of the query's words (case-insensitive), and always the Env interface that names the bindings.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, Title: "Search the env declaration"},
	}, s.search)
	sdk.AddTool(s.srv, &sdk.Tool{
		Name: "execute",
		Description: "Run JavaScript or TypeScript once, in a fresh sandbox whose only access to the outside is `env` (see search). " +
			"`code` is an async arrow function `async (input, env, ctx) => { … }`, a module `export default { async run(input, env, ctx) { … } }`, " +
			"or a bare body (which sees input, env and ctx, and whose last expression is its result). Every env method returns a Promise. " +
			"The result is the returned value as JSON, with the console output and any error. A call the owner must approve returns " +
			"{status: \"pending_approval\", id} and is performed only once approved.",
		Annotations: &sdk.ToolAnnotations{Title: "Execute code against env", OpenWorldHint: ptr(true), DestructiveHint: ptr(true)},
	}, s.execute)
	return s, nil
}

func ptr[T any](v T) *T { return &v }

// Agent returns the name of the agent served.
func (s *Server) Agent() string { return s.agent }

// MCP returns the SDK server, for a transport.
func (s *Server) MCP() *sdk.Server { return s.srv }

// Serve serves one client over r and w (stdin and stdout, for a desktop
// client that starts littleboxes mcp) until it disconnects or ctx is done.
// Nothing else may write to w.
func (s *Server) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	err := s.srv.Run(ctx, &sdk.IOTransport{Reader: io.NopCloser(r), Writer: nopCloser{w}})
	if err != nil && ctx.Err() != nil {
		return nil // stopped
	}
	return err
}

// nopCloser is a writer whose Close does nothing: w belongs to the caller.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func (s *Server) instructions() string {
	return "littleboxes runs your code as agent " + s.agent + " of the army " + s.army + ": call search to read the " +
		"TypeScript declaration of env, then execute with code that uses it. Calls the owner has not allowed are held " +
		"as approvals (pending_approval) rather than performed."
}

// SearchInput is the search tool's argument.
type SearchInput struct {
	Query string `json:"query,omitempty" jsonschema:"words to look for in the declaration (any of them, case-insensitive); empty for all of it"`
}

// ExecuteInput is the execute tool's arguments.
type ExecuteInput struct {
	Code  string `json:"code" jsonschema:"an async arrow function (input, env, ctx) => …, a module with export default { async run(input, env, ctx) {…} }, or a bare body"`
	Input any    `json:"input,omitempty" jsonschema:"the value the code gets as input (any JSON; null when absent)"`
}

func (s *Server) search(ctx context.Context, _ *sdk.CallToolRequest, in SearchInput) (*sdk.CallToolResult, any, error) {
	decl, err := s.b.Declaration(ctx, s.agent)
	if err != nil {
		return nil, nil, err
	}
	return textResult(Filter(decl, in.Query), false), nil, nil
}

// Execution is what execute reports, as the JSON of its first text block.
type Execution struct {
	// Result is the value the code returned; absent after an error.
	Result any `json:"result,omitempty"`
	// Console is the console output, one "level: text" line each.
	Console []string `json:"console,omitempty"`
	// Error says why the code failed: a syntax error, a thrown error (a
	// TypeError naming what exists, for a method that does not), a limit.
	Error string `json:"error,omitempty"`
	// PendingApprovals are the ids of the effects this run's code asked for
	// that are held for the owner.
	PendingApprovals []string `json:"pending_approvals,omitempty"`
}

func (s *Server) execute(ctx context.Context, _ *sdk.CallToolRequest, in ExecuteInput) (*sdk.CallToolResult, any, error) {
	before, err := s.pending(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ex Execution
	res, err := s.b.Execute(ctx, s.agent, in.Code, in.Input)
	if res != nil {
		ex.Result = res.Value
		for _, l := range res.Console {
			ex.Console = append(ex.Console, l.Level+": "+l.Text)
		}
	}
	if err != nil {
		ex.Result = nil
		ex.Error = err.Error()
	}
	after, lerr := s.pending(ctx)
	if lerr != nil {
		return nil, nil, lerr
	}
	for _, id := range after {
		if !slices.Contains(before, id) {
			ex.PendingApprovals = append(ex.PendingApprovals, id)
		}
	}
	b, jerr := json.MarshalIndent(ex, "", "  ")
	if jerr != nil {
		return nil, nil, fmt.Errorf("execute: encoding the result: %w", jerr)
	}
	out := &sdk.CallToolResult{IsError: err != nil, Content: []sdk.Content{&sdk.TextContent{Text: string(b)}}}
	if len(ex.PendingApprovals) > 0 {
		out.Content = append(out.Content, &sdk.TextContent{Text: s.heldText(ex.PendingApprovals)})
	}
	return out, nil, nil
}

// Agents lists the engine's agents.
func (l *Local) Agents(context.Context) ([]string, error) { return l.e.Agents(), nil }

// Declaration is agent's env declaration.
func (l *Local) Declaration(_ context.Context, agent string) (string, error) {
	return l.e.Declaration(agent)
}

// Execute normalises, compiles and runs code as agent.
func (l *Local) Execute(ctx context.Context, agent, code string, input any) (*sandbox.Result, error) {
	if strings.TrimSpace(code) == "" {
		return nil, errors.New("code is empty: give an async arrow function (input, env, ctx) => …, a module or a bare body")
	}
	m, err := l.module(code)
	if err != nil {
		return nil, err
	}
	return l.e.RunModule(ctx, agent, m, input, Trigger)
}

// module normalises and compiles code, or returns it from the cache. The
// cache is emptied when full: it holds what a client is repeating now.
func (l *Local) module(code string) (*sandbox.Module, error) {
	l.mu.Lock()
	m := l.modules[code]
	l.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := codemode.Module("execute.ts", code)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if len(l.modules) >= maxModules {
		clear(l.modules)
	}
	if l.modules == nil {
		l.modules = map[string]*sandbox.Module{}
	}
	l.modules[code] = m
	l.mu.Unlock()
	return m, nil
}

// Pending returns the ids of agent's pending approvals.
func (l *Local) Pending(_ context.Context, agent string) ([]string, error) {
	effs, err := l.e.List()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ef := range effs {
		if ef.Agent == agent && ef.Status == engine.StatusPending {
			ids = append(ids, ef.ID)
		}
	}
	return ids, nil
}

// pending returns the ids of the served agent's pending approvals.
func (s *Server) pending(ctx context.Context) ([]string, error) {
	ids, err := s.b.Pending(ctx, s.agent)
	if err != nil {
		return nil, fmt.Errorf("listing approvals: %w", err)
	}
	return ids, nil
}

// heldText tells the model what a held effect means and how to check back.
func (s *Server) heldText(ids []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Held for the owner's approval, not performed: %s. ", strings.Join(ids, ", "))
	b.WriteString("Tell the owner: they approve it in the littleboxes window, or with")
	for _, id := range ids {
		fmt.Fprintf(&b, " `littleboxes approvals approve %s --army %s`", id, s.army)
	}
	if !s.attached {
		b.WriteString(" (while no other littleboxes, this server included, holds the data directory)")
	}
	fmt.Fprintf(&b, ". Check back with `littleboxes approvals list --all --army %s` (its status and result) "+
		"and `littleboxes runs %s %s`. Do not retry the call: that would ask again.", s.army, s.army, s.agent)
	return b.String()
}

func textResult(text string, isErr bool) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: isErr, Content: []sdk.Content{&sdk.TextContent{Text: text}}}
}
