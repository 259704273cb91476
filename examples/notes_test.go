package examples

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/engine"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
)

// TestNotesRuns runs the notes army: the triage agents' notes reach the
// summarizer, whose digest reaches the notes agent over its channel, which
// writes the digest and the index into the army's notes folder.
func TestNotesRuns(t *testing.T) {
	dir := t.TempDir()
	path, err := Materialize("notes", dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := army.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenFile(t, filepath.Join(dir, store.FileName))
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{Army: a, Store: st, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	triage := 0
	for _, n := range e.Agents() {
		if strings.HasPrefix(n, "triage[") {
			triage++
		}
	}
	if triage == 0 {
		t.Fatalf("agents %v: no triage instance", e.Agents())
	}
	waitUntil(t, "every thread's note at the summarizer", func() bool {
		keys, err := capstore.New(st).List(ctx, "kv:notes-inbox", "thread/", "", 0)
		return err == nil && len(keys) == triage
	})
	if _, err := e.Run(ctx, "summarizer", nil); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes")
	var index, digest []byte
	waitUntil(t, "the notes agent's files", func() bool {
		index, _ = os.ReadFile(filepath.Join(notes, "index.md"))
		return len(index) > 0
	})
	date := time.Now().UTC().Format("2006-01-02")
	if !strings.Contains(string(index), "- ["+date+"](digests/"+date+".md)") {
		t.Errorf("index.md does not list today's digest:\n%s", index)
	}
	if digest, err = os.ReadFile(filepath.Join(notes, "digests", date+".md")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(digest), "# Inbox digest: ") || !strings.Contains(string(digest), "Garden tools") {
		t.Errorf("digest note:\n%s", digest)
	}
	an := e.Analysis()
	if sink, ok := an.Sink("notes", "folder"); !ok || sink.Verdict != "safe" {
		t.Errorf("notes' env.folder sink = %+v, %v: want safe (the owner's folder)", sink, ok)
	}
}

// waitUntil waits up to 30 s for cond.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
