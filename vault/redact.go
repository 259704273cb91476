package vault

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
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
//   - URL query escaping (a space as "+");
//   - hex, lower and upper case;
//
// and each of these with any of its characters escaped, in any mix with
// literal ones: percent-encoded ("%2f" or "%2F"), as a JSON short escape
// ("\/", "\"", "\n", …) or as JSON's "\uXXXX" in either case (PHP's
// json_encode writes "/" as "\/"; others escape every non-ASCII or every
// HTML character). This covers path and query escaping and the inside of a
// JSON string.
//
// Matches are found left to right, the longest at each position, so a value
// that contains another is redacted whole. Values shorter than MinRedactLen
// are ignored. A value stays known after its secret is changed: an old
// value may still be in memory somewhere.
//
// The zero value is ready to use; a Redactor is safe for concurrent use, and
// cheap to read from (an atomic load) while values are added. A nil
// *Redactor redacts nothing.
type Redactor struct {
	mu     sync.Mutex
	values map[string]map[string]bool // name → its values
	m      atomic.Pointer[matcher]
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor { return &Redactor{} }

// RedactorOf returns a Redactor of one secret: value, and its encodings,
// redacted as "[secret:name]" (a capability's own guarantee for the one
// credential it holds, which does not depend on the vault's). It returns
// nil, which redacts nothing, when value is shorter than MinRedactLen, and
// an error when name is not a valid secret name.
func RedactorOf(name, value string) (*Redactor, error) {
	r := NewRedactor()
	if err := r.Add(name, value); err != nil {
		return nil, err
	}
	if len(value) < MinRedactLen {
		return nil, nil
	}
	return r, nil
}

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
func (r *Redactor) String(s string) string { return redactAll(r, s) }

// Bytes returns b with every known value redacted. It returns b itself when
// there is nothing to redact, else a new slice; b is never modified.
func (r *Redactor) Bytes(b []byte) []byte { return redactAll(r, b) }

// redactAll is String and Bytes: s itself when nothing is redacted.
func redactAll[T string | []byte](r *Redactor, s T) T {
	if r == nil {
		return s
	}
	m := r.m.Load()
	if m == nil {
		return s
	}
	out, _, changed := redact(m, s, true)
	if !changed {
		return s
	}
	return T(out)
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
		return redactMap(r, x, r.Value)
	case []any:
		return redactSlice(x, r.Value)
	case map[string]string:
		return redactMap(r, x, r.String)
	case []string:
		return redactSlice(x, r.String)
	}
	return v
}

// redactMap returns a copy of m with its keys redacted by r and its values
// by redact.
func redactMap[V any](r *Redactor, m map[string]V, redact func(V) V) map[string]V {
	out := make(map[string]V, len(m))
	for k, e := range m {
		out[r.String(k)] = redact(e)
	}
	return out
}

// redactSlice returns a copy of s with its elements redacted by redact.
func redactSlice[V any](s []V, redact func(V) V) []V {
	out := make([]V, len(s))
	for i, e := range s {
		out[i] = redact(e)
	}
	return out
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

// Sever returns an error with message msg (err's, redacted) that unwraps
// only to those of sentinels err matches (errors.Is): never to err itself,
// whose fields (a url.Error's URL, say) may hold a secret that its message,
// once redacted, does not.
func Sever(err error, msg string, sentinels ...error) error {
	e := &severedError{msg: msg}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			e.is = append(e.is, s)
		}
	}
	return e
}

type severedError struct {
	msg string
	is  []error
}

func (e *severedError) Error() string   { return e.msg }
func (e *severedError) Unwrap() []error { return e.is }

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// matcher finds the patterns of a set of values, each either as it is or
// with any of its characters escaped (see tmatch). It is immutable.
type matcher struct {
	pats     []pattern            // longest first
	byPrefix map[uint32][]int32   // literal first 4 bytes → indexes into pats, longest first
	byFirst  [256][]int32         // first byte → indexes into pats, longest first
	first2   [1 << 16 / 64]uint64 // bit set of the patterns' first 2 bytes
	maxLen   int                  // the longest pattern, in bytes
	maxText  int                  // the longest text a match or a partial match can span
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
			for _, f := range Forms(v) {
				if prev, ok := owner[f]; !ok || name < prev {
					owner[f] = name
				}
			}
		}
	}
	m := &matcher{byPrefix: map[uint32][]int32{}}
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
		m.byFirst[p.text[0]] = append(m.byFirst[p.text[0]], int32(i))
		h := uint16(p.text[0])<<8 | uint16(p.text[1])
		m.first2[h/64] |= 1 << (h % 64)
		m.maxLen = max(m.maxLen, len(p.text))
	}
	// A pattern byte takes at most 6 bytes of text (\u0041); an unfinished
	// escape at the end of a partial match at most 11 more.
	m.maxText = 6*m.maxLen + 12
	return m
}

