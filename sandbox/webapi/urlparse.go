package webapi

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the WHATWG URL parser (https://url.spec.whatwg.org/), written
// from the specification's state machine. It knows nothing of goja.

// urlRecord is a URL record of the URL Standard.
type urlRecord struct {
	scheme   string
	username string
	password string
	host     string // serialized host; meaningful when hasHost
	hasHost  bool   // false: the host is null
	port     int    // -1: the port is null
	path     []string
	opaque   bool   // the URL has an opaque path, held in opaquePath
	opaqueP  string // the opaque path
	query    string
	hasQuery bool
	frag     string
	hasFrag  bool
}

// parserState is a state of the basic URL parser; noState means "no state
// override".
type parserState uint8

const (
	noState parserState = iota
	schemeStartState
	schemeState
	noSchemeState
	specialRelativeOrAuthorityState
	pathOrAuthorityState
	relativeState
	relativeSlashState
	specialAuthoritySlashesState
	specialAuthorityIgnoreSlashesState
	authorityState
	hostState
	hostnameState
	portState
	fileState
	fileSlashState
	fileHostState
	pathStartState
	pathState
	opaquePathState
	queryState
	fragmentState
)

const eof = -1

// defaultPort returns the default port of a special scheme, or -1.
func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return -1
}

func isSpecialScheme(scheme string) bool {
	switch scheme {
	case "http", "https", "ws", "wss", "ftp", "file":
		return true
	}
	return false
}

func (u *urlRecord) special() bool { return isSpecialScheme(u.scheme) }

func (u *urlRecord) includesCredentials() bool { return u.username != "" || u.password != "" }

// cannotHaveUsernamePasswordPort reports whether the username, password and
// port setters do nothing for u.
func (u *urlRecord) cannotHaveUsernamePasswordPort() bool {
	return !u.hasHost || u.host == "" || u.scheme == "file"
}

func (u *urlRecord) shortenPath() {
	if u.scheme == "file" && len(u.path) == 1 && isNormalizedWindowsDriveLetter(u.path[0]) {
		return
	}
	if len(u.path) > 0 {
		u.path = u.path[:len(u.path)-1]
	}
}

// copyAuthority copies base's credentials, host and port into u.
func (u *urlRecord) copyAuthority(base *urlRecord) {
	u.username, u.password = base.username, base.password
	u.host, u.hasHost, u.port = base.host, base.hasHost, base.port
}

// startQueryOrFragment starts an empty query at '?' or an empty fragment at
// '#', and returns the state that reads it; at any other c it returns
// noState and changes nothing.
func (u *urlRecord) startQueryOrFragment(c rune) parserState {
	switch c {
	case '?':
		u.query, u.hasQuery = "", true
		return queryState
	case '#':
		u.frag, u.hasFrag = "", true
		return fragmentState
	}
	return noState
}

// setHost parses s as u's host (an opaque host when opaque) and sets it;
// it reports false, changing nothing, when s is not a valid host.
func (u *urlRecord) setHost(s string, opaque bool) bool {
	host, ok := parseHost(s, opaque)
	if !ok {
		return false
	}
	u.host, u.hasHost = host, true
	return true
}

func (u *urlRecord) clone() *urlRecord {
	c := *u
	c.path = append([]string(nil), u.path...)
	return &c
}

func isASCIIAlpha(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIDigit(c rune) bool { return c >= '0' && c <= '9' }
func isASCIIHex(c rune) bool {
	return isASCIIDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func toLowerASCII(c rune) rune {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// isWindowsDriveLetter reports whether s is two code points, an ASCII alpha
// followed by ':' or '|'.
func isWindowsDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(rune(s[0])) && (s[1] == ':' || s[1] == '|')
}

func isNormalizedWindowsDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(rune(s[0])) && s[1] == ':'
}

// startsWithWindowsDriveLetter implements "starts with a Windows drive
// letter" for the code points rs.
func startsWithWindowsDriveLetter(rs []rune) bool {
	if len(rs) < 2 || !isASCIIAlpha(rs[0]) || (rs[1] != ':' && rs[1] != '|') {
		return false
	}
	if len(rs) == 2 {
		return true
	}
	switch rs[2] {
	case '/', '\\', '?', '#':
		return true
	}
	return false
}

func isSingleDot(s string) bool { return s == "." || strings.EqualFold(s, "%2e") }

func isDoubleDot(s string) bool {
	switch len(s) {
	case 2:
		return s == ".."
	case 4:
		return strings.EqualFold(s, ".%2e") || strings.EqualFold(s, "%2e.")
	case 6:
		return strings.EqualFold(s, "%2e%2e")
	}
	return false
}

// trimControlAndSpace removes leading and trailing C0 controls and spaces.
func trimControlAndSpace(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= 0x20 {
		i++
	}
	for j > i && s[j-1] <= 0x20 {
		j--
	}
	return s[i:j]
}

// removeTabNewline removes every ASCII tab or newline from s.
func removeTabNewline(s string) string {
	if strings.IndexAny(s, "\t\n\r") < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && c != '\n' && c != '\r' {
			b = append(b, c)
		}
	}
	return string(b)
}

