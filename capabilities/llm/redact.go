package llm

import (
	"littleboxes/vault"
)

// Marker replaces the api key, and each of its encodings, wherever it would
// appear in what a call returns or in an error.
const Marker = "[secret:api_key]"

// newRedactor returns the vault's Redactor of key, which replaces it and
// its encodings with Marker: one list of the forms that reveal a secret. It
// is nil, and redacts nothing, when there is no key or one too short to
// redact.
func newRedactor(key string) *vault.Redactor {
	r, _ := vault.RedactorOf("api_key", key) // a valid name
	return r
}

// redactErr returns err itself when its message holds nothing to redact,
// else an error with the redacted message that unwraps only to the
// sentinels err matched (never to err, whose fields might hold the key).
// Unlike package web's, an error whose message is clean keeps unwrapping to
// err, so that callers can still reach an *APIError.
func redactErr(r *vault.Redactor, err error) error {
	if err == nil || r == nil {
		return err
	}
	msg := err.Error()
	red := r.String(msg)
	if red == msg {
		return err
	}
	return vault.Sever(err, red, sentinels...)
}
