package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"littleboxes/app/notify"
	"littleboxes/vault/keyring/keyringtest"
)

const leakCode = `export default {
  async run(input: unknown, env: any) {
    const r = await env.webhook.fetch("/", { method: "POST", body: "x" });
    console.log(JSON.stringify(r));
    return r;
  },
  async onApproval(result: unknown) { console.log(JSON.stringify(result)); return result; },
};
`

// randomSecret returns a fresh secret: its name, prefix and 8 random hex
// digits, and a value no other test or run shares.
func randomSecret(prefix string) (name, value string) {
	raw := make([]byte, 16)
	rand.Read(raw)
	return prefix + hex.EncodeToString(raw[:4]), "s3cr3t-" + hex.EncodeToString(raw)
}

// TestNoMethodReturnsASecret stores a secret, gives it to an http
// capability whose server echoes it back, and calls every exported API
// method with plausible arguments: the value appears in no result, no error
// and no event. The secret name does.
func TestNoMethodReturnsASecret(t *testing.T) {
	keyringtest.Require(t)
	name, value := randomSecret("lb-app-test-")

	var echoed sync.Mutex
	got := ""
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echoed.Lock()
		got = r.Header.Get("Authorization")
		echoed.Unlock()
		fmt.Fprintf(w, "you sent %s", r.Header.Get("Authorization"))
	}))
	defer hook.Close()

	a := openTest(t, "")
	events, stop := a.subscribe()
	defer stop()
	var collected []Event
	var evMu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			evMu.Lock()
			collected = append(collected, ev)
			evMu.Unlock()
		}
	}()

	if err := a.SetSecret(name, value); err != nil {
		t.Fatal(err)
	}
	defer a.DeleteSecret(name)
	if names, err := a.Secrets(); err != nil || !slices.Contains(names, name) {
		t.Fatalf("Secrets() = %v, %v", names, err)
	}
	if _, err := a.AddCapability(CapabilitySpec{Name: "webhook", Kind: "http", Props: map[string]any{
		"origins": []any{hook.URL}, "methods": []any{"POST"}, "allow_private_network": true,
		"auth": map[string]any{"type": "bearer"}}, Secrets: map[string]string{"credential": name}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddAgent(AgentSpec{Name: "poster", Code: ptr(leakCode), Triggers: []string{"manual"}}); err != nil {
		t.Fatal(err)
	}
	// The poster can also read a private API, which the webhook's origin
	// may not read: its POST is held for approval.
	if _, err := a.AddCapability(CapabilitySpec{Name: "private-api", Kind: "http", Props: map[string]any{
		"origins": []any{"https://api.example.com"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bind("poster", "api", "private-api"); err != nil {
		t.Fatal(err)
	}
	w, err := a.Bind("poster", "webhook", "webhook")
	if err != nil || !w.Running {
		t.Fatalf("bind: %v, running %v, problems %v", err, w.Running, w.Problems)
	}
	rec, err := a.RunAgent("poster", "")
	if err != nil || !strings.Contains(string(rec.Result), "pending_approval") {
		t.Fatalf("run: %+v %v", rec, err)
	}
	pending, err := a.Approvals(false)
	if err != nil || len(pending) != 1 {
		t.Fatalf("approvals %v %v", pending, err)
	}

	// Every exported method, with plausible arguments, in an order that
	// leaves the army able to run.
	calls := []struct {
		method string
		args   []any
	}{
		{"Version", nil},
		{"Workspace", nil},
		{"Examples", nil},
		{"ExportYAML", nil},
		{"Kinds", nil},
		{"AgentEnv", []any{"poster"}},
		{"CheckCode", []any{leakCode}},
		{"Exec", []any{leakCode, ""}},
		{"Secrets", nil},
		{"Approve", []any{pending[0].ID}},
		{"Approvals", []any{true}},
		{"Deny", []any{pending[0].ID}},
		{"RunAgent", []any{"poster", `{"x": 1}`}},
		{"Runs", []any{"poster", 10}},
		{"Runs", []any{"summarizer", 10}},
		{"Describe", []any{"poster", "post the input", "", `"x"`}},
		{"CachedPlan", []any{"poster"}},
		{"LocalModel", nil},
		{"MoveNodes", []any{map[string]Pos{"poster": {X: 1, Y: 1}}}},
		{"SetAgentCode", []any{"poster", leakCode}},
		{"UpdateAgent", []any{"poster", AgentSpec{Name: "poster", Doc: ptr("posts")}}},
		{"AddAgent", []any{AgentSpec{Name: "other", Code: ptr(helloCode)}}},
		{"Bind", []any{"other", "web", "webhook"}},
		{"Connect", []any{"other", "out", "poster"}},
		{"Disconnect", []any{"other", "out"}},
		{"Unbind", []any{"other", "web"}},
		{"DeleteAgent", []any{"other"}},
		{"AddCapability", []any{CapabilitySpec{Name: "web2", Kind: "http", Props: map[string]any{"origins": []any{hook.URL}},
			Secrets: map[string]string{"credential": name}}}},
		{"UpdateCapability", []any{"web2", CapabilitySpec{Name: "web3"}}},
		{"DeleteCapability", []any{"web3"}},
		{"ImportYAML", []any{"name: other\nagents:\n  one:\n    code: |\n      export default {}\n"}},
		{"OpenExample", []any{"inbox"}},
		{"SetSecret", []any{name, value}},
		{"DeleteSecret", []any{"lb-no-such-secret"}},
		{"AcceptTools", []any{"webhook"}},
		{"Running", nil},
		{"OpenRunning", []any{"inbox"}},
		{"StopArmy", []any{"other"}},
		{"Settings", nil},
		{"SetKeepRunning", []any{true}},
		{"SetMute", []any{notify.Mutes{Approvals: true}}},
	}
	skip := map[string]bool{}
	covered := map[string]bool{}
	v := reflect.ValueOf(a)
	for _, c := range calls {
		m := v.MethodByName(c.method)
		if !m.IsValid() {
			t.Fatalf("no method %s", c.method)
		}
		covered[c.method] = true
		in := make([]reflect.Value, len(c.args))
		for i, arg := range c.args {
			in[i] = reflect.ValueOf(arg)
		}
		for _, out := range m.Call(in) {
			text := ""
			if err, ok := out.Interface().(error); ok && err != nil {
				text = err.Error()
			} else {
				b, err := json.Marshal(out.Interface())
				if err != nil {
					t.Fatalf("%s: %v", c.method, err)
				}
				text = string(b)
			}
			if strings.Contains(text, value) {
				t.Errorf("%s returned the secret value: %s", c.method, text)
			}
			if c.method == "Approve" && out.Type() != reflect.TypeFor[error]() && !strings.Contains(text, "you sent Bearer [secret:") {
				t.Errorf("Approve's result is not redacted: %s", text)
			}
		}
	}
	for i := 0; i < v.NumMethod(); i++ {
		if n := v.Type().Method(i).Name; !covered[n] && !skip[n] {
			t.Errorf("method %s is not covered by this test: add it", n)
		}
	}
	echoed.Lock()
	if got != "Bearer "+value {
		t.Errorf("the webhook got Authorization %q: the secret was not used", got)
	}
	echoed.Unlock()
	if err := a.DeleteSecret(name); err != nil {
		t.Fatal(err)
	}
	if names, _ := a.Secrets(); slices.Contains(names, name) {
		t.Errorf("still listed: %v", names)
	}
	if err := a.DeleteSecret(name); err == nil || !strings.Contains(err.Error(), "no secret named") {
		t.Errorf("deleting twice: %v", err)
	}
	if err := a.SetSecret("bad name", "x"); err == nil {
		t.Error("a bad name was accepted")
	}
	a.close()
	<-done
	evMu.Lock()
	defer evMu.Unlock()
	for _, ev := range collected {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), value) {
			t.Errorf("event carries the secret value: %s", b)
		}
	}
}

// TestRedactorOutlivesRestarts: the window's redactor knows a secret set
// through it after the restart SetSecret causes, and a fresh workspace over
// the same data knows every kept secret before anything reads it.
func TestRedactorOutlivesRestarts(t *testing.T) {
	keyringtest.Require(t)
	name, value := randomSecret("lb-restart-")
	dir := t.TempDir()
	a := openTest(t, dir)
	if err := a.SetSecret(name, value); err != nil {
		t.Fatal(err)
	}
	if got := a.red.String("x " + value); got != "x [secret:"+name+"]" {
		t.Errorf("after SetSecret's restart the redactor shows %q", got)
	}
	// The army is reloaded (a restart) with an edit: still known.
	if _, err := a.AddAgent(AgentSpec{Name: "later", Code: ptr(leakCode), Triggers: []string{"manual"}}); err != nil {
		t.Fatal(err)
	}
	if got := a.red.String(value); got != "[secret:"+name+"]" {
		t.Errorf("after an edit's restart the redactor shows %q", got)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	b := openTest(t, dir)
	if got := b.red.String(value); got != "[secret:"+name+"]" {
		t.Errorf("a workspace opened again shows %q", got)
	}
	if err := b.DeleteSecret(name); err != nil {
		t.Error(err)
	}
}
