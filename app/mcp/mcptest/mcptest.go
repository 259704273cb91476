// Package mcptest serves small MCP servers to tests: the Go SDK's, over
// streamable HTTP (stateless), on a loopback port, with tools that answer
// with their own name. The mcp capability kind is tested against them.
package mcptest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Server serves the tools that tools returns, asked anew at every request,
// so that a test can change the server's tool list between two requests. A
// tool with no InputSchema takes an object; every tool answers with the
// text "from NAME". The server closes at the test's end.
func Server(t testing.TB, name string, tools func() []*sdk.Tool) *httptest.Server {
	t.Helper()
	reply := func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "from " + r.Params.Name}}}, nil
	}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: name, Version: "1"}, nil)
		for _, tool := range tools() {
			if tool.InputSchema == nil {
				c := *tool
				c.InputSchema = map[string]any{"type": "object"}
				tool = &c
			}
			s.AddTool(tool, reply)
		}
		return s
	}, &sdk.StreamableHTTPOptions{Stateless: true})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// Growing serves the tool "echo" and, once grown is set, a second one,
// "grown": a server whose tool list grows after a capability pinned it.
// Both take an object with a string "message".
func Growing(t testing.TB, grown *atomic.Bool) *httptest.Server {
	t.Helper()
	schema := map[string]any{"type": "object", "properties": map[string]any{"message": map[string]any{"type": "string"}}}
	return Server(t, "growing", func() []*sdk.Tool {
		tools := []*sdk.Tool{{Name: "echo", Description: "Echoes.", InputSchema: schema}}
		if grown.Load() {
			tools = append(tools, &sdk.Tool{Name: "grown", Description: "A tool the server grew.", InputSchema: schema})
		}
		return tools
	})
}

// Army is the YAML of an army named name with one capability, tools (the
// MCP server at url), bound to its one agent, user, triggered by hand,
// whose module's run(i, env) has the body run.
func Army(name, url, run string) string {
	return "name: " + name + "\ncapabilities:\n  tools: {kind: mcp, props: {url: \"" + url + "\"}}\nagents:\n  user:\n" +
		"    triggers: [manual]\n    bindings: {tools: tools}\n    code: |\n      export default { async run(i, env) { " + run + " } }\n"
}

// BearerClient returns an HTTP client that sends "Authorization: Bearer
// token" with every request, as the client of an MCP server behind a token
// does.
func BearerClient(token string) *http.Client {
	return &http.Client{Transport: bearer{token, http.DefaultTransport}}
}

// bearer adds a token to every request.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// Text is the text of a tool's result: each of its text contents followed
// by a newline ("" for a nil result), for a test to search.
func Text(res *sdk.CallToolResult) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text + "\n")
		}
	}
	return b.String()
}