// parseURL runs the basic URL parser on input with no URL given; base may be
// nil. It reports failure as false.
func parseURL(input string, base *urlRecord) (*urlRecord, bool) {
	u := &urlRecord{port: -1}
	if !u.parse(trimControlAndSpace(input), base, noState) {
		return nil, false
	}
	return u, true
}

// parseURLWithBase parses input against the base URL string, as the URL
// constructor does (hasBase false means no base argument).
func parseURLWithBase(input, base string, hasBase bool) (*urlRecord, bool) {
	var b *urlRecord
	if hasBase {
		var ok bool
		if b, ok = parseURL(base, nil); !ok {
			return nil, false
		}
	}
	return parseURL(input, b)
}

// parse runs the basic URL parser on input with u as the given URL, mutating
// it in place, from the state override (noState: none). It reports whether
// the parser did not return failure; with a state override, u may have been
// partly changed even then, as the specification says.
func (u *urlRecord) parse(input string, base *urlRecord, override parserState) bool {
	input = removeTabNewline(input)
	rs := []rune(input)
	n := len(rs)
	state := override
	if state == noState {
		state = schemeStartState
	}
	var (
		buf               []byte
		atSignSeen        bool
		insideBrackets    bool
		passwordTokenSeen bool
		special           = u.special() // kept in step with u.scheme
	)
	at := func(i int) rune {
		if i < n {
			return rs[i]
		}
		return eof
	}

	for p := 0; ; p++ {
		c := at(p)
		switch state {
		case schemeStartState:
			if isASCIIAlpha(c) {
				buf = append(buf, byte(toLowerASCII(c)))
				state = schemeState
			} else if override == noState {
				state = noSchemeState
				p--
			} else {
				return false
			}

		case schemeState:
			if isASCIIAlpha(c) || isASCIIDigit(c) || c == '+' || c == '-' || c == '.' {
				buf = append(buf, byte(toLowerASCII(c)))
			} else if c == ':' {
				scheme := string(buf)
				if override != noState {
					if special != isSpecialScheme(scheme) {
						return true
					}
					if (u.includesCredentials() || u.port >= 0) && scheme == "file" {
						return true
					}
					if u.scheme == "file" && u.hasHost && u.host == "" {
						return true
					}
				}
				u.scheme, special = scheme, isSpecialScheme(scheme)
				if override != noState {
					if u.port == defaultPort(u.scheme) {
						u.port = -1
					}
					return true
				}
				buf = buf[:0]
				switch {
				case u.scheme == "file":
					state = fileState
				case special && base != nil && base.scheme == u.scheme:
					state = specialRelativeOrAuthorityState
				case special:
					state = specialAuthoritySlashesState
				case at(p+1) == '/':
					state = pathOrAuthorityState
					p++
				default:
					u.opaque, u.opaqueP, u.path = true, "", nil
					state = opaquePathState
				}
			} else if override == noState {
				buf = buf[:0]
				state = noSchemeState
				p = -1
			} else {
				return false
			}

		case noSchemeState:
			switch {
			case base == nil || base.opaque && c != '#':
				return false
			case base.opaque && c == '#':
				u.scheme, special = base.scheme, isSpecialScheme(base.scheme)
				u.opaque, u.opaqueP = true, base.opaqueP
				u.query, u.hasQuery = base.query, base.hasQuery
				u.frag, u.hasFrag = "", true
				state = fragmentState
			case base.scheme != "file":
				state = relativeState
				p--
			default:
				state = fileState
				p--
			}

		case specialRelativeOrAuthorityState:
			if c == '/' && at(p+1) == '/' {
				state = specialAuthorityIgnoreSlashesState
				p++
			} else {
				state = relativeState
				p--
			}

		case pathOrAuthorityState:
			if c == '/' {
				state = authorityState
			} else {
				state = pathState
				p--
			}

		case relativeState:
			u.scheme, special = base.scheme, isSpecialScheme(base.scheme)
			if c == '/' || special && c == '\\' {
				state = relativeSlashState
				break
			}
			u.copyAuthority(base)
			u.path = append([]string(nil), base.path...)
			u.query, u.hasQuery = base.query, base.hasQuery
			if next := u.startQueryOrFragment(c); next != noState {
				state = next
			} else if c != eof {
				u.query, u.hasQuery = "", false
				u.shortenPath()
				state = pathState
				p--
			}

		case relativeSlashState:
			if special && (c == '/' || c == '\\') {
				state = specialAuthorityIgnoreSlashesState
			} else if c == '/' {
				state = authorityState
			} else {
				u.copyAuthority(base)
				state = pathState
				p--
			}

		case specialAuthoritySlashesState:
			state = specialAuthorityIgnoreSlashesState
			if c == '/' && at(p+1) == '/' {
				p++ // past both slashes
			} else {
				p-- // read c again there
			}

		case specialAuthorityIgnoreSlashesState:
			if c != '/' && c != '\\' {
				state = authorityState
				p--
			}

		case authorityState:
			if c == '@' {
				if atSignSeen {
					buf = append([]byte("%40"), buf...)
				}
				atSignSeen = true
				var user, pass []byte
				for _, r := range string(buf) {
					if r == ':' && !passwordTokenSeen {
						passwordTokenSeen = true
						continue
					}
					if passwordTokenSeen {
						pass = appendPercentEncoded(pass, r, userinfoSet)
					} else {
						user = appendPercentEncoded(user, r, userinfoSet)
					}
				}
				u.username += string(user)
				u.password += string(pass)
				buf = buf[:0]
			} else if c == eof || c == '/' || c == '?' || c == '#' || special && c == '\\' {
				if atSignSeen && len(buf) == 0 {
					return false
				}
				p -= utf8.RuneCount(buf) + 1
				buf = buf[:0]
				state = hostState
			} else {
				buf = utf8.AppendRune(buf, c)
			}

		case hostState, hostnameState:
			if override != noState && u.scheme == "file" {
				p--
				state = fileHostState
			} else if c == ':' && !insideBrackets {
				if len(buf) == 0 {
					return false
				}
				if override == hostnameState {
					return false
				}
				if !u.setHost(string(buf), !special) {
					return false
				}
				buf = buf[:0]
				state = portState
			} else if c == eof || c == '/' || c == '?' || c == '#' || special && c == '\\' {
				p--
				if special && len(buf) == 0 {
					return false
				}
				if override != noState && len(buf) == 0 && (u.includesCredentials() || u.port >= 0) {
					return false
				}
				if !u.setHost(string(buf), !special) {
					return false
				}
				buf = buf[:0]
				state = pathStartState
				if override != noState {
					return true
				}
			} else {
				if c == '[' {
					insideBrackets = true
				} else if c == ']' {
					insideBrackets = false
				}
				buf = utf8.AppendRune(buf, c)
			}

		case portState:
			if isASCIIDigit(c) {
				buf = append(buf, byte(c))
			} else if c == eof || c == '/' || c == '?' || c == '#' || special && c == '\\' || override != noState {
				if len(buf) != 0 {
					port := 0
					for _, d := range buf {
						port = port*10 + int(d-'0')
						if port > 65535 {
							return false
						}
					}
					if port == defaultPort(u.scheme) {
						u.port = -1
					} else {
						u.port = port
					}
					buf = buf[:0]
					if override != noState {
						return true
					}
				}
				if override != noState {
					return false
				}
				state = pathStartState
				p--
			} else {
				return false
			}

		case fileState:
			u.scheme, special = "file", true
			u.host, u.hasHost = "", true
			if c == '/' || c == '\\' {
				state = fileSlashState
			} else if base != nil && base.scheme == "file" {
				u.host, u.hasHost = base.host, base.hasHost
				u.path = append([]string(nil), base.path...)
				u.query, u.hasQuery = base.query, base.hasQuery
				if next := u.startQueryOrFragment(c); next != noState {
					state = next
				} else if c != eof {
					u.query, u.hasQuery = "", false
					if !startsWithWindowsDriveLetter(rs[p:]) {
						u.shortenPath()
					} else {
						u.path = nil
					}
					state = pathState
					p--
				}
			} else {
				state = pathState
				p--
			}

		case fileSlashState:
			if c == '/' || c == '\\' {
				state = fileHostState
			} else {
				if base != nil && base.scheme == "file" {
					u.host, u.hasHost = base.host, base.hasHost
					if !startsWithWindowsDriveLetter(rs[p:]) && len(base.path) > 0 && isNormalizedWindowsDriveLetter(base.path[0]) {
						u.path = append(u.path, base.path[0])
					}
				}
				state = pathState
				p--
			}

		case fileHostState:
			if c == eof || c == '/' || c == '\\' || c == '?' || c == '#' {
				p--
				if override == noState && isWindowsDriveLetter(string(buf)) {
					state = pathState
				} else if len(buf) == 0 {
					u.host, u.hasHost = "", true
					if override != noState {
						return true
					}
					state = pathStartState
				} else {
					host, ok := parseHost(string(buf), false)
					if !ok {
						return false
					}
					if host == "localhost" {
						host = ""
					}
					u.host, u.hasHost = host, true
					if override != noState {
						return true
					}
					buf = buf[:0]
					state = pathStartState
				}
			} else {
				buf = utf8.AppendRune(buf, c)
			}

		case pathStartState:
			switch {
			case special:
				state = pathState
				if c != '/' && c != '\\' {
					p--
				}
			case override == noState && (c == '?' || c == '#'):
				state = u.startQueryOrFragment(c)
			case c != eof:
				state = pathState
				if c != '/' {
					p--
				}
			case override != noState && !u.hasHost:
				u.path = append(u.path, "")
			}

		case pathState:
			slash := c == '/' || special && c == '\\'
			if c == eof || slash || override == noState && (c == '?' || c == '#') {
				seg := string(buf)
				if isDoubleDot(seg) {
					u.shortenPath()
					if !slash {
						u.path = append(u.path, "")
					}
				} else if isSingleDot(seg) {
					if !slash {
						u.path = append(u.path, "")
					}
				} else {
					if u.scheme == "file" && len(u.path) == 0 && isWindowsDriveLetter(seg) {
						seg = seg[:1] + ":"
					}
					u.path = append(u.path, seg)
				}
				buf = buf[:0]
				if next := u.startQueryOrFragment(c); next != noState {
					state = next
				}
			} else {
				buf = appendPercentEncoded(buf, c, pathSet)
			}

		case opaquePathState:
			switch c {
			case '?', '#':
				u.opaqueP = string(buf)
				buf = buf[:0]
				state = u.startQueryOrFragment(c)
			case ' ':
				if next := at(p + 1); next == '?' || next == '#' {
					buf = append(buf, "%20"...)
				} else {
					buf = append(buf, ' ')
				}
			case eof:
				u.opaqueP = string(buf)
			default:
				buf = appendPercentEncoded(buf, c, c0ControlSet)
			}

		case queryState:
			if override == noState && c == '#' || c == eof {
				u.query += string(buf)
				buf = buf[:0]
				if c == '#' {
					state = u.startQueryOrFragment(c)
				}
			} else {
				set := querySet
				if special {
					set = specialQuerySet
				}
				buf = appendPercentEncoded(buf, c, set)
			}

		case fragmentState:
			if c == eof {
				u.frag += string(buf)
			} else {
				buf = appendPercentEncoded(buf, c, fragmentSet)
			}
		}
		if p >= n {
			return true
		}
	}
}

