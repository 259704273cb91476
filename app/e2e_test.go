package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"littleboxes/app/workspace"
)

const posterCode = `export default {
  async run(input: unknown, env: any) {
    return await env.webhook.fetch("/hook", { method: "POST", body: JSON.stringify(input) });
  },
  async onMessage(msg: unknown, env: any) {},
};
`

// addPoster adds to a's army (the inbox example) an agent, poster, whose
// env.webhook posts to url, and a channel from summarizer to it; it returns
// the workspace after the last edit.
func addPoster(t *testing.T, a *API, url string) Workspace {
	t.Helper()
	if _, err := a.AddCapability(CapabilitySpec{Name: "webhook", Kind: "http", Props: map[string]any{
		"origins": []any{url}, "methods": []any{"POST"}, "allow_private_network": true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddAgent(AgentSpec{Name: "poster", Code: ptr(posterCode), Triggers: []string{"manual"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bind("poster", "webhook", "webhook"); err != nil {
		t.Fatal(err)
	}
	w, err := a.Connect("summarizer", "post", "poster")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestEndToEndApproval edits the inbox army into one that posts to a
// webhook on this machine, sees the post flagged, runs the agent, finds the
// held request, approves it, and checks the webhook got it exactly once.
func TestEndToEndApproval(t *testing.T) {
	var hits atomic.Int32
	var body atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b := make([]byte, 1024)
		n, _ := r.Body.Read(b)
		body.Store(string(b[:n]))
		w.Write([]byte("thanks"))
	}))
	defer hook.Close()

	a := openTest(t, "")
	events, stop := a.subscribe()
	defer stop()
	w := addPoster(t, a, hook.URL)
	if !w.Running || len(w.Problems) != 0 {
		t.Fatalf("running %v, problems %v", w.Running, w.Problems)
	}
	origin := "origin:" + hook.URL
	b := binding(agentView(w, "poster"), "webhook")
	if b == nil || b.Verdict != "approval" || b.Role != "exchange" || !slices.Contains(b.Audience, origin) {
		t.Fatalf("poster's env.webhook: %+v", b)
	}
	if l := agentView(w, "poster").Label; !slices.Equal(l, []string{"owner"}) {
		t.Errorf("poster's label %v", l)
	}

	rec, err := a.RunAgent("poster", `{"digest": "3 threads"}`)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != "ok" || rec.ID == "" || !strings.Contains(string(rec.Result), "pending_approval") {
		t.Fatalf("run record %+v (result %s)", rec, rec.Result)
	}
	if hits.Load() != 0 {
		t.Fatal("the webhook was called before approval")
	}
	runs, err := a.Runs("poster", 10)
	if err != nil || len(runs) != 1 || runs[0].ID != rec.ID {
		t.Errorf("runs %+v, %v", runs, err)
	}
	pending, err := a.Approvals(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Agent != "poster" || pending[0].Env != "webhook" || pending[0].Status != "pending" ||
		!slices.Contains(pending[0].Audience, origin) {
		t.Fatalf("pending approvals %+v", pending)
	}
	ef, err := a.Approve(pending[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if ef.Status != "approved" || ef.Error != "" {
		t.Fatalf("approved effect %+v", ef)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the webhook got %d requests, want 1", n)
	}
	if got, _ := body.Load().(string); got != `{"digest":"3 threads"}` {
		t.Errorf("the webhook got %q", got)
	}
	if _, err := a.Approve(pending[0].ID); err == nil || !strings.Contains(err.Error(), "already decided") {
		t.Errorf("approving twice: %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("after a second approve the webhook got %d requests", n)
	}
	if p, _ := a.Approvals(false); len(p) != 0 {
		t.Errorf("still pending: %+v", p)
	}
	all, _ := a.Approvals(true)
	if len(all) != 1 || all[0].Status != "approved" {
		t.Errorf("all approvals %+v", all)
	}
	var raw json.RawMessage = all[0].Args
	if !strings.Contains(string(raw), "/hook") {
		t.Errorf("args %s", raw)
	}
	// The events told the page about the approval.
	seen := map[string]bool{}
	timeout := time.After(5 * time.Second)
	for !seen["approval.new"] || !seen["approval.decided"] {
		select {
		case ev := <-events:
			seen[ev.Type] = true
		case <-timeout:
			t.Fatalf("events seen: %v", seen)
		}
	}
}

func TestRunAgentErrors(t *testing.T) {
	a := openTest(t, "")
	if _, err := a.RunAgent("ghost", ""); err == nil || !strings.Contains(err.Error(), `no agent named "ghost"`) {
		t.Errorf("missing agent: %v", err)
	}
	if _, err := a.RunAgent("triage", ""); err == nil || !strings.Contains(err.Error(), "is a template: run one of its instances") {
		t.Errorf("template: %v", err)
	}
	if _, err := a.RunAgent("summarizer", "{"); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("bad input: %v", err)
	}
	if _, err := a.SetAgentCode("summarizer", "export default { run() { throw new Error('boom') } }"); err != nil {
		t.Fatal(err)
	}
	rec, err := a.RunAgent("summarizer", "")
	if err != nil || rec.Status != "error" || !strings.Contains(rec.Error, "boom") {
		t.Errorf("throwing agent: %+v, %v", rec, err)
	}
	// The summarizer also handles the triage agents' notes meanwhile (and
	// fails them: the new code has no onMessage), so it may be running
	// for a moment: wait for it to settle.
	state := ""
	for deadline := time.Now().Add(5 * time.Second); state != workspace.StateFailed && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w, _ := a.Workspace()
		state = agentView(w, "summarizer").State
	}
	if state != workspace.StateFailed {
		t.Errorf("state %q, want %q", state, workspace.StateFailed)
	}
	// The items' runs start with the engine; wait for five of them.
	var runs []RunRecord
	for deadline := time.Now().Add(10 * time.Second); len(runs) < 5 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		runs, err = a.Runs("triage", 5)
	}
	if err != nil || len(runs) != 5 || !strings.HasPrefix(runs[0].Agent, "triage[") {
		t.Errorf("triage runs: %d %v", len(runs), err)
	}
	if _, err := a.AddAgent(AgentSpec{Name: "draft"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RunAgent("summarizer", ""); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("run while not running: %v", err)
	}
	if _, err := a.Approve("1"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("approve while not running: %v", err)
	}
}
