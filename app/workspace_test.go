package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// openTest opens an API on a fresh data directory (the inbox example).
func openTest(t testing.TB, dir string) *API {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	a, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

func agentView(w Workspace, name string) *AgentView {
	for i := range w.Agents {
		if w.Agents[i].Name == name {
			return &w.Agents[i]
		}
	}
	return nil
}

func capView(w Workspace, name string) *CapabilityView {
	for i := range w.Capabilities {
		if w.Capabilities[i].Name == name {
			return &w.Capabilities[i]
		}
	}
	return nil
}

func binding(ag *AgentView, env string) *BindingView {
	if ag == nil {
		return nil
	}
	for i := range ag.Bindings {
		if ag.Bindings[i].Env == env {
			return &ag.Bindings[i]
		}
	}
	return nil
}

func hasProblem(w Workspace, path, substr string) bool {
	for _, p := range w.Problems {
		if p.Path == path && strings.Contains(p.Message, substr) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

const helloCode = "export default { async run(input) { return input } }\n"

func TestWorkspaceOpensInbox(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	w, err := a.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "inbox" || !w.Running || len(w.Problems) != 0 {
		t.Fatalf("name %q running %v problems %v", w.Name, w.Running, w.Problems)
	}
	if want := filepath.Join(dir, "armies", "inbox", "inbox.yaml"); w.Path != want {
		t.Errorf("path %s, want %s", w.Path, want)
	}
	tri := agentView(w, "triage")
	if tri == nil || tri.Template == nil || len(tri.Instances) != 12 || tri.CodePath != "./agents/triage.ts" {
		t.Fatalf("triage: %+v", tri)
	}
	if !slices.Equal(tri.Label, []string{"owner", "thread participants"}) {
		t.Errorf("triage label %v", tri.Label)
	}
	if b := binding(tri, "thread"); b == nil || b.Verdict != "approval" || b.Role != "exchange" || b.Kind != "mail" {
		t.Errorf("triage env.thread: %+v", b)
	}
	sum := agentView(w, "summarizer")
	if sum == nil || !slices.Equal(sum.Label, []string{"owner"}) {
		t.Fatalf("summarizer: %+v", sum)
	}
	if b := binding(sum, "report"); b == nil || b.Verdict != "safe" || b.Role != "sink" {
		t.Errorf("summarizer env.report: %+v", b)
	}
	if len(w.Channels) != 1 || w.Channels[0].From != "triage" || w.Channels[0].To != "summarizer" {
		t.Errorf("channels %+v", w.Channels)
	}
	if len(w.Sinks) != 13 {
		t.Errorf("%d sinks, want 13", len(w.Sinks))
	}
	if ex := a.Examples(); !slices.Contains(ex, "inbox-leaky") {
		t.Errorf("examples %v", ex)
	}
}

func TestWorkspaceEdits(t *testing.T) {
	tests := []struct {
		name    string
		op      func(a *API) (Workspace, error)
		wantErr string
		check   func(t *testing.T, a *API, w Workspace)
	}{
		{
			name: "add agent with code",
			op: func(a *API) (Workspace, error) {
				return a.AddAgent(AgentSpec{Name: "echo", Code: ptr(helloCode), Triggers: []string{"manual"}, Pos: &Pos{X: 5, Y: 6}})
			},
			check: func(t *testing.T, a *API, w Workspace) {
				ag := agentView(w, "echo")
				if ag == nil || ag.CodePath != "./agents/echo.ts" || ag.Pos == nil || *ag.Pos != (Pos{5, 6}) || !slices.Equal(ag.Triggers, []string{"manual"}) {
					t.Fatalf("echo: %+v", ag)
				}
				b, err := os.ReadFile(filepath.Join(filepath.Dir(w.Path), "agents", "echo.ts"))
				if err != nil || string(b) != helloCode {
					t.Errorf("code file: %q, %v", b, err)
				}
				if !w.Running || len(w.Problems) != 0 {
					t.Errorf("running %v, problems %v", w.Running, w.Problems)
				}
				y, _ := a.ExportYAML()
				if !strings.Contains(y, "code: ./agents/echo.ts") {
					t.Errorf("export:\n%s", y)
				}
			},
		},
		{
			name: "add agent without code is kept, with a problem",
			op:   func(a *API) (Workspace, error) { return a.AddAgent(AgentSpec{Name: "draft"}) },
			check: func(t *testing.T, a *API, w Workspace) {
				if agentView(w, "draft") == nil || w.Running || !hasProblem(w, "agents.draft.code", "empty") {
					t.Errorf("running %v problems %+v", w.Running, w.Problems)
				}
				if w.Problems[0].Line == 0 {
					t.Errorf("problem without a line: %+v", w.Problems[0])
				}
				// Still loads after a restart of the app: see TestWorkspaceReopen.
			},
		},
		{
			name: "add agent with a taken name",
			op: func(a *API) (Workspace, error) {
				return a.AddAgent(AgentSpec{Name: "summarizer", Code: ptr(helloCode)})
			},
			wantErr: `already an agent named "summarizer"`,
		},
		{
			name:    "add agent with an invalid name",
			op:      func(a *API) (Workspace, error) { return a.AddAgent(AgentSpec{Name: "Bad Name"}) },
			wantErr: "invalid agent name",
		},
		{
			name: "add agent with a too frequent trigger",
			op: func(a *API) (Workspace, error) {
				return a.AddAgent(AgentSpec{Name: "fast", Code: ptr(helloCode), Triggers: []string{"every 10ms"}})
			},
			wantErr: "too often",
		},
		{
			name:    "bind to a missing capability",
			op:      func(a *API) (Workspace, error) { return a.Bind("summarizer", "mail", "nope") },
			wantErr: `no capability named "nope"`,
		},
		{
			name:    "bind with a reserved env name",
			op:      func(a *API) (Workspace, error) { return a.Bind("summarizer", "constructor", "notes") },
			wantErr: "constructor",
		},
		{
			name: "bind",
			op:   func(a *API) (Workspace, error) { return a.Bind("summarizer", "inbox", "mailbox") },
			check: func(t *testing.T, a *API, w Workspace) {
				b := binding(agentView(w, "summarizer"), "inbox")
				if b == nil || b.Capability != "mailbox" || b.Kind != "mail" {
					t.Errorf("binding %+v", b)
				}
			},
		},
		{
			name: "unbind",
			op:   func(a *API) (Workspace, error) { return a.Unbind("summarizer", "notes") },
			check: func(t *testing.T, a *API, w Workspace) {
				if binding(agentView(w, "summarizer"), "notes") != nil {
					t.Error("still bound")
				}
			},
		},
		{
			name:    "unbind what is not bound",
			op:      func(a *API) (Workspace, error) { return a.Unbind("summarizer", "nothing") },
			wantErr: "no binding env.nothing",
		},
		{
			name: "connect adds the message trigger",
			op: func(a *API) (Workspace, error) {
				if _, err := a.AddAgent(AgentSpec{Name: "sink", Code: ptr(helloCode)}); err != nil {
					return Workspace{}, err
				}
				return a.Connect("summarizer", "forward", "sink")
			},
			check: func(t *testing.T, a *API, w Workspace) {
				if !slices.Contains(agentView(w, "sink").Triggers, "message") || !w.Running {
					t.Errorf("sink %+v running %v problems %v", agentView(w, "sink"), w.Running, w.Problems)
				}
				if !slices.ContainsFunc(w.Channels, func(c ChannelView) bool {
					return c.From == "summarizer" && c.Env == "forward" && c.To == "sink" && slices.Equal(c.Label, []string{"owner"})
				}) {
					t.Errorf("channels %+v", w.Channels)
				}
			},
		},
		{
			name:    "connect to a template",
			op:      func(a *API) (Workspace, error) { return a.Connect("summarizer", "back", "triage") },
			wantErr: "is a template",
		},
		{
			name: "disconnect leaves an incomplete army",
			op:   func(a *API) (Workspace, error) { return a.Disconnect("triage", "summary") },
			check: func(t *testing.T, a *API, w Workspace) {
				if len(w.Channels) != 0 || w.Running || !hasProblem(w, "agents.summarizer.triggers[0]", "no channel comes") {
					t.Errorf("channels %v running %v problems %+v", w.Channels, w.Running, w.Problems)
				}
			},
		},
		{
			name:    "add capability of an unknown kind",
			op:      func(a *API) (Workspace, error) { return a.AddCapability(CapabilitySpec{Name: "x", Kind: "nosuch"}) },
			wantErr: "nosuch",
		},
		{
			name: "add capability with an unknown prop",
			op: func(a *API) (Workspace, error) {
				return a.AddCapability(CapabilitySpec{Name: "web", Kind: "http", Props: map[string]any{"origins": []any{"https://a.example"}, "colour": "red"}})
			},
			wantErr: `has no prop "colour"`,
		},
		{
			name: "add capability missing a required prop",
			op:   func(a *API) (Workspace, error) { return a.AddCapability(CapabilitySpec{Name: "web", Kind: "http"}) },
			check: func(t *testing.T, a *API, w Workspace) {
				if capView(w, "web") == nil || w.Running || !hasProblem(w, "capabilities.web.props", "origins") {
					t.Errorf("problems %+v", w.Problems)
				}
			},
		},
		{
			name: "add capability with integer props",
			op: func(a *API) (Workspace, error) {
				return a.AddCapability(CapabilitySpec{Name: "web", Kind: "http", Props: map[string]any{
					"origins": []any{"https://a.example"}, "max_redirects": float64(2)}})
			},
			check: func(t *testing.T, a *API, w Workspace) {
				y, _ := a.ExportYAML()
				if !strings.Contains(y, "max_redirects: 2\n") || !w.Running {
					t.Errorf("running %v problems %v export:\n%s", w.Running, w.Problems, y)
				}
			},
		},
		{
			name: "rename a capability",
			op: func(a *API) (Workspace, error) {
				return a.UpdateCapability("notes", CapabilitySpec{Name: "memo"})
			},
			check: func(t *testing.T, a *API, w Workspace) {
				if b := binding(agentView(w, "summarizer"), "notes"); b == nil || b.Capability != "memo" || capView(w, "notes") != nil {
					t.Errorf("binding %+v", b)
				}
			},
		},
		{
			name:    "delete the capability a template spawns over",
			op:      func(a *API) (Workspace, error) { return a.DeleteCapability("mailbox") },
			wantErr: "template triage",
		},
		{
			name: "delete a bound capability",
			op:   func(a *API) (Workspace, error) { return a.DeleteCapability("notes") },
			check: func(t *testing.T, a *API, w Workspace) {
				if capView(w, "notes") != nil || binding(agentView(w, "summarizer"), "notes") != nil || !w.Running {
					t.Errorf("capabilities %+v", w.Capabilities)
				}
			},
		},
		{
			name: "rename an agent",
			op: func(a *API) (Workspace, error) {
				if _, err := a.AddAgent(AgentSpec{Name: "echo", Code: ptr(helloCode)}); err != nil {
					return Workspace{}, err
				}
				return a.UpdateAgent("echo", AgentSpec{Name: "parrot", Doc: ptr("repeats")})
			},
			check: func(t *testing.T, a *API, w Workspace) {
				ag := agentView(w, "parrot")
				if ag == nil || ag.Doc != "repeats" || ag.CodePath != "./agents/parrot.ts" || ag.Code != helloCode {
					t.Fatalf("parrot %+v", ag)
				}
				if _, err := os.Stat(filepath.Join(filepath.Dir(w.Path), "agents", "echo.ts")); !os.IsNotExist(err) {
					t.Errorf("old code file: %v", err)
				}
			},
		},
		{
			name: "rename the summarizer: the channel follows",
			op:   func(a *API) (Workspace, error) { return a.UpdateAgent("summarizer", AgentSpec{Name: "digest"}) },
			check: func(t *testing.T, a *API, w Workspace) {
				if len(w.Channels) != 1 || w.Channels[0].To != "digest" || !w.Running {
					t.Errorf("channels %+v problems %v", w.Channels, w.Problems)
				}
			},
		},
		{
			name: "make a template a plain agent",
			op: func(a *API) (Workspace, error) {
				return a.UpdateAgent("triage", AgentSpec{Name: "triage", Triggers: []string{"manual"}, templateSet: true})
			},
			check: func(t *testing.T, a *API, w Workspace) {
				if ag := agentView(w, "triage"); ag.Template != nil || len(ag.Instances) != 0 {
					t.Errorf("triage %+v", ag)
				}
			},
		},
		{
			name: "set agent code",
			op:   func(a *API) (Workspace, error) { return a.SetAgentCode("summarizer", helloCode) },
			check: func(t *testing.T, a *API, w Workspace) {
				b, _ := os.ReadFile(filepath.Join(filepath.Dir(w.Path), "agents", "summarizer.ts"))
				if string(b) != helloCode || agentView(w, "summarizer").Code != helloCode {
					t.Errorf("code file %q", b)
				}
			},
		},
		{
			name:    "set code of a missing agent",
			op:      func(a *API) (Workspace, error) { return a.SetAgentCode("ghost", helloCode) },
			wantErr: `no agent named "ghost"`,
		},
		{
			name: "delete an agent",
			op:   func(a *API) (Workspace, error) { return a.DeleteAgent("summarizer") },
			check: func(t *testing.T, a *API, w Workspace) {
				if agentView(w, "summarizer") != nil || len(w.Channels) != 0 || !w.Running {
					t.Errorf("agents %d channels %v problems %v", len(w.Agents), w.Channels, w.Problems)
				}
			},
		},
		{
			name: "import an army of another name",
			op: func(a *API) (Workspace, error) {
				return a.ImportYAML("name: tiny\nagents:\n  one:\n    triggers: [manual]\n    code: |\n      export default { run() { return 1 } }\n")
			},
			check: func(t *testing.T, a *API, w Workspace) {
				if w.Name != "tiny" || !strings.HasSuffix(w.Path, filepath.Join("armies", "tiny", "tiny.yaml")) || !w.Running {
					t.Errorf("name %q path %q running %v problems %v", w.Name, w.Path, w.Running, w.Problems)
				}
			},
		},
		{
			name:    "import text that is not an army",
			op:      func(a *API) (Workspace, error) { return a.ImportYAML("name: [\n") },
			wantErr: "1:",
		},
		{
			name: "import an army with a dangling binding",
			op: func(a *API) (Workspace, error) {
				return a.ImportYAML("name: bad\nagents:\n  one:\n    bindings: {x: nope}\n    code: |\n      x\n")
			},
			wantErr: `no capability named "nope"`,
		},
		{
			name: "open another example",
			op:   func(a *API) (Workspace, error) { return a.OpenExample("inbox-leaky") },
			check: func(t *testing.T, a *API, w Workspace) {
				if w.Name != "inbox-leaky" || !w.Running {
					t.Fatalf("name %q running %v problems %v", w.Name, w.Running, w.Problems)
				}
				if b := binding(agentView(w, "summarizer"), "webhook"); b == nil || b.Verdict != "approval" || !slices.Contains(b.Audience, "origin:https://hooks.example.com") {
					t.Errorf("webhook %+v", b)
				}
			},
		},
		{
			name:    "open an unknown example",
			op:      func(a *API) (Workspace, error) { return a.OpenExample("nosuch") },
			wantErr: `no example army "nosuch"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openTest(t, "")
			before, err := a.ExportYAML()
			if err != nil {
				t.Fatal(err)
			}
			events, stop := a.subscribe()
			defer stop()
			w, err := tt.op(a)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if after, _ := a.ExportYAML(); after != before {
					t.Errorf("a refused edit changed the army:\n%s", after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Agents == nil || w.Capabilities == nil || w.Channels == nil || w.Sinks == nil || w.Problems == nil {
				t.Errorf("a nil slice in %+v", w)
			}
			if tt.check != nil {
				tt.check(t, a, w)
			}
			for {
				ev := <-events
				if ev.Type == EventWorkspace {
					break
				}
			}
			again, err := a.Workspace()
			if err != nil || again.Path != w.Path || len(again.Agents) != len(w.Agents) {
				t.Errorf("Workspace() after the edit: %v, %d agents", err, len(again.Agents))
			}
		})
	}
}

func TestWorkspaceReopen(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddAgent(AgentSpec{Name: "draft"}); err != nil {
		t.Fatal(err)
	}
	if err := a.MoveNodes(map[string]Pos{"draft": {X: 1, Y: 2}, "notes": {X: 3, Y: 4}, "capability:mailbox": {X: 5, Y: 6}}); err != nil {
		t.Fatal(err)
	}
	if err := a.MoveNodes(map[string]Pos{"ghost": {}}); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Errorf("moving a missing node: %v", err)
	}
	if _, err := a.OpenExample("inbox-leaky"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OpenExample("inbox"); err != nil {
		t.Fatal(err)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Workspace(); err == nil {
		t.Error("Workspace after Close works")
	}

	b := openTest(t, dir)
	w, err := b.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	ag := agentView(w, "draft")
	if w.Name != "inbox" || ag == nil || ag.Pos == nil || *ag.Pos != (Pos{1, 2}) || !hasProblem(w, "agents.draft.code", "empty") {
		t.Fatalf("reopened: %q draft %+v problems %v", w.Name, ag, w.Problems)
	}
	if c := capView(w, "notes"); c.Pos == nil || *c.Pos != (Pos{3, 4}) {
		t.Errorf("notes at %v", c.Pos)
	}
	if c := capView(w, "mailbox"); c.Pos == nil || *c.Pos != (Pos{5, 6}) {
		t.Errorf("mailbox at %v", c.Pos)
	}
	// A node never placed has no position: the page lays it out.
	if ag := agentView(w, "triage"); ag == nil || ag.Pos != nil {
		t.Errorf("triage, never placed: %+v", ag)
	}
	// Fixing the problem starts the army.
	w, err = b.SetAgentCode("draft", helloCode)
	if err != nil || !w.Running || len(w.Problems) != 0 {
		t.Fatalf("after the fix: %v running %v problems %v", err, w.Running, w.Problems)
	}
}

func TestKindsEnvAndCheckCode(t *testing.T) {
	a := openTest(t, "")
	kinds, err := a.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]KindInfo{}
	for _, k := range kinds {
		byID[k.ID] = k
		if k.Props == nil || k.Secrets == nil || k.Methods == nil || k.Declaration == "" {
			t.Errorf("kind %s: %+v", k.ID, k)
		}
	}
	if !byID["mail"].Enumerates || byID["kv"].Enumerates {
		t.Errorf("enumerates: mail %v kv %v", byID["mail"].Enumerates, byID["kv"].Enumerates)
	}
	if h := byID["http"]; !slices.ContainsFunc(h.Props, func(p PropField) bool { return p.Name == "origins" && p.Required && p.Type == "array" }) ||
		!slices.Contains(h.Secrets, "credential") || h.Methods[0] != (MethodInfo{"fetch", "exchange"}) {
		t.Errorf("http: %+v", h)
	}
	env, err := a.AgentEnv("triage")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"interface Env", "readonly thread: Mail", "readonly summary: Channel"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	if _, err := a.AgentEnv("ghost"); err == nil {
		t.Error("env of a missing agent")
	}
	d, err := a.CheckCode(helloCode)
	if err != nil || d == nil || len(d) != 0 {
		t.Errorf("good code: %v %v", d, err)
	}
	d, err = a.CheckCode("export default {\n  run( {\n}\n")
	if err != nil || len(d) == 0 || d[0].Line < 2 || d[0].Text == "" {
		t.Errorf("bad code: %+v %v", d, err)
	}
}

func TestWorkspaceEngineCannotStart(t *testing.T) {
	a := openTest(t, "")
	w, err := a.AddCapability(CapabilitySpec{Name: "elsewhere", Kind: "mail", Props: map[string]any{
		"maildir": "./no-such-maildir", "owner": "me@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Running || !hasProblem(w, "", "not running") || !hasProblem(w, "", "elsewhere") {
		t.Fatalf("running %v problems %+v", w.Running, w.Problems)
	}
	// The rest of the army is still shown.
	if agentView(w, "summarizer") == nil {
		t.Error("no summarizer")
	}
	if _, err := a.RunAgent("summarizer", ""); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("run: %v", err)
	}
	w, err = a.DeleteCapability("elsewhere")
	if err != nil || !w.Running || len(w.Problems) != 0 {
		t.Fatalf("after the fix: %v running %v problems %v", err, w.Running, w.Problems)
	}
}

// TestNameRules checks that every name rule is enforced here, with a
// message the page shows as it is: the page does not copy the rules.
func TestNameRules(t *testing.T) {
	a := openTest(t, "")
	tests := []struct {
		name    string
		op      func() (Workspace, error)
		wantErr string
	}{
		{"agent name with a capital", func() (Workspace, error) { return a.AddAgent(AgentSpec{Name: "Echo"}) }, `invalid agent name "Echo"`},
		{"agent name empty", func() (Workspace, error) { return a.AddAgent(AgentSpec{}) }, "give the agent a name"},
		{"agent renamed badly", func() (Workspace, error) { return a.UpdateAgent("triage", AgentSpec{Name: "9lives"}) }, `invalid agent name "9lives"`},
		{"capability name with _", func() (Workspace, error) {
			return a.AddCapability(CapabilitySpec{Name: "my_notes", Kind: "kv"})
		}, `invalid capability name "my_notes"`},
		{"env not an identifier", func() (Workspace, error) { return a.Bind("summarizer", "1st", "notes") }, "not a JavaScript identifier"},
		{"env reserved", func() (Workspace, error) { return a.Bind("summarizer", "then", "notes") }, "reserved"},
		{"env empty", func() (Workspace, error) { return a.Bind("summarizer", "", "notes") }, "give the env entry a name"},
		{"channel env reserved", func() (Workspace, error) { return a.Connect("summarizer", "toString", "triage") }, "Object.prototype.toString"},
		{"template item reserved", func() (Workspace, error) {
			return a.AddAgent(AgentSpec{Name: "each", Template: &TemplateView{Each: "mailbox", As: "class"}})
		}, "reserved"},
	}
	before, err := a.ExportYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.op()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if after, _ := a.ExportYAML(); after != before {
		t.Errorf("a refused edit changed the army:\n%s", after)
	}
}
