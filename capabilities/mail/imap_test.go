package mail_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"littleboxes/capabilities"
	"littleboxes/capabilities/mail"
	"littleboxes/capabilities/mail/dovecottest"
	"littleboxes/capabilities/mail/sample"
	"littleboxes/vault"
)

const imapPassword = "imap-secret-pw"

// imapEnv is the secrets of an IMAP instance whose password is pw.
func imapEnv(pw string) env {
	return env{refs: map[string]string{"password": "mail-imap"}, secrets: vault.NewMemory(map[string]string{"mail-imap": pw})}
}

// scopeIMAP provisions the instance box's Scope gives for thread id, with
// the IMAP password, cleaned up when the test ends.
func scopeIMAP(t *testing.T, box capabilities.Instance, id string) capabilities.Instance {
	t.Helper()
	props, err := box.(capabilities.Enumerator).Scope(id)
	if err != nil {
		t.Fatal(err)
	}
	scoped, err := capabilities.New(context.Background(), mail.ID, props, &capabilities.Host{Secrets: vault.NewMemory(map[string]string{"mail-imap": imapPassword}), SecretRefs: map[string]string{"password": "mail-imap"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = capabilities.Cleanup(scoped) })
	return scoped
}

// fastTiming shortens the IMAP timeouts for the test; IDLE is renewed and
// servers without it polled only every minute, so that what arrives within
// seconds came by IDLE.
func fastTiming(t *testing.T) {
	t.Helper()
	t.Cleanup(mail.Timing(2*time.Second, 3*time.Second, time.Minute, time.Minute, 50*time.Millisecond, time.Second, 2*time.Second))
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func items(t *testing.T, inst capabilities.Instance) []string {
	t.Helper()
	ids, err := inst.(capabilities.Enumerator).Items(context.Background())
	if err != nil {
		t.Fatalf("Items: %v", err)
	}
	return ids
}

// TestIMAPThreads lists and reads the sample mailbox over IMAP and finds
// exactly what the Maildir backend finds in the same messages.
func TestIMAPThreads(t *testing.T) {
	fastTiming(t)
	dir := extract(t)
	d := dovecottest.Start(t, imapPassword, dir)
	ctx := context.Background()
	start := time.Now()
	box := mustInstance(t, d.Props(map[string]any{"owner": sample.Owner}), imapEnv(imapPassword))
	t.Logf("mailbox instance provisioned (login, every header of the sample) in %v", time.Since(start))
	local := mustInstance(t, map[string]any{"maildir": dir, "owner": sample.Owner}, env{})
	// A thread whose root has no Message-ID gets a made-up id, from the
	// file name in a Maildir and from the header over IMAP: leave it out.
	ts, err := mail.ReadMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	madeUp := 0
	noID := func(id string) bool {
		for _, th := range ts {
			if th.ID == id {
				return strings.HasPrefix(th.Root, "nomsgid.")
			}
		}
		return false
	}
	got, want := items(t, box), items(t, local)
	if len(got) == sample.Threads {
		got = slices.DeleteFunc(got, func(id string) bool {
			if !slices.Contains(want, id) {
				madeUp++
				return true
			}
			return false
		})
		want = slices.DeleteFunc(want, noID)
	}
	if madeUp != 1 || !slices.Equal(got, want) {
		t.Fatalf("IMAP items = %v,\nMaildir items = %v", got, want)
	}
	vs, err := box.(*mail.Instance).Versions(ctx)
	if err != nil || len(vs) != sample.Threads {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	for _, subject := range []string{"Q3 budget review", "Café à Paris la semaine prochaine", "Garden tools"} {
		th := threadBy(t, dir, subject, "")
		props, err := box.(capabilities.Enumerator).Scope(th.ID)
		if err != nil {
			t.Fatal(err)
		}
		var pm map[string]any
		if err := json.Unmarshal(props, &pm); err != nil || pm["thread_root"] != th.Root || pm["imap_user"] != dovecottest.User {
			t.Fatalf("scoped props = %s (%v)", props, err)
		}
		n := mail.Connections()
		scoped, err := capabilities.New(ctx, mail.ID, props, &capabilities.Host{Secrets: vault.NewMemory(map[string]string{"mail-imap": imapPassword}), SecretRefs: map[string]string{"password": "mail-imap"}})
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		t.Cleanup(func() { _ = capabilities.Cleanup(scoped) })
		if m := mail.Connections(); m != n {
			t.Errorf("%s: provisioning beside the watched mailbox connected %d times, want 0 (the cache has the thread)", subject, m-n)
		}
		maildirScoped := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner}, env{})
		if !reflect.DeepEqual(scoped.Flow(), maildirScoped.Flow()) {
			t.Errorf("%s: flow %+v over IMAP, %+v from the Maildir", subject, scoped.Flow(), maildirScoped.Flow())
		}
		// Alone, the scoped instance finds its thread by searching.
		alone := mail.WithoutWatched(box, func() capabilities.Instance {
			inst, err := capabilities.New(ctx, mail.ID, props, &capabilities.Host{Secrets: vault.NewMemory(map[string]string{"mail-imap": imapPassword}), SecretRefs: map[string]string{"password": "mail-imap"}})
			if err != nil {
				t.Fatalf("%s alone: %v", subject, err)
			}
			return inst
		})
		t.Cleanup(func() { _ = capabilities.Cleanup(alone) })
		if !reflect.DeepEqual(alone.Flow(), maildirScoped.Flow()) {
			t.Errorf("%s: flow %+v found by searching, %+v from the Maildir", subject, alone.Flow(), maildirScoped.Flow())
		}
		a, err := capabilities.Call(ctx, scoped, "read", nil)
		if err != nil {
			t.Fatalf("%s: read: %v", subject, err)
		}
		b, err := capabilities.Call(ctx, maildirScoped, "read", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			ja, _ := json.MarshalIndent(a, "", " ")
			jb, _ := json.MarshalIndent(b, "", " ")
			t.Errorf("%s: read over IMAP:\n%s\nfrom the Maildir:\n%s", subject, ja, jb)
		}
	}
}

// TestIMAPIdle appends messages while the mailbox instance watches: a new
// thread and a reply to a known one arrive by IDLE within seconds (polling
// is set to a minute), and Changes fires.
func TestIMAPIdle(t *testing.T) {
	fastTiming(t)
	dir := extract(t)
	d := dovecottest.Start(t, imapPassword, dir)
	ctx := context.Background()
	box := mustInstance(t, d.Props(nil), imapEnv(imapPassword))
	inst := box.(*mail.Instance)
	before := items(t, box)
	v0, _ := inst.Versions(ctx)
	// Drain a change left by provisioning, if any.
	select {
	case <-inst.Changes():
	default:
	}
	c := d.Client(imapPassword)
	appended := time.Now()
	dovecottest.Append(t, c, "INBOX", "From: carol@example.net\nTo: me@example.com\nSubject: Concert tickets\n"+
		"Date: Tue, 21 Nov 2023 09:00:00 +0000\nMessage-ID: <tickets@example.net>\n\nTwo spare tickets for Saturday.\n")
	select {
	case <-inst.Changes():
		t.Logf("APPEND to change signalled: %v", time.Since(appended))
	case <-time.After(10 * time.Second):
		t.Fatal("no change signalled 10 s after an APPEND")
	}
	waitFor(t, 5*time.Second, "new thread listed", func() bool {
		return slices.Contains(items(t, box), mail.ThreadID("tickets@example.net"))
	})
	if got := items(t, box); len(got) != len(before)+1 || got[0] != mail.ThreadID("tickets@example.net") {
		t.Fatalf("items after a new thread = %v", got)
	}

	garden := threadBy(t, dir, "Garden tools", "")
	dovecottest.Append(t, c, "INBOX", "From: bob@example.org\nTo: me@example.com\nSubject: Re: Garden tools\n"+
		"Date: Tue, 21 Nov 2023 10:00:00 +0000\nMessage-ID: <garden-3@example.org>\nIn-Reply-To: <"+garden.Messages[len(garden.Messages)-1].ID+">\n\nFound it!\n")
	waitFor(t, 10*time.Second, "the reply changes the thread's version", func() bool {
		v, _ := inst.Versions(ctx)
		return v[garden.ID] != v0[garden.ID] && v[garden.ID] != ""
	})
	if got := items(t, box); len(got) != len(before)+1 || got[0] != garden.ID {
		t.Fatalf("items after a reply = %v, want %d with %s first", got, len(before)+1, garden.ID)
	}
	if n := mail.Dials(box); n != 1 {
		t.Fatalf("%d connections, want the one IDLE connection", n)
	}
}

// TestIMAPPolling watches a server that does not offer IDLE: a new message
// is found by polling.
func TestIMAPPolling(t *testing.T) {
	t.Cleanup(mail.Timing(2*time.Second, 3*time.Second, time.Minute, 300*time.Millisecond, 50*time.Millisecond, time.Second, 2*time.Second))
	d := dovecottest.StartWith(t, imapPassword, "", nil, "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS")
	c := d.Client(imapPassword)
	if c.Caps().Has("IDLE") {
		t.Fatalf("the server still offers IDLE: %v", c.Caps())
	}
	box := mustInstance(t, d.Props(nil), imapEnv(imapPassword))
	dovecottest.Append(t, c, "INBOX", "From: gina@example.com\nTo: me@example.com\nSubject: Polled\n"+
		"Date: Wed, 22 Nov 2023 09:00:00 +0000\nMessage-ID: <polled@example.com>\n\nHi.\n")
	waitFor(t, 5*time.Second, "the message found by polling", func() bool {
		return slices.Equal(items(t, box), []string{mail.ThreadID("polled@example.com")})
	})
}

// TestIMAPReconnect restarts the server under a watching instance: it
// reconnects, and a message appended after the restart is listed.
func TestIMAPReconnect(t *testing.T) {
	fastTiming(t)
	d := dovecottest.Start(t, imapPassword, extract(t))
	box := mustInstance(t, d.Props(nil), imapEnv(imapPassword))
	before := items(t, box)
	scoped := scopeIMAP(t, box, before[0])
	d.Stop()
	// The agent learns that the server is down, not where it is.
	_, err := capabilities.Call(context.Background(), scoped, "read", nil)
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "<imap account>") || strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), dovecottest.User) {
		t.Fatalf("read with the server down: err = %v, want one naming <imap account> only", err)
	}
	waitFor(t, 5*time.Second, "Items reports the lost server", func() bool {
		_, err := box.(capabilities.Enumerator).Items(context.Background())
		return errors.Is(err, capabilities.ErrUnavailable)
	})
	d.Start()
	c := d.Client(imapPassword)
	dovecottest.Append(t, c, "INBOX", "From: dan@example.com\nTo: me@example.com\nSubject: After the restart\n"+
		"Date: Wed, 22 Nov 2023 09:00:00 +0000\nMessage-ID: <restart@example.com>\n\nStill there?\n")
	waitFor(t, 15*time.Second, "the message appended after the restart is listed", func() bool {
		ids, err := box.(capabilities.Enumerator).Items(context.Background())
		return err == nil && len(ids) == len(before)+1 && ids[0] == mail.ThreadID("restart@example.com")
	})
	if n := mail.Dials(box); n < 2 {
		t.Fatalf("%d connections, want a reconnect", n)
	}
}

