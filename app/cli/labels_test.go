package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities/mail"
)

// twoArmies writes army a (a writer that stores a mail thread in kv notes)
// and army b (a poster that reads notes and posts it to a webhook at
// origin) into a new directory, with a Maildir holding one thread between
// alice and the owner.
func twoArmies(t *testing.T, origin string) (dir, a, b string) {
	t.Helper()
	dir = t.TempDir()
	md := filepath.Join(dir, "maildir")
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	msg := "From: alice@example.com\r\nTo: me@example.com\r\nSubject: Salary review\r\nMessage-ID: <t1@example.com>\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n\r\nMy salary is 93k, keep it between us.\r\n"
	if err := os.WriteFile(filepath.Join(md, "new", "1795338000.M1P1.test"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	a = filepath.Join(dir, "a.yaml")
	b = filepath.Join(dir, "b.yaml")
	// The armies are templates in testdata, filled in with the thread's id
	// and the webhook's origin.
	for f, fill := range map[string][2]string{
		a: {"THREAD_ID", mail.ThreadID("t1@example.com")},
		b: {"WEBHOOK_ORIGIN", origin},
	} {
		src, err := os.ReadFile(filepath.Join("testdata", "labels-"+filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(src), fill[0], fill[1])), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, a, b
}

// TestLabelsAcrossArmiesCLI drives two armies on one data directory through
// the binary's commands: check, run --once, approvals, kv list and kv clear.
func TestLabelsAcrossArmiesCLI(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	defer srv.Close()
	dir, a, b := twoArmies(t, srv.URL)
	data := filepath.Join(dir, "data")
	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr []string
		not    []string // must not appear in stdout
	}{
		{"b is safe while nothing was written", []string{"check", b, "--data", data}, ExitOK, []string{"✓ safe     poster.webhook"}, nil, nil},
		{"a stores the thread", []string{"run", a, "--once", "writer", "--data", data, "--in-process"}, ExitOK, []string{`"stored"`}, nil, nil},
		{"the namespace keeps the thread's label", []string{"kv", "list", "--data", data}, ExitOK, []string{"kv:notes\t1 keys\treaders owner, person:alice@example.com", "\twritten by person:alice@example.com\n"}, nil, nil},
		{"check flags b's webhook", []string{"check", b, "--data", data}, ExitOK,
			[]string{"⚠ approval poster.webhook", "shared store kv:notes, which holds data written before", "kept from earlier writes: owner, person:alice@example.com"}, nil, nil},
		{"b's post is held", []string{"run", b, "--once", "poster", "--data", data, "--in-process"}, ExitOK, []string{"pending_approval"}, nil, nil},
		{"approvals say which army", []string{"approvals", "list", "--data", data}, ExitOK, []string{"b\t1\tpending\tposter\tenv.webhook.fetch("}, nil, nil},
		{"a cannot approve b's effect", []string{"approvals", "approve", "1", "--army", "a", "--data", data, "--in-process"}, ExitFailed, nil, []string{"no such approval"}, nil},
		{"two armies: approve needs --army", []string{"approvals", "deny", "1", "--data", data, "--in-process"}, ExitUsage, nil, []string{"several armies keep approvals here (a, b): pass --army NAME"}, nil},
		{"clear refuses without --yes", []string{"kv", "clear", "notes", "--data", data}, ExitUsage, nil, []string{"deletes all 1 keys of kv:notes", "nothing was deleted"}, nil},
		{"the label held", []string{"check", b, "--data", data}, ExitOK, []string{"⚠ approval poster.webhook"}, nil, nil},
		{"clear with --yes", []string{"kv", "clear", "kv:notes", "--yes", "--data", data}, ExitOK, []string{"cleared kv:notes: 1 keys deleted, label reset"}, nil, nil},
		{"cleared: b is safe again", []string{"check", b, "--data", data}, ExitOK, []string{"✓ safe     poster.webhook"}, nil, []string{"kept from earlier writes"}},
		{"b denies its own effect", []string{"approvals", "deny", "1", "--army", b, "--data", data, "--in-process"}, ExitOK, []string{`"status": "denied"`}, nil, nil},
	}
	for _, s := range steps {
		code, stdout, stderr := runMain(t, "", s.args...)
		if code != s.code {
			t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", s.name, code, s.code, stdout, stderr)
		}
		for _, w := range s.stdout {
			if !strings.Contains(stdout, w) {
				t.Fatalf("%s: stdout lacks %q:\n%s\nstderr: %s", s.name, w, stdout, stderr)
			}
		}
		for _, w := range s.stderr {
			if !strings.Contains(stderr, w) {
				t.Fatalf("%s: stderr lacks %q:\n%s", s.name, w, stderr)
			}
		}
		for _, w := range s.not {
			if strings.Contains(stdout, w) {
				t.Fatalf("%s: stdout has %q:\n%s", s.name, w, stdout)
			}
		}
		if n := posts.Load(); n != 0 {
			t.Fatalf("after %s: the webhook received %d posts", s.name, n)
		}
	}
}

// TestCheckLockedDataDir: with the data directory held by another process,
// check says so and counts every kv namespace as the owner's.
func TestCheckLockedDataDir(t *testing.T) {
	dir, _, b := twoArmies(t, "https://hooks.example.com")
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	storetest.OpenFile(t, filepath.Join(data, store.FileName)) // held, so check cannot open it
	code, stdout, stderr := runMain(t, "", "check", b, "--data", data)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "another littleboxes process (run, or the window) holds it; every kv namespace counts as the owner's alone") {
		t.Errorf("stderr does not say the data directory is held:\n%s", stderr)
	}
	if !strings.Contains(stdout, "⚠ approval poster.webhook") {
		t.Errorf("the webhook is not flagged when the labels cannot be read:\n%s", stdout)
	}
}

// TestApprovalsArmy: approvals' --army is a file when it names a regular
// file (loaded: its army's name and absolute path), else an army's name; a
// file that is not an army is an error.
func TestApprovalsArmy(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("name: fromfile\nagents:\n  a:\n    code: |\n      export default { async run() { return 1 } }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("agents: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name, a, file, err := approvalsArmy(good)
	if err != nil || name != "fromfile" || a == nil || a.Name != "fromfile" || file != good {
		t.Errorf("a file: %q %v %q %v", name, a, file, err)
	}
	for _, arg := range []string{"", "somearmy", dir} {
		if name, a, file, err := approvalsArmy(arg); err != nil || name != arg || a != nil || file != "" {
			t.Errorf("%q: %q %v %q %v, want the name as given", arg, name, a, file, err)
		}
	}
	if _, _, _, err := approvalsArmy(bad); err == nil {
		t.Error("a file that is no army: no error")
	}
}
