package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"littleboxes/capabilities"
)

// Security is how the SMTP connection is protected.
type Security string

// SMTP security modes.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS, refusing
	// to go on if the server does not offer it (port 587).
	StartTLS Security = "starttls"
	// TLS connects with TLS from the start (port 465).
	TLS Security = "tls"
	// None sends in plain text; allowed only to a loopback host.
	None Security = "none"
)

// Outgoing is a reply ready to send: its envelope and its bytes.
type Outgoing struct {
	// From is the envelope sender, a bare address.
	From string
	// Recipients are the envelope recipients (To then Cc), bare addresses.
	Recipients []string
	// MessageID is the new message's Message-ID, without angle brackets.
	MessageID string
	// Raw is the whole message with CRLF line endings.
	Raw []byte
}

// ReplyTo describes a reply for [ComposeReply].
type ReplyTo struct {
	// From is the sender (the owner), possibly with a display name.
	From mail.Address
	// To and Cc are bare addresses.
	To, Cc []string
	// Subject is the thread's subject; "Re: " is put in front.
	Subject string
	// Parent is the message replied to; its id and references make the
	// new message's In-Reply-To and References.
	Parent Message
	// Text is the plain-text body.
	Text string
	// Date is the Date header.
	Date time.Time
}

// ComposeReply builds a plain-text UTF-8 reply (quoted-printable) with From,
// To, Cc, "Re: " Subject, Date, a fresh Message-ID in the sender's domain,
// In-Reply-To the parent, and References the parent's references followed by
// the parent (RFC 5322 section 3.6.4).
func ComposeReply(r ReplyTo) (Outgoing, error) {
	if err := checkAddr(r.From.Address); err != nil {
		return Outgoing{}, fmt.Errorf("from: %w", err)
	}
	for _, a := range append(append([]string(nil), r.To...), r.Cc...) {
		if err := checkAddr(a); err != nil {
			return Outgoing{}, fmt.Errorf("recipient: %w", err)
		}
	}
	if len(r.To)+len(r.Cc) == 0 {
		return Outgoing{}, errors.New("no recipients")
	}
	domain := r.From.Address[strings.LastIndexByte(r.From.Address, '@')+1:]
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return Outgoing{}, err
	}
	id := fmt.Sprintf("%s.%s@%s", strconv.FormatInt(r.Date.Unix(), 36), hex.EncodeToString(rnd[:]), domain)

	refs := r.Parent.References
	if len(refs) == 0 && len(r.Parent.InReplyTo) > 0 {
		refs = r.Parent.InReplyTo[:1]
	}
	refs = append(append([]string(nil), refs...), r.Parent.ID)

	subject := "Re: " + baseSubject(r.Subject)
	if baseSubject(r.Subject) == "" {
		subject = "Re:"
	}

	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", (&mail.Address{Name: cleanHeader(r.From.Name), Address: r.From.Address}).String())
	if len(r.To) > 0 {
		hdr("To", strings.Join(r.To, ", "))
	}
	if len(r.Cc) > 0 {
		hdr("Cc", strings.Join(r.Cc, ", "))
	}
	hdr("Subject", mime.QEncoding.Encode("utf-8", cleanHeader(subject)))
	hdr("Date", r.Date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+id+">")
	hdr("In-Reply-To", "<"+r.Parent.ID+">")
	hdr("References", "<"+strings.Join(refs, ">\r\n <")+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(r.Text, "\r\n", "\n"), "\r", "\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return Outgoing{}, err
	}
	if err := qp.Close(); err != nil {
		return Outgoing{}, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return Outgoing{
		From:       r.From.Address,
		Recipients: append(append([]string(nil), r.To...), r.Cc...),
		MessageID:  id,
		Raw:        b.Bytes(),
	}, nil
}

// checkAddr accepts a bare address with no characters that could break a
// header or an SMTP command.
func checkAddr(a string) error {
	if a == "" || strings.ContainsAny(a, "\r\n<>,;: \t\"") || strings.Count(a, "@") != 1 ||
		strings.HasPrefix(a, "@") || strings.HasSuffix(a, "@") {
		return fmt.Errorf("%q is not a bare email address", a)
	}
	return nil
}

