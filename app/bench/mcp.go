package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/tiktoken-go/tokenizer"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// The MCP targets of issue 14.
const (
	// ExecuteTargetUS is the target for the median round trip of
	// `littleboxes mcp`'s execute over stdio beyond the code's own work.
	ExecuteTargetUS = 2000
	// ToolCallTargetUS is the target for what a call from an agent in a
	// cell to an MCP tool adds beyond the server's own time.
	ToolCallTargetUS = 1000
)

// MCPReport holds the MCP figures.
type MCPReport struct {
	// ExecuteP50us and ExecuteP99us are round trips of the execute tool of
	// `littleboxes mcp` run as a child process, over its stdin and stdout,
	// called by the Go SDK's client with `async () => 1`: the code's own
	// work is nil, so the whole round trip is overhead (normalise, compile,
	// a fresh isolate in a cell, the run record, JSON-RPC both ways).
	ExecuteP50us   float64 `json:"execute_p50_us"`
	ExecuteP99us   float64 `json:"execute_p99_us"`
	ExecuteSamples int     `json:"execute_samples"`
	// ToolCallP50us is what a tool call from an agent in a cell to the
	// built-in trivial server (`littleboxes mcp --trivial-server`, a go-sdk
	// server over stdio whose echo does nothing), wrapped by the mcp kind,
	// costs beyond the server's own time: the median over batches of
	// sequential calls in one run, of the run's time less an empty run's,
	// less the server's own time in the run less in the empty run, per
	// call. The server's own time (ToolCallServerUS) is what the server
	// measures itself: from its reader receiving a message to its answer
	// starting to be written, the SDK's decoding, dispatch and encoding of
	// one small message. The pipes both ways, the SDK's client, the mcp
	// kind, the engine and the cell are all in ToolCallP50us.
	ToolCallP50us   float64 `json:"tool_call_p50_us"`
	ToolCallSamples int     `json:"tool_call_samples"`
	// ToolCallServerUS is the server's own time per call in those runs (the
	// median over batches): what ToolCallP50us does not count.
	ToolCallServerUS float64 `json:"tool_call_server_us"`
	// KindCallP50us is the same call made from Go straight through the
	// kind's method table (no agent, no cell, no engine), the server's own
	// time included: the MCP round trip's share of ToolCallP50us plus
	// ToolCallServerUS.
	KindCallP50us float64 `json:"kind_call_p50_us"`
	// Agents are the inbox army's agents' env declarations against the
	// same methods written as MCP tools.
	Agents []DeclSize `json:"agents,omitempty"`
	// Error says what failed, when a figure could not be measured (the
	// others are still reported).
	Error string `json:"error,omitempty"`
}

// DeclSize is one agent's env declaration (what Code Mode and `littleboxes
// mcp`'s search show a model) against the same methods written as MCP
// tools (a tools/list result, compact JSON as sent: name, description,
// input schema, read-only hint), in bytes and in o200k tokens.
type DeclSize struct {
	Agent      string `json:"agent"`
	Methods    int    `json:"methods"`
	DeclBytes  int    `json:"decl_bytes"`
	DeclTokens int    `json:"decl_tokens"`
	MCPBytes   int    `json:"mcp_bytes"`
	MCPTokens  int    `json:"mcp_tokens"`
}

// MCPOptions choose how much of the MCP figures to measure.
type MCPOptions struct {
	// Exe is the littleboxes binary, run as `littleboxes mcp` (execute)
	// and `littleboxes mcp --trivial-server` (the tool call); empty skips
	// those two figures.
	Exe string
	// ExeEnv is added to the environment of the children run from Exe
	// (tests set the variable that makes a test binary the command line).
	// The trivial server's environment is only ExeEnv (the mcp kind passes
	// nothing else); nil means this process's LITTLEBOXES_* variables, so
	// that a test binary acting as littleboxes runs its child as such.
	ExeEnv map[string]string
	// Executes is how many execute round trips are timed (default 300).
	Executes int
	// Batches of BatchCalls tool calls each are timed (default 30 of 50).
	Batches, BatchCalls int
}

