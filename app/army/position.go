package army

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file finds where in an army file's text a problem yaml.v3 reports
// lies. yaml.v3 gives no position for a character it refuses, and for a
// syntax error it gives the line where the construct around the problem
// began, counted from 0 for parser errors (one line early), and no column.

// maxSearchBytes bounds the files in which a syntax error's position is
// searched for; beyond it the line yaml.v3 gives is reported.
const maxSearchBytes = 1 << 20

// utf16BOMs begin a file yaml.v3 reads as UTF-16.
var utf16BOMs = [][]byte{{0xfe, 0xff}, {0xff, 0xfe}}

// badChar finds the first byte sequence of data that is not UTF-8, or the
// first character YAML does not allow in a file (a NUL, a control
// character other than tab and line breaks, a surrogate, U+FFFE and U+FFFF),
// and says where it is and what it is. A UTF-16 file (one beginning with its
// byte order mark) is left to yaml.v3.
func badChar(data []byte) (Pos, string, bool) {
	for _, bom := range utf16BOMs {
		if bytes.HasPrefix(data, bom) {
			return Pos{}, "", false
		}
	}
	for off := 0; off < len(data); {
		r, n := utf8.DecodeRune(data[off:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return position(data, off), fmt.Sprintf("the army file is not UTF-8 text (byte 0x%02x): save it as UTF-8", data[off]), true
		case r == 0:
			return position(data, off), "the army file holds a NUL byte: it must be text", true
		case !yamlAllowed(r):
			return position(data, off), fmt.Sprintf("the army file holds the control character %U, which YAML does not allow (in a double-quoted string, write it as \"\\u%04X\")", r, r), true
		}
		off += n
	}
	return Pos{}, "", false
}

// yamlAllowed reports whether YAML allows r in a file (YAML 1.2's
// c-printable, which yaml.v3 checks).
func yamlAllowed(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
	case r >= 0x20 && r <= 0x7e:
	case r == 0x85:
	case r >= 0xa0 && r <= 0xd7ff:
	case r >= 0xe000 && r <= 0xfffd:
	case r >= 0x10000 && r <= 0x10ffff:
	default:
		return false
	}
	return true
}

// position returns the line and column of the character at byte offset off
// of data, counted as yaml.v3 counts them: lines end at \n, \r\n, \r, U+0085,
// U+2028 and U+2029; a column is a character; a byte order mark at the start
// is not counted.
func position(data []byte, off int) Pos {
	p := Pos{Line: 1, Column: 1}
	i := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		i = 3
	}
	for i < off && i < len(data) {
		r, n := utf8.DecodeRune(data[i:])
		switch r {
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				n = 2
			}
			fallthrough
		case '\n', 0x85, 0x2028, 0x2029:
			p.Line++
			p.Column = 1
		default:
			p.Column++
		}
		i += n
	}
	return p
}

// yamlError reads every document of data and returns the message of the
// first error, or "" when there is none.
func yamlError(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := safeDecode(dec, &n); err != nil {
			if err == io.EOF {
				return ""
			}
			return err.Error()
		}
	}
}

// syntaxPos finds where the syntax error msg (as yaml.v3 words it, for the
// whole of data) lies: at the last character of the shortest beginning of
// data that yaml.v3 refuses with the same message, the character that made
// it wrong; at the end of the file when only blanks follow that character
// (the problem is then what the file lacks at its end: a closing bracket or
// quote). An unknown anchor lies at its first alias.
//
// The search assumes that once a beginning is refused with the message, so
// are the longer ones, as a parser reading forward makes it. In a flow
// collection ({...} or [...]) that spans lines, a beginning cut inside it
// can be refused for lacking its end with the very message of a later error,
// and the error is then placed early, inside the collection. The search
// costs a few dozen parses of the file up to the error. It returns the zero
// Pos when it finds nothing.
func syntaxPos(data []byte, msg string) Pos {
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			return position(data, i)
		}
		return Pos{}
	}
	if len(data) > maxSearchBytes {
		return Pos{}
	}
	same := func(end int) bool { return yamlError(data[:end]) == msg }
	// The line: ends[i] is the end of the first i+1 lines.
	var ends []int
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	// The error lies at or after the line yaml.v3 names (the line where
	// the construct around it began, maybe counted from 0): gallop from
	// there, then search between.
	lo := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		lo = min(max(n-2, 0), len(ends)-1)
	}
	hi := len(ends) - 1
	for step := 1; lo+step-1 < hi; step *= 2 {
		if same(ends[lo+step-1]) {
			hi = lo + step - 1
			break
		}
		lo += step
	}
	li := lo + sort.Search(hi-lo+1, func(i int) bool { return same(ends[lo+i]) })
	if li > hi {
		return Pos{}
	}
	start := 0
	if li > 0 {
		start = ends[li-1]
	}
	// The character, within that line: cuts[i] is the end of its first i+1
	// characters.
	var cuts []int
	for off := start; off < ends[li]; {
		_, n := utf8.DecodeRune(data[off:])
		off += n
		cuts = append(cuts, off)
	}
	ci := sort.Search(len(cuts), func(i int) bool { return same(cuts[i]) })
	if ci == len(cuts) {
		return Pos{}
	}
	if len(bytes.TrimLeft(data[cuts[ci]:], " \t\r\n")) == 0 {
		return position(data, len(data))
	}
	last := start
	if ci > 0 {
		last = cuts[ci-1]
	}
	return position(data, last)
}

var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