// Server says where and how to send.
type Server struct {
	// Host is the server's host name or IP address.
	Host string
	// Port is the TCP port; zero means 587 (465 with TLS).
	Port int
	// Security is how the connection is protected; "" means StartTLS.
	Security Security
	// User is the AUTH PLAIN user; empty means no authentication.
	User string
	// Password is used only when User is set.
	Password string
	// Timeout bounds the whole exchange (a context deadline also applies);
	// zero means two minutes.
	Timeout time.Duration
	// TLSConfig, when set, is used for TLS and STARTTLS (tests use it to
	// trust a test server); its ServerName is set to Host when empty.
	TLSConfig *tls.Config
}

// Send delivers an outgoing message over SMTP. Security "" means StartTLS;
// None is refused unless the host is a loopback one. It never returns the
// password, or its base64 PLAIN form, in an error, even if the server echoes
// it.
func Send(ctx context.Context, s Server, out Outgoing) error {
	err := send(ctx, s, out)
	if err != nil && s.Password != "" {
		msg := redact(err.Error(), s.User, s.Password)
		if msg != err.Error() {
			return errors.New(msg)
		}
	}
	return err
}

// redact removes a password and its AUTH PLAIN forms from a message.
func redact(msg, user, password string) string {
	for _, v := range []string{
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password)),
		base64.StdEncoding.EncodeToString([]byte(user + "\x00" + user + "\x00" + password)),
		base64.StdEncoding.EncodeToString([]byte(password)),
		password,
	} {
		if v != "" {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	return msg
}

func send(ctx context.Context, s Server, out Outgoing) error {
	switch s.Security {
	case "", StartTLS, TLS:
	case None:
		if !capabilities.IsLoopback(s.Host) {
			return fmt.Errorf("smtp: refusing to send in plain text to %q, which is not a loopback host", s.Host)
		}
	default:
		return fmt.Errorf("smtp: unknown security %q", s.Security)
	}
	if s.Port == 0 {
		s.Port = defaultPort(s.Security)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	raw := conn
	// Cancelling ctx unblocks whatever read or write is under way.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tcfg := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tcfg = s.TLSConfig.Clone()
		if tcfg.ServerName == "" {
			tcfg.ServerName = s.Host
		}
	}
	secure := false
	if s.Security == TLS {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		conn, secure = tc, true
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("smtp: greeting from %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.Security == StartTLS || s.Security == "" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp: %s does not offer STARTTLS; refusing to send in plain text", addr)
		}
		if err := c.StartTLS(tcfg); err != nil {
			return fmt.Errorf("smtp: STARTTLS with %s: %w", addr, err)
		}
		secure = true
	}
	if s.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp: %s does not offer AUTH", addr)
		}
		if err := c.Auth(&plainAuth{user: s.User, password: s.Password, secure: secure || s.Security == None}); err != nil {
			return fmt.Errorf("smtp: AUTH PLAIN as %q: %w", s.User, err)
		}
	}
	if err := c.Mail(out.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	for _, r := range out.Recipients {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(out.Raw); err != nil {
		return fmt.Errorf("smtp: sending the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message not accepted: %w", err)
	}
	// The message was accepted at the end of DATA; a failed QUIT does not
	// unsend it.
	_ = c.Quit()
	return nil
}

func defaultPort(s Security) int {
	if s == TLS {
		return 465
	}
	return 587
}

// plainAuth is AUTH PLAIN (RFC 4616) that sends the password only over TLS,
// or in plain text when the caller vouched for the link (security "none",
// which props allow only to loopback hosts).
type plainAuth struct {
	user, password string
	secure         bool
}

func (a *plainAuth) Start(info *smtp.ServerInfo) (string, []byte, error) {
	if !a.secure && !info.TLS {
		return "", nil, errors.New("refusing to send the password over an unencrypted connection")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a *plainAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during AUTH PLAIN")
	}
	return nil, nil
}
