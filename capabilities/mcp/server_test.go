package mcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"littleboxes/capabilities"
)

// The MCP servers these tests talk to, written with the Go SDK: over
// streamable HTTP on loopback (httptest), and over stdio by this test
// binary run again as a server (TestMain, with serverEnv set).

const serverEnv = "LITTLEBOXES_MCP_TEST_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		runStdioServer()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// runStdioServer serves the test tools over stdin/stdout until stdin
// closes. It writes its environment's SECRET_TOKEN to stderr (a server that
// logs its credential) and has a tool, crash, that exits at once.
//
// A crash leaves CRASH_MODE in the file CRASH_MARKER, for the next start
// to read: "dead" exits at once (a server that cannot come back), "grow"
// adds a tool (a server whose tools changed under a running army).
func runStdioServer() {
	fmt.Fprintf(os.Stderr, "starting with token %s\n", os.Getenv("SECRET_TOKEN"))
	marker := os.Getenv("CRASH_MARKER")
	o := &serverOpts{}
	if marker != "" {
		switch b, _ := os.ReadFile(marker); string(b) {
		case "dead":
			fmt.Fprintln(os.Stderr, "cannot start again")
			os.Exit(1)
		case "grow":
			o.extra = []string{"grown"}
		}
	}
	s := newServer(o)
	s.AddTool(&sdk.Tool{Name: "crash", Description: "Exits the server process.", InputSchema: objectSchema(nil, nil)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			if marker != "" {
				_ = os.WriteFile(marker, []byte(os.Getenv("CRASH_MODE")), 0o600)
			}
			os.Exit(3)
			return nil, nil
		})
	s.AddTool(&sdk.Tool{Name: "env", Description: "Returns the server's environment.", InputSchema: objectSchema(nil, nil),
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true}},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{StructuredContent: os.Environ(), Content: []sdk.Content{&sdk.TextContent{Text: strings.Join(os.Environ(), "\n")}}}, nil
		})
	// The adversarial tools: a result of size bytes, a call that is never
	// answered (whatever the client says), a frame of malformed JSON-RPC
	// written into the protocol's stream, an error that echoes the
	// credential.
	addHugeTool(s)
	s.AddTool(&sdk.Tool{Name: "hang", Description: "Never answers.", InputSchema: objectSchema(nil, nil)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			select {} // the process is killed when the instance is cleaned up
		})
	s.AddTool(&sdk.Tool{Name: "garbage", Description: "Writes malformed JSON-RPC to stdout.", InputSchema: objectSchema(nil, nil)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			os.Stdout.WriteString("{\"jsonrpc\": \"2.0\", \"id\": 2, \"result\": {\"content\": [}\n")
			select {}
		})
	s.AddTool(&sdk.Tool{Name: "leak", Description: "Fails with the credential in its message.", InputSchema: objectSchema(nil, nil)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "bad token " + os.Getenv("SECRET_TOKEN")}}}, nil
		})
	if err := s.Run(context.Background(), &sdk.StdioTransport{}); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
	}
}

// serverOpts shape a test server's tools.
type serverOpts struct {
	mu sync.Mutex
	// echoSchema, when set, replaces echo's input schema (the pinning test
	// changes it between provisions).
	echoSchema map[string]any
	// extra tools, added as they are.
	extra []string
}

func objectSchema(props map[string]any, required []string) map[string]any {
	if props == nil {
		props = map[string]any{}
	}
	s := map[string]any{"type": "object", "properties": props}
	if required != nil {
		s["required"] = required
	}
	return s
}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

// newServer builds the tools every test server has.
func newServer(o *serverOpts) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "littleboxes-test", Version: "1"}, nil)
	o.mu.Lock()
	echo := o.echoSchema
	extra := o.extra
	o.mu.Unlock()
	if echo == nil {
		echo = objectSchema(map[string]any{"message": map[string]any{"type": "string", "description": "What to echo."}}, []string{"message"})
		echo["additionalProperties"] = false
	}
	s.AddTool(&sdk.Tool{Name: "echo", Description: "Echoes the message back.\nA second line of doc.", InputSchema: echo},
		func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var a struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(r.Params.Arguments, &a); err != nil {
				return nil, err
			}
			return text("echo: " + a.Message), nil
		})
	s.AddTool(&sdk.Tool{
		Name: "read-notes", Description: "Reads the notes with a tag.",
		InputSchema: objectSchema(map[string]any{
			"tag":   map[string]any{"type": "string", "enum": []any{"work", "home"}},
			"limit": map[string]any{"type": "integer", "description": "At most this many."},
		}, nil),
		OutputSchema: objectSchema(map[string]any{
			"notes": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		}, []string{"notes"}),
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
	}, func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		var a struct {
			Tag string `json:"tag"`
		}
		_ = json.Unmarshal(r.Params.Arguments, &a)
		return &sdk.CallToolResult{StructuredContent: map[string]any{"notes": []string{"a " + a.Tag + " note"}}, Content: []sdk.Content{&sdk.TextContent{Text: "{}"}}}, nil
	})
	s.AddTool(&sdk.Tool{Name: "fail", Description: "Always reports an error.", InputSchema: objectSchema(nil, nil)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "the disk is full"}}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "whoami", Description: "Returns the Authorization header it got.", InputSchema: objectSchema(nil, nil)},
		func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			auth := ""
			if r.Extra != nil {
				auth = r.Extra.Header.Get("Authorization")
			}
			return &sdk.CallToolResult{StructuredContent: map[string]any{"authorization": auth, "again": []any{auth}}, Content: []sdk.Content{&sdk.TextContent{Text: auth}}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "sleep", Description: "Waits until the call is cancelled.", InputSchema: objectSchema(nil, nil)},
		func(ctx context.Context, _ *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Second):
				return text("woke"), nil
			}
		})
	for _, name := range extra {
		s.AddTool(&sdk.Tool{Name: name, Description: "An extra tool.", InputSchema: objectSchema(nil, nil)},
			func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return text(name), nil })
	}
	return s
}

// httpServer serves a new server of o's tools on each request, so that a
// change to o shows at once.
func httpServer(t *testing.T, o *serverOpts) *httptest.Server {
	t.Helper()
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return newServer(o) }, &sdk.StreamableHTTPOptions{Stateless: true, PropagateRequestCancellation: true})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// memStorage is a capabilities.Storage in memory.
type memStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStorage) Get(_ context.Context, ns, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[ns+"\x00"+key]
	return v, ok, nil
}

func (s *memStorage) Put(_ context.Context, ns, key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[ns+"\x00"+key] = append([]byte(nil), v...)
	return nil
}

func (s *memStorage) Delete(_ context.Context, ns, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, ns+"\x00"+key)
	return nil
}

func (s *memStorage) List(context.Context, string, string, string, int) ([]string, error) {
	return nil, nil
}

var _ capabilities.Storage = (*memStorage)(nil)

// logs collects what an instance logs.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// addHugeTool adds the tool huge to s: a text result of args.size bytes.
func addHugeTool(s *sdk.Server) {
	s.AddTool(&sdk.Tool{Name: "huge", Description: "Returns a text of size bytes.",
		InputSchema: objectSchema(map[string]any{"size": map[string]any{"type": "integer"}}, []string{"size"})},
		func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var a struct {
				Size int `json:"size"`
			}
			if err := json.Unmarshal(r.Params.Arguments, &a); err != nil {
				return nil, err
			}
			return text(strings.Repeat("x", a.Size)), nil
		})
}
