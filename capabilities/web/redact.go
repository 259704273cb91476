package web

import (
	"littleboxes/vault"
)

// Marker replaces the credential, and each of its encodings, wherever it
// would appear in what a call returns or in an error.
const Marker = "[secret:" + CredentialSlot + "]"

// newRedactor returns the vault's Redactor of secret (at least
// vault.MinRedactLen bytes, which Send checks), which replaces it and its
// encodings with Marker: one list of the forms that reveal a secret. The
// vault redacts known secrets again on every path out; this is the
// instance's own guarantee, which does not depend on it. A nil redactor
// redacts nothing.
func newRedactor(secret string) *vault.Redactor {
	r, _ := vault.RedactorOf(CredentialSlot, secret) // the slot is a valid name
	return r
}

// redactErr returns err with a redacted message that unwraps to nothing but
// the sentinels err matched: never to err itself, whose fields (a url.Error's
// URL) may hold the credential. With no redactor, err is returned as it is.
func redactErr(r *vault.Redactor, err error) error {
	if err == nil || r == nil {
		return err
	}
	return vault.Sever(err, r.String(err.Error()), sentinels...)
}
