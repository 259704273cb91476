package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/engine"
	"littleboxes/app/mcp"
	"littleboxes/app/mcp/mcptest"
	"littleboxes/app/store/storetest"
	_ "littleboxes/capabilities/standard"
	"littleboxes/sandbox"
	"littleboxes/vault"
)

// TestMain checks for leaked goroutines, but for the session bus
// connection the OS keyring keeps open (go-keyring's, once per process).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"))
}

// testArmy has a poster that may read a private origin and post to a public
// webhook (flagged: what it read is the owner's and the origin's), and a
// second agent.
const testArmy = `
name: mcptest
capabilities:
  notes: {kind: kv, props: {namespace: notes}}
  diary: {kind: http, props: {origins: ["http://127.0.0.1:8"], label: private, allow_private_network: true}}
  webhook: {kind: http, props: {origins: ["http://127.0.0.1:9"], methods: [POST], label: public, allow_private_network: true}}
agents:
  poster:
    triggers: [manual]
    bindings: {notes: notes, diary: diary, webhook: webhook}
    code: |
      export default { async run(i, env) { return null } }
  other:
    triggers: [manual]
    bindings: {notes: notes}
    code: |
      export default { async run(i, env) { return null } }
`

func startEngine(t *testing.T) *engine.Engine {
	t.Helper()
	a, err := army.Parse([]byte(testArmy), "")
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	e, err := armyrun.Start(context.Background(), armyrun.Options{Army: a, Store: st, Redactor: vault.NewRedactor(),
		Seeded: true, Runner: sandbox.NewInProcess(), Passive: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Close(ctx)
	})
	return e
}

// connect serves s over an in-memory transport and returns a client session.
func connect(t *testing.T, s *mcp.Server) *sdk.ClientSession {
	t.Helper()
	ct, st := sdk.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	ss, err := s.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
		cancel()
	})
	return cs
}

func call(t *testing.T, cs *sdk.ClientSession, tool string, args map[string]any) (*sdk.CallToolResult, string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res, mcptest.Text(res)
}

func execution(t *testing.T, res *sdk.CallToolResult) mcp.Execution {
	t.Helper()
	var ex mcp.Execution
	if err := json.Unmarshal([]byte(res.Content[0].(*sdk.TextContent).Text), &ex); err != nil {
		t.Fatalf("execute's first block is not an Execution: %v", err)
	}
	return ex
}

func TestNewChoosesAgent(t *testing.T) {
	e := startEngine(t)
	if _, err := mcp.New(e, mcp.Options{}); !errors.Is(err, mcp.ErrAgent) || !strings.Contains(err.Error(), "poster, other") {
		t.Errorf("two agents, none named: %v", err)
	}
	if _, err := mcp.New(e, mcp.Options{Agent: "nobody"}); !errors.Is(err, mcp.ErrAgent) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("unknown agent: %v", err)
	}
	s, err := mcp.New(e, mcp.Options{Agent: "other"})
	if err != nil || s.Agent() != "other" {
		t.Fatalf("named agent: %v", err)
	}
}

