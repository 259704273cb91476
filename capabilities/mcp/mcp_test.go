package mcp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/mcp"
	"littleboxes/vault"
)

const secret = "s3cr3t-T0KEN-abcdefghijklmnop"

func TestConformance(t *testing.T) {
	captest.Check(t, mcp.ID)
}

// host fills in h (nil for none): the secret in the vault as "tok", and the
// capability's name tools.
func host(h *capabilities.Host) *capabilities.Host {
	return captest.Fill(h, "tools", vault.NewMemory(map[string]string{"tok": secret}))
}

func provision(t *testing.T, props string, h *capabilities.Host) (capabilities.Instance, error) {
	t.Helper()
	return captest.Provision(t, mcp.ID, props, host(h))
}

func mustProvision(t *testing.T, props string, h *capabilities.Host) capabilities.Instance {
	t.Helper()
	return captest.MustProvision(t, mcp.ID, props, host(h))
}

func TestHTTPServer(t *testing.T) {
	ts := httpServer(t, &serverOpts{})
	props := `{"url": "` + ts.URL + `", "secret_headers": {"Authorization": "Bearer {token}"}}`
	inst := mustProvision(t, props, &capabilities.Host{SecretRefs: map[string]string{"token": "tok"}})
	captest.CheckTable(t, inst)
	tb := capabilities.TableOf(inst)
	if got := strings.Join(tb.Names(), ","); got != "echo,fail,readNotes,sleep,whoami" {
		t.Fatalf("methods %s", got)
	}
	roles := map[string]capabilities.Role{}
	for _, m := range tb.Methods() {
		roles[m.Name] = m.Role
	}
	if roles["readNotes"] != capabilities.Source || roles["echo"] != capabilities.Exchange {
		t.Fatalf("roles %v: want readNotes a source (readOnlyHint), echo an exchange", roles)
	}
	f := inst.Flow()
	origin := capabilities.Origin(ts.URL)
	if captest.JSON(f.Label) != captest.JSON(capabilities.NewLabel(capabilities.Owner, origin)) || captest.JSON(f.Audience) != captest.JSON(capabilities.NewLabel(origin)) {
		t.Fatalf("flow %+v, want the server's origin %s", f, origin)
	}

	t.Run("echo", func(t *testing.T) {
		got, err := captest.Call(inst, "echo", map[string]any{"message": "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if s := captest.JSON(got); s != `[{"text":"echo: hi","type":"text"}]` {
			t.Fatalf("echo = %s", s)
		}
	})
	t.Run("structured content", func(t *testing.T) {
		got, err := captest.Call(inst, "readNotes", map[string]any{"tag": "work"})
		if err != nil {
			t.Fatal(err)
		}
		if s := captest.JSON(got); s != `{"notes":["a work note"]}` {
			t.Fatalf("readNotes = %s", s)
		}
		if _, err := captest.Call(inst, "readNotes"); err != nil {
			t.Fatalf("readNotes with no arguments (none is required): %v", err)
		}
	})
	for _, c := range []struct{ name, method, want string }{
		{"wrong type", "echo", "argument 1 (args.message): want a string, got the number 3"},
		{"missing", "echo", "args.message is required (string) but missing"},
		{"extra property", "echo", `args has no property "msg"; it has message`},
		{"enum", "readNotes", `argument 1 (args.tag): want one of "work", "home", got a string`},
		{"integer", "readNotes", "argument 1 (args.limit): want an integer, got the number 1.5"},
		{"not an object", "echo", "argument 1 (args): want an object of the tool's arguments, got a string"},
	} {
		t.Run("refused "+c.name, func(t *testing.T) {
			args := map[string]map[string]any{
				"wrong type": {"message": 3.0}, "missing": {}, "extra property": {"message": "x", "msg": "y"},
				"enum": {"tag": "garden"}, "integer": {"limit": 1.5},
			}[c.name]
			var a any = args
			if c.name == "not an object" {
				a = "hi"
			}
			_, err := captest.Call(inst, c.method, a)
			var ce *capabilities.CallError
			if !errors.As(err, &ce) || !ce.TypeError() || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a CallError saying %q", err, c.want)
			}
		})
	}
	t.Run("isError", func(t *testing.T) {
		_, err := captest.Call(inst, "fail")
		if !errors.Is(err, mcp.ErrToolFailed) || !strings.Contains(err.Error(), "the disk is full") {
			t.Fatalf("err = %v, want ErrToolFailed with the tool's text", err)
		}
	})
	t.Run("secret header redacted", func(t *testing.T) {
		got, err := captest.Call(inst, "whoami")
		if err != nil {
			t.Fatal(err)
		}
		s := captest.JSON(got)
		if strings.Contains(s, secret) || !strings.Contains(s, `"authorization":"Bearer [secret:token]"`) {
			t.Fatalf("whoami = %s: the server got the header, and the agent sees it redacted", s)
		}
	})
	t.Run("ctx", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := capabilities.Call(ctx, inst, "sleep", nil)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("err = %v after %s, want the context's deadline", err, time.Since(start))
		}
	})
	t.Run("typescript", func(t *testing.T) {
		got := tb.TypeScript()
		for _, want := range []string{
			"/**\n * The tools of the MCP server \"littleboxes-test\". Each method takes one object, the\n",
			"interface ToolsTools {",
			"echo(args: ToolsEchoArgs): Promise<ToolsContent[]>;",
			"readNotes(args?: ToolsReadNotesArgs): Promise<ToolsReadNotesResult>;",
			" * Echoes the message back.\n   * A second line of doc.\n",
			"/** What to echo. */\n  message: string;",
			`tag?: "work" | "home";`,
			"notes: string[];",
			`The MCP tool "read-notes" (source).`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("the TypeScript lacks %q:\n%s", want, got)
			}
		}
		compileTS(t, tb, `const r = await env.tools.echo({ message: "hi" });
    const t: string | undefined = r[0].text;
    const n = await env.tools.readNotes({ tag: "work" });
    const first: string = n.notes[0];
    return { t, first };`)
	})
}

