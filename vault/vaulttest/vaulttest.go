// Package vaulttest is the conformance suite every vault.Secrets
// implementation passes, the in-memory one and the OS keyring alike.
//
// The suite may run against a real keyring shared with other programs: it
// uses names unique to the run (prefixed "vaulttest-" and a random tag),
// filters List to them, and deletes what it created when it ends.
package vaulttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"littleboxes/vault"
)

// Run runs the suite. open returns the Secrets to test; it is called once
// per case, and the Secrets it returns must start with none of the suite's
// names (a fresh names index, or any keyring: the names are new).
func Run(t *testing.T, open func(t *testing.T) vault.Secrets) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(*testing.T, vault.Secrets, *namer)
	}{
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"Values", testValues},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"List", testList},
		{"InvalidName", testInvalidName},
		{"InvalidValue", testInvalidValue},
		{"CancelledContext", testCancelled},
		{"Concurrent", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			n := newNamer(t, s)
			c.fn(t, s, n)
		})
	}
}

// namer makes names unique to this run and deletes them at the end.
type namer struct {
	prefix string
	mu     sync.Mutex
	used   []string
}

func newNamer(t *testing.T, s vault.Secrets) *namer {
	var tag [6]byte
	if _, err := rand.Read(tag[:]); err != nil {
		t.Fatal(err)
	}
	n := &namer{prefix: "vaulttest-" + hex.EncodeToString(tag[:]) + "-"}
	t.Cleanup(func() {
		for _, name := range n.used {
			err := s.Delete(context.Background(), name)
			if err != nil && !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("cleanup: delete %s: %v", name, err)
			}
		}
	})
	return n
}

func (n *namer) name(s string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	name := n.prefix + s
	n.used = append(n.used, name)
	return name
}

func (n *namer) mine(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(s string) bool { return !strings.HasPrefix(s, n.prefix) })
}

func set(t *testing.T, s vault.Secrets, name, value string) {
	t.Helper()
	if err := s.Set(context.Background(), name, value); err != nil {
		t.Fatalf("Set(%s): %v", name, err)
	}
}

func get(t *testing.T, s vault.Secrets, name, want string) {
	t.Helper()
	got, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%s): %v", name, err)
	}
	if got != want {
		t.Errorf("Get(%s) = %q, want %q", name, got, want)
	}
}

func testRoundTrip(t *testing.T, s vault.Secrets, n *namer) {
	name := n.name("token")
	set(t, s, name, "s3cr3t-value")
	get(t, s, name, "s3cr3t-value")
}

func testOverwrite(t *testing.T, s vault.Secrets, n *namer) {
	name := n.name("rotated")
	set(t, s, name, "first-value")
	set(t, s, name, "second-value")
	get(t, s, name, "second-value")
	names, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := n.mine(names); !slices.Equal(got, []string{name}) {
		t.Errorf("List after overwrite = %q, want the name once", got)
	}
}

func testValues(t *testing.T, s vault.Secrets, n *namer) {
	cases := []struct {
		name  string
		value string
	}{
		{"one byte", "x"},
		{"unicode", "pässwörd-密码-🔑"},
		{"newlines", "line one\nline two\r\nline three\n"},
		{"pem", "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\n-----END PRIVATE KEY-----\n"},
		{"spaces and quotes", `  "quoted" 'single' \back\slash  `},
		{"tabs and controls", "a\tb\x01c\x7f"},
		{"long", strings.Repeat("0123456789abcdef", 1024)},
		{"max", strings.Repeat("m", vault.MaxValueLen)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := n.name(strings.ReplaceAll(c.name, " ", "-"))
			set(t, s, name, c.value)
			get(t, s, name, c.value)
		})
	}
}

func testNotFound(t *testing.T, s vault.Secrets, n *namer) {
	name := n.name("never-set")
	_, err := s.Get(context.Background(), name)
	if !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get of a missing secret = %v, want ErrNotFound", err)
	}
	if err != nil && !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name the secret", err)
	}
}

