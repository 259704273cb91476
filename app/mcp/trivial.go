package mcp

import (
	"context"
	"io"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TrivialArgs is the argument of the trivial server's echo tool.
type TrivialArgs struct {
	Message string `json:"message" jsonschema:"the text to send back"`
}

// NewTrivial returns a built-in MCP server whose one tool, echo (read-only),
// returns its message as text and does nothing else: its own time is the
// SDK's decoding and encoding of one small message. `littleboxes bench`
// wraps it with the mcp capability kind, over stdio, to measure what a tool
// call from an agent costs beyond the server's work, on a machine with no
// other MCP server (no node) installed.
func NewTrivial() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "littleboxes-trivial", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{
		Name:        "echo",
		Description: "Returns the message it is given.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
	}, func(_ context.Context, _ *sdk.CallToolRequest, in TrivialArgs) (*sdk.CallToolResult, any, error) {
		return textResult(in.Message, false), nil, nil
	})
	return s
}

// ServeTrivial serves NewTrivial over r and w (stdin and stdout) until the
// client disconnects or ctx is done.
func ServeTrivial(ctx context.Context, r io.Reader, w io.Writer) error {
	err := NewTrivial().Run(ctx, &sdk.IOTransport{Reader: io.NopCloser(r), Writer: nopCloser{w}})
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}
