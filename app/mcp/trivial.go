package mcp

import (
	"context"
	"io"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TrivialArgs is the argument of the trivial server's echo tool.
type TrivialArgs struct {
	Message string `json:"message" jsonschema:"the text to send back"`
}

// ServerTime is what the trivial server's server_time tool returns: the
// server's own time so far, summed over the messages it answered, each
// from when its reader received the message to when it began writing the
// answer (the SDK's decoding, dispatch, the tool and the encoding), and
// how many answers that sums.
type ServerTime struct {
	US      float64 `json:"us" jsonschema:"the server's own time so far, in microseconds"`
	Answers int     `json:"answers" jsonschema:"how many answers it sums"`
}

// NewTrivial returns a built-in MCP server whose tool echo (read-only)
// returns its message as text and does nothing else: its own time is the
// SDK's decoding and encoding of one small message. `littleboxes bench`
// wraps it with the mcp capability kind, over stdio, to measure what a tool
// call from an agent costs beyond the server's work, on a machine with no
// other MCP server (no node) installed. Its tool server_time (read-only)
// returns clock's reading: the server's own time so far, which the bench
// subtracts.
func NewTrivial(clock func() ServerTime) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "littleboxes-trivial", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{
		Name:        "echo",
		Description: "Returns the message it is given.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
	}, func(_ context.Context, _ *sdk.CallToolRequest, in TrivialArgs) (*sdk.CallToolResult, any, error) {
		return textResult(in.Message, false), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{
		Name:        "server_time",
		Description: "Returns the server's own time so far, summed over the messages it answered.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
	}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, ServerTime, error) {
		return nil, clock(), nil
	})
	return s
}

// ServeTrivial serves NewTrivial over r and w (stdin and stdout) until the
// client disconnects or ctx is done, timing its own work (serverClock).
func ServeTrivial(ctx context.Context, r io.Reader, w io.Writer) error {
	c := &serverClock{}
	err := NewTrivial(c.read).Run(ctx, &sdk.IOTransport{Reader: io.NopCloser(c.reader(r)), Writer: nopCloser{c.writer(w)}})
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// serverClock times a stdio server's own work: from each read that
// brought bytes (a message arriving) to the next write (its answer
// starting). Calls are answered one at a time, as the bench makes them, so
// each answer pairs with the read of its request; a read with no answer (a
// notification) is superseded by the next.
type serverClock struct {
	mu      sync.Mutex
	arrived time.Time // the last read, zero once answered
	total   time.Duration
	answers int
}

func (c *serverClock) reader(r io.Reader) io.Reader { return clockReader{r, c} }
func (c *serverClock) writer(w io.Writer) io.Writer { return clockWriter{w, c} }

func (c *serverClock) read() ServerTime {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ServerTime{US: float64(c.total) / float64(time.Microsecond), Answers: c.answers}
}

type clockReader struct {
	r io.Reader
	c *serverClock
}

func (r clockReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		now := time.Now()
		r.c.mu.Lock()
		r.c.arrived = now
		r.c.mu.Unlock()
	}
	return n, err
}

type clockWriter struct {
	w io.Writer
	c *serverClock
}

func (w clockWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.c.mu.Lock()
	if !w.c.arrived.IsZero() {
		w.c.total += now.Sub(w.c.arrived)
		w.c.answers++
		w.c.arrived = time.Time{}
	}
	w.c.mu.Unlock()
	return w.w.Write(p)
}
