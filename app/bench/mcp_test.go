package bench_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"littleboxes/app/bench"
)

// TestMCP measures the MCP figures on few samples, through child processes
// of this binary acting as `littleboxes mcp` and as the trivial server, and
// checks each was measured; the figures themselves are logged, not judged
// (the machine may be busy).
func TestMCP(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := bench.MCP(ctx, bench.MCPOptions{Exe: exe, ExeEnv: map[string]string{cliEnv: "1"}, Executes: 30, Batches: 5, BatchCalls: 20}, t.Logf)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	t.Logf("%+v", *r)
	if r.ExecuteSamples != 30 || r.ExecuteP50us <= 0 || r.ToolCallSamples != 100 || r.ToolCallServerUS <= 0 || r.KindCallP50us <= 0 {
		t.Errorf("report %+v: want every figure measured", r)
	}
	agents := map[string]bench.DeclSize{}
	for _, a := range r.Agents {
		agents[a.Agent] = a
		if a.Methods == 0 || a.DeclBytes == 0 || a.DeclTokens == 0 || a.MCPBytes == 0 || a.MCPTokens == 0 || a.DeclTokens >= a.DeclBytes {
			t.Errorf("agent %+v: want methods, bytes and fewer tokens than bytes", a)
		}
	}
	if _, ok := agents["triage"]; !ok || len(agents) != 2 {
		t.Errorf("agents %+v, want triage and summarizer", r.Agents)
	}
}

// TestMCPTools: the MCP side of the declaration figure has one tool per
// method of each binding the Env interface names, and refuses an interface
// no kind has.
func TestMCPTools(t *testing.T) {
	decl := "// x\ninterface Env {\n  /** kv */\n  readonly notes: KV;\n  /** report */\n  readonly report: Report;\n}\n"
	js, n, err := bench.MCPTools(decl)
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 || !strings.Contains(js, `"name":"notes_get"`) || !strings.Contains(js, `"readOnlyHint":true`) || !strings.Contains(js, `"required":["key"]`) {
		t.Errorf("%d tools: %s", n, js)
	}
	if _, _, err := bench.MCPTools("interface Env {\n  readonly x: NoSuchThing;\n}\n"); err == nil || !strings.Contains(err.Error(), "NoSuchThing") {
		t.Errorf("unknown interface: %v", err)
	}
}