// TestIMAPReplySent replies over SMTP and finds the copy in the Sent
// folder, created for it.
func TestIMAPReplySent(t *testing.T) {
	fastTiming(t)
	dir := extract(t)
	d := dovecottest.Start(t, imapPassword, dir)
	srv := startSMTP(t, dovecottest.User, imapPassword)
	ctx := context.Background()
	box := mustInstance(t, d.Props(map[string]any{
		"owner": "Morgan Lee <" + sample.Owner + ">", "smtp_host": "127.0.0.1", "smtp_port": srv.port,
		"smtp_security": "none", "smtp_user": dovecottest.User, "sent_folder": "Sent Items",
	}), imapEnv(imapPassword))
	th := threadBy(t, dir, "Q3 budget review", "")
	scoped := scopeIMAP(t, box, th.ID)
	v, err := capabilities.Call(ctx, scoped, "reply", []any{"Thanks both, see you Thursday."})
	if err != nil {
		t.Fatal(err)
	}
	res := v.(map[string]any)
	if res["sent"] != true || res["filed"] != true {
		t.Fatalf("reply = %v", res)
	}
	if _, mails := srv.got(); len(mails) != 1 || mails[0].user != dovecottest.User {
		t.Fatalf("SMTP got %+v", mails)
	}
	sent := dovecottest.FolderMessages(t, d.Client(imapPassword), "Sent Items")
	if len(sent) != 1 || !strings.Contains(sent[0], res["message_id"].(string)) || !strings.Contains(sent[0], "Thanks both") {
		t.Fatalf("Sent Items holds %q", sent)
	}
	// The reply joins its thread, as read shows.
	r, err := capabilities.Call(ctx, scoped, "read", nil)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := r.(map[string]any)["messages"].([]any); len(msgs) != len(th.Messages) {
		t.Fatalf("read after reply: %d messages, want %d (the copy is in Sent, not the INBOX)", len(msgs), len(th.Messages))
	}
}

