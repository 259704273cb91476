package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"littleboxes/capabilities/mail"
	"littleboxes/capabilities/mail/dovecottest"
	"littleboxes/examples"
	"littleboxes/vault"
)

// imapArmy is a template over an IMAP mailbox: each thread's agent reads its
// thread. %d is the server's port.
const imapArmy = `
name: imap-push
capabilities:
  mailbox:
    kind: mail
    props: {imap_host: 127.0.0.1, imap_port: %d, imap_security: plain, imap_user: alice, owner: me@example.com}
    secrets: {password: imap-password}
agents:
  reader:
    template: {each: mailbox, as: thread}
    triggers: [item]
    code: ./reader.ts
`

const readerTS = `export default {
  async run(input, env) {
    const t = await env.thread.read();
    return t.messages.length;
  },
}
`

// TestIMAPPush runs a template over a real Dovecot mailbox with ItemPoll
// far longer than the test: a thread APPENDed while the army runs gets its
// agent within seconds (IDLE, capabilities.Notifier), and a new message in
// a known thread runs that thread's agent again (capabilities.Versioner),
// by the item trigger.
func TestIMAPPush(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.Materialize("inbox", dir); err != nil {
		t.Fatal(err)
	}
	const pw = "imap-push-pw"
	d := dovecottest.Start(t, pw, filepath.Join(dir, "maildir"))
	if err := os.WriteFile(filepath.Join(dir, "reader.ts"), []byte(readerTS), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "imap.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(imapArmy, d.Port())), 0o600); err != nil {
		t.Fatal(err)
	}
	e, _ := startEngine(t, load(t, path), dir, func(o *Options) {
		o.ItemPoll = time.Hour // what arrives within seconds came by push
		o.Secrets = vault.NewMemory(map[string]string{"imap-password": pw})
	})
	var first string
	for _, n := range e.Agents() {
		if strings.HasPrefix(n, "reader[") {
			first = n
			break
		}
	}
	if first == "" {
		t.Fatalf("agents %v: no reader instance over the sample's threads", e.Agents())
	}
	waitFor(t, 20*time.Second, "the sample's threads run", func() bool {
		runs, _ := e.Runs(first, 5)
		return len(runs) == 1
	})

	c := d.Client(pw)
	appended := time.Now()
	dovecottest.Append(t, c, "INBOX", "From: dana@example.net\nTo: me@example.com\nSubject: A new question\n"+
		"Message-ID: <push-new@example.net>\nDate: Sun, 22 Nov 2026 09:00:00 +0000\n\nAre you free on Friday?\n")
	name := "reader[" + mail.ThreadID("push-new@example.net") + "]"
	waitFor(t, 10*time.Second, "the new thread's agent to run", func() bool {
		runs, _ := e.Runs(name, 5)
		return len(runs) == 1 && runs[0].Trigger == "item"
	})
	t.Logf("APPEND of a new thread to its agent's run: %v", time.Since(appended))

	appended = time.Now()
	dovecottest.Append(t, c, "INBOX", "From: dana@example.net\nTo: me@example.com\nSubject: Re: A new question\n"+
		"Message-ID: <push-new-2@example.net>\nIn-Reply-To: <push-new@example.net>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n\nOr Saturday?\n")
	waitFor(t, 10*time.Second, "the thread's agent to run again", func() bool {
		runs, _ := e.Runs(name, 5)
		return len(runs) == 2 && runs[0].Trigger == "item"
	})
	t.Logf("APPEND of a reply to the thread's agent's second run: %v", time.Since(appended))
	runs, _ := e.Runs(first, 5)
	if len(runs) != 1 {
		t.Errorf("%s ran %d times, want once: only the changed thread runs again", first, len(runs))
	}
}
