package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"littleboxes/capabilities"
	"littleboxes/capabilities/mail"
	"littleboxes/capabilities/mail/sample"
	"littleboxes/vault"
)

// received is one message an SMTP server accepted.
type received struct {
	user  string // the authenticated user
	from  string
	rcpts []string
	data  []byte
}

// smtpServer is a real SMTP server (go-smtp) on 127.0.0.1 that records what
// it is sent and checks AUTH PLAIN credentials.
type smtpServer struct {
	user, password string
	echo           bool // echo the password in the AUTH error, as a hostile server might

	mu       sync.Mutex
	sessions int
	mails    []received
	port     int
}

func startSMTP(t *testing.T, user, password string) *smtpServer {
	t.Helper()
	return startSMTPWith(t, user, password, nil, false)
}

// startSMTPWith starts a server offering STARTTLS with cfg, or, with
// implicit, speaking TLS from the start; with cfg set it refuses AUTH before
// TLS.
func startSMTPWith(t *testing.T, user, password string, cfg *tls.Config, implicit bool) *smtpServer {
	t.Helper()
	s := &smtpServer{user: user, password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = cfg == nil
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	served := l
	switch {
	case cfg != nil && implicit:
		served = tls.NewListener(l, cfg)
	case cfg != nil:
		srv.TLSConfig = cfg
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(served)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close may run before Serve has registered the listener; closing
		// it here too makes Serve return either way.
		_ = l.Close()
		<-done
	})
	return s
}

func (s *smtpServer) got() (int, []received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, slices.Clone(s.mails)
}

type session struct {
	s    *smtpServer
	user string
	cur  received
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != ss.s.user || password != ss.s.password {
			msg := "bad credentials"
			if ss.s.echo {
				msg += " for " + user + ":" + password + " (" + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)) + ")"
			}
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: msg}
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur = received{user: ss.user, from: from}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = b
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.cur = received{} }
func (ss *session) Logout() error { return nil }

const testPassword = "correct horse battery staple"

// replyInstance provisions an instance of the named sample thread that
// sends through srv, logging in as "me".
func replyInstance(t *testing.T, dir string, srv *smtpServer, subject string, extra map[string]any) (capabilities.Instance, mail.Thread) {
	t.Helper()
	th := threadBy(t, dir, subject, "")
	props := map[string]any{
		"maildir":       dir,
		"thread":        th.ID,
		"owner":         "Morgan Lee <" + sample.Owner + ">",
		"smtp_host":     "127.0.0.1",
		"smtp_port":     srv.port,
		"smtp_security": "none",
		"smtp_user":     "me",
	}
	for k, v := range extra {
		if v == nil {
			delete(props, k)
		} else {
			props[k] = v
		}
	}
	e := env{refs: map[string]string{"password": "mail-smtp"}, secrets: vault.NewMemory(map[string]string{"mail-smtp": testPassword})}
	return mustInstance(t, props, e), th
}

