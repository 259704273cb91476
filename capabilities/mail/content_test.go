package mail

import (
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseContent(t *testing.T) {
	for _, tc := range []struct {
		name, raw, text string
		attachments     []string
	}{
		{"plain, no headers beyond the minimum", "Subject: x\n\nhello\n", "hello", nil},
		{"html only", "Content-Type: text/html; charset=utf-8\n\n<html><head><title>T</title><style>p{}</style></head><body><p>Hi &amp; bye</p><script>alert(1)</script><ul><li>one</li><li>two</li></ul>x<br>y</body></html>",
			"Hi & bye\n\n- one\n- two\nx\ny", nil},
		{"base64 utf-8", "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8sIHfDtnJsZCE=\n", "Hello, wörld!", nil},
		{"raw latin-1", "Content-Type: text/plain; charset=ISO-8859-1\n\ncaf\xe9\n", "café", nil},
		{"windows-1252", "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=93quoted=94 =80 5\n", "\u201cquoted\u201d € 5", nil},
		{"latin-9", "Content-Type: text/plain; charset=iso-8859-15\n\n\xa4 \xbd\n", "€ œ", nil},
		{"unknown charset, invalid bytes", "Content-Type: text/plain; charset=x-klingon\n\nok \xff\n", "ok \uFFFD", nil},
		{"nested multipart prefers plain, names attachments", "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>html</p>\n--b\nContent-Type: text/plain\n\nplain\n--b--\n--a\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\n\nxx\n--a\nContent-Type: application/octet-stream\nContent-Disposition: attachment\n\nyy\n--a\nContent-Type: message/rfc822\n\nSubject: fwd\n\nbody\n--a\nContent-Type: image/png; name=\"=?utf-8?q?p=C3=A9.png?=\"\n\nzz\n--a--\n",
			"plain", []string{"résumé.pdf", "(unnamed)", "(message).eml", "pé.png"}},
		{"multipart without boundary", "Content-Type: multipart/mixed\n\nwhatever\n", "", nil},
		{"bad content type is plain", "Content-Type: ;;;\n\ntext\n", "text", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseContent(strings.NewReader(tc.raw), 0)
			if err != nil {
				t.Fatal(err)
			}
			if c.Text != tc.text || !slices.Equal(c.Attachments, tc.attachments) {
				t.Fatalf("got %q %q, want %q %q", c.Text, c.Attachments, tc.text, tc.attachments)
			}
		})
	}
}

func TestTruncateOnRuneBoundary(t *testing.T) {
	c, err := ParseContent(strings.NewReader("\n"+strings.Repeat("é", 10)), 5)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || !strings.HasPrefix(c.Text, "éé\n"+TruncatedMarker) || !utf8.ValidString(c.Text) {
		t.Fatalf("text %q", c.Text)
	}
}

func TestMessageOf(t *testing.T) {
	raw := "From: =?utf-8?q?Z=C3=B6e?= <Zoe@Example.COM>\nTo: undisclosed-recipients:;\nCc: broken <<a@b.example>, c@d.example\n" +
		"Subject: =?utf-8?q?line=0D=0ABcc:_x?=\nMessage-ID: no-brackets@x\nReferences: <a@x>\n <b@x>\nIn-Reply-To: <c@x> (comment)\nDate: garbage\n\n"
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got := messageOf(m.Header, "/x/cur/1700000000.M1P1.h:2,RS", time.Time{})
	if got.From != "zoe@example.com" || len(got.To) != 0 || !slices.Equal(got.Cc, []string{"a@b.example", "c@d.example"}) {
		t.Errorf("addresses %q %q %q", got.From, got.To, got.Cc)
	}
	if got.Subject != "line  Bcc: x" || got.ID != "no-brackets@x" || !slices.Equal(got.References, []string{"a@x", "b@x"}) || !slices.Equal(got.InReplyTo, []string{"c@x"}) {
		t.Errorf("got %+v", got)
	}
	if got.Flags != "RS" || !got.Date.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("flags %q date %v", got.Flags, got.Date)
	}
}

func TestThreadsCycle(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2023, 1, 1, h, 0, 0, 0, time.UTC) }
	msgs := []Message{
		{ID: "a", References: []string{"b"}, Date: at(1)},
		{ID: "b", References: []string{"a"}, Date: at(2)},
		{ID: "c", References: []string{"x", "y"}, Date: at(3)},
		{ID: "d", InReplyTo: []string{"y"}, Date: at(4)},
		{ID: "a", Date: at(5), Path: "duplicate"},
	}
	ts := threads(msgs)
	if len(ts) != 2 {
		t.Fatalf("%d threads, want 2: %+v", len(ts), ts)
	}
	if ts[0].Root != "x" || len(ts[0].Messages) != 2 || ts[1].Root != "b" || len(ts[1].Messages) != 2 {
		t.Fatalf("threads %+v", ts)
	}
}

func TestBaseSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Re: Fwd: hi": "hi", "RE:hi": "hi", "AW: Re[2]: hi": "hi", "Rebus": "Rebus", "": "",
	} {
		if got := baseSubject(in); got != want {
			t.Errorf("baseSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseContent(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain; charset=latin1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--a--\n"), 8)
	f.Add([]byte("Content-Type: text/html\nContent-Transfer-Encoding: base64\n\nPGI+aGk8L2I+\n"), 0)
	f.Add([]byte("From: a@b\nReferences: <x@y> <y@z>\nSubject: =?iso-8859-1?q?caf=E9?=\n\n"), 3)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		max = max % 1000
		c, err := ParseContent(bytes.NewReader(raw), max)
		if err != nil {
			return
		}
		if !utf8.ValidString(c.Text) {
			t.Fatalf("invalid UTF-8 text %q", c.Text)
		}
		if max > 0 && c.Truncated {
			body, _, _ := strings.Cut(c.Text, "\n"+TruncatedMarker)
			if len(body) > max {
				t.Fatalf("text %d bytes over %d", len(body), max)
			}
		}
		if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
			msg := messageOf(m.Header, "/m/cur/x:2,S", time.Time{})
			if msg.ID == "" || strings.ContainsAny(msg.Subject, "\r\n") {
				t.Fatalf("message %+v", msg)
			}
			_ = threads([]Message{msg, msg})
		}
	})
}
