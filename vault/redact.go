package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// MinRedactLen is the shortest value a Redactor redacts. Shorter values are
// ignored: replacing every "abc" in all output would destroy it and, by
// showing where the marker lands, tell the value anyway. Secrets are long
// random tokens; a short one is not protected by redaction.
const MinRedactLen = 4

// minCoreLen is the shortest unaligned base64 fragment redacted (see
// forms): 16 characters, 96 bits, never matched by chance.
const minCoreLen = 16

// Redactor replaces known secret values with "[secret:NAME]". It knows each
// value in these forms, and redacts all of them:
//
//   - the value itself;
//   - standard and URL base64, padded and raw;
//   - the base64 characters that any base64 text containing the value
//     carries whatever its alignment, as in "Basic base64(user:password)"
//     (for values of 12 bytes or more);
//   - URL query escaping (url.QueryEscape) and path escaping (url.PathEscape);
//   - hex, lower and upper case;
//   - the inside of a JSON string holding the value (escaped quotes,
//     newlines, control characters, <, >, &).
//
// Matches are found left to right, the longest at each position, so a value
// that contains another is redacted whole. Values shorter than MinRedactLen
// are ignored. A value stays known after its secret is changed: an old
// value may still be in memory somewhere.
//
// The zero value is ready to use; a Redactor is safe for concurrent use, and
// cheap to read from (an atomic load) while values are added.
type Redactor struct {
	mu     sync.Mutex
	values map[string]map[string]bool // name → its values
	m      atomic.Pointer[matcher]
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor { return &Redactor{} }

// Add makes r redact value as "[secret:name]". name must be a valid secret
// name; a value shorter than MinRedactLen is ignored.
func (r *Redactor) Add(name, value string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if len(value) < MinRedactLen {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values[name][value] {
		return nil
	}
	if r.values == nil {
		r.values = map[string]map[string]bool{}
	}
	if r.values[name] == nil {
		r.values[name] = map[string]bool{}
	}
	r.values[name][value] = true
	r.m.Store(newMatcher(r.values))
	return nil
}

// Remove forgets every value of name.
func (r *Redactor) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.values[name]; !ok {
		return
	}
	delete(r.values, name)
	r.m.Store(newMatcher(r.values))
}

// String returns s with every known value redacted.
func (r *Redactor) String(s string) string {
	m := r.m.Load()
	if m == nil {
		return s
	}
	out, _, changed := redact(m, s, true)
	if !changed {
		return s
	}
	return string(out)
}

// Bytes returns b with every known value redacted. It returns b itself when
// there is nothing to redact, else a new slice; b is never modified.
func (r *Redactor) Bytes(b []byte) []byte {
	m := r.m.Load()
	if m == nil {
		return b
	}
	out, _, changed := redact(m, b, true)
	if !changed {
		return b
	}
	return out
}

// Value returns a redacted copy of plain data: strings, []byte and
// json.RawMessage, and maps (map[string]any, map[string]string, whose keys
// are redacted too) and slices ([]any, []string) of them, at any depth.
// Other values (numbers, booleans, nil) are returned as they are.
func (r *Redactor) Value(v any) any {
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []byte:
		return r.Bytes(x)
	case json.RawMessage:
		return json.RawMessage(r.Bytes(x))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.String(k)] = r.Value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, e := range x {
			out[r.String(k)] = r.String(e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = r.String(e)
		}
		return out
	}
	return v
}

// Error returns err with a redacted message, or err itself when its message
// holds nothing to redact. The result still unwraps to err, so errors.Is and
// errors.As work; printing it shows only the redacted message.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// matcher finds the patterns of a set of values. It is immutable.
type matcher struct {
	pats     []pattern            // longest first
	byPrefix map[uint32][]int32   // first 4 bytes → indexes into pats, longest first
	first2   [1 << 16 / 64]uint64 // bit set of the patterns' first 2 bytes
	heads    map[uint32]bool      // every pattern's first 1, 2 and 3 bytes (see headKey)
	maxLen   int
}

type pattern struct {
	text string
	repl string
}