// TestIMAPWrongPassword: a refused login is a clear error naming the
// account, without the password; a password changed under a watching
// instance is not retried in a tight loop.
func TestIMAPWrongPassword(t *testing.T) {
	// Dovecot delays the login after a refused one by a few seconds: allow
	// for it.
	t.Cleanup(mail.Timing(2*time.Second, 10*time.Second, time.Minute, time.Minute, 50*time.Millisecond, time.Second, 2*time.Second))
	d := dovecottest.Start(t, imapPassword, extract(t))
	_, err := newInstance(t, d.Props(nil), imapEnv("not-the-password"))
	if !errors.Is(err, mail.ErrIMAPLogin) || !strings.Contains(err.Error(), "alice@127.0.0.1") || strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("err = %v, want ErrIMAPLogin naming alice@127.0.0.1 without the password", err)
	}

	box := mustInstance(t, d.Props(nil), imapEnv(imapPassword))
	d.SetPassword("changed-on-the-server")
	d.Stop() // drops the connection
	d.Start()
	waitFor(t, 5*time.Second, "Items reports the refused login", func() bool {
		_, err := box.(capabilities.Enumerator).Items(context.Background())
		return errors.Is(err, mail.ErrIMAPLogin) && strings.Contains(err.Error(), "alice@127.0.0.1")
	})
	// After the refused login, no other try for authWait (2 s here; the
	// backoff alone would have tried four more times in 1.5 s), then one.
	n := mail.Dials(box)
	time.Sleep(1500 * time.Millisecond)
	if m := mail.Dials(box); m != n {
		t.Fatalf("%d connection attempts within 1.5 s of a refused login", m-n)
	}
	waitFor(t, 5*time.Second, "a later try", func() bool { return mail.Dials(box) == n+1 })
}

