package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities/mail"
	"littleboxes/capabilities/mail/dovecottest"
	"littleboxes/examples"
	"littleboxes/vault/keyring/keyringtest"
)

// TestCheckIMAP checks an army whose template spawns over a real Dovecot
// mailbox, its password set in the OS keyring by the secret command: check
// logs in as run does and lists one agent per thread. With no keyring, a
// refused password, or the server down, check fails naming what failed.
func TestCheckIMAP(t *testing.T) {
	keyringtest.Require(t)
	dir := t.TempDir()
	if _, err := examples.Materialize("inbox", dir); err != nil {
		t.Fatal(err)
	}
	const pw = "check-imap-pw"
	d := dovecottest.Start(t, pw, filepath.Join(dir, "maildir"))
	data := t.TempDir()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "check-imap-" + hex.EncodeToString(b)
	if code, _, stderr := runSecret(t, pw+"\n", "set", "--data", data, name); code != ExitOK {
		t.Fatalf("secret set: %d %s", code, stderr)
	}
	t.Cleanup(func() { runSecret(t, "", "delete", "--data", data, name) })
	armyFile := filepath.Join(dir, "imap.yaml")
	yaml := fmt.Sprintf(`name: check-imap
capabilities:
  mailbox:
    kind: mail
    props: {imap_host: 127.0.0.1, imap_port: %d, imap_security: plain, imap_user: alice, owner: me@example.com}
    secrets: {password: %s}
agents:
  reader:
    template: {each: mailbox, as: thread}
    triggers: [item]
    code: ./agents/triage.ts
`, d.Port(), name)
	if err := os.WriteFile(armyFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"check", "--data", data, armyFile}, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
		t.Fatalf("check: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	ts, err := mail.OpenMaildir(filepath.Join(dir, "maildir")).Threads()
	if err != nil || len(ts) == 0 {
		t.Fatalf("sample threads: %v, %v", ts, err)
	}
	// The sample's threads as the IMAP server groups them: all but at most
	// one (a Maildir file whose thread the server's copy groups otherwise).
	found := 0
	for _, th := range ts {
		if strings.Contains(stdout.String(), "label reader["+th.ID+"]") {
			found++
		}
	}
	if found < len(ts)-1 {
		t.Errorf("check lists %d of the sample's %d threads:\n%s", found, len(ts), stdout.String())
	}

	// With no keyring to reach (a subprocess on a bus that does not exist),
	// check fails saying so.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{"check", "--data", data, armyFile}, "\x1f"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-such-bus"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "the OS keyring cannot be reached") {
		t.Errorf("check without a keyring: %v\n%s", err, out)
	}
	t.Logf("no keyring: %s", out)

	// A password the server refuses (restarted, so it reads its users file
	// again): check fails naming the account, without the password.
	d.SetPassword("another-password")
	d.Stop()
	d.Start()
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"check", "--data", data, armyFile}, strings.NewReader(""), &stdout, &stderr); code == ExitOK {
		t.Fatalf("check with a refused password passed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "alice@127.0.0.1") || strings.Contains(stderr.String(), pw) {
		t.Errorf("check with a refused password: stderr %q should name the account and not hold the password", stderr.String())
	}
	t.Logf("refused: %s", stderr.String())

	d.Stop()
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"check", "--data", data, armyFile}, strings.NewReader(""), &stdout, &stderr); code == ExitOK {
		t.Fatalf("check with the server down passed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), `capability "mailbox"`) || strings.Contains(stderr.String(), pw) {
		t.Errorf("check with the server down: stderr %q should name the capability and not hold the password", stderr.String())
	}
	t.Logf("server down: %s", stderr.String())
}