// Forms returns the texts that reveal v, besides their escaped variants: v
// and its encodings, as a Redactor knows them (see Redactor); for tests
// that check a redaction. Every form is
// at least MinRedactLen bytes long, as v is. Escaped characters (JSON's
// "\/", "\n", "\u00e9", percent-encoding) need no form of their own: the
// matcher accepts any character of any form escaped (see tmatch).
func Forms(v string) []string {
	b := []byte(v)
	fs := []string{
		v,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
	if strings.Contains(v, " ") {
		// Query escaping writes a space as "+".
		fs = append(fs, url.QueryEscape(v))
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
	fs = slices.DeleteFunc(fs, func(f string) bool { return len(f) < MinRedactLen })
	slices.Sort(fs)
	return slices.Compact(fs)
}

// isEsc reports whether c can start an escape: "%XX" or a JSON escape.
func isEsc(c byte) bool { return c == '%' || c == '\\' }

// The results of tmatch.
const (
	noMatch = iota
	matched
	needMore // the text ended before the match was decided
)

// maxBranches bounds the backtracking of one tmatch call. A pattern holding
// many '%' or '\' against a text crafted to make every one ambiguous could
// otherwise take exponential time; past the bound the text is taken as a
// match, which can only redact too much.
const maxBranches = 1 << 12

// tmatch matches pattern p from byte j against s from byte i, where each
// character may appear as it is or escaped, in any mix:
//
//   - any byte as "%XX", hex digits in either case (percent-encoding);
//   - "/", "\"", "\\" and the control characters \b \f \n \r \t as JSON's
//     two-character escapes;
//   - any character as JSON's "\uXXXX" (either case; a surrogate pair for
//     one beyond U+FFFF), as PHP's json_encode and others write it.
//
// It returns where the match ends in s and matched, or noMatch, or (only
// when final is false) needMore when s ends before the match is decided.
// Escapes are tried before the literal byte, in a fixed order, so a text
// gives the same result whole or in pieces.
func tmatch[T string | []byte](p string, j int, s T, i int, final bool, branches *int) (int, int) {
	for j < len(p) {
		if i >= len(s) {
			return i, noMoreOr(final)
		}
		c := s[i]
		if !isEsc(c) {
			if c != p[j] {
				return i, noMatch
			}
			i, j = i+1, j+1
			continue
		}
		ni, nj, st := escAt(p, j, s, i)
		if st == needMore && !final {
			return i, needMore
		}
		if c != p[j] {
			if st != matched {
				return i, noMatch
			}
			i, j = ni, nj
			continue
		}
		// Both the escape and the literal byte fit: try the escape first.
		if st == matched {
			if *branches++; *branches > maxBranches {
				return len(s), matched
			}
			if end, r := tmatch(p, nj, s, ni, final, branches); r != noMatch {
				return end, r
			}
		}
		i, j = i+1, j+1
	}
	return i, matched
}

func noMoreOr(final bool) int {
	if final {
		return noMatch
	}
	return needMore
}

// escAt decodes the escape at s[i] (a '%' or a '\') and reports whether it
// stands for the bytes of p at j: where it ends in s and in p, and matched,
// noMatch, or needMore when s ends inside the escape.
func escAt[T string | []byte](p string, j int, s T, i int) (ni, nj, st int) {
	rest := len(s) - i
	if s[i] == '%' {
		if rest < 3 {
			if rest == 2 && unhex(s[i+1]) < 0 {
				return 0, 0, noMatch
			}
			return 0, 0, needMore
		}
		hi, lo := unhex(s[i+1]), unhex(s[i+2])
		if hi < 0 || lo < 0 || byte(hi<<4|lo) != p[j] {
			return 0, 0, noMatch
		}
		return i + 3, j + 1, matched
	}
	if rest < 2 {
		return 0, 0, needMore
	}
	var b byte
	switch s[i+1] {
	case '/', '"', '\\':
		b = s[i+1]
	case 'b':
		b = '\b'
	case 'f':
		b = '\f'
	case 'n':
		b = '\n'
	case 'r':
		b = '\r'
	case 't':
		b = '\t'
	case 'u':
		u, st := hex4(s, i+2)
		if st != matched {
			return 0, 0, st
		}
		n := 6
		r := rune(u)
		if utf16.IsSurrogate(r) {
			if r >= 0xDC00 {
				return 0, 0, noMatch // a lone low surrogate
			}
			if rest < 8 {
				if rest == 7 && s[i+6] != '\\' {
					return 0, 0, noMatch
				}
				return 0, 0, needMore
			}
			if s[i+6] != '\\' || s[i+7] != 'u' {
				return 0, 0, noMatch
			}
			u2, st := hex4(s, i+8)
			if st != matched {
				return 0, 0, st
			}
			if r = utf16.DecodeRune(r, rune(u2)); r == utf8.RuneError {
				return 0, 0, noMatch
			}
			n = 12
		}
		var buf [utf8.UTFMax]byte
		k := utf8.EncodeRune(buf[:], r)
		if len(p)-j < k || p[j:j+k] != string(buf[:k]) {
			return 0, 0, noMatch
		}
		return i + n, j + k, matched
	default:
		return 0, 0, noMatch
	}
	if b != p[j] {
		return 0, 0, noMatch
	}
	return i + 2, j + 1, matched
}

// hex4 decodes the 4 hex digits at s[i:].
func hex4[T string | []byte](s T, i int) (int, int) {
	u := 0
	for k := range 4 {
		if i+k >= len(s) {
			return 0, needMore
		}
		d := unhex(s[i+k])
		if d < 0 {
			return 0, noMatch
		}
		u = u<<4 | d
	}
	return u, matched
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// firstBytes appends to dst the bytes a match at s[i] can start with: s[i]
// itself and, when s[i] starts an escape, the first byte it stands for. all
// reports that the escape is unfinished (s ends inside it) or stands for a
// character whose first byte depends on what follows: any pattern may
// start there.
func firstBytes[T string | []byte](s T, i int, dst []byte) (_ []byte, all bool) {
	dst = append(dst, s[i])
	if !isEsc(s[i]) {
		return dst, false
	}
	// Decode against a pattern of every possible byte is costly; decode
	// the escape directly.
	rest := len(s) - i
	if s[i] == '%' {
		if rest < 3 {
			return dst, true
		}
		hi, lo := unhex(s[i+1]), unhex(s[i+2])
		if hi >= 0 && lo >= 0 {
			dst = append(dst, byte(hi<<4|lo))
		}
		return dst, false
	}
	if rest < 2 {
		return dst, true
	}
	switch s[i+1] {
	case '/', '"', '\\':
		return append(dst, s[i+1]), false
	case 'b':
		return append(dst, '\b'), false
	case 'f':
		return append(dst, '\f'), false
	case 'n':
		return append(dst, '\n'), false
	case 'r':
		return append(dst, '\r'), false
	case 't':
		return append(dst, '\t'), false
	case 'u':
		u, st := hex4(s, i+2)
		switch {
		case st == needMore:
			return dst, true
		case st == noMatch:
			return dst, false
		case utf16.IsSurrogate(rune(u)):
			return append(dst, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4), false
		}
		var buf [utf8.UTFMax]byte
		utf8.EncodeRune(buf[:], rune(u))
		return append(dst, buf[0]), false
	}
	return dst, false
}

// matchAt returns the index of the longest pattern at s[i:], and where it
// ends, or -1.
func matchAt[T string | []byte](m *matcher, s T, i int) (int, int) {
	if len(s)-i < MinRedactLen {
		return -1, 0
	}
	c0, c1 := s[i], s[i+1]
	if !isEsc(c0) && !isEsc(c1) {
		// The common case: two literal bytes, most often no pattern's.
		h := uint16(c0)<<8 | uint16(c1)
		if m.first2[h/64]&(1<<(h%64)) == 0 {
			return -1, 0
		}
		if !isEsc(s[i+2]) && !isEsc(s[i+3]) {
			k := uint32(c0) | uint32(c1)<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
			return firstOf(m, m.byPrefix[k], s, i)
		}
		return firstOf(m, m.byFirst[c0], s, i)
	}
	var buf [8]byte
	firsts, _ := firstBytes(s, i, buf[:0])
	best, bestEnd := -1, 0
	for _, b := range firsts {
		if pi, end := firstOf(m, m.byFirst[b], s, i); pi >= 0 && (best < 0 || pi < best) {
			best, bestEnd = pi, end
		}
	}
	return best, bestEnd
}

// firstOf returns the first of the patterns cands (indexes into m.pats, so
// longest first) that matches at s[i], and where the match ends; or -1.
func firstOf[T string | []byte](m *matcher, cands []int32, s T, i int) (int, int) {
	for _, pi := range cands {
		branches := 0
		if end, st := tmatch(m.pats[pi].text, 0, s, i, true, &branches); st == matched {
			return int(pi), end
		}
	}
	return -1, 0
}

// partialAt reports whether more input after s could complete a match at
// s[i], or change which one it is.
func partialAt[T string | []byte](m *matcher, s T, i int) bool {
	var buf [8]byte
	firsts, all := firstBytes(s, i, buf[:0])
	if all {
		return true
	}
	for _, b := range firsts {
		for _, pi := range m.byFirst[b] {
			branches := 0
			if _, st := tmatch(m.pats[pi].text, 0, s, i, false, &branches); st == needMore {
				return true
			}
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
		// Only the last maxText-1 positions can start an incomplete match.
		for i := max(0, len(s)-m.maxText+1); i < len(s); i++ {
			if partialAt(m, s, i) {
				hold = i
				break
			}
		}
	}
	i, last := 0, 0
	for i < hold {
		pi, end := matchAt(m, s, i)
		if pi < 0 {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(s)+16)
		}
		out = append(out, s[last:i]...)
		out = append(out, m.pats[pi].repl...)
		i = end
		last = i
	}
	if out == nil {
		return nil, i, false
	}
	return append(out, s[last:i]...), i, true
}
