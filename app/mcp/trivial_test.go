package mcp

import (
	"context"
	"io"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestTrivialServerTime: the trivial server, served over a pair of pipes
// as over stdio, echoes, and counts its own time answer by answer: a
// reading taken after n echoes counts the previous reading's answer and
// the n echoes', and more time.
func TestTrivialServerTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	toServer, serverIn := io.Pipe()
	fromServer, serverOut := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- ServeTrivial(ctx, toServer, serverOut)
		serverOut.Close()
	}()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx,
		&sdk.IOTransport{Reader: fromServer, Writer: serverIn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reading := func() ServerTime {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "server_time"})
		if err != nil || res.IsError {
			t.Fatalf("server_time: %v %v", err, res)
		}
		m, _ := res.StructuredContent.(map[string]any)
		us, _ := m["us"].(float64)
		n, _ := m["answers"].(float64)
		return ServerTime{US: us, Answers: int(n)}
	}
	before := reading()
	for range 3 {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "hi"}})
		if err != nil || res.IsError || len(res.Content) != 1 || res.Content[0].(*sdk.TextContent).Text != "hi" {
			t.Fatalf("echo: %v %+v", err, res)
		}
	}
	after := reading()
	if after.Answers-before.Answers != 4 || after.US <= before.US {
		t.Fatalf("readings %+v then %+v: want 4 answers more and more time", before, after)
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	<-served // it ends once the client hangs up (with an error: its last write finds the pipe closed)
}