// compileTS type-checks the env declaration of one binding, tools, and an
// agent whose run body is body, with the TypeScript compiler from
// frontend/ (skipped, outside CI, when it is not installed).
func compileTS(t *testing.T, tb *capabilities.Table, body string) {
	t.Helper()
	env, err := capabilities.RenderEnv([]capabilities.Binding{{Name: "tools", Kind: mcp.ID, Table: tb}})
	if err != nil {
		t.Fatal(err)
	}
	agent := "export default {\n  async run(input: unknown, env: Env): Promise<unknown> {\n    " + body + "\n  },\n};\n"
	if out, err := captest.TypeCheck(t, env, agent); err != nil {
		t.Fatalf("tsc: %v\n%s\n--- env.d.ts ---\n%s", err, out, env)
	}
}

func TestAllowlistAndRoles(t *testing.T) {
	ts := httpServer(t, &serverOpts{})
	inst := mustProvision(t, `{"url": "`+ts.URL+`", "tools": ["echo", "read-notes"], "roles": {"echo": "sink", "read-notes": "pure"}, "trusted": true}`, nil)
	tb := capabilities.TableOf(inst)
	if got := strings.Join(tb.Names(), ","); got != "echo,readNotes" {
		t.Fatalf("methods %s, want the allowlist", got)
	}
	if m, _ := tb.Method("echo"); m.Role != capabilities.Sink {
		t.Fatalf("echo is %s, want the override sink", m.Role)
	}
	if m, _ := tb.Method("readNotes"); m.Role != capabilities.Pure {
		t.Fatalf("readNotes is %s, want the override pure", m.Role)
	}
	owner := captest.JSON(capabilities.NewLabel(capabilities.Owner))
	if f := inst.Flow(); captest.JSON(f.Label) != owner || captest.JSON(f.Audience) != owner {
		t.Fatalf("trusted flow %+v, want the owner alone", f)
	}
	if _, err := captest.Call(inst, "whoami"); err == nil || !strings.Contains(err.Error(), "no method whoami; it has echo, readNotes") {
		t.Fatalf("a tool outside the allowlist: err = %v", err)
	}
	_, err := provision(t, `{"url": "`+ts.URL+`", "tools": ["echo", "nope"]}`, nil)
	if err == nil || !strings.Contains(err.Error(), "the server has no tool nope; it has echo, fail, read-notes, sleep, whoami") {
		t.Fatalf("an unknown tool in the allowlist: err = %v", err)
	}
}

