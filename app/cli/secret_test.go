package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"littleboxes/app/store"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
	"littleboxes/vault/keyring/keyringtest"
)

// runSecret runs "littleboxes secret ARGS" with stdin and returns the exit
// code, stdout and stderr.
func runSecret(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"secret"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestSecretUsage(t *testing.T) {
	data := t.TempDir()
	cases := []struct {
		name     string
		args     []string
		code     int
		stderr   string // in stderr
		notInErr string // never in stderr nor stdout
	}{
		{"no subcommand", nil, ExitUsage, "usage: littleboxes secret", ""},
		{"unknown subcommand", []string{"get", "x"}, ExitUsage, `unknown subcommand "get"`, ""},
		{"set without name", []string{"set", "--data", data}, ExitUsage, "missing NAME", ""},
		{"value as argument", []string{"set", "--data", data, "tok", "hunter2-value"}, ExitUsage, "read from stdin", "hunter2-value"},
		{"value after flags", []string{"set", "tok", "--data", data, "hunter2-value"}, ExitUsage, "read from stdin", "hunter2-value"},
		{"value after --", []string{"set", "--data", data, "tok", "--", "hunter2-value"}, ExitUsage, "read from stdin", "hunter2-value"},
		{"NAME=VALUE", []string{"set", "--data", data, "tok=hunter2-value"}, ExitUsage, "read from stdin", "hunter2-value"},
		{"value like a flag", []string{"set", "--data", data, "tok", "-hunter2-value"}, ExitUsage, "read from stdin", "hunter2-value"},
		{"invalid name", []string{"set", "--data", data, "bad/name"}, ExitUsage, "invalid secret name", ""},
		{"empty value", []string{"set", "--data", data, "tok"}, ExitUsage, "empty", ""},
		{"list with argument", []string{"list", "--data", data, "x"}, ExitUsage, "takes no arguments", ""},
		{"delete without name", []string{"delete", "--data", data}, ExitUsage, "takes one NAME", ""},
		{"delete invalid name", []string{"delete", "--data", data, "a b"}, ExitUsage, "invalid secret name", ""},
		{"unknown flag", []string{"list", "--nope"}, ExitUsage, "flag provided but not defined", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdin := ""
			if c.name == "empty value" {
				stdin = "\n"
			}
			code, stdout, stderr := runSecret(t, stdin, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr does not say %q:\n%s", c.stderr, stderr)
			}
			if c.notInErr != "" && (strings.Contains(stderr, c.notInErr) || strings.Contains(stdout, c.notInErr)) {
				t.Errorf("output repeats the secret %q:\n%s%s", c.notInErr, stdout, stderr)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		code, stdout, _ := runSecret(t, "", "set", "-h")
		if code != ExitOK || !strings.Contains(stdout, "--data") {
			t.Errorf("set -h: exit %d, stdout:\n%s", code, stdout)
		}
	})
}

func TestTrimNewline(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"none", "abc", "abc"},
		{"one", "abc\n", "abc"},
		{"only one", "abc\n\n", "abc\n"},
		{"crlf", "abc\r\n", "abc"},
		{"inner kept", "a\nb\n", "a\nb"},
		{"lone cr kept", "abc\r", "abc\r"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := trimNewline(c.in); got != c.want {
				t.Errorf("trimNewline(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	xdg := filepath.Join(t.TempDir(), "xdg")
	flagDir := filepath.Join(t.TempDir(), "flag", "dir")
	cases := []struct {
		name, xdg, flag, want string
	}{
		{"flag wins", xdg, flagDir, flagDir},
		{"XDG_DATA_HOME", xdg, "", filepath.Join(xdg, "littleboxes")},
		{"relative XDG_DATA_HOME ignored", "relative/dir", "", filepath.Join(home, ".local", "share", "littleboxes")},
		{"home default", "", "", filepath.Join(home, ".local", "share", "littleboxes")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", c.xdg)
			got, err := dataDir(c.flag)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("dataDir(%q) = %q, want %q", c.flag, got, c.want)
			}
			fi, err := os.Stat(got)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want a 0700 directory", got, fi.Mode())
			}
		})
	}
}

func TestSecretKeyring(t *testing.T) {
	keyringtest.Require(t)
	data := t.TempDir()
	var tag [6]byte
	if _, err := rand.Read(tag[:]); err != nil {
		t.Fatal(err)
	}
	name := "clitest-" + hex.EncodeToString(tag[:])
	value := "v4lue-" + hex.EncodeToString(tag[:]) + "\nsecond line ünïcode"
	t.Cleanup(func() { runSecret(t, "", "delete", "--data", data, name) })

	code, stdout, stderr := runSecret(t, value+"\n", "set", "--data", data, name)
	if code != ExitOK {
		t.Fatalf("set: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, "v4lue-") {
		t.Errorf("set printed the value:\n%s%s", stdout, stderr)
	}
	ctx := context.Background()
	got, err := keyring.New(nil).Get(ctx, name)
	if err != nil || got != value {
		t.Errorf("keyring holds %q, %v; want %q (one trailing newline stripped)", got, err, value)
	}

	code, stdout, stderr = runSecret(t, "", "list", "--data", data)
	if code != ExitOK || !slices.Contains(strings.Split(stdout, "\n"), name) {
		t.Errorf("list: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}

	db, err := os.ReadFile(filepath.Join(data, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(db, []byte(name)) {
		t.Errorf("the store file does not hold the name %s", name)
	}
	for _, part := range []string{value, "v4lue-" + hex.EncodeToString(tag[:]), "second line ünïcode"} {
		if bytes.Contains(db, []byte(part)) {
			t.Errorf("the store file holds the value (%q)", part)
		}
	}

	// While another process (here: another open) holds the store, the
	// command says so.
	st, err := store.Open(filepath.Join(data, storeFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runSecret(t, "", "list", "--data", data)
	st.Close()
	if code != ExitFailed || !strings.Contains(stderr, "database is in use by another littleboxes process") {
		t.Errorf("list with the store held: exit %d, stderr %s", code, stderr)
	}

	code, _, stderr = runSecret(t, "", "delete", name, "--data", data)
	if code != ExitOK {
		t.Fatalf("delete: exit %d\n%s", code, stderr)
	}
	if _, err := keyring.New(nil).Get(ctx, name); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("keyring after delete: %v, want ErrNotFound", err)
	}
	code, stdout, _ = runSecret(t, "", "list", "--data", data)
	if code != ExitOK || strings.Contains(stdout, name) {
		t.Errorf("list after delete: exit %d, %q", code, stdout)
	}
	code, _, stderr = runSecret(t, "", "delete", "--data", data, name)
	if code != ExitFailed || !strings.Contains(stderr, "no secret named "+name) {
		t.Errorf("second delete: exit %d, stderr %s", code, stderr)
	}
}
