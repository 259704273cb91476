// Package keyringtest decides whether a test that needs the real OS keyring
// runs, skips or fails, the same way in every package.
//
// build/with-keyring.sh starts a private D-Bus session with an unlocked
// gnome-keyring and sets LITTLEBOXES_REQUIRE_KEYRING=1: then a keyring that
// cannot be reached fails the test. Without the variable the test is skipped
// with the reason.
//
// StartBus gives a test a private D-Bus session bus of its own, with no
// services on it, under the same rule.
package keyringtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/vault/keyring"
)

// RequireEnv is the environment variable that turns a missing keyring from
// a skip into a failure.
const RequireEnv = "LITTLEBOXES_REQUIRE_KEYRING"

// Required reports whether RequireEnv is set to 1.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Require returns if the OS keyring can be reached; otherwise it fails t
// when RequireEnv is 1 and skips it when not.
func Require(t testing.TB) {
	t.Helper()
	err := keyring.Check(context.Background())
	if err == nil {
		return
	}
	if Required() {
		t.Fatalf("the OS keyring is required (%s=1) but unreachable: %v", RequireEnv, err)
	}
	t.Skipf("the OS keyring is unreachable; run under build/with-keyring.sh to test against it: %v", err)
}

// StartBus starts a private D-Bus session bus in a temp dir, with no
// services to activate (so no Secret Service until a test starts one), and
// returns its address; it stops when the test ends. Without dbus-daemon the
// test is skipped, or fails when RequireEnv is 1.
func StartBus(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if Required() {
			t.Fatalf("dbus-daemon missing (run build/deps.sh): %v", err)
		}
		t.Skipf("dbus-daemon missing (apt-get install dbus): %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatalf("write the bus config: %v", err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("dbus-daemon's stdout: %v", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// dbus-daemon prints its address once it listens; if it exits instead,
	// the pipe closes and the read fails.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the bus address: %v", err)
	}
	addr := strings.TrimSpace(line)
	if addr == "" {
		t.Fatal("dbus-daemon printed no address")
	}
	return addr
}
