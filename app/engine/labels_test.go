package engine

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The attack of issue 10 item 2: army A's agent stores private text (a
// source only the owner may read) in kv notes; army B, another army file on
// the same data directory, has a poster that reads notes and posts it to a
// public webhook. B contains no writer of notes, so without a persisted
// label its analysis finds the poster public and lets the post through.
const armyA = `
name: a
capabilities:
  src: {kind: enginetest.src}
  notes: {kind: kv, props: {namespace: notes}}
agents:
  writer:
    triggers: [manual]
    bindings: {src: src, notes: notes}
    code: |
      export default { async run(i, env) { await env.notes.put("t", await env.src.read()); return "stored" } }
`

func armyB(name, origin string) string {
	return `
name: ` + name + `
capabilities:
  notes: {kind: kv, props: {namespace: notes}}
  webhook: {kind: http, props: {origins: ["` + origin + `"], methods: [POST], label: public, allow_private_network: true}}
agents:
  poster:
    triggers: [manual]
    bindings: {notes: notes, webhook: webhook}
    code: |
      export default { async run(i, env) {
        const t = await env.notes.get("t");
        return await env.webhook.fetch("` + origin + `/hook", { method: "POST", body: String(t) });
      } }
`
}

func TestLabelsAcrossArmies(t *testing.T) {
	var posted atomic.Int64
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posted.Add(1)
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		body.Store(b.String())
	}))
	defer srv.Close()
	tests := []struct {
		name   string
		reader string // the army that reads notes after A wrote it
	}{
		{"another army", armyB("b", srv.URL)},
		// Army A edited: the writer removed, a public poster added.
		{"the same army, edited", armyB("a", srv.URL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posted.Store(0)
			dir := t.TempDir()
			st := openBolt(t, dir)
			ea := newEngine(t, parse(t, armyA), st, nil)
			if res, err := ea.Run(context.Background(), "writer", nil); err != nil || res.Value != "stored" {
				t.Fatalf("writer: %v, %v", res, err)
			}
			if err := ea.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			st.Close()

			st = openBolt(t, dir) // a later process
			eb := newEngine(t, parse(t, tt.reader), st, nil)
			defer eb.Close(context.Background())
			if s, _ := eb.Analysis().Sink("poster", "webhook"); s.Verdict != "approval" {
				t.Errorf("the poster's webhook is judged %s: %s", s.Verdict, s.Why)
			}
			res, err := eb.Run(context.Background(), "poster", nil)
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := res.Value.(map[string]any); !ok || m["status"] != "pending_approval" {
				t.Errorf("the post was not held: %#v", res.Value)
			}
			if n := posted.Load(); n != 0 {
				t.Fatalf("the webhook received %d posts (%v) with no approval", n, body.Load())
			}
		})
	}
}
