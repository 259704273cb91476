package keyring_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/vault"
	"littleboxes/vault/keyring"
	"littleboxes/vault/keyring/keyringtest"
	"littleboxes/vault/vaulttest"
)

// helperEnv makes the test binary act as a keyring client (see helper)
// instead of running tests: the D-Bus library keeps one session bus
// connection per process, so each bus setup needs a process of its own.
const helperEnv = "LITTLEBOXES_KEYRING_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		helper()
		os.Exit(0)
	}
	// The D-Bus library's shared session bus connection lives as long as
	// the process, with its reader goroutine.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"),
	)
}

// memNames is a Names index in memory.
type memNames struct {
	mu sync.Mutex
	m  map[string]bool
}

func (n *memNames) Add(ctx context.Context, name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]bool{}
	}
	n.m[name] = true
	return nil
}

func (n *memNames) Remove(ctx context.Context, name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, name)
	return nil
}

func (n *memNames) List(ctx context.Context) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Sorted(maps.Keys(n.m)), nil
}

func uniqueName(t *testing.T, what string) string {
	var tag [6]byte
	if _, err := rand.Read(tag[:]); err != nil {
		t.Fatal(err)
	}
	return "keyringtest-" + hex.EncodeToString(tag[:]) + "-" + what
}

func TestConformance(t *testing.T) {
	keyringtest.Require(t)
	vaulttest.Run(t, func(t *testing.T) vault.Secrets { return keyring.New(&memNames{}) })
}

func TestCheck(t *testing.T) {
	keyringtest.Require(t)
	if err := keyring.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestValuesRoundTrip(t *testing.T) {
	keyringtest.Require(t)
	ctx := context.Background()
	k := keyring.New(&memNames{})
	cases := []struct {
		name, value string
	}{
		{"unicode", "pässwörd · 密码 · пароль · 🔑"},
		{"newlines", "first line\nsecond line\r\nthird\n"},
		{"trailing newline", "token\n"},
		{"leading and trailing spaces", "  padded  "},
		{"everything", "ü\n\t\"'\\$`!*?[]{}()<>|&;#~%\x01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := uniqueName(t, strings.ReplaceAll(c.name, " ", "-"))
			t.Cleanup(func() { _ = k.Delete(context.Background(), name) })
			if err := k.Set(ctx, name, c.value); err != nil {
				t.Fatal(err)
			}
			got, err := k.Get(ctx, name)
			if err != nil || got != c.value {
				t.Errorf("Get = %q, %v; want %q", got, err, c.value)
			}
		})
	}
}

func TestIndexFollowsKeyring(t *testing.T) {
	keyringtest.Require(t)
	ctx := context.Background()
	names := &memNames{}
	k := keyring.New(names)
	name := uniqueName(t, "indexed")
	t.Cleanup(func() { _ = k.Delete(context.Background(), name) })
	if err := k.Set(ctx, name, "value-1"); err != nil {
		t.Fatal(err)
	}
	// Another Keyring with an empty index still reads the item...
	other := keyring.New(&memNames{})
	if got, err := other.Get(ctx, name); err != nil || got != "value-1" {
		t.Errorf("Get through another index = %q, %v", got, err)
	}
	// ...and deletes it, leaving a stale name in the first index.
	if err := other.Delete(ctx, name); err != nil {
		t.Fatalf("Delete through another index = %v", err)
	}
	if l, _ := k.List(ctx); !slices.Equal(l, []string{name}) {
		t.Fatalf("List = %q", l)
	}
	if _, err := k.Get(ctx, name); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get of the deleted item = %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, name); err != nil {
		t.Errorf("Delete of a stale name = %v, want nil", err)
	}
	if l, _ := k.List(ctx); len(l) != 0 {
		t.Errorf("List after clearing the stale name = %q", l)
	}
	if err := k.Delete(ctx, name); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

// helper runs in a subprocess: one attempt of each operation, reported as
// "op<TAB>unavailable<TAB>error" lines.
func helper() {
	ctx := context.Background()
	names := &memNames{}
	k := keyring.New(names)
	report := func(op string, err error) {
		fmt.Printf("%s\t%v\t%s\n", op, errors.Is(err, vault.ErrUnavailable), strings.ReplaceAll(fmt.Sprint(err), "\n", " "))
	}
	_, err := k.Get(ctx, "helper-secret")
	report("get", err)
	report("set", k.Set(ctx, "helper-secret", "helper-value"))
	report("delete", k.Delete(ctx, "helper-secret"))
	report("check", keyring.Check(ctx))
	l, err := names.List(ctx)
	fmt.Printf("names\t%v\t%q\n", err != nil, l)
}

// runHelper runs helper with env (on top of this process's environment,
// less DBUS_SESSION_BUS_ADDRESS) and returns its report by op.
func runHelper(t *testing.T, env ...string) map[string][2]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"=1")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	report := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.SplitN(line, "\t", 3); len(f) == 3 {
			report[f[0]] = [2]string{f[1], f[2]}
		}
	}
	return report
}

func TestUnavailable(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T) []string // the helper's environment
		want  []string                    // in every error
	}{
		{
			name: "bus socket missing",
			setup: func(t *testing.T) []string {
				return []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")}
			},
			want: []string{"secret store unavailable", "cannot reach the D-Bus session bus", "no such file or directory",
				"dbus-run-session", "gnome-keyring-daemon --unlock"},
		},
		{
			name: "no bus address, no autolaunch",
			setup: func(t *testing.T) []string {
				for _, f := range []string{"bus", "dbus-session"} {
					if _, err := os.Stat(filepath.Join("/run/user", u.Uid, f)); err == nil {
						t.Skipf("this machine has a session bus at /run/user/%s/%s", u.Uid, f)
					}
				}
				// A dbus-launch that leaves a mark if it is ever run.
				bin := t.TempDir()
				mark := filepath.Join(bin, "launched")
				script := "#!/bin/sh\ntouch " + mark + "\nexit 1\n"
				if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if _, err := os.Stat(mark); err == nil {
						t.Error("dbus-launch was run: the keyring must not autolaunch a bus")
					}
				})
				return []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
			},
			want: []string{"secret store unavailable", "cannot reach the D-Bus session bus", "couldn't determine address",
				"dbus-run-session"},
		},
		{
			name: "no secret service on the bus",
			setup: func(t *testing.T) []string {
				return []string{"DBUS_SESSION_BUS_ADDRESS=" + keyringtest.StartBus(t)}
			},
			want: []string{"secret store unavailable", "no Secret Service is running", "org.freedesktop.secrets",
				"gnome-keyring", "KeePassXC", "dbus-run-session"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report := runHelper(t, c.setup(t)...)
			for _, op := range []string{"get", "set", "delete", "check"} {
				r, ok := report[op]
				if !ok {
					t.Fatalf("no %s in the helper's report %q", op, report)
				}
				if r[0] != "true" {
					t.Errorf("%s error does not wrap vault.ErrUnavailable: %s", op, r[1])
				}
				for _, w := range c.want {
					if !strings.Contains(r[1], w) {
						t.Errorf("%s error does not say %q: %s", op, w, r[1])
					}
				}
			}
			if got := report["names"]; got != [2]string{"false", "[]"} {
				t.Errorf("names index after a failed Set = %q, want it empty", got)
			}
		})
	}
}