// MCP measures the MCP figures, in a temporary directory. It does not fail:
// what could not be measured is said in Error.
func MCP(ctx context.Context, o MCPOptions, logf func(string, ...any)) *MCPReport {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if o.Executes <= 0 {
		o.Executes = 300
	}
	if o.Batches <= 0 {
		o.Batches = 30
	}
	if o.BatchCalls <= 0 {
		o.BatchCalls = 50
	}
	if o.ExeEnv == nil {
		o.ExeEnv = map[string]string{}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LITTLEBOXES_") {
				o.ExeEnv[k] = v
			}
		}
	}
	r := &MCPReport{}
	var errs []error
	dir, err := os.MkdirTemp("", "littleboxes-bench-mcp-")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer os.RemoveAll(dir)
	if o.Exe != "" {
		logf("mcp execute: %d round trips of `littleboxes mcp` over stdio", o.Executes)
		d, err := ExecuteRoundTrips(ctx, o.Exe, o.ExeEnv, filepath.Join(dir, "execute"), o.Executes)
		if err != nil {
			errs = append(errs, err)
		} else {
			r.ExecuteP50us, r.ExecuteP99us, r.ExecuteSamples = percentileUS(d, 50), percentileUS(d, 99), len(d)
		}
		logf("mcp tool calls: %d batches of %d from an agent in a cell to the trivial server", o.Batches, o.BatchCalls)
		tc, err := ToolCalls(ctx, o.Exe, o.ExeEnv, filepath.Join(dir, "tool"), o.Batches, o.BatchCalls)
		if err != nil {
			errs = append(errs, err)
		} else {
			r.ToolCallP50us, r.ToolCallSamples = percentileUS(tc.Calls, 50), len(tc.Calls)*o.BatchCalls
			r.ToolCallServerUS, r.KindCallP50us = percentileUS(tc.Server, 50), percentileUS(tc.Kind, 50)
		}
	}
	logf("mcp declarations: the inbox army's env declarations against MCP tool schemas")
	sizes, err := DeclSizes(ctx, filepath.Join(dir, "decl"))
	if err != nil {
		errs = append(errs, err)
	}
	r.Agents = sizes
	if err := errors.Join(errs...); err != nil {
		r.Error = err.Error()
	}
	return r
}

// Print writes the figures as `littleboxes bench` prints them, each with
// its target; nothing for a nil report.
func (r *MCPReport) Print(w io.Writer) {
	if r == nil {
		return
	}
	met := func(v, target float64) string {
		if v <= target {
			return "met"
		}
		return "NOT met"
	}
	if r.ExecuteSamples > 0 {
		fmt.Fprintf(w, "mcp execute (stdio)    p50 %8.1f µs   p99 %8.1f µs   (%d samples; target p50 ≤ %d µs: %s)\n",
			r.ExecuteP50us, r.ExecuteP99us, r.ExecuteSamples, ExecuteTargetUS, met(r.ExecuteP50us, ExecuteTargetUS))
	}
	if r.ToolCallSamples > 0 {
		fmt.Fprintf(w, "mcp tool call (cell)   p50 %8.1f µs beyond the server's own %.1f µs; from Go %.1f µs with it   (%d calls; target ≤ %d µs: %s)\n",
			r.ToolCallP50us, r.ToolCallServerUS, r.KindCallP50us, r.ToolCallSamples, ToolCallTargetUS, met(r.ToolCallP50us, ToolCallTargetUS))
	}
	for _, a := range r.Agents {
		fmt.Fprintf(w, "env vs MCP tools       %-11s %d methods: declaration %5d B %5d tokens; as MCP tools %5d B %5d tokens (o200k)\n",
			a.Agent, a.Methods, a.DeclBytes, a.DeclTokens, a.MCPBytes, a.MCPTokens)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "mcp figures failed     %s\n", r.Error)
	}
}

