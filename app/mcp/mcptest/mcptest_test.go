package mcptest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"littleboxes/app/army"
	_ "littleboxes/capabilities/mcp" // the kind the army names
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tools connects to url and returns the names of the tools it lists and
// what calling the last one returned.
func tools(t *testing.T, url string) ([]string, string) {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewClient(&sdk.Implementation{Name: "mcptest-test", Version: "1"}, nil)
	s, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	call, err := s.CallTool(ctx, &sdk.CallToolParams{Name: names[len(names)-1], Arguments: map[string]any{"message": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	return names, call.Content[0].(*sdk.TextContent).Text
}

// TestGrowing: the server lists echo alone until grown is set, then echo
// and grown; each tool answers with its name.
func TestGrowing(t *testing.T) {
	var grown atomic.Bool
	srv := Growing(t, &grown)
	if names, text := tools(t, srv.URL); !slices.Equal(names, []string{"echo"}) || text != "from echo" {
		t.Fatalf("before growing: tools %v, echo says %q", names, text)
	}
	grown.Store(true)
	if names, text := tools(t, srv.URL); !slices.Equal(names, []string{"echo", "grown"}) || text != "from grown" {
		t.Fatalf("grown: tools %v, grown says %q", names, text)
	}
}

// TestServerDefaultsSchema: a tool given without an input schema is served
// with one that takes an object, and the caller's tool is left as it was.
func TestServerDefaultsSchema(t *testing.T) {
	look := &sdk.Tool{Name: "look", Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true}}
	srv := Server(t, "plain", func() []*sdk.Tool { return []*sdk.Tool{look} })
	if names, text := tools(t, srv.URL); !slices.Equal(names, []string{"look"}) || text != "from look" {
		t.Fatalf("tools %v, look says %q", names, text)
	}
	if look.InputSchema != nil {
		t.Fatalf("the caller's tool got a schema: %v", look.InputSchema)
	}
}

// TestBearerClient: every request the client sends carries the token, and
// the request the caller made is left without it.
func TestBearerClient(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Get("Authorization") }))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := BearerClient("s3cret").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if h := <-got; h != "Bearer s3cret" {
		t.Fatalf("Authorization %q, want Bearer s3cret", h)
	}
	if h := req.Header.Get("Authorization"); h != "" {
		t.Fatalf("the caller's request was changed: Authorization %q", h)
	}
}

// TestArmy: the army parses, with its capability at the URL and its agent's
// module holding the body given.
func TestArmy(t *testing.T) {
	a, err := army.Parse([]byte(Army("tooled", "http://127.0.0.1:1/mcp", `return await env.tools.echo({ message: "hi" })`)), "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "tooled" || len(a.Capabilities) != 1 || a.Capabilities[0].Kind != "mcp" || a.Capabilities[0].Props["url"] != "http://127.0.0.1:1/mcp" {
		t.Fatalf("army %+v, capabilities %+v", a, a.Capabilities)
	}
	if ag := a.Agent("user"); ag == nil || !strings.Contains(ag.Code, `async run(i, env) { return await env.tools.echo({ message: "hi" }) }`) {
		t.Fatalf("agent user %+v", ag)
	}
}

// TestText: Text keeps each text content on a line of its own, skips other
// contents, and gives "" for a nil result.
func TestText(t *testing.T) {
	res := &sdk.CallToolResult{Content: []sdk.Content{
		&sdk.TextContent{Text: "one"},
		&sdk.ImageContent{MIMEType: "image/png", Data: []byte{1}},
		&sdk.TextContent{Text: "two"},
	}}
	if got := Text(res); got != "one\ntwo\n" {
		t.Errorf("Text = %q, want %q", got, "one\ntwo\n")
	}
	if got := Text(nil); got != "" {
		t.Errorf("Text(nil) = %q", got)
	}
}
