package mcp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/mcp"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioProps are the props of this test binary run as a stdio server with
// the secret in its environment and a call timeout.
func stdioProps(t *testing.T, timeout string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return `{"command": ` + captest.JSON(exe) + `, "env": {"` + serverEnv + `": "1"}, "secret_env": {"SECRET_TOKEN": "token"}, "timeout": "` + timeout + `"}`
}

// echoWorks checks the server answers (again) within a few seconds: after
// a restart, the first calls may find it down.
func echoWorks(t *testing.T, inst capabilities.Instance) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var got any
		if got, err = captest.Call(inst, "echo", map[string]any{"message": "still here"}); err == nil {
			if s := captest.JSON(got); !strings.Contains(s, "echo: still here") {
				t.Fatalf("echo = %s", s)
			}
			return
		}
	}
	t.Fatalf("the server does not answer any more: %v", err)
}

// TestAdversarialServer: a server that returns a huge result, never
// answers, writes malformed JSON-RPC, or echoes the credential in an error
// costs a call an error that says so, never the instance: the next call
// works.
func TestAdversarialServer(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	lg := &logs{}
	host := func() *capabilities.Host {
		return &capabilities.Host{SecretRefs: map[string]string{"token": "tok"}, Logf: lg.logf}
	}
	inst := mustProvision(t, stdioProps(t, "2s"), host())
	// big has time to carry large answers, on a busy machine too.
	big := mustProvision(t, stdioProps(t, "60s"), host())

	t.Run("large result", func(t *testing.T) {
		got, err := capabilities.Call(context.Background(), big, "huge", []any{map[string]any{"size": float64(1 << 20)}})
		if err != nil {
			t.Fatalf("a 1 MiB result: %v", err)
		}
		if s := captest.JSON(got); len(s) < 1<<20 {
			t.Fatalf("a 1 MiB result came back as %d bytes", len(s))
		}
	})
	t.Run("huge result", func(t *testing.T) {
		start := time.Now()
		_, err := capabilities.Call(context.Background(), big, "huge", []any{map[string]any{"size": float64(20 << 20)}})
		if err == nil {
			t.Fatal("a 40 MiB result was taken")
		}
		t.Logf("after %s: %v", time.Since(start), err)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a huge result waited for the timeout: %v", err)
		}
		echoWorks(t, big)
	})
	t.Run("never answers", func(t *testing.T) {
		start := time.Now()
		_, err := captest.Call(inst, "hang")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the 2s timeout", err)
		}
		if d := time.Since(start); d < 2*time.Second || d > 12*time.Second {
			t.Fatalf("the call ended after %s, want about the 2s timeout", d)
		}
		echoWorks(t, inst) // other calls are still answered
	})
	t.Run("malformed JSON-RPC", func(t *testing.T) {
		start := time.Now()
		_, err := captest.Call(inst, "garbage")
		if err == nil {
			t.Fatal("a malformed answer was taken")
		}
		t.Logf("after %s: %v", time.Since(start), err)
		echoWorks(t, inst) // the server was restarted
		if !strings.Contains(lg.String(), "restarting in") {
			t.Errorf("log:\n%s\nwant the restart logged", lg)
		}
	})
	t.Run("credential echoed in an error", func(t *testing.T) {
		_, err := captest.Call(inst, "leak")
		if !errors.Is(err, mcp.ErrToolFailed) || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "bad token [secret:token]") {
			t.Fatalf("err = %v, want the tool's error with the credential redacted", err)
		}
	})
	if strings.Contains(lg.String(), secret) {
		t.Errorf("the log holds the secret:\n%s", lg)
	}
}

// TestMalformedServer: a program that answers initialize with something
// that is not JSON-RPC fails provisioning with an error, at once.
func TestMalformedServer(t *testing.T) {
	start := time.Now()
	_, err := provision(t, `{"command": "/bin/sh", "args": ["-c", "while read l; do echo 'this is not {json'; done"]}`, nil)
	if err == nil {
		t.Fatal("provisioned a server that speaks no JSON-RPC")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s: want an error, not a wait for the connect timeout", d)
	}
	t.Logf("after %s: %v", time.Since(start), err)
}

// TestHugeHTTPResult: a streamable HTTP server answering with more than
// MaxResponseBytes fails the call with ErrResponseTooLarge; a smaller
// answer from the same server still comes through.
func TestHugeHTTPResult(t *testing.T) {
	s := sdk.NewServer(&sdk.Implementation{Name: "huge", Version: "1"}, nil)
	addHugeTool(s)
	ts := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, &sdk.StreamableHTTPOptions{Stateless: true}))
	t.Cleanup(ts.Close)
	inst := mustProvision(t, `{"url": "`+ts.URL+`", "timeout": "60s"}`, nil)
	_, err := capabilities.Call(context.Background(), inst, "huge", []any{map[string]any{"size": float64(mcp.MaxResponseBytes + 1<<20)}})
	if !errors.Is(err, mcp.ErrResponseTooLarge) && (err == nil || !strings.Contains(err.Error(), mcp.ErrResponseTooLarge.Error())) {
		t.Fatalf("err = %v, want ErrResponseTooLarge", err)
	}
	t.Logf("%v", err)
	got, err := captest.Call(inst, "huge", map[string]any{"size": float64(1000)})
	if err != nil || len(captest.JSON(got)) < 1000 {
		t.Fatalf("a small answer after a huge one: %v", err)
	}
}