func TestNameCollision(t *testing.T) {
	ts := httpServer(t, &serverOpts{extra: []string{"get-env", "getEnv", "list files"}})
	_, err := provision(t, `{"url": "`+ts.URL+`"}`, nil)
	if !errors.Is(err, mcp.ErrNameCollision) || !strings.Contains(err.Error(), `tools "get-env" and "getEnv" are both getEnv`) {
		t.Fatalf("err = %v, want ErrNameCollision naming both tools", err)
	}
	inst := mustProvision(t, `{"url": "`+ts.URL+`", "tools": ["get-env", "list files"]}`, nil)
	if got := strings.Join(capabilities.TableOf(inst).Names(), ","); got != "getEnv,listFiles" {
		t.Fatalf("methods %s, want camelCase names", got)
	}
	got, err := captest.Call(inst, "listFiles")
	if err != nil || !strings.Contains(captest.JSON(got), "list files") {
		t.Fatalf("listFiles = %v, %v", got, err)
	}
}

func TestPinning(t *testing.T) {
	opts := &serverOpts{}
	ts := httpServer(t, opts)
	st := &memStorage{}
	props := `{"url": "` + ts.URL + `"}`
	h := func() *capabilities.Host { return &capabilities.Host{Army: "army", Instance: "notes", Storage: st} }
	mustProvision(t, props, h())
	mustProvision(t, props, h()) // the same tools: fine

	opts.mu.Lock()
	opts.echoSchema = objectSchema(map[string]any{"message": map[string]any{"type": "string"}, "to": map[string]any{"type": "string"}}, []string{"message"})
	opts.extra = []string{"delete-all"}
	opts.mu.Unlock()
	_, err := provision(t, props, h())
	if !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "new tool delete-all") || !strings.Contains(err.Error(), "tool echo changed") {
		t.Fatalf("err = %v, want ErrToolsChanged naming the new and the changed tool", err)
	}
	// A tool outside the allowlist grows no authority.
	mustProvision(t, `{"url": "`+ts.URL+`", "tools": ["fail"]}`, &capabilities.Host{Army: "army", Instance: "other", Storage: st})

	if err := mcp.Accept(context.Background(), st, "army", "notes"); err != nil {
		t.Fatal(err)
	}
	inst := mustProvision(t, props, h())
	if _, ok := capabilities.TableOf(inst).Method("deleteAll"); !ok {
		t.Fatal("the accepted tool is not there")
	}
	if err := mcp.Accept(context.Background(), st, "army", "notes"); !errors.Is(err, mcp.ErrNothingToAccept) {
		t.Fatalf("second Accept: %v, want ErrNothingToAccept", err)
	}
	// Without storage, nothing is pinned.
	opts.mu.Lock()
	opts.extra = nil
	opts.mu.Unlock()
	mustProvision(t, props, &capabilities.Host{Instance: "notes"})
	if _, err := provision(t, props, h()); !errors.Is(err, mcp.ErrToolsChanged) {
		t.Fatalf("with storage again: err = %v, want ErrToolsChanged (delete-all removed)", err)
	}
}