// executeArmy is the army ExecuteRoundTrips serves: one agent with a kv
// binding.
const executeArmy = `name: bench-mcp
capabilities:
  notes: {kind: kv, props: {namespace: bench-mcp}}
agents:
  coder:
    triggers: [manual]
    bindings: {notes: notes}
    code: |
      export default { async run() { return null } }
`

// childCommand is exe run with args and extra environment.
func childCommand(exe string, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(exe, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// ExecuteRoundTrips starts `exe mcp` over stdio on a one-agent army (its
// agents in cells, as a desktop client would start it), connects the Go
// SDK's client, and times n calls of execute with `async () => 1`, after a
// warm-up, working in dir.
func ExecuteRoundTrips(ctx context.Context, exe string, env map[string]string, dir string, n int) ([]time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	armyFile := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(armyFile, []byte(executeArmy), 0o600); err != nil {
		return nil, err
	}
	cmd := childCommand(exe, env, "mcp", armyFile, "--data", filepath.Join(dir, "data"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "littleboxes-bench"}, nil).Connect(ctx,
		&sdk.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp execute: starting littleboxes mcp: %w (stderr: %s)", err, clipText(stderr.String()))
	}
	defer cs.Close()
	params := &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{"code": "async () => 1"}}
	call := func() error {
		res, err := cs.CallTool(ctx, params)
		if err != nil {
			return fmt.Errorf("mcp execute: %w (stderr: %s)", err, clipText(stderr.String()))
		}
		if res.IsError || len(res.Content) == 0 {
			return fmt.Errorf("mcp execute: the tool failed: %s", toolText(res))
		}
		if t := toolText(res); !strings.Contains(t, `"result": 1`) {
			return fmt.Errorf("mcp execute: unexpected result %s", clipText(t))
		}
		return nil
	}
	for range min(n/5+10, 50) { // warm up: the cells, the compile cache
		if err := call(); err != nil {
			return nil, err
		}
	}
	d := make([]time.Duration, n)
	for i := range d {
		t0 := time.Now()
		if err := call(); err != nil {
			return nil, err
		}
		d[i] = time.Since(t0)
	}
	return d, nil
}

// toolArmy is the army ToolCalls runs: one agent bound to the trivial
// server, which the owner vouches for (trusted), calling echo n times
// between two readings of the server's own time.
const toolArmy = `name: bench-mcp-tool
capabilities:
  tools: {kind: mcp, props: %s}
agents:
  caller:
    triggers: [manual]
    bindings: {tools: tools}
    code: |
      export default { async run(n, env) {
        const t0 = await env.tools.server_time();
        for (let i = 0; i < n; i++) await env.tools.echo({ message: "x" });
        const t1 = await env.tools.server_time();
        return { n, server_us: t1.us - t0.us, answers: t1.answers - t0.answers };
      } }
`

// ToolCallTimes are the samples of the tool call figure.
type ToolCallTimes struct {
	// Calls holds, per batch, what one call from an agent in a cell cost
	// beyond the server's own time.
	Calls []time.Duration
	// Server holds, per batch, the server's own time per call.
	Server []time.Duration
	// Kind holds the same call made from Go through the kind's method
	// table, one sample per call, the server's own time included.
	Kind []time.Duration
}

// ToolCalls measures a tool call from an agent in a cell to the trivial
// server (`exe mcp --trivial-server`, over stdio, wrapped by the mcp kind):
// per batch, the time of one run making per sequential calls less the
// median time of an empty run (the same agent making none), less the
// server's own time in that run beyond the empty run's median, divided by
// per. It also times the same call made from Go through the kind's method
// table. It works in dir.
func ToolCalls(ctx context.Context, exe string, env map[string]string, dir string, batches, per int) (*ToolCallTimes, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	props := map[string]any{"command": exe, "args": []string{"mcp", "--trivial-server"}, "trusted": true}
	if len(env) > 0 {
		props["env"] = env
	}
	pj, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	out := &ToolCallTimes{}

	// From Go, through the kind's table.
	inst, err := capabilities.New(ctx, "mcp", pj, &capabilities.Host{Instance: "bench"})
	if err != nil {
		return nil, fmt.Errorf("mcp tool: the trivial server: %w", err)
	}
	args := []any{map[string]any{"message": "x"}}
	for i := 0; i < batches*per+100; i++ {
		t0 := time.Now()
		if _, err := capabilities.Call(ctx, inst, "echo", args); err != nil {
			_ = capabilities.Cleanup(inst)
			return nil, fmt.Errorf("mcp tool: echo from Go: %w", err)
		}
		if i >= 100 { // the first hundred warm up
			out.Kind = append(out.Kind, time.Since(t0))
		}
	}
	if err := capabilities.Cleanup(inst); err != nil {
		return nil, fmt.Errorf("mcp tool: stopping the trivial server: %w", err)
	}

	// From an agent in a cell, through the engine.
	a, err := army.Parse(fmt.Appendf(nil, toolArmy, pj), dir)
	if err != nil {
		return nil, fmt.Errorf("mcp tool: %w", err)
	}
	st, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		return nil, fmt.Errorf("mcp tool: %w", err)
	}
	defer st.Close()
	runner, closeRunner, err := armyrun.NewRunner(false, 1, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp tool: %w", err)
	}
	defer closeRunner()
	e, err := armyrun.Start(ctx, armyrun.Options{Army: a, Store: st, Redactor: vault.NewRedactor(), Seeded: true, Runner: runner, Passive: true})
	if err != nil {
		return nil, fmt.Errorf("mcp tool: starting the army: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Close(cctx)
	}()
	// run returns a run's time and the server's own time in it.
	run := func(n int) (wall, server time.Duration, err error) {
		t0 := time.Now()
		res, err := e.Run(ctx, "caller", float64(n))
		if err != nil {
			return 0, 0, fmt.Errorf("mcp tool: the agent: %w", err)
		}
		wall = time.Since(t0)
		v, _ := res.Value.(map[string]any)
		us, _ := v["server_us"].(float64)
		// The second reading counts the first one's answer and each echo.
		if v["n"] != float64(n) || v["answers"] != float64(n+1) || us < 0 {
			return 0, 0, fmt.Errorf("mcp tool: the agent returned %v, want %d calls, %d answers and the server's time", res.Value, n, n+1)
		}
		return wall, time.Duration(us * float64(time.Microsecond)), nil
	}
	for range 5 { // warm up
		if _, _, err := run(per); err != nil {
			return nil, err
		}
	}
	var emptyWall, emptyServer, fullWall, fullServer []time.Duration
	for range batches {
		w0, s0, err := run(0)
		if err != nil {
			return nil, err
		}
		w1, s1, err := run(per)
		if err != nil {
			return nil, err
		}
		emptyWall, emptyServer = append(emptyWall, w0), append(emptyServer, s0)
		fullWall, fullServer = append(fullWall, w1), append(fullServer, s1)
	}
	baseWall, baseServer := median(emptyWall), median(emptyServer)
	for i := range fullWall {
		server := max(fullServer[i]-baseServer, 0) / time.Duration(per)
		out.Server = append(out.Server, server)
		out.Calls = append(out.Calls, max(fullWall[i]-baseWall, 0)/time.Duration(per)-server)
	}
	return out, nil
}

// DeclSizes measures, for each agent of the built-in inbox army (one triage
// instance standing for all), its env declaration against the same
// methods written as MCP tools, working in dir.
func DeclSizes(ctx context.Context, dir string) ([]DeclSize, error) {
	a, st, err := openInbox(dir, 2)
	if err != nil {
		return nil, fmt.Errorf("mcp declarations: %w", err)
	}
	defer st.Close()
	e, err := armyrun.Start(ctx, armyrun.Options{Army: a, Store: st, Redactor: vault.NewRedactor(), Seeded: true,
		Runner: sandbox.NewInProcess(), Passive: true})
	if err != nil {
		return nil, fmt.Errorf("mcp declarations: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Close(cctx)
	}()
	codec, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		return nil, fmt.Errorf("mcp declarations: the tokenizer: %w", err)
	}
	count := func(s string) (int, error) {
		n, err := codec.Count(s)
		if err != nil {
			return 0, fmt.Errorf("mcp declarations: counting tokens: %w", err)
		}
		return n, nil
	}
	seen := map[string]bool{}
	var out []DeclSize
	for _, name := range e.Agents() {
		tmpl := name
		if i := strings.IndexByte(name, '['); i > 0 {
			tmpl = name[:i]
		}
		if seen[tmpl] {
			continue
		}
		seen[tmpl] = true
		decl, err := e.Declaration(name)
		if err != nil {
			return nil, fmt.Errorf("mcp declarations: %w", err)
		}
		tools, n, err := MCPTools(decl)
		if err != nil {
			return nil, fmt.Errorf("mcp declarations: %s: %w", name, err)
		}
		ds := DeclSize{Agent: tmpl, Methods: n, DeclBytes: len(decl), MCPBytes: len(tools)}
		if ds.DeclTokens, err = count(decl); err != nil {
			return nil, err
		}
		if ds.MCPTokens, err = count(tools); err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	return out, nil
}

// envMember matches a binding in a declaration's Env interface.
var envMember = regexp.MustCompile(`(?m)^  readonly ([A-Za-z_$][A-Za-z0-9_$]*): ([A-Za-z_$][A-Za-z0-9_$]*);$`)

// MCPTools writes the methods of the bindings an env declaration names as
// an MCP tools/list result, compact JSON: one tool per method, named
// BINDING_METHOD, its description the method's doc, its input schema an
// object of its parameters (bytes as strings, any untyped), read-only when
// the method is a source. It returns the JSON and how many tools. Each
// binding's interface is looked up among the registered kinds' tables: a
// dynamic kind's instance table is not found, and is an error.
func MCPTools(decl string) (string, int, error) {
	i := strings.LastIndex(decl, "interface Env {")
	if i < 0 {
		return "", 0, errors.New("the declaration has no interface Env")
	}
	body := decl[i:]
	tables := map[string]*capabilities.Table{}
	for _, k := range capabilities.Kinds() {
		if k.Table != nil {
			tables[k.Table.Interface()] = k.Table
		}
	}
	type schema struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required,omitempty"`
	}
	type annotations struct {
		ReadOnlyHint bool `json:"readOnlyHint,omitempty"`
	}
	type tool struct {
		Name        string       `json:"name"`
		Description string       `json:"description"`
		InputSchema schema       `json:"inputSchema"`
		Annotations *annotations `json:"annotations,omitempty"`
	}
	var tools []tool
	for _, m := range envMember.FindAllStringSubmatch(body, -1) {
		tb, ok := tables[m[2]]
		if !ok {
			return "", 0, fmt.Errorf("env.%s: no registered kind has the interface %s", m[1], m[2])
		}
		for _, me := range tb.Methods() {
			doc := me.TSDoc
			if doc == "" {
				doc = me.Doc
			}
			t := tool{Name: m[1] + "_" + me.Name, Description: doc, InputSchema: schema{Type: "object", Properties: map[string]any{}}}
			for _, p := range me.Params {
				var ps map[string]any
				switch p.Type {
				case capabilities.TypeAny:
					ps = map[string]any{}
				case capabilities.TypeBytes:
					ps = map[string]any{"type": "string"}
				default:
					ps = map[string]any{"type": string(p.Type)}
				}
				t.InputSchema.Properties[p.Name] = ps
				if !p.Optional {
					t.InputSchema.Required = append(t.InputSchema.Required, p.Name)
				}
			}
			if me.Role == capabilities.Source {
				t.Annotations = &annotations{ReadOnlyHint: true}
			}
			tools = append(tools, t)
		}
	}
	b, err := json.Marshal(map[string]any{"tools": tools})
	if err != nil {
		return "", 0, err
	}
	return string(b), len(tools), nil
}

func toolText(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func clipText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
