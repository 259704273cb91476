package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/mcp/mcptest"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities/captest"
)

// mcpCommand returns the test binary re-executed as `littleboxes ARGS...`.
func mcpCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), argvEnv+"=1")
	return cmd
}

// TestMCPStdio drives `littleboxes mcp` as a desktop client would: a child
// process speaking MCP over its stdin and stdout, its agents in cells.
func TestMCPStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	data := filepath.Join(t.TempDir(), "data")
	cmd := mcpCommand(t, "mcp", filepath.Join("testdata", "mcp.yaml"), "--data", data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx,
		&sdk.CommandTransport{Command: cmd, TerminateDuration: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr: %s", err, stderr.String())
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "search", Arguments: map[string]any{"query": "webhook"}})
	if err != nil || !strings.Contains(mcptest.Text(res), "readonly webhook:") {
		t.Errorf("search: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `async (input, env) => { await env.notes.put("k", String(input)); return env.notes.get("k") }`, "input": 7}})
	if err != nil || res.IsError || !strings.Contains(mcptest.Text(res), `"result": "7"`) {
		t.Errorf("execute: %v %s", err, mcptest.Text(res))
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `await env.webhook.fetch("http://127.0.0.1:9/x", {method: "POST", body: "hi"})`}})
	if err != nil || !strings.Contains(mcptest.Text(res), "pending_approval") ||
		!strings.Contains(mcptest.Text(res), "littleboxes approvals approve 1 --army mcpcli") {
		t.Errorf("a flagged sink over stdio: %v %s", err, mcptest.Text(res))
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err) // the child was told to stop; its exit status is checked below
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Errorf("littleboxes mcp did not exit cleanly when its stdin closed: %v\nstderr: %s", cmd.ProcessState, stderr.String())
	}
	// The runs and the approval are in the data directory, for the owner.
	var out strings.Builder
	if code := Main([]string{"approvals", "list", "--data", data}, nil, &out, io.Discard); code != ExitOK || !strings.Contains(out.String(), "webhook") {
		t.Errorf("approvals list: exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := Main([]string{"runs", filepath.Join("testdata", "mcp.yaml"), "poster", "--data", data}, nil, &out, io.Discard); code != ExitOK || strings.Count(out.String(), "mcp") < 2 {
		t.Errorf("runs: exit %d: %s", code, out.String())
	}
}

// TestMCPLocked: a data directory another littleboxes holds is refused with
// a message saying so.
func TestMCPLocked(t *testing.T) {
	data := t.TempDir()
	storetest.OpenFile(t, filepath.Join(data, storeFile)) // held, so mcp cannot open it
	var stderr strings.Builder
	code := Main([]string{"mcp", filepath.Join("testdata", "mcp.yaml"), "--data", data, "--in-process"}, strings.NewReader(""), io.Discard, &stderr)
	if code != ExitFailed || !strings.Contains(stderr.String(), "in use by another littleboxes (the window, run or mcp)") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestMCPUsage: the army's agent must be named when there are several, and
// --http must be loopback.
func TestMCPUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"two agents", []string{"mcp", filepath.Join("testdata", "chain.yaml")}, "name one with --agent"},
		{"unknown agent", []string{"mcp", filepath.Join("testdata", "mcp.yaml"), "--agent", "nobody"}, `no agent "nobody"`},
		{"remote http", []string{"mcp", filepath.Join("testdata", "mcp.yaml"), "--http", "0.0.0.0:0"}, "give a loopback address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr strings.Builder
			args := append(c.args, "--data", t.TempDir(), "--in-process")
			if code := Main(args, strings.NewReader(""), io.Discard, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr.String(), c.want)
			}
		})
	}
}

