package mcp_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
)

// everything returns the path of the npm server-everything's entry point,
// installed by `make test-go` (npm ci in build/testservers); the test is
// skipped when node or the package is missing, except in CI.
func everything(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		captest.Missing(t, "node is not installed: %v", err)
	}
	p, err := filepath.Abs("../../build/testservers/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		captest.Missing(t, "server-everything is not installed (%v): run `make test-go`, or `npm ci` in build/testservers", err)
	}
	return p
}

// TestServerEverything wraps the reference server from npm, started by the
// kind over stdio.
func TestServerEverything(t *testing.T) {
	entry := everything(t)
	props := `{"command": "node", "args": [` + captest.JSON(entry) + `, "stdio"], "env": {"GREETING": "hello"}, "secret_env": {"API_TOKEN": "api_key"}}`
	lg := &logs{}
	inst := mustProvision(t, props, &capabilities.Host{Instance: "everything", SecretRefs: map[string]string{"api_key": "tok"}, Logf: lg.logf})
	captest.CheckTable(t, inst)
	tb := capabilities.TableOf(inst)
	for _, name := range []string{"echo", "getEnv", "getSum", "getStructuredContent"} {
		m, ok := tb.Method(name)
		if !ok {
			t.Fatalf("no method %s among %v", name, tb.Names())
		}
		if m.Role != capabilities.Source {
			t.Errorf("%s is %s, want a source (the server marks it read-only)", name, m.Role)
		}
	}

	got, err := captest.Call(inst, "echo", map[string]any{"message": "hi"})
	if err != nil || !strings.Contains(captest.JSON(got), `"text":"Echo: hi"`) {
		t.Fatalf("echo = %s, %v", captest.JSON(got), err)
	}
	got, err = captest.Call(inst, "getSum", map[string]any{"a": 2.0, "b": 40.0})
	if err != nil || !strings.Contains(captest.JSON(got), "42") {
		t.Fatalf("getSum = %s, %v", captest.JSON(got), err)
	}
	_, err = captest.Call(inst, "getSum", map[string]any{"a": 2.0, "b": "40"})
	var ce *capabilities.CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "argument 1 (args.b): want a number, got a string") {
		t.Fatalf("getSum with a string: err = %v, want a CallError", err)
	}
	got, err = captest.Call(inst, "getStructuredContent", map[string]any{"location": "Chicago"})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := got.(map[string]any); !ok || o["temperature"] == nil || o["conditions"] == nil {
		t.Fatalf("getStructuredContent = %s, want its structured content", captest.JSON(got))
	}
	got, err = captest.Call(inst, "getEnv")
	if err != nil {
		t.Fatal(err)
	}
	env := captest.JSON(got)
	if strings.Contains(env, secret) || !strings.Contains(env, `API_TOKEN\": \"[secret:api_key]`) || !strings.Contains(env, "GREETING") || strings.Contains(env, `PATH\"`) {
		t.Fatalf("getEnv = %s: want only the props' env and the secret, redacted", env)
	}
	if strings.Contains(lg.String(), secret) {
		t.Fatalf("the log holds the secret:\n%s", lg)
	}
	t.Run("typescript", func(t *testing.T) {
		compileTS(t, tb, `const r = await env.tools.getStructuredContent({ location: "Chicago" });
    const c: number = r.temperature;
    const e = await env.tools.echo({ message: "hi" });
    return [c, e[0].text];`)
	})
}
