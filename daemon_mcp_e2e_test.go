package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/mcp/mcptest"
)

// `littleboxes mcp` as a client of the engine (issues 13 and 14): with an
// engine serving the data directory, the MCP server does not open the
// store (it is held) but runs search and execute in the engine, so a held
// call waits there, where the window and approvals list see it.

var mcpPendingLine = regexp.MustCompile(`(?m)^mcpcli\t(\S+)\tpending\tposter\tenv\.webhook\.fetch\(`)

// TestEngineMCPAttached runs `littleboxes mcp` on an army, driven by the Go
// SDK's client over stdio, while an engine holds the store: `littleboxes
// daemon` (the army then runs passively in it, per call) or `littleboxes
// run ARMY` (the army is the engine's open, running one). Search, execute
// and a flagged sink held as pending_approval, which `approvals list`
// (another process) shows, all work through the engine.
func TestEngineMCPAttached(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	file, err := filepath.Abs(filepath.Join("app", "cli", "testdata", "mcp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("daemon", func(t *testing.T) {
		data := shortData(t)
		mcpAttached(t, file, data, start(t, "serving", "daemon", "--data", data, "--in-process"))
	})
	t.Run("run", func(t *testing.T) {
		data := shortData(t)
		mcpAttached(t, file, data, start(t, "running army mcpcli", "run", file, "--data", data, "--in-process"))
	})
}

// mcpAttached drives littleboxes mcp on file while engine serves data,
// then stops the engine and checks what it recorded.
func mcpAttached(t *testing.T, file, data string, engine *proc) {
	t.Helper()
	cmd := lbCmd("mcp", file, "--agent", "poster", "--data", data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx,
		&sdk.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr: %s\nengine: %s", err, stderr.String(), engine.output())
	}
	closed := false
	defer func() {
		if !closed {
			cs.Close()
		}
	}()

	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "search", Arguments: map[string]any{"query": "webhook"}})
	if err != nil || !strings.Contains(mcptest.Text(res), "readonly webhook:") {
		t.Errorf("search: %v %s", err, mcptest.Text(res))
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `async (input, env) => { await env.notes.put("k", String(input * 6)); return env.notes.get("k") }`, "input": 7}})
	if err != nil || res.IsError || !strings.Contains(mcptest.Text(res), `"result": "42"`) {
		t.Errorf("execute: %v %s", err, mcptest.Text(res))
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `throw new Error("boom")`}})
	if err != nil || !res.IsError || !strings.Contains(mcptest.Text(res), "boom") {
		t.Errorf("execute that throws: %v %s", err, mcptest.Text(res))
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{
		"code": `await env.webhook.fetch("http://127.0.0.1:9/x", {method: "POST", body: "hi"})`}})
	text := mcptest.Text(res)
	if err != nil || !strings.Contains(text, "pending_approval") || !strings.Contains(text, `"pending_approvals": [`) ||
		!strings.Contains(text, "littleboxes approvals approve") || strings.Contains(text, "holds the data directory") {
		t.Fatalf("a flagged sink: %v %s\nstderr: %s", err, text, stderr.String())
	}

	// Another process sees the held call, through the engine, while the
	// MCP server is still connected.
	code, out, errs := lb(t, "approvals", "list", "--data", data)
	m := mcpPendingLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("approvals list: exit %d, no pending webhook post of poster in %q (%s)", code, out, errs)
	}
	if !strings.Contains(text, m[1]) {
		t.Errorf("execute named other approvals than %s: %s", m[1], text)
	}

	closed = true
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Errorf("littleboxes mcp did not exit cleanly: %v\nstderr: %s", cmd.ProcessState, stderr.String())
	}
	if !strings.Contains(stderr.String(), "attached to the engine") {
		t.Errorf("littleboxes mcp did not say it attached: %s", stderr.String())
	}
	// The engine ran the code: once it stops, the runs are in its store,
	// under trigger mcp, and the approval still waits.
	if code := engine.interrupt(t); code != 0 {
		t.Fatalf("daemon after SIGINT: exit %d:\n%s", code, engine.output())
	}
	code, out, _ = lb(t, "runs", file, "poster", "--data", data)
	if code != 0 || strings.Count(out, "mcp") < 3 {
		t.Errorf("runs: exit %d: %s", code, out)
	}
	if code, out, _ = lb(t, "approvals", "list", "--data", data); code != 0 || !mcpPendingLine.MatchString(out) {
		t.Errorf("approvals list in-process: exit %d: %s", code, out)
	}
}
