package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/mail"
	"littleboxes/capabilities/mail/sample"
	"littleboxes/vault"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	captest.Check(t, mail.ID)
}

// extract writes the sample Maildir to a temporary folder.
func extract(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := sample.Extract(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// threadBy finds a sample thread by subject and first sender.
func threadBy(t *testing.T, dir, subject, from string) mail.Thread {
	t.Helper()
	ts, err := mail.ReadMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range ts {
		if th.Subject == subject && (from == "" || th.Messages[0].From == from) {
			return th
		}
	}
	t.Fatalf("no thread %q from %q", subject, from)
	return mail.Thread{}
}

type env struct {
	refs    map[string]string
	secrets capabilities.Secrets
}

func newInstance(t *testing.T, props map[string]any, e env) (capabilities.Instance, error) {
	t.Helper()
	b, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	return capabilities.New(context.Background(), mail.ID, b, &capabilities.Host{
		Instance:   "mail",
		Secrets:    e.secrets,
		SecretRefs: e.refs,
		Logf:       t.Logf,
	})
}

func mustInstance(t *testing.T, props map[string]any, e env) capabilities.Instance {
	t.Helper()
	inst, err := newInstance(t, props, e)
	if err != nil {
		t.Fatalf("New(%v): %v", props, err)
	}
	t.Cleanup(func() { _ = capabilities.Cleanup(inst) })
	return inst
}

func TestThreading(t *testing.T) {
	dir := extract(t)
	ts, err := mail.ReadMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != sample.Threads {
		for _, th := range ts {
			t.Logf("%s %q %d", th.ID, th.Subject, len(th.Messages))
		}
		t.Fatalf("%d threads, want %d", len(ts), sample.Threads)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i].Latest().After(ts[i-1].Latest()) {
			t.Errorf("threads not newest first: %q after %q", ts[i].Subject, ts[i-1].Subject)
		}
	}
	for _, th := range ts {
		if th.ID != mail.ThreadID(th.Root) || len(th.ID) != 12 {
			t.Errorf("thread %q: id %s, want ThreadID(%q) = %s", th.Subject, th.ID, th.Root, mail.ThreadID(th.Root))
		}
	}
	const me, alice, bob, carol = "me@example.com", "alice@example.com", "bob@example.org", "carol@example.net"
	for _, tc := range []struct {
		name, subject, from string
		messages            int
		root                string
		participants        []string
	}{
		{"references chain", "Lunch on Friday?", "", 3, "20231113100211.4f2a@mail.example.com", []string{alice, me}},
		{"multipart alternative", "Q3 budget review", "", 3, "q3-budget-001@example.org", []string{alice, bob, me}},
		{"attachment", "Itinerary for the Lisbon trip", "", 2, "CAL1sb0n.trip@example.net", []string{carol, me}},
		{"latin-1 headers", "Café à Paris la semaine prochaine", "", 1, "1a2b3c4d@example.fr", []string{"elodie@example.fr", me}},
		{"participant copied in later, new/ included", "Offsite planning", "", 4, "20231116093000.offsite@mail.example.com", []string{alice, bob, carol, me}},
		{"phishing has only its own participants", "Urgent: verify your mailbox before it is suspended", "", 1, "verify-88213@examp1e.com", []string{me, sample.Phishing}},
		{"two messages", "Book club: next pick", "", 2, "CAL3book@example.net", []string{alice, carol, me}},
		{"missing root message", "Weekend hike", "", 2, "hike-1@example.org", []string{alice, bob, me}},
		{"in-reply-to only", "Garden tools", "", 2, "garden-1@example.org", []string{bob, me}},
		{"same subject, other thread", "Quick question", bob, 1, "quick-q@example.org", []string{bob, me}},
		{"no message-id", "Quick question", carol, 1, "", []string{carol, me}},
		{"unread in new/", "Appointment reminder: Tuesday 21 November, 08:30", "", 1, "rem-55810@clinic.example", []string{me, "reminders@clinic.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := threadBy(t, dir, tc.subject, tc.from)
			if len(th.Messages) != tc.messages {
				t.Errorf("%d messages, want %d", len(th.Messages), tc.messages)
			}
			if tc.root != "" && th.Root != tc.root {
				t.Errorf("root %q, want %q", th.Root, tc.root)
			}
			if tc.root == "" && !strings.HasPrefix(th.Root, "nomsgid.") {
				t.Errorf("root %q, want a made-up nomsgid id", th.Root)
			}
			if !slices.Equal(th.Participants, tc.participants) {
				t.Errorf("participants %v, want %v", th.Participants, tc.participants)
			}
		})
	}
	t.Run("stable across reads and flag renames", func(t *testing.T) {
		before := threadBy(t, dir, "Quick question", carol)
		old := before.Messages[0].Path
		if err := os.Rename(old, strings.TrimSuffix(old, "S")+"RS"); err != nil {
			t.Fatal(err)
		}
		after := threadBy(t, dir, "Quick question", carol)
		if after.ID != before.ID || after.Messages[0].Flags != "RS" {
			t.Fatalf("after a flag change: id %s flags %q, want %s RS", after.ID, after.Messages[0].Flags, before.ID)
		}
	})
}

func TestFlow(t *testing.T) {
	dir := extract(t)
	person := capabilities.Person
	owner := capabilities.Owner
	for _, tc := range []struct {
		name, subject   string
		label, audience capabilities.Label
		writers         capabilities.Label // the senders other than the owner
	}{
		{"two people", "Lunch on Friday?", capabilities.NewLabel(owner, person("alice@example.com")), capabilities.NewLabel(owner, person("alice@example.com")), nil},
		{"three people", "Q3 budget review", capabilities.NewLabel(owner, person("alice@example.com"), person("bob@example.org")), capabilities.NewLabel(owner, person("alice@example.com"), person("bob@example.org")), nil},
		{"carol copied in later: label excludes her, audience includes her", "Offsite planning",
			capabilities.NewLabel(owner, person("alice@example.com"), person("bob@example.org")),
			capabilities.NewLabel(owner, person("alice@example.com"), person("bob@example.org"), person("carol@example.net")), nil},
		{"phishing", "Urgent: verify your mailbox before it is suspended", capabilities.NewLabel(owner, person(sample.Phishing)), capabilities.NewLabel(owner, person(sample.Phishing)), capabilities.NewLabel(person(sample.Phishing))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := threadBy(t, dir, tc.subject, "")
			inst := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner}, env{})
			f := inst.Flow()
			if !slices.Equal(f.Label, tc.label) || !slices.Equal(f.Audience, tc.audience) {
				t.Fatalf("flow = %v / %v, want %v / %v", f.Label, f.Audience, tc.label, tc.audience)
			}
			if f.Dynamic || f.Shared != "" {
				t.Fatalf("flow = %+v, want static and unshared", f)
			}
			var senders []capabilities.Principal
			for _, m := range th.Messages {
				if m.From != "" && m.From != sample.Owner {
					senders = append(senders, person(m.From))
				}
			}
			if want := capabilities.Join(senders); !slices.Equal(f.Writers, want) || tc.writers != nil && !slices.Equal(f.Writers, tc.writers) {
				t.Fatalf("writers = %v, want the senders %v", f.Writers, want)
			}
			if f.Inconsequential {
				t.Fatal("replies are consequential by default")
			}
			off := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner, "consequential": false}, env{})
			if !off.Flow().Inconsequential {
				t.Fatal("consequential: false does not make the replies inconsequential")
			}
		})
	}
	t.Run("mailbox", func(t *testing.T) {
		inst := mustInstance(t, map[string]any{"maildir": dir}, env{})
		if f := inst.Flow(); !slices.Equal(f.Label, capabilities.NewLabel(owner)) || !slices.Equal(f.Audience, capabilities.NewLabel(owner)) {
			t.Fatalf("mailbox flow = %+v, want owner only", f)
		}
	})
}