// TestIMAPUIDValidity recreates the watched folder: its UIDs start again
// under a new UIDVALIDITY, and the instance reads it again instead of
// keeping the old messages under reused UIDs (the new message has UID 1,
// which the cache already held).
func TestIMAPUIDValidity(t *testing.T) {
	// IDLE renewed every second: the renewal asks for UIDVALIDITY.
	t.Cleanup(mail.Timing(2*time.Second, 3*time.Second, time.Second, time.Minute, 50*time.Millisecond, time.Second, 2*time.Second))
	d := dovecottest.Start(t, imapPassword, "")
	c := d.Client(imapPassword)
	if err := c.Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msg := func(id, subject string) string {
		return "From: erin@example.com\nTo: me@example.com\nSubject: " + subject + "\nDate: Wed, 22 Nov 2023 09:00:00 +0000\nMessage-ID: <" + id + ">\n\nHello.\n"
	}
	for i := range 3 {
		dovecottest.Append(t, c, "Work", msg(fmt.Sprintf("old%d@example.com", i), fmt.Sprintf("Old %d", i)))
	}
	box := mustInstance(t, d.Props(map[string]any{"mailbox": "Work"}), imapEnv(imapPassword))
	if got := items(t, box); len(got) != 3 {
		t.Fatalf("items = %v", got)
	}
	if err := c.Delete("Work").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	dovecottest.Append(t, c, "Work", msg("new@example.com", "New"))
	// Dovecot may end the session that had the deleted folder selected, or
	// not; either way the watcher reconnects and finds the new UIDVALIDITY.
	waitFor(t, 15*time.Second, "the recreated folder's one thread listed", func() bool {
		ids, err := box.(capabilities.Enumerator).Items(context.Background())
		return err == nil && slices.Equal(ids, []string{mail.ThreadID("new@example.com")})
	})
}

