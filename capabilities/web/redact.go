package web

import (
	"littleboxes/vault"
)

// Marker replaces the credential, and each of its encodings, wherever it
// would appear in what a call returns or in an error.
const Marker = "[secret:" + CredentialSlot + "]"

// minRedactLen is the shortest credential redacted, and so the shortest
// a call accepts (vault.MinRedactLen).
const minRedactLen = vault.MinRedactLen

// redactor replaces one credential and its encodings with Marker, with the
// vault's Redactor: one list of the forms that reveal a secret.
// The vault redacts known secrets again on every path out; this is the
// instance's own guarantee, which does not depend on it. A nil redactor
// redacts nothing.
type redactor struct {
	s *vault.Redactor
}

// newRedactor returns a redactor for secret (at least minRedactLen bytes).
func newRedactor(secret string) *redactor {
	s := vault.NewRedactor()
	_ = s.Add(CredentialSlot, secret) // the slot is a valid name
	return &redactor{s: s}
}

// SecretForms returns the texts that reveal secret: what the redactor
// replaces.
func SecretForms(secret string) []string { return vault.Forms(secret) }

// String returns s with the credential redacted.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.s.String(s)
}

// Bytes returns b with the credential redacted (b itself when r is nil).
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	return r.s.Bytes(b)
}

// redactErr returns err with a redacted message that unwraps to nothing but
// the sentinels err matched: never to err itself, whose fields (a url.Error's
// URL) may hold the credential. With no redactor, err is returned as it is.
func redactErr(r *redactor, err error) error {
	if err == nil || r == nil {
		return err
	}
	return vault.Sever(err, r.String(err.Error()), sentinels...)
}
