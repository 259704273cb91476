// Package keyringtest decides whether a test that needs the real OS keyring
// runs, skips or fails, the same way in every package.
//
// build/with-keyring.sh starts a private D-Bus session with an unlocked
// gnome-keyring and sets LITTLEBOXES_REQUIRE_KEYRING=1: then a keyring that
// cannot be reached fails the test. Without the variable the test is skipped
// with the reason.
package keyringtest

import (
	"context"
	"os"
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
