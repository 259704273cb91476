package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities/mail"
	"littleboxes/examples"
)

// TestNewItemsWhileRunning checks that a mail thread arriving while the
// army runs gets its own triage agent, which runs once (item trigger) and
// whose note reaches the summarizer; and that the analysis used by the
// guards covers the new agent.
func TestNewItemsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	path, err := examples.Materialize("inbox", dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := army.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st := openBolt(t, dir)
	defer st.Close()
	e := newEngine(t, a, st, func(o *Options) { o.ItemPoll = 20 * time.Millisecond })
	defer e.Close(context.Background())
	before := len(e.Agents())
	waitFor(t, 20*time.Second, "the sample's notes", func() bool { return countKeys(t, st, "inbox-notes", "thread/") == before-1 })

	msg := "From: dana@example.net\r\nTo: me@example.com\r\nSubject: A new question\r\nMessage-ID: <new-thread@example.net>\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n\r\nAre you free on Friday?\r\n"
	if err := os.WriteFile(filepath.Join(dir, "maildir", "new", "1795338000.M1P1.test"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	id := mail.ThreadID("new-thread@example.net")
	name := "triage[" + id + "]"
	waitFor(t, 20*time.Second, "the new thread's agent to run", func() bool {
		runs, _ := e.Runs(name, 5)
		return len(runs) == 1 && runs[0].Trigger == "item"
	})
	if !slices.Contains(e.Agents(), name) {
		t.Fatalf("agents %v lack %s", e.Agents(), name)
	}
	waitFor(t, 20*time.Second, "its note at the summarizer", func() bool {
		return countKeys(t, st, "inbox-notes", "thread/"+id) == 1
	})
	an := e.Analysis()
	l, _ := an.Label(name)
	label := strings.Join(l.Strings(), ",")
	if !strings.Contains(label, "dana@example.net") {
		t.Errorf("label of %s = %s, want it to include dana@example.net", name, label)
	}
	if sink, ok := an.Sink(name, "thread"); !ok || sink.Verdict != flow.Safe {
		t.Errorf("sink %s env.thread = %+v, %v: want a safe reply to its own thread", name, sink, ok)
	}
}

// countKeys counts the keys under prefix in kv namespace ns.
func countKeys(t testing.TB, st store.Store, ns, prefix string) int {
	t.Helper()
	keys, err := capstore.New(st).List(context.Background(), "kv:"+ns, prefix, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}