func newMatcher(values map[string]map[string]bool) *matcher {
	if len(values) == 0 {
		return nil
	}
	owner := map[string]string{} // pattern → name; the smallest name wins a tie
	for name, vs := range values {
		for v := range vs {
			for _, f := range forms(v) {
				if prev, ok := owner[f]; !ok || name < prev {
					owner[f] = name
				}
			}
		}
	}
	m := &matcher{byPrefix: map[uint32][]int32{}, heads: map[uint32]bool{}}
	for text, name := range owner {
		m.pats = append(m.pats, pattern{text: text, repl: "[secret:" + name + "]"})
	}
	slices.SortFunc(m.pats, func(a, b pattern) int {
		if len(a.text) != len(b.text) {
			return len(b.text) - len(a.text)
		}
		return strings.Compare(a.text, b.text)
	})
	for i, p := range m.pats {
		k := binary.LittleEndian.Uint32([]byte(p.text[:4]))
		m.byPrefix[k] = append(m.byPrefix[k], int32(i))
		h := uint16(p.text[0])<<8 | uint16(p.text[1])
		m.first2[h/64] |= 1 << (h % 64)
		for n := 1; n <= 3; n++ {
			m.heads[headKey(p.text[:n])] = true
		}
		m.maxLen = max(m.maxLen, len(p.text))
	}
	return m
}

// headKey packs 1 to 3 bytes and their count into a map key.
func headKey[T string | []byte](s T) uint32 {
	k := uint32(len(s)) << 24
	for i := 0; i < len(s); i++ {
		k |= uint32(s[i]) << (8 * i)
	}
	return k
}

// forms returns the texts that reveal v: v and its encodings. Every form is
// at least MinRedactLen bytes long, as v is.
func forms(v string) []string {
	b := []byte(v)
	fs := []string{
		v,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(v),
		url.PathEscape(v),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
	for _, html := range []bool{true, false} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			// "…"\n → the inside of the JSON string.
			fs = append(fs, strings.TrimSuffix(buf.String(), "\n")[1:buf.Len()-2])
		}
	}
	// In a longer base64 text the value starts at one of three alignments;
	// the characters encoding only its bits are the same whatever surrounds
	// it.
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			s := enc.EncodeToString(append(make([]byte, k), b...))
			start, end := (8*k+5)/6, 8*(k+len(b))/6
			if end-start >= minCoreLen {
				fs = append(fs, s[start:end])
			}
		}
	}
	return slices.DeleteFunc(fs, func(f string) bool { return len(f) < MinRedactLen })
}

// matchAt returns the index of the longest pattern at s[i:], or -1.
func matchAt[T string | []byte](m *matcher, s T, i int) int {
	if len(s)-i < MinRedactLen {
		return -1
	}
	h := uint16(s[i])<<8 | uint16(s[i+1])
	if m.first2[h/64]&(1<<(h%64)) == 0 {
		return -1
	}
	k := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
	for _, pi := range m.byPrefix[k] {
		if hasAt(s, i, m.pats[pi].text) {
			return int(pi)
		}
	}
	return -1
}

// hasAt reports whether s[i:] starts with p.
func hasAt[T string | []byte](s T, i int, p string) bool {
	if len(s)-i < len(p) {
		return false
	}
	for j := 0; j < len(p); j++ {
		if s[i+j] != p[j] {
			return false
		}
	}
	return true
}

// partialAt reports whether s[i:], shorter than some pattern, is the start
// of one: more input could complete a match there.
func partialAt[T string | []byte](m *matcher, s T, i int) bool {
	rem := len(s) - i
	if rem < 4 {
		return m.heads[headKey(s[i:])]
	}
	h := uint16(s[i])<<8 | uint16(s[i+1])
	if m.first2[h/64]&(1<<(h%64)) == 0 {
		return false
	}
	k := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
	for _, pi := range m.byPrefix[k] {
		p := m.pats[pi].text
		if len(p) > rem && hasAt(p, 0, string(s[i:])) {
			return true
		}
	}
	return false
}

// redact replaces the patterns in s, leftmost then longest. With final set
// it consumes all of s. Without, s is a stream's buffer: it stops before the
// first position where more input could still complete a match, and
// returns how much of s it consumed; the rest must be kept and passed again,
// with what follows it. Redacting a stream in pieces this way gives the same
// output as redacting it whole. changed reports whether anything was
// replaced; when not, out is nil and the output is s[:consumed].
func redact[T string | []byte](m *matcher, s T, final bool) (out []byte, consumed int, changed bool) {
	hold := len(s)
	if !final {
		// Only the last maxLen-1 positions can start an incomplete match.
		for i := max(0, len(s)-m.maxLen+1); i < len(s); i++ {
			if partialAt(m, s, i) {
				hold = i
				break
			}
		}
	}
	i, last := 0, 0
	for i < hold {
		pi := matchAt(m, s, i)
		if pi < 0 {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(s)+16)
		}
		out = append(out, s[last:i]...)
		out = append(out, m.pats[pi].repl...)
		i += len(m.pats[pi].text)
		last = i
	}
	if out == nil {
		return nil, i, false
	}
	return append(out, s[last:i]...), i, true
}