// serialize implements the URL serializer.
func (u *urlRecord) serialize(excludeFragment bool) string {
	var b strings.Builder
	b.Grow(len(u.scheme) + len(u.host) + len(u.query) + len(u.frag) + 16)
	b.WriteString(u.scheme)
	b.WriteByte(':')
	if u.hasHost {
		b.WriteString("//")
		if u.includesCredentials() {
			b.WriteString(u.username)
			if u.password != "" {
				b.WriteByte(':')
				b.WriteString(u.password)
			}
			b.WriteByte('@')
		}
		b.WriteString(u.host)
		if u.port >= 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(u.port))
		}
	} else if !u.opaque && len(u.path) > 1 && u.path[0] == "" {
		b.WriteString("/.")
	}
	u.writePath(&b)
	if u.hasQuery {
		b.WriteByte('?')
		b.WriteString(u.query)
	}
	if !excludeFragment && u.hasFrag {
		b.WriteByte('#')
		b.WriteString(u.frag)
	}
	return b.String()
}

func (u *urlRecord) writePath(b *strings.Builder) {
	if u.opaque {
		b.WriteString(u.opaqueP)
		return
	}
	for _, seg := range u.path {
		b.WriteByte('/')
		b.WriteString(seg)
	}
}

// pathname implements the URL path serializer.
func (u *urlRecord) pathname() string {
	if u.opaque {
		return u.opaqueP
	}
	if len(u.path) == 1 {
		return "/" + u.path[0]
	}
	var b strings.Builder
	u.writePath(&b)
	return b.String()
}

// origin returns the ASCII serialization of u's origin.
func (u *urlRecord) origin() string {
	switch u.scheme {
	case "blob":
		if u.opaque || len(u.path) > 0 {
			inner, ok := parseURL(u.pathname(), nil)
			if ok && (inner.scheme == "http" || inner.scheme == "https") {
				return inner.origin()
			}
		}
		return "null"
	case "ftp", "http", "https", "ws", "wss":
		s := u.scheme + "://" + u.host
		if u.port >= 0 {
			s += ":" + strconv.Itoa(u.port)
		}
		return s
	}
	return "null"
}
