// Package vault is where littleboxes' secrets are read, and what keeps them
// from leaking.
//
// A secret is a value (an API token, a password) in the OS keyring, named by
// a reference. Capability Go code, and only it, reads a secret by name
// through [Secrets], at the moment of a call. The keyring implementation is
// in vault/keyring; [Memory] is an in-memory one for tests.
//
// Nothing returned to JavaScript, written to the store, logged or sent to the
// window may contain a secret value. As defense in depth a [Redactor] knows
// the values and replaces them, and their encodings (base64, hex, URL
// escaping, JSON escapes, each with any of its characters escaped), with
// "[secret:NAME]" on every path out: [Vault] registers each value it reads or
// writes, and the app seeds the Redactor with every secret an army
// references when it is opened (app/secrets); [Redactor.String],
// [Redactor.Bytes] and [Redactor.Value] clean data, [NewWriter] a console or
// log stream, [RedactLogf] a logf. Capability kinds that hold a secret
// (http, llm) redact with a Redactor of their own: one list of forms.
package vault

import (
	"context"
	"errors"
	"fmt"
)

// Secrets stores secret values by name. Implementations are safe for
// concurrent use, validate names with ValidateName and values with
// ValidateValue, and return errors wrapping the sentinels below. Package
// vaulttest is their conformance suite.
type Secrets interface {
	// Get returns the value of the secret name, or ErrNotFound.
	Get(ctx context.Context, name string) (string, error)
	// Set stores value under name, replacing any previous value.
	Set(ctx context.Context, name, value string) error
	// Delete removes the secret name, or returns ErrNotFound.
	Delete(ctx context.Context, name string) error
	// List returns the names of the stored secrets, sorted. Never values.
	List(ctx context.Context) ([]string, error)
}

// Errors callers test for with errors.Is.
var (
	// ErrNotFound: no secret by that name.
	ErrNotFound = errors.New("secret not found")
	// ErrInvalidName: a name outside [A-Za-z0-9._-]{1,128}.
	ErrInvalidName = errors.New("invalid secret name")
	// ErrInvalidValue: an empty value, or one over MaxValueLen bytes.
	ErrInvalidValue = errors.New("invalid secret value")
	// ErrUnavailable: the backing store (the OS keyring) cannot be reached;
	// the error says what to install or start.
	ErrUnavailable = errors.New("secret store unavailable")
)

// Limits on names and values.
const (
	MaxNameLen  = 128
	MaxValueLen = 64 << 10
)

// ValidateName reports whether name is a valid secret name: 1 to 128 of
// A-Z a-z 0-9 . _ -. Names go into keyring attributes, store keys and the
// "[secret:NAME]" marker, so they are kept plain.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrInvalidName, clip(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q may hold only letters, digits, '.', '_' and '-'", ErrInvalidName, clip(name))
		}
	}
	return nil
}

// ValidateValue reports whether value can be stored: not empty (an empty
// secret is always a mistake, and cannot be redacted) and at most MaxValueLen
// bytes. Any bytes are allowed, newlines and unicode included.
func ValidateValue(value string) error {
	if value == "" {
		return fmt.Errorf("%w: empty", ErrInvalidValue)
	}
	if len(value) > MaxValueLen {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidValue, len(value), MaxValueLen)
	}
	return nil
}

// clip shortens a rejected name for an error message.
func clip(s string) string {
	if len(s) > MaxNameLen+8 {
		return s[:MaxNameLen] + "…"
	}
	return s
}
