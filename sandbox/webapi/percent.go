package webapi

import (
	"strings"
	"unicode/utf8"
)

// Percent-encode sets of the URL Standard, as bits of encodeSets[c] for ASCII
// c. Every set also holds the C0 controls and every code point above U+007E.
const (
	c0ControlSet uint8 = 1 << iota
	fragmentSet
	querySet
	specialQuerySet
	pathSet
	userinfoSet
	componentSet
	formSet // application/x-www-form-urlencoded
)

var encodeSets = func() (t [128]uint8) {
	add := func(set uint8, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= set
		}
	}
	for c := 0; c < 0x20; c++ {
		t[c] = 0xff
	}
	t[0x7f] = 0xff
	add(fragmentSet, " \"<>`")
	add(querySet, " \"#<>")
	add(specialQuerySet, " \"#<>'")
	add(pathSet, " \"#<>?^`{}")
	add(userinfoSet, " \"#<>?^`{}/:;=@[\\]|")
	add(componentSet, " \"#<>?^`{}/:;=@[\\]|$%&+,")
	add(formSet, " \"#<>?^`{}/:;=@[\\]|$%&+,!'()~")
	return t
}()

func inEncodeSet(c rune, set uint8) bool {
	return c >= 0x7f || c < 0 || encodeSets[c]&set != 0
}

const upperHex = "0123456789ABCDEF"

// appendPercentEncoded appends the UTF-8 percent-encoding of c, using set, to b.
func appendPercentEncoded(b []byte, c rune, set uint8) []byte {
	if !inEncodeSet(c, set) {
		return append(b, byte(c))
	}
	var tmp [utf8.UTFMax]byte
	for _, x := range tmp[:utf8.EncodeRune(tmp[:], c)] {
		b = append(b, '%', upperHex[x>>4], upperHex[x&15])
	}
	return b
}

// percentEncodeString UTF-8 percent-encodes every code point of s using set.
func percentEncodeString(s string, set uint8) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && !inEncodeSet(rune(s[i]), set) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, i, len(s)+16)
	copy(b, s)
	for _, r := range s[i:] {
		b = appendPercentEncoded(b, r, set)
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode implements percent-decode on the bytes of s; if plusAsSpace,
// '+' becomes a space first, as form decoding requires.
func percentDecode(s string, plusAsSpace bool) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' && plusAsSpace {
			b = append(b, ' ')
			continue
		}
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, c)
	}
	return b
}

// formDecode decodes one name or value of application/x-www-form-urlencoded
// input: '+' is a space, then percent-decode, then UTF-8 decode without BOM.
func formDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		if utf8.ValidString(s) {
			return s
		}
		return string(decodeUTF8(nil, []byte(s)))
	}
	return string(decodeUTF8(nil, percentDecode(s, true)))
}

// formEncode appends the application/x-www-form-urlencoded serialization of
// s (space as '+') to b.
func formEncode(b []byte, s string) []byte {
	for _, r := range s {
		if r == ' ' {
			b = append(b, '+')
		} else {
			b = appendPercentEncoded(b, r, formSet)
		}
	}
	return b
}

// decodeUTF8 appends the WHATWG UTF-8 decoding of p (with replacement, no BOM
// handling) to dst.
func decodeUTF8(dst, p []byte) []byte {
	var d utf8Decoder
	dst, _ = d.decode(dst, p, true, false)
	return dst
}

// utf8Decoder is the streaming UTF-8 decoder of the Encoding Standard: each
// maximal invalid subsequence becomes one U+FFFD.
type utf8Decoder struct {
	cp     rune
	needed int8
	seen   int8
	lower  byte
	upper  byte
}

// decode appends the decoding of p to dst. If flush, an incomplete sequence
// at the end is an error; otherwise it is kept for the next call. If fatal,
// decoding stops at the first error and reports false.
func (d *utf8Decoder) decode(dst, p []byte, flush, fatal bool) ([]byte, bool) {
	if d.lower == 0 {
		d.lower, d.upper = 0x80, 0xBF
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		if d.needed == 0 {
			switch {
			case b < 0x80:
				// ASCII run fast path.
				j := i + 1
				for j < len(p) && p[j] < 0x80 {
					j++
				}
				dst = append(dst, p[i:j]...)
				i = j - 1
			case b >= 0xC2 && b <= 0xDF:
				d.needed, d.cp = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					d.lower = 0xA0
				} else if b == 0xED {
					d.upper = 0x9F
				}
				d.needed, d.cp = 2, rune(b&0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					d.lower = 0x90
				} else if b == 0xF4 {
					d.upper = 0x8F
				}
				d.needed, d.cp = 3, rune(b&0x7)
			default:
				if fatal {
					return dst, false
				}
				dst = append(dst, "\uFFFD"...)
			}
			continue
		}
		if b < d.lower || b > d.upper {
			*d = utf8Decoder{lower: 0x80, upper: 0xBF}
			if fatal {
				return dst, false
			}
			dst = append(dst, "\uFFFD"...)
			i-- // reprocess b
			continue
		}
		d.lower, d.upper = 0x80, 0xBF
		d.cp = d.cp<<6 | rune(b&0x3F)
		d.seen++
		if d.seen == d.needed {
			dst = utf8.AppendRune(dst, d.cp)
			d.cp, d.needed, d.seen = 0, 0, 0
		}
	}
	if flush && d.needed != 0 {
		*d = utf8Decoder{lower: 0x80, upper: 0xBF}
		if fatal {
			return dst, false
		}
		dst = append(dst, "\uFFFD"...)
	}
	return dst, true
}
