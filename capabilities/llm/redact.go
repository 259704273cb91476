package llm

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Marker replaces the api key, and each of its encodings, wherever it would
// appear in what a call returns or in an error.
const Marker = "[secret:api_key]"

// minRedactLen is the shortest key redacted: replacing every "abc" would
// wreck the output and, by where the marker lands, tell the value anyway.
// Real keys are long random tokens.
const minRedactLen = 4

// minCoreLen is the shortest unaligned base64 fragment redacted: 16
// characters, 96 bits, never matched by chance.
const minCoreLen = 16

// redactor replaces one api key and its common encodings with Marker. A nil
// redactor redacts nothing (no key, or one too short to redact).
type redactor struct {
	r *strings.Replacer
}

// newRedactor returns a redactor for key, or nil when there is nothing to
// redact.
func newRedactor(key string) *redactor {
	if len(key) < minRedactLen {
		return nil
	}
	fs := keyForms(key)
	// strings.Replacer tries the old strings in argument order at each
	// position: longest first, so a form containing another goes whole.
	slices.SortFunc(fs, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	fs = slices.Compact(fs)
	pairs := make([]string, 0, 2*len(fs))
	for _, f := range fs {
		pairs = append(pairs, f, Marker)
	}
	return &redactor{r: strings.NewReplacer(pairs...)}
}

// keyForms returns the texts that reveal key: the key itself; standard and
// URL base64, padded and raw; the characters any longer base64 text holding
// the key carries whatever its alignment (as in base64("Bearer "+key)); URL
// query and path escaping; lower and upper case hex; and the inside of a
// JSON string holding it.
func keyForms(key string) []string {
	b := []byte(key)
	fs := []string{
		key,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(key),
		url.PathEscape(key),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
	for _, html := range []bool{true, false} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if enc.Encode(key) == nil {
			s := strings.TrimSuffix(buf.String(), "\n")
			fs = append(fs, s[1:len(s)-1])
		}
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			s := enc.EncodeToString(append(make([]byte, k), b...))
			start, end := (8*k+5)/6, 8*(k+len(b))/6
			if end-start >= minCoreLen {
				fs = append(fs, s[start:end])
			}
		}
	}
	return slices.DeleteFunc(fs, func(f string) bool { return len(f) < minRedactLen })
}

// String returns s with the key redacted.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.r.Replace(s)
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
	var is []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			is = append(is, s)
		}
	}
	return &redactedError{msg: red, is: is}
}

type redactedError struct {
	msg string
	is  []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.is }