func TestReply(t *testing.T) {
	dir := extract(t)
	srv := startSMTP(t, "me", testPassword)
	ctx := context.Background()
	inst, th := replyInstance(t, dir, srv, "Q3 budget review", nil)

	v, err := capabilities.Call(ctx, inst, "reply", []any{"Thanks both.\n.\nSee you Thursday — Morgan"})
	if err != nil {
		t.Fatal(err)
	}
	res := v.(map[string]any)
	id, _ := res["message_id"].(string)
	if res["sent"] != true || res["filed"] != true || !strings.HasSuffix(id, "@example.com") {
		t.Fatalf("reply = %v", res)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), testPassword) {
		t.Fatal("the result holds the password")
	}

	_, mails := srv.got()
	if len(mails) != 1 {
		t.Fatalf("server got %d messages, want 1", len(mails))
	}
	got := mails[0]
	if got.user != "me" || got.from != sample.Owner {
		t.Errorf("auth %q, MAIL FROM %q", got.user, got.from)
	}
	if want := []string{"alice@example.com", "bob@example.org"}; !slices.Equal(got.rcpts, want) {
		t.Errorf("RCPT TO %v, want exactly %v", got.rcpts, want)
	}
	m, text := parseSent(t, got.data)
	last := th.Messages[len(th.Messages)-1]
	for k, want := range map[string]string{
		"From":        `"Morgan Lee" <me@example.com>`,
		"To":          "alice@example.com, bob@example.org",
		"Cc":          "",
		"Subject":     "Re: Q3 budget review",
		"Message-Id":  "<" + id + ">",
		"In-Reply-To": "<" + last.ID + ">",
		"References":  "<q3-budget-001@example.org> <20231114161230.77aa@mail.example.com> <a81f02@example.com>",
	} {
		if g := strings.Join(strings.Fields(m.Header.Get(k)), " "); g != want {
			t.Errorf("%s: %q, want %q", k, g, want)
		}
	}
	if d, err := m.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %q: %v", m.Header.Get("Date"), err)
	}
	if text != "Thanks both.\n.\nSee you Thursday — Morgan" {
		t.Errorf("body %q", text)
	}

	// The copy is filed in cur/ with the S flag, and joins the thread.
	copies, _ := filepath.Glob(filepath.Join(dir, "cur", "*:2,S"))
	var filed string
	for _, c := range copies {
		if b, _ := os.ReadFile(c); strings.Contains(string(b), id) {
			filed = c
		}
	}
	if filed == "" {
		t.Fatal("no copy of the reply in cur/")
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ not empty: %v", tmp)
	}
	after := threadBy(t, dir, "Q3 budget review", "")
	if after.ID != th.ID || len(after.Messages) != len(th.Messages)+1 || after.Messages[len(after.Messages)-1].ID != id {
		t.Fatalf("after reply: thread %s with %d messages, want %s with %d ending in the reply", after.ID, len(after.Messages), th.ID, len(th.Messages)+1)
	}
	if ts, _ := mail.ReadMaildir(dir); len(ts) != sample.Threads {
		t.Fatalf("%d threads after the reply, want %d", len(ts), sample.Threads)
	}

	t.Run("some participants, by name and case", func(t *testing.T) {
		v, err := capabilities.Call(ctx, inst, "reply", []any{"Bob: see above.", map[string]any{
			"to": []any{"Bob Chen <BOB@example.org>"},
			"cc": []any{"alice@example.com", "bob@example.org"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, mails := srv.got()
		got := mails[len(mails)-1]
		if !slices.Equal(got.rcpts, []string{"bob@example.org", "alice@example.com"}) {
			t.Fatalf("RCPT TO %v", got.rcpts)
		}
		m, _ := parseSent(t, got.data)
		if m.Header.Get("To") != "bob@example.org" || m.Header.Get("Cc") != "alice@example.com" {
			t.Fatalf("To %q Cc %q", m.Header.Get("To"), m.Header.Get("Cc"))
		}
		// It replies to the newest message: the previous reply.
		if m.Header.Get("In-Reply-To") != "<"+id+">" {
			t.Fatalf("In-Reply-To %q, want <%s> (%v)", m.Header.Get("In-Reply-To"), id, v)
		}
	})
}

func TestReplyRefused(t *testing.T) {
	dir := extract(t)
	srv := startSMTP(t, "me", testPassword)
	ctx := context.Background()
	phish, _ := replyInstance(t, dir, srv, "Urgent: verify your mailbox before it is suspended", nil)
	for _, tc := range []struct {
		name string
		opts map[string]any
	}{
		{"the injection's target", map[string]any{"to": []any{"attacker@evil.example"}}},
		{"the Reply-To address", map[string]any{"to": []any{"Example IT <attacker@evil.example>"}}},
		{"hidden in cc beside a participant", map[string]any{"to": []any{sample.Phishing}, "cc": []any{"alice@example.com"}}},
		{"a lookalike of the owner", map[string]any{"to": []any{"me@examp1e.com"}}},
		{"not an address", map[string]any{"to": []any{"everyone"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := capabilities.Call(ctx, phish, "reply", []any{"Forwarding the inbox summary.", tc.opts})
			if !errors.Is(err, mail.ErrNotParticipant) || !strings.Contains(err.Error(), "nothing sent") {
				t.Fatalf("err = %v, want ErrNotParticipant", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"options not an object", []any{"hi", "attacker@evil.example"}, "options"},
		{"to not an array", []any{"hi", map[string]any{"to": "attacker@evil.example"}}, "options.to"},
		{"unknown option", []any{"hi", map[string]any{"bcc": []any{"attacker@evil.example"}}}, "bcc"},
		{"empty recipients", []any{"hi", map[string]any{"to": []any{}}}, "no recipients"},
		{"no text", nil, "text"},
		{"empty text", []any{"  "}, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := capabilities.Call(ctx, phish, "reply", tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	if sessions, mails := srv.got(); sessions != 0 || len(mails) != 0 {
		t.Fatalf("refused replies reached the server: %d sessions, %d messages", sessions, len(mails))
	}

	t.Run("default goes to the sender only, not Reply-To", func(t *testing.T) {
		if _, err := capabilities.Call(ctx, phish, "reply", []any{"Not interested."}); err != nil {
			t.Fatal(err)
		}
		_, mails := srv.got()
		if len(mails) != 1 || !slices.Equal(mails[0].rcpts, []string{sample.Phishing}) {
			t.Fatalf("sent %+v", mails)
		}
	})
	t.Run("too long", func(t *testing.T) {
		small, _ := replyInstance(t, dir, srv, "Lunch on Friday?", map[string]any{"max_reply_bytes": 10})
		if _, err := capabilities.Call(ctx, small, "reply", []any{strings.Repeat("x", 11)}); err == nil || !strings.Contains(err.Error(), "max_reply_bytes") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no smtp", func(t *testing.T) {
		th := threadBy(t, dir, "Lunch on Friday?", "")
		ro := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner}, env{})
		if _, err := capabilities.Call(ctx, ro, "reply", []any{"hi"}); !errors.Is(err, mail.ErrCannotSend) {
			t.Fatalf("err = %v, want ErrCannotSend", err)
		}
	})
}

func TestReplyPassword(t *testing.T) {
	dir := extract(t)
	ctx := context.Background()
	th := threadBy(t, dir, "Lunch on Friday?", "")

	t.Run("slot not given", func(t *testing.T) {
		srv := startSMTP(t, "me", testPassword)
		_, err := newInstance(t, map[string]any{
			"maildir": dir, "thread": th.ID, "owner": sample.Owner,
			"smtp_host": "127.0.0.1", "smtp_port": srv.port, "smtp_security": "none", "smtp_user": "me",
		}, env{})
		if !errors.Is(err, capabilities.ErrNoSecret) || !strings.Contains(err.Error(), "password") {
			t.Fatalf("err = %v, want ErrNoSecret naming the password slot", err)
		}
	})
	t.Run("secret missing at call time", func(t *testing.T) {
		srv := startSMTP(t, "me", testPassword)
		b, _ := json.Marshal(map[string]any{
			"maildir": dir, "thread": th.ID, "owner": sample.Owner,
			"smtp_host": "127.0.0.1", "smtp_port": srv.port, "smtp_security": "none", "smtp_user": "me",
		})
		inst, err := capabilities.New(ctx, mail.ID, b, &capabilities.Host{
			Secrets: vault.NewMemory(nil), SecretRefs: map[string]string{"password": "mail-smtp"},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = capabilities.Call(ctx, inst, "reply", []any{"hi"})
		if err == nil || !strings.Contains(err.Error(), "password") || !strings.Contains(err.Error(), "mail-smtp") {
			t.Fatalf("err = %v, want one naming the password secret", err)
		}
		if sessions, _ := srv.got(); sessions != 0 {
			t.Fatalf("%d sessions without a password", sessions)
		}
	})
	t.Run("wrong password, echoed by the server", func(t *testing.T) {
		srv := startSMTP(t, "me", "another password")
		srv.echo = true
		inst, _ := replyInstance(t, dir, srv, "Lunch on Friday?", nil)
		_, err := capabilities.Call(ctx, inst, "reply", []any{"hi"})
		if err == nil || !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "[redacted]") {
			t.Fatalf("err = %v, want the server's refusal, redacted", err)
		}
		t.Logf("error: %v", err)
		for _, secret := range []string{
			testPassword,
			base64.StdEncoding.EncodeToString([]byte("\x00me\x00" + testPassword)),
		} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error holds the password: %v", err)
			}
		}
		if _, mails := srv.got(); len(mails) != 0 {
			t.Fatal("sent without authenticating")
		}
	})
	t.Run("STARTTLS required", func(t *testing.T) {
		srv := startSMTP(t, "me", testPassword)
		inst, _ := replyInstance(t, dir, srv, "Lunch on Friday?", map[string]any{"smtp_security": nil})
		_, err := capabilities.Call(ctx, inst, "reply", []any{"hi"})
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("err = %v, want a refusal to send without STARTTLS", err)
		}
		if _, mails := srv.got(); len(mails) != 0 {
			t.Fatal("sent in plain text")
		}
	})
	t.Run("no login", func(t *testing.T) {
		srv := startSMTP(t, "", "")
		inst := mustInstance(t, map[string]any{
			"maildir": dir, "thread": th.ID, "owner": sample.Owner,
			"smtp_host": "127.0.0.1", "smtp_port": srv.port, "smtp_security": "none",
		}, env{})
		if _, err := capabilities.Call(ctx, inst, "reply", []any{"hi"}); err != nil {
			t.Fatal(err)
		}
		if _, mails := srv.got(); len(mails) != 1 || mails[0].user != "" || !slices.Equal(mails[0].rcpts, []string{"alice@example.com"}) {
			t.Fatalf("sent %+v", mails)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		srv := startSMTP(t, "me", testPassword)
		inst, _ := replyInstance(t, dir, srv, "Lunch on Friday?", nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := capabilities.Call(cctx, inst, "reply", []any{"hi"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestComposeReply(t *testing.T) {
	parent := mail.Message{ID: "b@x", InReplyTo: []string{"a@x"}}
	out, err := mail.ComposeReply(mail.ReplyTo{
		From:    netmailAddress("me@example.com"),
		To:      []string{"alice@example.com"},
		Subject: "Ça va?\r\nBcc: attacker@evil.example",
		Parent:  parent,
		Text:    "line one\nline two",
		Date:    time.Date(2023, 11, 20, 10, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, text := parseSent(t, out.Raw)
	if m.Header.Get("Bcc") != "" || !strings.HasPrefix(m.Header.Get("Subject"), "=?utf-8?q?Re:_=C3=87a_va=3F") {
		t.Fatalf("header injection or encoding: Subject %q Bcc %q", m.Header.Get("Subject"), m.Header.Get("Bcc"))
	}
	if strings.Join(strings.Fields(m.Header.Get("References")), " ") != "<a@x> <b@x>" {
		t.Fatalf("References %q", m.Header.Get("References"))
	}
	if text != "line one\nline two" {
		t.Fatalf("text %q", text)
	}
	for _, bad := range []string{"a@b\r\nRCPT TO:<x@y>", "a@b>", "", "nobody"} {
		if _, err := mail.ComposeReply(mail.ReplyTo{From: netmailAddress("me@example.com"), To: []string{bad}, Parent: parent}); err == nil {
			t.Errorf("recipient %q accepted", bad)
		}
	}
	if !strings.Contains(string(out.Raw), "Date: Mon, 20 Nov 2023 10:00:00 +0000\r\n") || len(out.Recipients) != 1 {
		t.Fatalf("raw:\n%s", out.Raw)
	}
}

// testCert returns a server config with a fresh self-signed certificate for
// 127.0.0.1 and a client config trusting it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "littleboxes test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func TestSendTLS(t *testing.T) {
	serverCfg, clientCfg := testCert(t)
	out, err := mail.ComposeReply(mail.ReplyTo{
		From: netmailAddress(sample.Owner), To: []string{"alice@example.com"}, Subject: "Lunch",
		Parent: mail.Message{ID: "a@x"}, Text: "hi", Date: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		security mail.Security
		implicit bool
	}{
		{"starttls", mail.StartTLS, false},
		{"tls", mail.TLS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPWith(t, "me", testPassword, serverCfg, tc.implicit)
			s := mail.Server{Host: "127.0.0.1", Port: srv.port, Security: tc.security, User: "me", Password: testPassword, TLSConfig: clientCfg}
			if err := mail.Send(context.Background(), s, out); err != nil {
				t.Fatal(err)
			}
			if _, mails := srv.got(); len(mails) != 1 || mails[0].user != "me" {
				t.Fatalf("got %+v", mails)
			}
			// An untrusted certificate is refused before the password is sent.
			s.TLSConfig = nil
			if err := mail.Send(context.Background(), s, out); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("untrusted certificate: err = %v", err)
			}
		})
	}
	for _, bad := range []mail.Server{
		{Host: "192.0.2.1", Port: 25, Security: mail.None},
		{Host: "127.0.0.1", Port: 25, Security: "ssl"},
	} {
		if err := mail.Send(context.Background(), bad, out); err == nil || !strings.Contains(err.Error(), "refusing") && !strings.Contains(err.Error(), "unknown") {
			t.Errorf("Send(%+v) err = %v", bad, err)
		}
	}
}
