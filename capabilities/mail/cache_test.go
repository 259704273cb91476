package mail_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"littleboxes/capabilities/mail"
)

func writeMessage(t *testing.T, dir string, i int) {
	t.Helper()
	msg := fmt.Sprintf("From: a@example.com\r\nTo: me@example.com\r\nSubject: number %d\r\nMessage-ID: <m%d@example.com>\r\nDate: Mon, 2 Jan 2006 15:04:%02d +0000\r\n\r\nhello\r\n", i, i, i%60)
	if err := os.WriteFile(filepath.Join(dir, "new", fmt.Sprintf("17000000%02d.M%dP1.test", i, i)), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// age sets cur/ and new/ back an hour, as if nothing had changed lately.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"cur", "new"} {
		if err := os.Chtimes(filepath.Join(dir, sub), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMaildirShared checks that every reader of one folder is the same and
// that its cached threads are served while the folder is unchanged and read
// again as soon as a message arrives.
func TestMaildirShared(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeMessage(t, dir, 1)
	a, b := mail.OpenMaildir(dir), mail.OpenMaildir(dir+"/.")
	if a != b {
		t.Fatal("two readers of one folder: want one, shared")
	}
	count := func() int {
		t.Helper()
		ts, err := b.Threads()
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d threads, want 1", n)
	}
	// Written just now: a change within the racy window is always seen.
	writeMessage(t, dir, 2)
	if n := count(); n != 2 {
		t.Fatalf("after a second message just now: %d threads, want 2", n)
	}
	age(t, dir)
	first, _ := a.Threads()
	again, _ := a.Threads()
	if &first[0] != &again[0] {
		t.Error("an unchanged folder was read again: want the cached threads")
	}
	writeMessage(t, dir, 3)
	if n := count(); n != 3 {
		t.Fatalf("after a third message: %d threads, want 3", n)
	}
	if _, err := a.Thread(mail.ThreadID("m3@example.com")); err != nil {
		t.Errorf("thread of the third message: %v", err)
	}
	// A removed message disappears.
	if err := os.Remove(filepath.Join(dir, "new", "1700000001.M1P1.test")); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after removing one: %d threads, want 2", n)
	}
}
