package mcp_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/mcp"
	"littleboxes/app/mcp/mcptest"
)

func TestHTTP(t *testing.T) {
	e := startEngine(t)
	s, err := mcp.New(e, mcp.Options{Agent: "other"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := mcp.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ServeListener(ctx, ln, token) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	}()

	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`
	refused := []struct {
		name   string
		mod    func(*http.Request)
		status int
	}{
		{"no token", func(*http.Request) {}, http.StatusUnauthorized},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+strings.Repeat("0", len(token))) }, http.StatusUnauthorized},
		{"token not as bearer", func(r *http.Request) { r.Header.Set("Authorization", token) }, http.StatusUnauthorized},
		{"rebinding host", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Host = fmt.Sprintf("evil.example:%d", port)
		}, http.StatusForbidden},
		{"foreign origin", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Origin", "http://evil.example")
		}, http.StatusForbidden},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", url, strings.NewReader(initialize))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			c.mod(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
		})
	}

	t.Run("with the token", func(t *testing.T) {
		tr := &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: mcptest.BearerClient(token)}
		cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		res, _ := call(t, cs, "execute", map[string]any{"code": `async (input, env) => { await env.notes.put("h", "via http"); return env.notes.get("h") }`})
		if ex := execution(t, res); ex.Result != "via http" {
			t.Errorf("execute over HTTP = %+v", ex)
		}
	})
}
