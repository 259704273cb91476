// Package secrets opens littleboxes' secrets: the OS keyring (package
// vault/keyring) with its names index kept in the store, and the vault over
// it that capabilities read from. The CLI (`littleboxes secret`, `run`,
// `approvals`, `serve`) and the window's API both open secrets this way.
//
// It also arms the redactor before anything runs: [Seed] makes it know
// every secret the open army references and every secret littleboxes
// keeps, from the moment an army is opened (a value reaching JavaScript in
// an encoded shape must not reach the output of a process that has not
// read it yet), and [RedactStore] passes every write into the store
// through it.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

// Seed makes red know the value of every secret a references (a may be
// nil) and of every secret in st's names index, read from the OS keyring.
// A secret that is missing is skipped. When the keyring cannot be reached
// there is nothing to read: Seed returns nil and red learns values only as
// capabilities read them. Other read errors are returned, joined, after
// every secret that could be read is known.
func Seed(ctx context.Context, a *army.Army, st store.Store, red *vault.Redactor) error {
	if keyring.Check(ctx) != nil {
		return nil
	}
	k := Keyring(st)
	names, err := k.List(ctx)
	if err != nil {
		return fmt.Errorf("seeding the redactor: %w", err)
	}
	if a != nil {
		for _, c := range a.Capabilities {
			for _, n := range c.Secrets {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	var errs []error
	for _, n := range slices.Compact(names) {
		v, err := k.Get(ctx, n)
		switch {
		case errors.Is(err, vault.ErrNotFound), errors.Is(err, vault.ErrInvalidName):
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		if err := red.Add(n, v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("seeding the redactor: %w", errors.Join(errs...))
	}
	return nil
}
