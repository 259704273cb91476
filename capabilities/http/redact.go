package httpcap

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

// Marker replaces the credential, and each of its encodings, wherever it
// would appear in what fetch returns or in an error.
const Marker = "[secret:" + CredentialSlot + "]"

// minRedactLen is the shortest credential redacted, and so the shortest
// fetch accepts: replacing every "abc" would wreck the output and, by where
// the marker lands, tell the value anyway.
const minRedactLen = 4

// minCoreLen is the shortest unaligned base64 fragment redacted: 16
// characters, 96 bits, never matched by chance.
const minCoreLen = 16

// redactor replaces one credential and its common encodings with Marker.
// The vault redacts known secrets again on every path out; this is the
// instance's own guarantee, which does not depend on it. A nil redactor
// redacts nothing.
type redactor struct {
	r *strings.Replacer
}

// newRedactor returns a redactor for secret (at least minRedactLen bytes).
func newRedactor(secret string) *redactor {
	fs := secretForms(secret)
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

// secretForms returns the texts that reveal secret: itself; standard and URL
// base64, padded and raw; the characters that any longer base64 text holding
// it carries whatever its alignment (as in base64("user:"+secret)); URL
// query and path escaping; lower and upper case hex; the inside of a JSON
// string holding it.
func secretForms(secret string) []string {
	b := []byte(secret)
	fs := []string{
		secret,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(secret),
		url.PathEscape(secret),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
	for _, html := range []bool{true, false} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if enc.Encode(secret) == nil {
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

// String returns s with the credential redacted.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Bytes returns b with the credential redacted (b itself when r is nil).
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.r.Replace(string(b)))
}

// redactErr returns err with a redacted message that unwraps to nothing but
// the sentinels err matched: never to err itself, whose fields (a url.Error's
// URL) may hold the credential. With no redactor, err is returned as it is.
func redactErr(r *redactor, err error) error {
	if err == nil || r == nil {
		return err
	}
	e := &redactedError{msg: r.String(err.Error())}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			e.is = append(e.is, s)
		}
	}
	return e
}

type redactedError struct {
	msg string
	is  []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.is }
