package secrets_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"littleboxes/app/army"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
	"littleboxes/vault"
	"littleboxes/vault/keyring/keyringtest"
)

// TestRedactStoreConformance: with nothing to redact, the wrapper is a
// store like any other.
func TestRedactStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return secrets.RedactStore(storetest.Open(t), vault.NewRedactor()) })
}

// TestRedactStoreWrites: keys and values written through the wrapper reach
// the store redacted, in any shape, and a key holding a secret is found
// again by the same key (Get, Scan with a prefix, Delete).
func TestRedactStoreWrites(t *testing.T) {
	const secret = "tok/Abc+def0123456789"
	red := vault.NewRedactor()
	if err := red.Add("api", secret); err != nil {
		t.Fatal(err)
	}
	raw := storetest.Open(t)
	st := secrets.RedactStore(raw, red)
	cases := []struct{ name, key, value string }{
		{"plain", "k/" + secret, "v " + secret},
		{"json slash", "j/" + strings.ReplaceAll(secret, "/", `\/`), `{"v":"` + strings.ReplaceAll(secret, "/", `\/`) + `"}`},
		{"percent", "p/tok%2fAbc%2Bdef0123456789", "tok%2FAbc%2bdef0123456789"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := []string{"kv", "ns"}
			storetest.Update(t, st, ns, func(b store.Bucket) error { return b.Put([]byte(c.key), []byte(c.value)) })
			// The raw store holds no secret.
			storetest.View(t, raw, ns, func(b store.Bucket) error {
				return b.Scan(store.ScanOptions{}, func(k, v []byte) error {
					for _, s := range [][]byte{k, v} {
						if strings.Contains(string(s), "Abc") {
							t.Errorf("stored %q", s)
						}
					}
					return nil
				})
			})
			// The same key finds it again through the wrapper.
			storetest.Update(t, st, ns, func(b store.Bucket) error {
				v, err := b.Get([]byte(c.key))
				if err != nil || !strings.Contains(string(v), "[secret:api]") {
					t.Errorf("Get(%q) = %q, %v", c.key, v, err)
				}
				n := 0
				_ = b.Scan(store.ScanOptions{Prefix: []byte(c.key)}, func(k, v []byte) error { n++; return nil })
				if n != 1 {
					t.Errorf("Scan(prefix %q) found %d", c.key, n)
				}
				if err := b.Delete([]byte(c.key)); err != nil {
					return err
				}
				if _, err := b.Get([]byte(c.key)); err == nil {
					t.Errorf("Get after Delete found %q", c.key)
				}
				return nil
			})
		})
	}
}

// TestSeed: from the moment an army is opened, the redactor knows every
// secret it references and every secret littleboxes keeps; a missing one
// is skipped.
func TestSeed(t *testing.T) {
	keyringtest.Require(t)
	ctx := context.Background()
	st := storetest.Open(t)
	k := secrets.Keyring(st)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	ref, kept := "seed-ref-"+hex.EncodeToString(b), "seed-kept-"+hex.EncodeToString(b)
	for n, v := range map[string]string{ref: "ref-value-" + hex.EncodeToString(b), kept: "kept-value-" + hex.EncodeToString(b)} {
		if err := k.Set(ctx, n, v); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k.Delete(context.Background(), n) })
	}
	a := &army.Army{Capabilities: []*army.Capability{{Name: "api", Kind: "http", Secrets: map[string]string{"credential": ref, "other": "seed-missing"}}}}
	red := vault.NewRedactor()
	if err := secrets.Seed(ctx, a, st, red); err != nil {
		t.Fatal(err)
	}
	in := "ref-value-" + hex.EncodeToString(b) + " kept-value-" + hex.EncodeToString(b)
	if got, want := red.String(in), "[secret:"+ref+"] [secret:"+kept+"]"; got != want {
		t.Errorf("seeded redactor: %q, want %q", got, want)
	}
}
