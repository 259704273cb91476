package capabilities

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// MinSecretLen is the shortest secret a Scrubber redacts: replacing every
// "abc" would wreck the output and, by where the marker lands, tell the value
// anyway. Real credentials are long random tokens.
const MinSecretLen = 4

// minCoreLen is the shortest unaligned base64 fragment redacted: 16
// characters, 96 bits, never matched by chance.
const minCoreLen = 16

// Scrubber replaces one secret value, and each encoding of it that would
// reveal it, with a marker such as "[secret:api_key]". A kind that handles a
// secret scrubs what it returns and its errors with one: its own guarantee,
// which does not depend on the vault redacting again on every path out. A
// nil Scrubber scrubs nothing.
type Scrubber struct {
	r *strings.Replacer
}

// NewScrubber returns a Scrubber for secret, or nil when secret is shorter
// than MinSecretLen.
func NewScrubber(secret, marker string) *Scrubber {
	if len(secret) < MinSecretLen {
		return nil
	}
	fs := SecretForms(secret)
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
		pairs = append(pairs, f, marker)
	}
	return &Scrubber{r: strings.NewReplacer(pairs...)}
}

// SecretForms returns the texts that reveal secret: itself; standard and URL
// base64, padded and raw; the characters that any longer base64 text holding
// it carries whatever its alignment (as in base64("Bearer "+secret)); URL
// query and path escaping; lower and upper case hex; the inside of a JSON
// string holding it. Forms shorter than MinSecretLen are left out.
func SecretForms(secret string) []string {
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
	return slices.DeleteFunc(fs, func(f string) bool { return len(f) < MinSecretLen })
}

// String returns s with the secret scrubbed.
func (s *Scrubber) String(text string) string {
	if s == nil {
		return text
	}
	return s.r.Replace(text)
}

// Bytes returns b with the secret scrubbed (b itself when s is nil).
func (s *Scrubber) Bytes(b []byte) []byte {
	if s == nil {
		return b
	}
	return []byte(s.r.Replace(string(b)))
}