func testDelete(t *testing.T, s vault.Secrets, n *namer) {
	ctx := context.Background()
	gone, kept := n.name("gone"), n.name("kept")
	set(t, s, gone, "value-gone")
	set(t, s, kept, "value-kept")
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, gone); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, gone); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	get(t, s, kept, "value-kept")
	names, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.mine(names); !slices.Equal(got, []string{kept}) {
		t.Errorf("List after Delete = %q, want [%s]", got, kept)
	}
}

func testList(t *testing.T, s vault.Secrets, n *namer) {
	ctx := context.Background()
	names, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.mine(names); len(got) != 0 {
		t.Fatalf("List before any Set holds %q", got)
	}
	var want []string
	for _, s0 := range []string{"c", "a", "B", "b.x", "a_1", "a-2"} {
		name := n.name(s0)
		set(t, s, name, "value-of-"+s0)
		want = append(want, name)
	}
	slices.Sort(want)
	names, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(names) {
		t.Errorf("List is not sorted: %q", names)
	}
	if got := n.mine(names); !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	for _, name := range names {
		if strings.HasPrefix(name, "value-of-") {
			t.Errorf("List returned a value: %q", name)
		}
	}
}

func testInvalidName(t *testing.T, s vault.Secrets, n *namer) {
	cases := []struct {
		name, secret string
	}{
		{"empty", ""},
		{"too long", strings.Repeat("a", vault.MaxNameLen+1)},
		{"space", "my token"},
		{"slash", "a/b"},
		{"equals", "TOKEN=abc"},
		{"newline", "a\nb"},
		{"unicode", "pässwort"},
		{"nul", "a\x00b"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Set(ctx, c.secret, "value"); !errors.Is(err, vault.ErrInvalidName) {
				t.Errorf("Set = %v, want ErrInvalidName", err)
			}
			if _, err := s.Get(ctx, c.secret); !errors.Is(err, vault.ErrInvalidName) {
				t.Errorf("Get = %v, want ErrInvalidName", err)
			}
			if err := s.Delete(ctx, c.secret); !errors.Is(err, vault.ErrInvalidName) {
				t.Errorf("Delete = %v, want ErrInvalidName", err)
			}
		})
	}
	t.Run("longest valid", func(t *testing.T) {
		name := n.name(strings.Repeat("z", vault.MaxNameLen-len(n.prefix)))
		set(t, s, name, "value")
		get(t, s, name, "value")
	})
}

func testInvalidValue(t *testing.T, s vault.Secrets, n *namer) {
	ctx := context.Background()
	name := n.name("bad-value")
	for _, v := range []string{"", strings.Repeat("x", vault.MaxValueLen+1)} {
		if err := s.Set(ctx, name, v); !errors.Is(err, vault.ErrInvalidValue) {
			t.Errorf("Set of %d bytes = %v, want ErrInvalidValue", len(v), err)
		}
	}
	if _, err := s.Get(ctx, name); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get after refused Sets = %v, want ErrNotFound", err)
	}
}

func testCancelled(t *testing.T, s vault.Secrets, n *namer) {
	name := n.name("cancelled")
	set(t, s, name, "value")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, name); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v, want context.Canceled", err)
	}
	if err := s.Set(ctx, name, "other"); !errors.Is(err, context.Canceled) {
		t.Errorf("Set = %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, name); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List = %v, want context.Canceled", err)
	}
	get(t, s, name, "value")
}

func testConcurrent(t *testing.T, s vault.Secrets, n *namer) {
	const workers = 8
	var wg sync.WaitGroup
	for i := range workers {
		name := n.name(fmt.Sprint("worker-", i))
		wg.Go(func() {
			ctx := context.Background()
			for j := range 3 {
				want := fmt.Sprintf("value-%d-%d", i, j)
				if err := s.Set(ctx, name, want); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Get(ctx, name); err != nil || got != want {
					t.Errorf("Get(%s) = %q, %v; want %q", name, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	names, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := n.mine(names); len(got) != workers {
		t.Errorf("List after concurrent Sets = %q, want %d names", got, workers)
	}
}