// TestIMAPHugeMessage reads a thread holding a 12 MB message: the text is
// cut to max_body_bytes and only a bounded prefix of the message is fetched.
func TestIMAPHugeMessage(t *testing.T) {
	fastTiming(t)
	d := dovecottest.Start(t, imapPassword, "")
	c := d.Client(imapPassword)
	var b strings.Builder
	b.WriteString("From: frank@example.com\nTo: me@example.com\nSubject: Big\nDate: Wed, 22 Nov 2023 09:00:00 +0000\n" +
		"Message-ID: <big@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\n")
	for b.Len() < 200<<10 {
		b.WriteString("All work and no play makes Jack a dull boy.\n")
	}
	b.WriteString("--XX\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=blob.bin\nContent-Transfer-Encoding: base64\n\n")
	line := strings.Repeat("QUFB", 19) + "\n"
	for b.Len() < 12<<20 {
		b.WriteString(line)
	}
	b.WriteString("--XX--\n")
	dovecottest.Append(t, c, "INBOX", b.String())
	box := mustInstance(t, d.Props(map[string]any{"max_body_bytes": 1000}), imapEnv(imapPassword))
	scoped := scopeIMAP(t, box, mail.ThreadID("big@example.com"))
	before := mail.FetchedBytes()
	v, err := capabilities.Call(context.Background(), scoped, "read", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := v.(map[string]any)["messages"].([]any)[0].(map[string]any)["text"].(string)
	if !strings.HasPrefix(text, "All work") || !strings.Contains(text, mail.TruncatedMarker) || len(text) > 1100 {
		t.Fatalf("text (%d bytes) = %.200q…", len(text), text)
	}
	if n := mail.FetchedBytes() - before; n > 2<<20 {
		t.Fatalf("fetched %d bytes of a 12 MB message", n)
	}
}

// hangingServer is a fake IMAP server that answers until a command named
// hangOn (or, with "", sends no greeting) and then never answers.
func hangingServer(t *testing.T, hangOn string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				go func() { <-stop; conn.Close() }()
				serveHanging(conn, hangOn)
			}()
		}
	}()
	return l.Addr().String()
}

// unacceptingListener listens with a backlog of none and never accepts:
// once its queue holds one connection, the kernel drops further SYNs and a
// connect waits until it times out.
func unacceptingListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue (a backlog of 0 admits one or two connections).
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

func serveHanging(conn net.Conn, hangOn string) {
	defer conn.Close()
	if hangOn == "" {
		_, _ = bufio.NewReader(conn).ReadString(0) // until the client gives up
		return
	}
	fmt.Fprintf(conn, "* OK [CAPABILITY IMAP4rev1 IDLE] fake\r\n")
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		tag, cmd := f[0], strings.ToUpper(f[1])
		if cmd == "UID" && len(f) > 2 {
			cmd = strings.ToUpper(f[2])
		}
		if cmd == hangOn {
			_, _ = r.ReadString(0)
			return
		}
		switch cmd {
		case "SELECT", "EXAMINE":
			fmt.Fprintf(conn, "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n%s OK [READ-ONLY] done\r\n", tag)
		case "SEARCH":
			fmt.Fprintf(conn, "* SEARCH 1\r\n%s OK done\r\n", tag)
		case "LOGOUT":
			fmt.Fprintf(conn, "* BYE\r\n%s OK done\r\n", tag)
			return
		default:
			fmt.Fprintf(conn, "%s OK done\r\n", tag)
		}
	}
}

// TestIMAPTimeouts: a server that never answers, at the greeting, the login
// or a fetch, fails provisioning within the timeout instead of hanging.
func TestIMAPTimeouts(t *testing.T) {
	t.Cleanup(mail.Timing(time.Second, 500*time.Millisecond, time.Minute, time.Minute, 50*time.Millisecond, time.Second, time.Second))
	for _, tc := range []struct{ hang, step string }{{"SYN", "connecting"}, {"", "greeting"}, {"LOGIN", "login"}, {"FETCH", "fetching headers"}} {
		t.Run(tc.step, func(t *testing.T) {
			var addr string
			if tc.hang == "SYN" {
				addr = unacceptingListener(t)
			} else {
				addr = hangingServer(t, tc.hang)
			}
			_, port, _ := net.SplitHostPort(addr)
			var p int
			fmt.Sscan(port, &p)
			start := time.Now()
			_, err := newInstance(t, map[string]any{"imap_host": "127.0.0.1", "imap_port": p, "imap_security": "plain", "imap_user": "alice"}, imapEnv(imapPassword))
			if !errors.Is(err, mail.ErrIMAPTimeout) || !strings.Contains(err.Error(), tc.step) || !strings.Contains(err.Error(), "alice@127.0.0.1") {
				t.Fatalf("err = %v, want a timeout at %s naming the account", err, tc.step)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("gave up after %v", d)
			}
		})
	}
}