// startMCPHTTP runs `littleboxes mcp --http` as a child, its agents in
// cells, and returns the address and the token it printed; the child is
// stopped with SIGINT, and must exit cleanly, at the test's end.
func startMCPHTTP(t *testing.T) (url, token string) {
	t.Helper()
	cmd := mcpCommand(t, "mcp", filepath.Join("testdata", "mcp.yaml"), "--data", t.TempDir(), "--http", "127.0.0.1:0")
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("littleboxes mcp --http on SIGINT: %v", err)
		}
	})
	served := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/) \(send Authorization: Bearer ([0-9a-f]+)\)`)
	sc := bufio.NewScanner(errp)
	for sc.Scan() {
		if m := served.FindStringSubmatch(sc.Text()); m != nil {
			url, token = m[1], m[2]
			break
		}
		t.Logf("stderr: %s", sc.Text())
	}
	if url == "" {
		t.Fatal("littleboxes mcp --http printed no address and token")
	}
	go io.Copy(io.Discard, errp) // ends when the child exits
	return url, token
}

// TestMCPHTTP runs `littleboxes mcp --http` as a child: a request without
// the token it printed is refused, one with it is served, and the Go SDK's
// client calls execute through it.
func TestMCPHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	url, token := startMCPHTTP(t)
	post := func(auth string) int {
		req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", got)
	}
	if got := post("Bearer " + token); got != http.StatusOK {
		t.Errorf("with the token: %d, want 200", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: mcptest.BearerClient(token)}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("the Go SDK's client over HTTP: %v", err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `async (input, env) => { await env.notes.put("h", String(input)); return env.notes.get("h") }`, "input": "over http"}})
	if err != nil || res.IsError || !strings.Contains(mcptest.Text(res), `"result": "over http"`) {
		t.Errorf("execute over HTTP: %v %s", err, mcptest.Text(res))
	}
}

// nodeClient runs testdata/mcpclient.cjs (the TypeScript SDK's client from
// npm) with env and returns what it printed: the tool names and execute's
// result. It skips when node or the package is missing, except in CI.
func nodeClient(t *testing.T, env ...string) (tools []string, isError bool, text string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		captest.Missing(t, "node is not installed: %v", err)
	}
	servers, err := filepath.Abs(filepath.Join("..", "..", "build", "testservers"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(servers, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		captest.Missing(t, "@modelcontextprotocol/sdk is not installed (%v): run `make test-go`, or `npm ci` in build/testservers", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "mcpclient.cjs"))
	cmd.Env = append(append(os.Environ(), argvEnv+"=1", "TESTSERVERS="+servers,
		"MCP_CODE=async (input, env) => { await env.notes.put(\"n\", String(input * 2)); return { doubled: await env.notes.get(\"n\") } }"), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client: %v\nstderr: %s", err, stderr.String())
	}
	var got struct {
		Tools   []string `json:"tools"`
		Execute struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"execute"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node client printed %q: %v", out, err)
	}
	if len(got.Execute.Content) > 0 {
		text = got.Execute.Content[0].Text
	}
	return got.Tools, got.Execute.IsError, text
}

// TestMCPTypeScriptClientHTTP: the TypeScript SDK's client calls
// `littleboxes mcp --http` with the token, over streamable HTTP.
func TestMCPTypeScriptClientHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	url, token := startMCPHTTP(t)
	tools, isError, text := nodeClient(t, "MCP_URL="+url, "MCP_TOKEN="+token)
	if strings.Join(tools, ",") != "execute,search" {
		t.Errorf("tools = %v", tools)
	}
	if isError || !strings.Contains(text, `"doubled": "10"`) {
		t.Errorf("execute over HTTP: isError %v: %s", isError, text)
	}
}

// TestMCPTypeScriptClient: the TypeScript SDK's client (npm, run by node)
// starts `littleboxes mcp` over stdio, lists its tools and calls execute.
// Skipped when node or the package is missing, except in CI.
func TestMCPTypeScriptClient(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	army, err := filepath.Abs(filepath.Join("testdata", "mcp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	command, _ := json.Marshal([]string{exe, "mcp", army, "--data", t.TempDir()})
	tools, isError, text := nodeClient(t, "MCP_COMMAND="+string(command))
	if strings.Join(tools, ",") != "execute,search" {
		t.Errorf("tools = %v", tools)
	}
	if isError || !strings.Contains(text, `"doubled": "10"`) {
		t.Errorf("execute = isError %v: %s", isError, text)
	}
}
