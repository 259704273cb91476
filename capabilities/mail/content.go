package mail

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Content is what a message says: its plain text and the names of its
// attachments.
type Content struct {
	// Text is the first text/plain part that is not an attachment or, when
	// there is none, the first text/html part with its tags stripped;
	// transfer encoding and charset decoded, as UTF-8.
	Text string
	// Attachments are the file names of the attachments, in order; an
	// attachment without a name is "(unnamed)", an attached message
	// "(message).eml" unless named.
	Attachments []string
	// Truncated reports that Text was cut to the limit given.
	Truncated bool
}

// TruncatedMarker starts the line appended to a text cut to its limit.
const TruncatedMarker = "[littleboxes: message truncated"

// maxMIMEDepth bounds the nesting of multipart parts followed.
const maxMIMEDepth = 12

// ReadContent reads the message file at path and returns its content, the
// text cut to maxText bytes (on a UTF-8 boundary, followed by a line starting
// with [TruncatedMarker]) when longer. maxText <= 0 means no limit beyond the
// reader's own (64 MiB of file).
func ReadContent(path string, maxText int) (Content, error) {
	f, err := os.Open(path)
	if err != nil {
		return Content{}, fmt.Errorf("reading message: %w", err)
	}
	defer f.Close()
	return ParseContent(io.LimitReader(f, maxMessageBytes), maxText)
}

// ParseContent is ReadContent on a message given as a reader.
func ParseContent(r io.Reader, maxText int) (Content, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return Content{}, fmt.Errorf("reading message: %w", err)
	}
	st := &walker{}
	st.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0)
	c := Content{Attachments: st.attachments}
	switch {
	case st.plain != nil:
		c.Text = *st.plain
	case st.html != nil:
		c.Text = stripHTML(*st.html)
	}
	c.Text = strings.TrimRight(strings.ReplaceAll(c.Text, "\r\n", "\n"), " \t\r\n")
	if maxText > 0 && len(c.Text) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(c.Text[cut]) {
			cut--
		}
		c.Text = fmt.Sprintf("%s\n%s: %d of %d bytes shown]", c.Text[:cut], TruncatedMarker, cut, len(c.Text))
		c.Truncated = true
	}
	return c, nil
}

type walker struct {
	plain, html *string
	attachments []string
}

// maxPartBytes bounds how much of one text part is decoded.
const maxPartBytes = 8 << 20

func (w *walker) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ctype == "" {
		ctype, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = cleanHeader(decodeHeader(name))

	if strings.HasPrefix(ctype, "multipart/") {
		if depth >= maxMIMEDepth || params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			w.walk(p.Header, p, depth+1)
		}
	}
	switch {
	case ctype == "message/rfc822" && name == "":
		w.attachments = append(w.attachments, "(message).eml")
		return
	case disp == "attachment" || name != "":
		if name == "" {
			name = "(unnamed)"
		}
		w.attachments = append(w.attachments, name)
		return
	case ctype == "text/plain" && w.plain == nil:
		s := decodeBody(h, params, body)
		w.plain = &s
	case ctype == "text/html" && w.html == nil:
		s := decodeBody(h, params, body)
		w.html = &s
	}
}

// decodeBody undoes a part's transfer encoding and charset.
func decodeBody(h textproto.MIMEHeader, params map[string]string, body io.Reader) string {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: body})
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxPartBytes)) // keep what decoded before an error
	return decodeCharset(b, params["charset"])
}

// base64Filter drops what base64.StdEncoding cannot take besides the
// newlines it skips itself: spaces, tabs and stray characters some mailers
// leave in.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := f.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// decodeCharset converts text in a charset to UTF-8: UTF-8 and US-ASCII as
// they are, ISO-8859-1 (latin-1), ISO-8859-15 and Windows-1252 by table; any
// other charset is read as UTF-8 with invalid bytes replaced.
func decodeCharset(b []byte, charset string) string {
	switch normCharset(charset) {
	case "iso88591", "latin1", "l1", "iso885911987", "cp819", "ibm819":
		return singleByte(b, nil)
	case "windows1252", "cp1252", "xwindows1252":
		return singleByte(b, &cp1252)
	case "iso885915", "latin9", "latin0":
		return singleByte(b, &latin9)
	default:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
}

func normCharset(cs string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(cs) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// singleByte decodes a single-byte charset: latin-1, with the bytes
// 0x80-0xBF remapped by table when given (0 means unchanged).
func singleByte(b []byte, table *[64]rune) string {
	var s strings.Builder
	s.Grow(len(b) + len(b)/8)
	for _, c := range b {
		r := rune(c)
		if table != nil && c >= 0x80 && c < 0xC0 && table[c-0x80] != 0 {
			r = table[c-0x80]
		}
		s.WriteRune(r)
	}
	return s.String()
}

// cp1252 maps Windows-1252's 0x80-0x9F; latin9 ISO-8859-15's changes.
var (
	cp1252 = [64]rune{
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
		0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
	}
	latin9 = [64]rune{
		0x24: 0x20AC, 0x26: 0x0160, 0x28: 0x0161, 0x34: 0x017D, 0x38: 0x017E, 0x3C: 0x0152, 0x3D: 0x0153, 0x3E: 0x0178,
	}
)

// charsetReader lets mime.WordDecoder read the charsets decodeCharset knows.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(input, maxHeaderBytes))
	if err != nil {
		return nil, err
	}
	return strings.NewReader(decodeCharset(b, charset)), nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// decodeHeader decodes RFC 2047 encoded words; a header that fails to decode
// is returned as it is, as valid UTF-8.
func decodeHeader(v string) string {
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		d = v
	}
	return strings.ToValidUTF8(d, "\uFFFD")
}

var (
	htmlDrop   = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>|<!--.*?-->`)
	htmlBreak  = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/tr|/h[1-6]|/ul|/ol|/blockquote|hr)\b[^>]*>`)
	htmlItem   = regexp.MustCompile(`(?i)<\s*li\b[^>]*>`)
	htmlTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRun   = regexp.MustCompile(`[ \t\f\v\x{00A0}]+`)
	blankLines = regexp.MustCompile(`\n{3,}`)
)

// stripHTML turns HTML into crude plain text: scripts, styles and comments
// dropped, block ends as newlines, list items as "- ", other tags removed,
// entities decoded, runs of blanks collapsed.
func stripHTML(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlItem.ReplaceAllString(s, "\n- ")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\r", "")
	s = spaceRun.ReplaceAllString(s, " ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	s = blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(s)
}