func TestIMAPProps(t *testing.T) {
	pw := env{refs: map[string]string{"password": "p"}, secrets: vault.NewMemory(map[string]string{"p": "x"})}
	for _, tc := range []struct {
		name  string
		props map[string]any
		e     env
		path  string
	}{
		{"both sources", map[string]any{"maildir": "/x", "imap_host": "imap.example.com", "imap_user": "a"}, pw, "imap_host"},
		{"plain to a remote host", map[string]any{"imap_host": "imap.example.com", "imap_user": "a", "imap_security": "plain"}, pw, "imap_security"},
		{"unknown security", map[string]any{"imap_host": "imap.example.com", "imap_user": "a", "imap_security": "ssl"}, pw, "imap_security"},
		{"no user", map[string]any{"imap_host": "imap.example.com"}, pw, "imap_user"},
		{"no password", map[string]any{"imap_host": "imap.example.com", "imap_user": "a"}, env{}, "imap_user"},
		{"bad host", map[string]any{"imap_host": "imap.example.com:993", "imap_user": "a"}, pw, "imap_host"},
		{"bad port", map[string]any{"imap_host": "imap.example.com", "imap_user": "a", "imap_port": 70000}, pw, "imap_port"},
		{"mailbox without imap", map[string]any{"maildir": "/x", "mailbox": "INBOX"}, env{}, "mailbox"},
		{"control character", map[string]any{"imap_host": "imap.example.com", "imap_user": "a", "sent_folder": "Sent\r\nA1 LOGOUT"}, pw, "sent_folder"},
		{"wrong root", map[string]any{"imap_host": "imap.example.com", "imap_user": "a", "thread": "0123456789ab", "thread_root": "x@y"}, pw, "thread_root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newInstance(t, tc.props, tc.e)
			var pe *capabilities.PropError
			if !errors.Is(err, capabilities.ErrProps) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a PropError", err)
			}
			found := false
			for _, e := range capabilities.PropErrors(err) {
				found = found || e.Path == tc.path
			}
			if !found {
				t.Fatalf("err = %v, want one at %s", err, tc.path)
			}
		})
	}
}

// TestIMAPTLS reads over TLS and over STARTTLS from a Dovecot with a test
// certificate, and refuses STARTTLS to a server that does not offer it.
func TestIMAPTLS(t *testing.T) {
	fastTiming(t)
	serverCfg, clientCfg := testCert(t)
	t.Cleanup(mail.TrustIMAP(clientCfg.RootCAs))
	d := dovecottest.StartWith(t, imapPassword, extract(t), &serverCfg.Certificates[0], "")
	for _, tc := range []struct {
		security string
		port     int
	}{{"tls", d.TLSPort()}, {"starttls", d.Port()}} {
		box := mustInstance(t, d.Props(map[string]any{"imap_security": tc.security, "imap_port": tc.port}), imapEnv(imapPassword))
		if got := items(t, box); len(got) != sample.Threads {
			t.Fatalf("%s: items = %v", tc.security, got)
		}
	}
	t.Cleanup(mail.TrustIMAP(nil))
	if _, err := newInstance(t, d.Props(map[string]any{"imap_security": "tls", "imap_port": d.TLSPort()}), imapEnv(imapPassword)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an untrusted certificate: err = %v", err)
	}

	plain := dovecottest.Start(t, imapPassword, "")
	_, err := newInstance(t, plain.Props(map[string]any{"imap_security": "starttls"}), imapEnv(imapPassword))
	if err == nil || !strings.Contains(err.Error(), "alice@127.0.0.1") {
		t.Fatalf("STARTTLS to a server without it: err = %v", err)
	}
}