func TestRead(t *testing.T) {
	dir := extract(t)
	got := map[string]any{}
	for _, subject := range []string{
		"Lunch on Friday?",
		"Q3 budget review",
		"Itinerary for the Lisbon trip",
		"Café à Paris la semaine prochaine",
		"Urgent: verify your mailbox before it is suspended",
	} {
		th := threadBy(t, dir, subject, "")
		inst := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner}, env{})
		v, err := capabilities.Call(context.Background(), inst, "read", nil)
		if err != nil {
			t.Fatalf("%s: read: %v", subject, err)
		}
		got[subject] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	captest.Golden(t, filepath.Join("testdata", "read.golden.json"), buf.Bytes())
}

func TestReadLimits(t *testing.T) {
	dir := extract(t)
	th := threadBy(t, dir, "Urgent: verify your mailbox before it is suspended", "")
	inst := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "max_body_bytes": 40}, env{})
	v, err := capabilities.Call(context.Background(), inst, "read", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := v.(map[string]any)["messages"].([]any)[0].(map[string]any)["text"].(string)
	body, _, _ := strings.Cut(text, "\n"+mail.TruncatedMarker)
	if len(body) > 40 || !strings.Contains(text, mail.TruncatedMarker) {
		t.Fatalf("text = %q, want at most 40 bytes and the truncation marker", text)
	}
	if _, err := capabilities.Call(context.Background(), inst, "read", []any{"x"}); err == nil {
		t.Fatal("read with an argument succeeded")
	}
	// The thread's files vanish: the error does not reveal the Maildir path.
	for _, m := range th.Messages {
		if err := os.Remove(m.Path); err != nil {
			t.Fatal(err)
		}
	}
	_, err = capabilities.Call(context.Background(), inst, "read", nil)
	if !errors.Is(err, mail.ErrThreadNotFound) || strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want ErrThreadNotFound without the path", err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "cur")); err != nil {
		t.Fatal(err)
	}
	_, err = capabilities.Call(context.Background(), inst, "read", nil)
	if err == nil || strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "<maildir>") {
		t.Fatalf("err = %v, want one naming <maildir>, not the path", err)
	}
}

