package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"littleboxes/app/capstore"
	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities/mail"
	"littleboxes/examples"
)

// TestNewItemsWhileRunning checks that a mail thread arriving while the
// army runs gets its own triage agent, which runs once (item trigger) and
// again when someone's answer (not the owner's reply) joins the thread
// (capabilities.Versioner, polled), and
// whose note reaches the summarizer; and that the analysis used by the
// guards covers the new agent.
func TestNewItemsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	path, err := examples.Materialize("inbox", dir)
	if err != nil {
		t.Fatal(err)
	}
	e, st := startEngine(t, load(t, path), dir, func(o *Options) { o.ItemPoll = 20 * time.Millisecond })
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
	// The owner's reply, filed in the Maildir as a sent copy is, leaves the
	// thread's version as it was: its agent does not run again (an agent
	// that replies would otherwise reply forever).
	reply := "From: me@example.com\r\nTo: dana@example.net\r\nSubject: Re: A new question\r\nMessage-ID: <new-thread-2@example.com>\r\nIn-Reply-To: <new-thread@example.net>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nWhich time?\r\n"
	if _, err := mail.WriteMessage(filepath.Join(dir, "maildir"), []byte(reply), true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // ten polls
	if runs, _ := e.Runs(name, 5); len(runs) != 1 {
		t.Fatalf("%s ran %d times after the owner's reply, want once", name, len(runs))
	}
	// Dana's answer changes the thread's version: its agent runs again,
	// once, by the item trigger, found at the next poll.
	answer := "From: dana@example.net\r\nTo: me@example.com\r\nSubject: Re: A new question\r\nMessage-ID: <new-thread-3@example.net>\r\nIn-Reply-To: <new-thread-2@example.com>\r\nDate: Sun, 22 Nov 2026 11:00:00 +0000\r\n\r\nAt ten.\r\n"
	if _, err := mail.WriteMessage(filepath.Join(dir, "maildir"), []byte(answer), false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the thread's agent to run again", func() bool {
		runs, _ := e.Runs(name, 5)
		return len(runs) == 2 && runs[0].Trigger == "item"
	})
	time.Sleep(100 * time.Millisecond) // a few more polls: no further run
	if runs, _ := e.Runs(name, 5); len(runs) != 2 {
		t.Errorf("%s ran %d times, want 2: once new, once changed", name, len(runs))
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
