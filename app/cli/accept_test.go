package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/capabilities/mcp"
)

// toolServer is a streamable HTTP MCP server (Go SDK) whose tool list
// grows a tool, "grown", once grown is set.
func toolServer(t *testing.T, grown *atomic.Bool) *httptest.Server {
	t.Helper()
	schema := map[string]any{"type": "object", "properties": map[string]any{"message": map[string]any{"type": "string"}}}
	reply := func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ok"}}}, nil
	}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "accept-test", Version: "1"}, nil)
		s.AddTool(&sdk.Tool{Name: "echo", Description: "Echoes.", InputSchema: schema}, reply)
		if grown.Load() {
			s.AddTool(&sdk.Tool{Name: "grown", Description: "A tool the server grew.", InputSchema: schema}, reply)
		}
		return s
	}, &sdk.StreamableHTTPOptions{Stateless: true})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// provisionPinned provisions the army's mcp capability "tools" as run
// does, with the data directory's storage, and returns its methods.
func provisionPinned(t *testing.T, data, url string) ([]string, error) {
	t.Helper()
	st, err := store.Open(filepath.Join(data, storeFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inst, err := capabilities.New(ctx, mcp.ID, []byte(`{"url": "`+url+`"}`), &capabilities.Host{Instance: "tools", Storage: capstore.New(st)})
	if err != nil {
		return nil, err
	}
	defer capabilities.Cleanup(inst)
	return capabilities.TableOf(inst).Names(), nil
}

// TestCheckAcceptTools: a server whose tools grew stops the army
// (provisioning with the data directory's pins fails) until `check
// --accept-tools` accepts the new list, which it names; plain check
// accepts nothing.
func TestCheckAcceptTools(t *testing.T) {
	var grown atomic.Bool
	srv := toolServer(t, &grown)
	dir, data := t.TempDir(), t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	src := `name: tooled
capabilities:
  tools: {kind: mcp, props: {url: "` + srv.URL + `"}}
agents:
  user:
    triggers: [manual]
    bindings: {tools: tools}
    code: |
      export default { async run(i, env) { return await env.tools.echo({ message: "hi" }) } }
`
	if err := os.WriteFile(armyFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(args ...string) (int, string, string) {
		return runMain(t, "", append([]string{"check", armyFile, "--data", data}, args...)...)
	}

	// First: the tools are pinned as they are.
	code, out, errOut := check("--accept-tools")
	if code != ExitOK || !strings.Contains(out, "mcp capability tools: its 1 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("first check --accept-tools: exit %d\n%s\n%s", code, out, errOut)
	}
	if names, err := provisionPinned(t, data, srv.URL); err != nil || strings.Join(names, ",") != "echo" {
		t.Fatalf("provisioning after pinning: %v, %v", names, err)
	}

	// The server grows a tool: provisioning as run does is refused.
	grown.Store(true)
	if _, err := provisionPinned(t, data, srv.URL); !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "new tool grown") {
		t.Fatalf("provisioning a grown server: err = %v, want ErrToolsChanged naming the new tool", err)
	}
	// Plain check accepts nothing.
	if code, out, errOut := check(); code != ExitOK || strings.Contains(out, "accepted") {
		t.Fatalf("plain check: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := provisionPinned(t, data, srv.URL); !errors.Is(err, mcp.ErrToolsChanged) {
		t.Fatalf("after plain check: err = %v, want the change still refused", err)
	}

	// The owner accepts it.
	code, out, errOut = check("--accept-tools")
	if code != ExitOK || !strings.Contains(out, "mcp capability tools: accepted its new tool list: new tool grown") {
		t.Fatalf("check --accept-tools: exit %d\n%s\n%s", code, out, errOut)
	}
	if names, err := provisionPinned(t, data, srv.URL); err != nil || strings.Join(names, ",") != "echo,grown" {
		t.Fatalf("provisioning after accepting: %v, %v", names, err)
	}
	// Nothing is left to accept.
	if code, out, _ := check("--accept-tools"); code != ExitOK || !strings.Contains(out, "its 2 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("check --accept-tools again: exit %d\n%s", code, out)
	}
}

// TestCheckAcceptToolsStoreBusy: with the data directory held by another
// process (here, an open store), --accept-tools says so and fails.
func TestCheckAcceptToolsStoreBusy(t *testing.T) {
	var grown atomic.Bool
	srv := toolServer(t, &grown)
	dir, data := t.TempDir(), t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	src := "name: tooled\ncapabilities:\n  tools: {kind: mcp, props: {url: \"" + srv.URL + "\"}}\nagents:\n  user:\n    triggers: [manual]\n    bindings: {tools: tools}\n    code: |\n      export default { async run(i, env) { return 1 } }\n"
	if err := os.WriteFile(armyFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(data, storeFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, errOut := runMain(t, "", "check", armyFile, "--data", data, "--accept-tools")
	if code != ExitUsage || !strings.Contains(errOut, "running") {
		t.Fatalf("exit %d, stderr %s; want a refusal saying the store is held", code, errOut)
	}
}
