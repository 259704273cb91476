package vault

import (
	"context"
	"fmt"
)

// Vault is the Secrets that capability code is handed: it reads and writes
// through another Secrets and registers every value it sees with its
// Redactor, so that whatever later carries the value out (a result, a log
// line, an error) can be cleaned. Errors it returns are redacted too.
type Vault struct {
	s Secrets
	r *Redactor
}

// New returns a Vault over s that registers values with r (a new Redactor
// if r is nil).
func New(s Secrets, r *Redactor) *Vault {
	if r == nil {
		r = NewRedactor()
	}
	return &Vault{s: s, r: r}
}

// Redactor returns the Redactor that knows every value the Vault has seen.
func (v *Vault) Redactor() *Redactor { return v.r }

// Get implements Secrets; the value is known to the Redactor before Get
// returns it.
func (v *Vault) Get(ctx context.Context, name string) (string, error) {
	val, err := v.s.Get(ctx, name)
	if err != nil {
		return "", v.r.Error(err)
	}
	if err := v.r.Add(name, val); err != nil {
		return "", err
	}
	return val, nil
}

// Set implements Secrets; the value is known to the Redactor before it is
// stored, and stays known if storing fails.
func (v *Vault) Set(ctx context.Context, name, value string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("vault: set: %w", err)
	}
	if err := v.r.Add(name, value); err != nil {
		return fmt.Errorf("vault: set: %w", err)
	}
	return v.r.Error(v.s.Set(ctx, name, value))
}

// Delete implements Secrets. The Redactor keeps the deleted value: copies of
// it may outlive the secret.
func (v *Vault) Delete(ctx context.Context, name string) error {
	return v.r.Error(v.s.Delete(ctx, name))
}

// List implements Secrets.
func (v *Vault) List(ctx context.Context) ([]string, error) {
	names, err := v.s.List(ctx)
	return names, v.r.Error(err)
}

var _ Secrets = (*Vault)(nil)