// TestReadWithheld checks that a message arriving after provisioning and
// shared with fewer people than the label is withheld, so the label
// computed at provisioning stays true, while one shared more widely shows.
func TestReadWithheld(t *testing.T) {
	dir := extract(t)
	th := threadBy(t, dir, "Book club: next pick", "")
	inst := mustInstance(t, map[string]any{"maildir": dir, "thread": th.ID, "owner": sample.Owner}, env{})
	private := "From: alice@example.com\nTo: me@example.com\nSubject: Re: Book club: next pick\n" +
		"Date: Sat, 18 Nov 2023 09:00:00 +0000\nMessage-ID: <private-1@example.com>\n" +
		"In-Reply-To: <20231117203000.book@mail.example.com>\n\nBetween us: I have not read it yet.\n"
	wider := "From: carol@example.net\nTo: alice@example.com, me@example.com\nCc: dave@example.com\nSubject: Re: Book club: next pick\n" +
		"Date: Sat, 18 Nov 2023 10:00:00 +0000\nMessage-ID: <wider-1@example.net>\n" +
		"References: <CAL3book@example.net> <20231117203000.book@mail.example.com>\n\nAdding Dave, he wants to join.\n"
	for _, m := range []string{private, wider} {
		if _, err := mail.WriteMessage(dir, []byte(m), false); err != nil {
			t.Fatal(err)
		}
	}
	v, err := capabilities.Call(context.Background(), inst, "read", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := v.(map[string]any)
	var ids []string
	for _, m := range out["messages"].([]any) {
		ids = append(ids, m.(map[string]any)["id"].(string))
	}
	if out["withheld"] != 1.0 || slices.Contains(ids, "private-1@example.com") || !slices.Contains(ids, "wider-1@example.net") {
		t.Fatalf("withheld %v, ids %v: want the private message withheld and the wider one shown", out["withheld"], ids)
	}
	if slices.Contains(out["participants"].([]any), any("dave@example.com")) {
		t.Fatal("participants grew after provisioning")
	}
}

func TestEnumerator(t *testing.T) {
	dir := extract(t)
	ctx := context.Background()
	inst := mustInstance(t, map[string]any{"maildir": dir, "owner": sample.Owner}, env{})
	en, ok := inst.(capabilities.Enumerator)
	if !ok {
		t.Fatal("mail instance is not an Enumerator")
	}
	items, err := en.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := mail.ReadMaildir(dir)
	var want []string
	for _, th := range ts {
		want = append(want, th.ID)
	}
	if len(items) != sample.Threads || !slices.Equal(items, want) {
		t.Fatalf("items = %v, want %v", items, want)
	}
	offsite := threadBy(t, dir, "Offsite planning", "")
	if items[0] != offsite.ID {
		t.Fatalf("first item %s, want the newest thread %s", items[0], offsite.ID)
	}

	props, err := en.Scope(offsite.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pm map[string]any
	if err := json.Unmarshal(props, &pm); err != nil {
		t.Fatal(err)
	}
	if pm["thread"] != offsite.ID || pm["maildir"] != dir || pm["owner"] != sample.Owner {
		t.Fatalf("scoped props = %s", props)
	}
	scoped, err := capabilities.New(ctx, mail.ID, props, &capabilities.Host{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := capabilities.Call(ctx, scoped, "read", nil)
	if err != nil || v.(map[string]any)["subject"] != "Offsite planning" {
		t.Fatalf("read scoped = %v, %v", v, err)
	}
	if _, err := scoped.(capabilities.Enumerator).Items(ctx); !errors.Is(err, capabilities.ErrUnavailable) {
		t.Fatalf("scoped Items err = %v, want ErrUnavailable", err)
	}
	for _, bad := range []string{"", "nope", "000000000000", "../../etc/pa"} {
		if _, err := en.Scope(bad); err == nil {
			t.Errorf("Scope(%q) succeeded", bad)
		}
	}
	for m, args := range map[string][]any{"read": nil, "reply": {"hi"}} {
		if _, err := capabilities.Call(ctx, inst, m, args); !errors.Is(err, mail.ErrNotScoped) {
			t.Errorf("mailbox %s err = %v, want ErrNotScoped", m, err)
		}
	}
}

func TestNoticesNewThreads(t *testing.T) {
	dir := extract(t)
	ctx := context.Background()
	en := mustInstance(t, map[string]any{"maildir": dir}, env{}).(capabilities.Enumerator)
	before, err := en.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A reply to an existing thread, then a new thread, dropped straight
	// into new/ as a delivery agent would.
	reply := "From: bob@example.org\nTo: me@example.com\nSubject: Re: Garden tools\nDate: Tue, 21 Nov 2023 08:00:00 +0000\n" +
		"Message-ID: <garden-3@example.org>\nIn-Reply-To: <f00d42@example.com>\n\nFound it, thanks!\n"
	if err := os.WriteFile(filepath.Join(dir, "new", "1700000100.M100P1.test"), []byte(reply), 0o600); err != nil {
		t.Fatal(err)
	}
	mid, err := en.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	garden := threadBy(t, dir, "Garden tools", "")
	if len(mid) != len(before) || mid[0] != garden.ID || len(garden.Messages) != 3 {
		t.Fatalf("after a reply: items %v (garden %s, %d messages)", mid, garden.ID, len(garden.Messages))
	}
	fresh := "From: carol@example.net\nTo: me@example.com\nSubject: Concert tickets\nDate: Tue, 21 Nov 2023 09:00:00 +0000\n" +
		"Message-ID: <tickets@example.net>\n\nI have two spare tickets for Saturday.\n"
	if _, err := mail.WriteMessage(dir, []byte(fresh), false); err != nil {
		t.Fatal(err)
	}
	after, err := en.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 || after[0] != mail.ThreadID("tickets@example.net") {
		t.Fatalf("after a new thread: items %v, want %s first of %d", after, mail.ThreadID("tickets@example.net"), len(before)+1)
	}
}

func TestProps(t *testing.T) {
	dir := extract(t)
	notMaildir := t.TempDir()
	th := threadBy(t, dir, "Lunch on Friday?", "")
	base := func(kv ...any) map[string]any {
		m := map[string]any{"maildir": dir, "owner": sample.Owner}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	withPw := env{refs: map[string]string{"password": "smtp-pw"}, secrets: vault.NewMemory(map[string]string{"smtp-pw": "x"})}
	for _, tc := range []struct {
		name  string
		props map[string]any
		env   env
		want  string // in the error; "" means success
		is    error
	}{
		{"mailbox", base(), env{}, "", nil},
		{"scoped", base("thread", th.ID), env{}, "", nil},
		{"full smtp", base("thread", th.ID, "smtp_host", "smtp.example.com", "smtp_user", "me", "smtp_port", 465, "smtp_security", "tls"), withPw, "", nil},
		{"none to loopback", base("smtp_host", "127.0.0.1", "smtp_security", "none"), env{}, "", nil},
		{"none to localhost", base("smtp_host", "localhost", "smtp_security", "none"), env{}, "", nil},
		{"none to ::1", base("smtp_host", "::1", "smtp_security", "none"), env{}, "", nil},
		{"unknown field", base("smtp_password", "hunter2"), env{}, "smtp_password", capabilities.ErrProps},
		{"missing maildir", base("maildir", nil), env{}, "maildir is required", capabilities.ErrProps},
		{"not a maildir", base("maildir", notMaildir), env{}, "not a Maildir", mail.ErrNotMaildir},
		{"missing folder", base("maildir", filepath.Join(notMaildir, "nope")), env{}, "not a Maildir", mail.ErrNotMaildir},
		{"bad security", base("smtp_host", "smtp.example.com", "smtp_security", "ssl"), env{}, `smtp_security "ssl"`, capabilities.ErrProps},
		{"none to a remote host", base("smtp_host", "smtp.example.com", "smtp_security", "none"), env{}, "loopback", capabilities.ErrProps},
		{"none to a remote ip", base("smtp_host", "192.0.2.1", "smtp_security", "none"), env{}, "loopback", capabilities.ErrProps},
		{"none without host", base("smtp_security", "none"), env{}, "loopback", capabilities.ErrProps},
		{"port out of range", base("smtp_host", "smtp.example.com", "smtp_port", 70000), env{}, "smtp_port", capabilities.ErrProps},
		{"host with port", base("smtp_host", "smtp.example.com:25"), env{}, "smtp_host", capabilities.ErrProps},
		{"host needs owner", base("owner", nil, "smtp_host", "smtp.example.com"), env{}, "owner is required", capabilities.ErrProps},
		{"bad owner", base("owner", "not an address"), env{}, "owner", capabilities.ErrProps},
		{"bad thread id", base("thread", "Lunch"), env{}, "thread id", capabilities.ErrProps},
		{"unknown thread", base("thread", "0123456789ab"), env{}, "not found", mail.ErrThreadNotFound},
		{"user without host", base("smtp_user", "me"), withPw, "smtp_host", capabilities.ErrProps},
		{"user without password", base("smtp_host", "smtp.example.com", "smtp_user", "me"), env{}, "password", capabilities.ErrNoSecret},
		{"password without user", base("smtp_host", "smtp.example.com"), withPw, "smtp_user is empty", capabilities.ErrProps},
		{"unknown secret slot", base(), env{refs: map[string]string{"api_key": "k"}}, "api_key", capabilities.ErrProps},
		{"negative body cap", base("max_body_bytes", -1), env{}, "max_body_bytes", capabilities.ErrProps},
		{"huge reply cap", base("max_reply_bytes", 1<<30), env{}, "max_reply_bytes", capabilities.ErrProps},
		{"wrong type", base("smtp_port", "587"), env{}, "smtp_port", capabilities.ErrProps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := newInstance(t, tc.props, tc.env)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				_ = capabilities.Cleanup(inst)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want one naming %q and wrapping %v", err, tc.want, tc.is)
			}
		})
	}
}

// parseSent parses a message as the SMTP server received it.
func parseSent(t *testing.T, data []byte) (*netmail.Message, string) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.ParseContent(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, m.Body)
	return m, c.Text
}

func netmailAddress(a string) netmail.Address { return netmail.Address{Address: a} }