func TestTools(t *testing.T) {
	e := startEngine(t)
	s, err := mcp.New(e, mcp.Options{Agent: "poster"})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, s)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	if strings.Join(names, ",") != "execute,search" {
		t.Errorf("tools = %v, want execute and search", names)
	}

	t.Run("search whole", func(t *testing.T) {
		want, err := e.Declaration("poster")
		if err != nil {
			t.Fatal(err)
		}
		_, text := call(t, cs, "search", nil)
		if text != want+"\n" {
			t.Errorf("search = %q, want the declaration %q", text, want)
		}
		for _, s := range []string{"readonly notes:", "readonly webhook:", "interface Env"} {
			if !strings.Contains(text, s) {
				t.Errorf("declaration lacks %q", s)
			}
		}
	})
	t.Run("search filtered", func(t *testing.T) {
		_, text := call(t, cs, "search", map[string]any{"query": "fetch"})
		if !strings.Contains(text, "fetch(") || !strings.Contains(text, "interface Env") {
			t.Errorf("query fetch: %s", text)
		}
		if strings.Contains(text, "get(") {
			t.Errorf("query fetch kept kv's get: %s", text)
		}
		_, text = call(t, cs, "search", map[string]any{"query": "zzzqqq"})
		if !strings.Contains(text, "Nothing else matches") {
			t.Errorf("query matching nothing: %s", text)
		}
	})
	t.Run("execute", func(t *testing.T) {
		res, _ := call(t, cs, "execute", map[string]any{"code": `async (input, env) => { await env.notes.put("k", input.v); console.log("put"); return await env.notes.get("k") }`, "input": map[string]any{"v": "hello"}})
		ex := execution(t, res)
		if res.IsError || ex.Result != "hello" || ex.Error != "" || len(ex.Console) != 1 || ex.Console[0] != "log: put" {
			t.Errorf("execute = %+v (isError %v)", ex, res.IsError)
		}
		res, _ = call(t, cs, "execute", map[string]any{"code": `const n = 6 * 7; n`})
		if ex := execution(t, res); ex.Result != float64(42) {
			t.Errorf("a bare body = %+v", ex)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		res, _ := call(t, cs, "execute", map[string]any{"code": `async (input, env) => env.notes.fetchAll()`})
		ex := execution(t, res)
		if !res.IsError || !strings.Contains(ex.Error, "TypeError") || !strings.Contains(ex.Error, "get") {
			t.Errorf("unknown method: %+v", ex)
		}
		res, _ = call(t, cs, "execute", map[string]any{"code": `async (input, env) => { return (`})
		if ex := execution(t, res); !res.IsError || ex.Error == "" {
			t.Errorf("a syntax error: %+v", ex)
		}
	})
	t.Run("flagged sink", func(t *testing.T) {
		res, text := call(t, cs, "execute", map[string]any{"code": `async (input, env) => env.webhook.fetch("http://127.0.0.1:9/hook", {method: "POST", body: String(await env.notes.get("k"))})`})
		ex := execution(t, res)
		m, _ := ex.Result.(map[string]any)
		if res.IsError || m["status"] != "pending_approval" || len(ex.PendingApprovals) != 1 || m["id"] != ex.PendingApprovals[0] {
			t.Fatalf("flagged sink: %+v", ex)
		}
		id := ex.PendingApprovals[0]
		if !strings.Contains(text, "littleboxes approvals approve "+id+" --army mcptest") {
			t.Errorf("the text does not say how to approve: %s", text)
		}
		effs, err := e.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(effs) != 1 || effs[0].ID != id || effs[0].Agent != "poster" || effs[0].Status != engine.StatusPending {
			t.Errorf("approvals = %+v, want %s pending", effs, id)
		}
	})
	t.Run("recorded", func(t *testing.T) {
		// execute x2, unknown method x1 (the syntax error never ran), the
		// flagged sink x1; run records are committed in the background.
		var runs []engine.RunRecord
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var err error
			if runs, err = e.Runs("poster", 100); err != nil {
				t.Fatal(err)
			}
			if len(runs) >= 4 || time.Now().After(deadline) {
				break
			}
		}
		if len(runs) != 4 {
			t.Errorf("%d runs recorded, want 4: %+v", len(runs), runs)
		}
		for _, r := range runs {
			if r.Trigger != mcp.Trigger {
				t.Errorf("run %s has trigger %q", r.ID, r.Trigger)
			}
		}
		if other, _ := e.Runs("other", 10); len(other) != 0 {
			t.Errorf("the other agent has runs: %+v", other)
		}
	})
}

func TestFilter(t *testing.T) {
	decl := `// header
/**
 * Pending doc.
 */
interface PendingApproval {
  readonly status: "pending_approval";
  /** The approval's id. */
  readonly id: string;
}

interface Kv {
  /** Reads one key. */
  get(key: string): Promise<string | null>;
  /** Writes one key. */
  put(key: string, value: string): Promise<void>;
}

interface Env {
  /** kv */
  readonly notes: Kv;
}
`
	cases := []struct {
		name, query string
		want, not   []string
	}{
		{"empty", "", []string{decl}, nil},
		{"member by doc", "writes", []string{"// header", "interface Kv {\n  /** Writes one key. */\n  put(", "interface Env"}, []string{"get(", "PendingApproval"}},
		{"interface by name, any word", "pendingapproval nothing", []string{"readonly id: string", "interface Env"}, []string{"interface Kv"}},
		{"no match", "zzz", []string{"interface Env", "Nothing else matches zzz"}, []string{"interface Kv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mcp.Filter(decl, c.query)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("Filter(%q) lacks %q:\n%s", c.query, w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("Filter(%q) has %q:\n%s", c.query, n, got)
				}
			}
		})
	}
}

// BenchmarkExecute measures execute with `async () => 1` over an in-memory
// transport, the agent run in this process: littleboxes mcp's own share of
// the round trip (no pipes, no cell).
func BenchmarkExecute(b *testing.B) {
	a, err := army.Parse([]byte(testArmy), "")
	if err != nil {
		b.Fatal(err)
	}
	st := storetest.Open(b)
	e, err := armyrun.Start(context.Background(), armyrun.Options{Army: a, Store: st, Redactor: vault.NewRedactor(),
		Seeded: true, Runner: sandbox.NewInProcess(), Passive: true})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	s, err := mcp.New(e, mcp.Options{Agent: "other"})
	if err != nil {
		b.Fatal(err)
	}
	ct, sst := sdk.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss, err := s.MCP().Connect(ctx, sst, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "bench"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	params := &sdk.CallToolParams{Name: "execute", Arguments: map[string]any{"code": "async () => 1"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := cs.CallTool(ctx, params)
		if err != nil || res.IsError {
			b.Fatalf("execute: %v %+v", err, res)
		}
	}
}
