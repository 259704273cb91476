package llm

import (
	"littleboxes/vault"
)

// Marker replaces the api key, and each of its encodings, wherever it would
// appear in what a call returns or in an error.
const Marker = "[secret:api_key]"

// redactor replaces one api key and its encodings with Marker, with the
// vault's Redactor: one list of the forms that reveal a secret. A nil
// redactor redacts nothing (no key, or one too short to redact).
type redactor struct {
	s *vault.Redactor
}

// newRedactor returns a redactor for key, or nil when there is nothing to
// redact.
func newRedactor(key string) *redactor {
	if len(key) < vault.MinRedactLen {
		return nil
	}
	s := vault.NewRedactor()
	_ = s.Add("api_key", key) // a valid name
	return &redactor{s: s}
}

// keyForms returns the texts that reveal key.
func keyForms(key string) []string { return vault.Forms(key) }

// String returns s with the key redacted.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.s.String(s)
}

// Err returns err itself when its message holds nothing to redact, else an
// error with the redacted message that unwraps only to the sentinels err
// matched (never to err, whose fields might hold the key).
func (r *redactor) Err(err error) error {
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
