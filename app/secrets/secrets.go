// Package secrets opens littleboxes' secrets: the OS keyring (package
// vault/keyring) with its names index kept in the store, and the vault over
// it that capabilities read from. The CLI (`littleboxes secret`, `run`,
// `approvals`) and the window's API both open secrets this way.
package secrets

import (
	"context"
	"fmt"

	"littleboxes/app/army"
	"littleboxes/app/store"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
)

// Keyring returns the OS keyring keeping the names of its secrets in st's
// secrets bucket (the keyring cannot list its items).
func Keyring(st store.Store) *keyring.Keyring {
	return keyring.New(store.NewNameSet(st, store.BucketSecrets))
}

// Needed reports whether any capability of a names a secret.
func Needed(a *army.Army) bool {
	for _, c := range a.Capabilities {
		if len(c.Secrets) > 0 {
			return true
		}
	}
	return false
}

// For returns the vault over the OS keyring for running a, redacting with
// red; or nil, nil when the keyring cannot be reached and a needs no
// secret. When a needs secrets and the keyring cannot be reached, the error
// says why and what to do.
func For(ctx context.Context, a *army.Army, st store.Store, red *vault.Redactor) (*vault.Vault, error) {
	if err := keyring.Check(ctx); err != nil {
		if !Needed(a) {
			return nil, nil
		}
		return nil, fmt.Errorf("the army needs secrets: %w", err)
	}
	return vault.New(Keyring(st), red), nil
}