// TestStdioServer runs this test binary as an MCP server over stdio: its
// environment is only what the props give, its stderr is logged redacted,
// and it is restarted when it dies.
func TestStdioServer(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lg := &logs{}
	props := `{"command": ` + captest.JSON(exe) + `, "env": {"` + serverEnv + `": "1", "PLAIN": "x"}, "secret_env": {"SECRET_TOKEN": "token"}, "timeout": "10s"}`
	inst := mustProvision(t, props, &capabilities.Host{SecretRefs: map[string]string{"token": "tok"}, Logf: lg.logf})
	captest.CheckTable(t, inst)
	if f := inst.Flow(); !strings.HasPrefix(string(f.Audience[0]), "provider:mcp:") {
		t.Fatalf("flow %+v, want the command's principal", f)
	}
	got, err := captest.Call(inst, "env")
	if err != nil {
		t.Fatal(err)
	}
	env := captest.JSON(got)
	if strings.Contains(env, secret) || !strings.Contains(env, "SECRET_TOKEN=[secret:token]") || !strings.Contains(env, "PLAIN=x") || strings.Contains(env, "PATH=") || strings.Contains(env, "HOME=") {
		t.Fatalf("the server's environment %s: want only the props' env and the secret, redacted", env)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(lg.String(), "starting with token [secret:token]") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := lg.String(); strings.Contains(l, secret) || !strings.Contains(l, "stderr: starting with token [secret:token]") {
		t.Fatalf("log:\n%s\nwant the server's stderr, redacted", l)
	}

	if _, err := captest.Call(inst, "crash"); err == nil {
		t.Fatal("crash returned no error")
	}
	start := time.Now()
	got, err = captest.Call(inst, "echo", map[string]any{"message": "back"})
	if err != nil || captest.JSON(got) != `[{"text":"echo: back","type":"text"}]` {
		t.Fatalf("echo after a crash = %v, %v; want the restarted server's answer", got, err)
	}
	t.Logf("the server came back in %s", time.Since(start))
	if l := lg.String(); !strings.Contains(l, "restarting in") {
		t.Fatalf("log:\n%s\nwant the restart logged", l)
	}
}

func TestStartFailure(t *testing.T) {
	_, err := provision(t, `{"command": "/no/such/mcp-server"}`, nil)
	if err == nil || !strings.Contains(err.Error(), "starting the MCP server") {
		t.Fatalf("err = %v", err)
	}
	// A program that is not an MCP server: its stderr is in the error.
	_, err = provision(t, `{"command": "/bin/sh", "args": ["-c", "echo cannot start: missing config >&2; exit 1"]}`, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot start: missing config") {
		t.Fatalf("err = %v, want the server's stderr", err)
	}
}

// TestStdioServerGone covers a server that does not come back (a call fails
// clearly, after a short wait) and one whose tools changed when it came back
// (calls fail with ErrToolsChanged until the capability is provisioned
// again).
func TestStdioServerGone(t *testing.T) {
	defer mcp.SetDownWait(500 * time.Millisecond)()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode string
		want error
	}{{"dead", mcp.ErrServerDown}, {"grow", mcp.ErrToolsChanged}} {
		t.Run(c.mode, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "marker")
			props := `{"command": ` + captest.JSON(exe) + `, "env": {"` + serverEnv + `": "1", "CRASH_MARKER": ` + captest.JSON(marker) + `, "CRASH_MODE": "` + c.mode + `"}}`
			lg := &logs{}
			inst := mustProvision(t, props, &capabilities.Host{Logf: lg.logf})
			if _, err := captest.Call(inst, "crash"); err == nil {
				t.Fatal("crash returned no error")
			}
			start := time.Now()
			var err error
			for time.Since(start) < 5*time.Second {
				if _, err = captest.Call(inst, "echo", map[string]any{"message": "x"}); errors.Is(err, c.want) {
					break
				}
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("echo after the crash: err = %v, want %v\nlog:\n%s", err, c.want, lg)
			}
			t.Logf("echo: %v", err)
		})
	}
}

// BenchmarkCall measures one tool call through the method table (schema
// check, the MCP round trip, the result as plain data) to this test binary
// as a stdio server and to a loopback HTTP server.
func BenchmarkCall(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, props string }{
		{"stdio", `{"command": ` + captest.JSON(exe) + `, "env": {"` + serverEnv + `": "1"}}`},
		{"http", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			props := c.props
			if props == "" {
				ts := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return newServer(&serverOpts{}) }, &sdk.StreamableHTTPOptions{Stateless: true}))
				defer ts.Close()
				props = `{"url": "` + ts.URL + `"}`
			}
			inst, err := capabilities.New(context.Background(), mcp.ID, []byte(props), &capabilities.Host{Instance: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer capabilities.Cleanup(inst)
			args := []any{map[string]any{"message": "hi"}}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := capabilities.Call(ctx, inst, "echo", args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
