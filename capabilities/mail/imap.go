package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// The IMAP side of the kind. Library: github.com/emersion/go-imap/v2 (pinned
// at v2.0.0-beta.8), whose IDLE reports EXISTS and EXPUNGE through a
// handler of the connection and whose commands can be abandoned by closing
// the connection, which is how every command here is bounded in time.

// IMAPSecurity is how an IMAP connection is protected.
type IMAPSecurity string

// The IMAP security modes.
const (
	// IMAPTLS speaks TLS from the start (port 993 by default).
	IMAPTLS IMAPSecurity = "tls"
	// IMAPStartTLS upgrades a plain connection with STARTTLS (port 143).
	IMAPStartTLS IMAPSecurity = "starttls"
	// IMAPPlain sends everything, the password too, in plain text; allowed
	// only to a loopback host.
	IMAPPlain IMAPSecurity = "plain"
)

// Defaults of the IMAP props.
const (
	// DefaultMailbox is the folder read when mailbox is unset.
	DefaultMailbox = "INBOX"
	// DefaultSentFolder is the folder replies are filed in when sent_folder
	// is unset.
	DefaultSentFolder = "Sent"
)

// Sentinel errors of the IMAP side.
var (
	// ErrIMAPLogin means the server refused the login: a wrong user or
	// password (or app password). It is not retried quickly.
	ErrIMAPLogin = errors.New("the IMAP server refused the login (wrong user or password?)")
	// ErrIMAPTimeout means the server did not answer in time.
	ErrIMAPTimeout = errors.New("the IMAP server did not answer in time")
)

// imapTiming holds the IMAP timeouts and intervals; tests shorten them.
type imapTiming struct {
	dial       time.Duration // TCP connect and TLS handshake
	command    time.Duration // one command, greeting and login included
	idle       time.Duration // how long one IDLE lasts before it is renewed (and the mailbox checked)
	poll       time.Duration // how often a server without IDLE is checked
	backoffMin time.Duration // first wait before reconnecting
	backoffMax time.Duration // longest wait between reconnects
	authWait   time.Duration // the least wait after a refused login
}

var timing = imapTiming{
	dial:       20 * time.Second,
	command:    60 * time.Second,
	idle:       10 * time.Minute,
	poll:       2 * time.Minute,
	backoffMin: time.Second,
	backoffMax: 5 * time.Minute,
	authWait:   5 * time.Minute,
}

// Limits of IMAP reads.
const (
	// maxIMAPConns is how many short-lived connections (reads and replies
	// of scoped instances) one account has open at once; servers limit
	// connections per user (Dovecot: 10).
	maxIMAPConns = 4
	// fetchChunk is how many messages' headers one FETCH asks for.
	fetchChunk = 500
	// maxSearchRounds bounds the rounds of header searches that gather a
	// thread.
	maxSearchRounds = 4
	// maxSearchKeys bounds the message ids one search names.
	maxSearchKeys = 64
)

// imapRoots, when set, are the certificate authorities IMAP servers are
// checked against instead of the system's (tests trust a test server).
var imapRoots *x509.CertPool

// fetchedBytes counts the bytes of message bodies read over IMAP (tests
// check that a huge message is read in part only); connections counts the
// connections made.
var fetchedBytes, connections atomic.Int64

// watched holds the mailbox instances' caches by account and folder, so
// that an instance scoped to a thread, provisioned in the same process while
// its mailbox is watched (the engine provisions one per thread, thousands at
// start), takes its thread from the cache instead of connecting.
var watched struct {
	sync.Mutex
	m map[string]*imapBox
}

// key names the account's folder in watched.
func (a imapAccount) key() string { return a.user + "@" + a.addr() + "/" + a.mailbox }

// watchedThread returns thread id from the cache of a watched mailbox of
// account a, if there is one and it was reached last time it tried.
func watchedThread(a imapAccount, id string) (Thread, bool) {
	watched.Lock()
	b := watched.m[a.key()]
	watched.Unlock()
	if b == nil {
		return Thread{}, false
	}
	ts, byID, err := b.snapshot()
	if i, ok := byID[id]; ok && err == nil {
		return ts[i], true
	}
	return Thread{}, false
}

// imapAccount is where an IMAP mailbox is and who logs in.
type imapAccount struct {
	host     string
	port     int
	security IMAPSecurity
	user     string
	mailbox  string
}

// String names the account in errors and logs: user@host.
func (a imapAccount) String() string { return a.user + "@" + a.host }

func (a imapAccount) addr() string {
	port := a.port
	if port == 0 {
		port = 993
		if a.security == IMAPStartTLS || a.security == IMAPPlain {
			port = 143
		}
	}
	return net.JoinHostPort(a.host, strconv.Itoa(port))
}

// slots limits each account's concurrent short-lived connections.
var slots struct {
	sync.Mutex
	m map[string]chan struct{}
}

func (a imapAccount) slot() chan struct{} {
	slots.Lock()
	defer slots.Unlock()
	key := a.user + "@" + a.addr()
	if slots.m == nil {
		slots.m = map[string]chan struct{}{}
	}
	if c, ok := slots.m[key]; ok {
		return c
	}
	c := make(chan struct{}, maxIMAPConns)
	slots.m[key] = c
	return c
}

// imapConn is one logged-in IMAP connection with the mailbox selected.
type imapConn struct {
	acct imapAccount
	c    *imapclient.Client
	sel  *imap.SelectData
}

// dialIMAP connects, logs in and selects the account's mailbox, each step
// bounded by the timeouts. onChange, when set, is called (from the
// connection's reader) when the server reports new or expunged messages.
// The password never appears in an error.
func dialIMAP(ctx context.Context, a imapAccount, password string, onChange func()) (*imapConn, error) {
	connections.Add(1)
	d := net.Dialer{Timeout: timing.dial}
	raw, err := d.DialContext(ctx, "tcp", a.addr())
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("imap %s: connecting: %w (%v): %w", a, ErrIMAPTimeout, timing.dial, err)
		}
		return nil, fmt.Errorf("imap %s: connecting: %w", a, err)
	}
	if a.security == IMAPTLS {
		tc := tls.Client(raw, &tls.Config{ServerName: a.host, NextProtos: []string{"imap"}, MinVersion: tls.VersionTLS12, RootCAs: imapRoots})
		hctx, cancel := context.WithTimeout(ctx, timing.dial)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("imap %s: TLS: %w", a, err)
		}
		raw = tc
	}
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: a.host, MinVersion: tls.VersionTLS12, RootCAs: imapRoots},
		Dialer:    &d,
	}
	if onChange != nil {
		opts.UnilateralDataHandler = &imapclient.UnilateralDataHandler{
			Mailbox: func(m *imapclient.UnilateralDataMailbox) {
				if m.NumMessages != nil {
					onChange()
				}
			},
			Expunge: func(uint32) { onChange() },
		}
	}
	var c *imapclient.Client
	conn := &imapConn{acct: a}
	step := "greeting"
	if a.security == IMAPStartTLS {
		step = "greeting and STARTTLS"
	}
	err = bounded(ctx, a, step, func() { raw.Close() }, func() error {
		if a.security == IMAPStartTLS {
			var err error
			c, err = imapclient.NewStartTLS(raw, opts)
			return err
		}
		c = imapclient.New(raw, opts)
		return c.WaitGreeting()
	})
	if err != nil {
		raw.Close()
		return nil, err
	}
	conn.c = c
	if err := conn.run(ctx, "login", func() error { return c.Login(a.user, password).Wait() }); err != nil {
		c.Close()
		// A NO is a refused login unless the server says it is busy.
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code != imap.ResponseCodeUnavailable {
			return nil, fmt.Errorf("imap %s: %w: %s", a, ErrIMAPLogin, redact(ie.Text, a.user, password))
		}
		return nil, &scrubbed{err: err, msg: redact(err.Error(), a.user, password)}
	}
	if err := conn.run(ctx, "selecting "+strconv.Quote(a.mailbox), func() error {
		var err error
		conn.sel, err = c.Select(a.mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	}); err != nil {
		c.Close()
		return nil, err
	}
	return conn, nil
}

// bounded runs f, giving up after the command timeout or when ctx ends: then
// it calls abandon (which must make f return) and waits for f.
func bounded(ctx context.Context, a imapAccount, what string, abandon func(), f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(timing.command)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("imap %s: %s: %w", a, what, err)
		}
		return nil
	case <-t.C:
		abandon()
		<-done
		return fmt.Errorf("imap %s: %s: %w (%v)", a, what, ErrIMAPTimeout, timing.command)
	case <-ctx.Done():
		abandon()
		<-done
		return fmt.Errorf("imap %s: %s: %w", a, what, ctx.Err())
	}
}

// run runs one command on the connection, bounded in time; on a timeout the
// connection is closed and unusable.
func (c *imapConn) run(ctx context.Context, what string, f func() error) error {
	return bounded(ctx, c.acct, what, func() { c.c.Close() }, f)
}

// close logs out politely (briefly) and closes the connection.
func (c *imapConn) close() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.c.Logout().Wait()
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	c.c.Close()
	<-done
}

// search returns the UIDs of the messages matching criteria.
func (c *imapConn) search(ctx context.Context, criteria *imap.SearchCriteria) ([]imap.UID, error) {
	var uids []imap.UID
	err := c.run(ctx, "searching", func() error {
		d, err := c.c.UIDSearch(criteria, nil).Wait()
		if err != nil {
			return err
		}
		uids = d.AllUIDs()
		return nil
	})
	return uids, err
}

// headers fetches the headers of the messages with the given UIDs.
// Messages whose headers do not parse are skipped, as in a Maildir.
func (c *imapConn) headers(ctx context.Context, uids []imap.UID) ([]Message, error) {
	var out []Message
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, Partial: &imap.SectionPartial{Size: maxHeaderBytes}}
	for chunk := range slices.Chunk(uids, fetchChunk) {
		err := c.run(ctx, "fetching headers", func() error {
			cmd := c.c.Fetch(imap.UIDSetNum(chunk...), &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}})
			for m := cmd.Next(); m != nil; m = cmd.Next() {
				var uid imap.UID
				var date time.Time
				var hdr []byte
				for it := m.Next(); it != nil; it = m.Next() {
					switch it := it.(type) {
					case imapclient.FetchItemDataUID:
						uid = it.UID
					case imapclient.FetchItemDataInternalDate:
						date = it.Time
					case imapclient.FetchItemDataBodySection:
						if it.Literal != nil {
							hdr, _ = io.ReadAll(io.LimitReader(it.Literal, maxHeaderBytes+1))
						}
					}
				}
				if uid == 0 || hdr == nil {
					continue
				}
				msg, err := mail.ReadMessage(bytes.NewReader(append(hdr, "\r\n\r\n"...)))
				if err != nil {
					continue
				}
				out = append(out, imapMessage(msg.Header, hdr, date, uid))
			}
			return cmd.Close()
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// imapMessage builds the Message of one IMAP message's headers. A message
// without a Message-ID gets an id made from its header's bytes, which stay
// the same when UIDVALIDITY changes (but differ from the id the Maildir
// backend makes from a file name).
func imapMessage(h mail.Header, raw []byte, internal time.Time, uid imap.UID) Message {
	sum := sha256.Sum256(raw)
	m := messageOf(h, "imap-"+hex.EncodeToString(sum[:8]), internal)
	m.Path = ""
	m.UID = uint32(uid)
	return m
}

// content fetches at most the first limit bytes of a message and parses
// them. A message cut by the limit is read as far as it goes.
func (c *imapConn) content(ctx context.Context, uid uint32, limit, maxText int) (Content, error) {
	var raw []byte
	err := c.run(ctx, "fetching a message", func() error {
		section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Size: int64(limit)}}
		cmd := c.c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			for it := m.Next(); it != nil; it = m.Next() {
				if b, ok := it.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil && raw == nil {
					var err error
					raw, err = io.ReadAll(io.LimitReader(b.Literal, int64(limit)))
					fetchedBytes.Add(int64(len(raw)))
					if err != nil {
						return err
					}
				}
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return Content{}, err
	}
	if raw == nil {
		return Content{}, fmt.Errorf("imap %s: message %d is gone", c.acct, uid)
	}
	return ParseContent(bytes.NewReader(raw), maxText)
}

// appendMessage files raw in folder with the \Seen flag, creating the folder
// when the server says it does not exist.
func (c *imapConn) appendMessage(ctx context.Context, folder string, raw []byte) error {
	put := func() error {
		cmd := c.c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
		if _, err := cmd.Write(raw); err != nil {
			cmd.Close()
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	}
	err := c.run(ctx, "filing in "+strconv.Quote(folder), put)
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		if err := c.run(ctx, "creating "+strconv.Quote(folder), func() error { return c.c.Create(folder, nil).Wait() }); err != nil {
			return err
		}
		err = c.run(ctx, "filing in "+strconv.Quote(folder), put)
	}
	return err
}

// orHeaders is the search for messages naming any of ids in Message-ID,
// In-Reply-To or References.
func orHeaders(ids []string) *imap.SearchCriteria {
	var keys []imap.SearchCriteria
	for _, id := range ids {
		for _, h := range []string{"Message-ID", "In-Reply-To", "References"} {
			keys = append(keys, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: h, Value: id}}})
		}
	}
	for len(keys) > 1 {
		var next []imap.SearchCriteria
		for i := 0; i+1 < len(keys); i += 2 {
			next = append(next, imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{keys[i], keys[i+1]}}})
		}
		if len(keys)%2 == 1 {
			next = append(next, keys[len(keys)-1])
		}
		keys = next
	}
	return &keys[0]
}

// threadMessages gathers the messages of the thread rooted at root (and of
// any thread holding one of known's ids) by header searches, not by reading
// the mailbox: each round searches for the ids found so far, until no new
// message turns up.
func (c *imapConn) threadMessages(ctx context.Context, root string, known map[string]bool) ([]Message, error) {
	ids := map[string]bool{root: true}
	for id := range known {
		ids[id] = true
	}
	asked := map[string]bool{}
	have := map[imap.UID]bool{}
	var msgs []Message
	for range maxSearchRounds {
		var ask []string
		for id := range ids {
			if !asked[id] && len(ask) < maxSearchKeys {
				ask = append(ask, id)
			}
		}
		if len(ask) == 0 {
			break
		}
		slices.Sort(ask)
		for _, id := range ask {
			asked[id] = true
		}
		uids, err := c.search(ctx, orHeaders(ask))
		if err != nil {
			return nil, err
		}
		uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return have[u] })
		if len(uids) == 0 {
			continue
		}
		found, err := c.headers(ctx, uids)
		if err != nil {
			return nil, err
		}
		for _, u := range uids {
			have[u] = true
		}
		for _, m := range found {
			msgs = append(msgs, m)
			ids[m.ID] = true
			for _, r := range append(slices.Clone(m.References), m.InReplyTo...) {
				ids[r] = true
			}
		}
	}
	return msgs, nil
}

// allMessages reads the headers of every message of the mailbox.
func (c *imapConn) allMessages(ctx context.Context) ([]Message, error) {
	uids, err := c.search(ctx, &imap.SearchCriteria{})
	if err != nil {
		return nil, err
	}
	return c.headers(ctx, uids)
}

// imapBox is the mailbox instance's view of an IMAP mailbox: every
// message's headers and the threads they form, kept current by a watcher
// goroutine (IDLE, or polling when the server lacks it) that the instance
// owns: it starts at Provision and ends at Cleanup.
type imapBox struct {
	acct     imapAccount
	password func(context.Context) (string, error)
	logf     func(string, ...any)

	mu       sync.Mutex
	validity uint32
	msgs     map[imap.UID]Message
	threads  []Thread
	byID     map[string]int
	failure  error // the last failure to reach the mailbox, nil once it is reached again

	changes chan struct{} // a change is waiting (capacity 1)
	notify  chan struct{} // the server reported new or expunged messages (capacity 1)
	cancel  context.CancelFunc
	done    chan struct{}

	dials atomic.Int64 // connection attempts, for tests
}

// openIMAPBox connects, reads every message's headers and starts watching.
func openIMAPBox(ctx context.Context, a imapAccount, password func(context.Context) (string, error), logf func(string, ...any)) (*imapBox, error) {
	b := &imapBox{
		acct: a, password: password, logf: logf,
		msgs:    map[imap.UID]Message{},
		changes: make(chan struct{}, 1),
		notify:  make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	conn, err := b.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.sync(ctx, conn); err != nil {
		conn.close()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.watch(wctx, conn)
	watched.Lock()
	if watched.m == nil {
		watched.m = map[string]*imapBox{}
	}
	watched.m[a.key()] = b
	watched.Unlock()
	return b, nil
}

func (b *imapBox) dial(ctx context.Context) (*imapConn, error) {
	b.dials.Add(1)
	pw, err := b.password(ctx)
	if err != nil {
		return nil, fmt.Errorf("imap %s: reading the password: %w", b.acct, err)
	}
	return dialIMAP(ctx, b.acct, pw, func() { signal(b.notify) })
}

// signal sends on a channel of capacity 1 without blocking: one waiting
// signal stands for any number.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// close stops the watcher and waits for it.
func (b *imapBox) close() {
	watched.Lock()
	if watched.m[b.acct.key()] == b {
		delete(watched.m, b.acct.key())
	}
	watched.Unlock()
	if b.cancel != nil {
		b.cancel()
		<-b.done
	}
}

// sync brings the cache in line with the mailbox: on a new UIDVALIDITY it
// starts over; otherwise it reads the headers of the messages it has not
// seen and forgets the ones gone.
func (b *imapBox) sync(ctx context.Context, conn *imapConn) error {
	uids, err := conn.search(ctx, &imap.SearchCriteria{})
	if err != nil {
		return err
	}
	b.mu.Lock()
	reset := b.validity != conn.sel.UIDValidity
	var fresh []imap.UID
	for _, u := range uids {
		if _, ok := b.msgs[u]; !ok || reset {
			fresh = append(fresh, u)
		}
	}
	b.mu.Unlock()
	found, err := conn.headers(ctx, fresh)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if reset {
		if b.validity != 0 {
			b.logf("imap %s: UIDVALIDITY changed (%d → %d): reading the mailbox again", b.acct, b.validity, conn.sel.UIDValidity)
		}
		b.validity = conn.sel.UIDValidity
		clear(b.msgs)
	}
	live := make(map[imap.UID]bool, len(uids))
	for _, u := range uids {
		live[u] = true
	}
	changed := reset && b.threads != nil
	for u := range b.msgs {
		if !live[u] {
			delete(b.msgs, u)
			changed = true
		}
	}
	for _, m := range found {
		b.msgs[imap.UID(m.UID)] = m
		changed = true
	}
	if changed || b.threads == nil {
		msgs := make([]Message, 0, len(b.msgs))
		for _, m := range b.msgs {
			msgs = append(msgs, m)
		}
		b.threads = threads(msgs)
		b.byID = make(map[string]int, len(b.threads))
		for i, t := range b.threads {
			b.byID[t.ID] = i
		}
	}
	b.failure = nil
	if changed {
		signal(b.changes)
	}
	return nil
}

// watch keeps the cache current until ctx ends: it waits in IDLE (or
// sleeps, polling, when the server has no IDLE), syncs after each change,
// and reconnects with exponential backoff when the connection drops. A
// refused login waits at least timing.authWait before the next try.
func (b *imapBox) watch(ctx context.Context, conn *imapConn) {
	defer close(b.done)
	wait := timing.backoffMin
	for {
		if conn == nil {
			var err error
			conn, err = b.dial(ctx)
			if err == nil {
				err = b.sync(ctx, conn)
				if err != nil {
					conn.close()
					conn = nil
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				d := wait
				if errors.Is(err, ErrIMAPLogin) {
					d = max(d, timing.authWait)
				}
				b.fail(err, d)
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
				wait = min(wait*2, timing.backoffMax)
				continue
			}
			wait = timing.backoffMin
		}
		err := b.follow(ctx, conn)
		conn.close()
		conn = nil
		if ctx.Err() != nil {
			return
		}
		b.fail(err, 0)
	}
}

// fail records why the mailbox cannot be reached, and logs it.
func (b *imapBox) fail(err error, retry time.Duration) {
	b.mu.Lock()
	b.failure = err
	b.mu.Unlock()
	if retry > 0 {
		b.logf("%v (trying again in %v)", err, retry)
	} else {
		b.logf("connection lost: %v (reconnecting)", err)
	}
}

// follow waits for changes on one connection and syncs after each, until
// the connection fails or ctx ends.
func (b *imapBox) follow(ctx context.Context, conn *imapConn) error {
	idle := conn.c.Caps().Has(imap.CapIdle)
	for {
		period := timing.poll
		var cmd *imapclient.IdleCommand
		if idle {
			period = timing.idle
			if err := conn.run(ctx, "starting IDLE", func() error {
				var err error
				cmd, err = conn.c.Idle()
				return err
			}); err != nil {
				return err
			}
		}
		t := time.NewTimer(period)
		renewal := false
		select {
		case <-ctx.Done():
		case <-b.notify:
		case <-t.C:
			renewal = true
		case <-conn.c.Closed():
		}
		t.Stop()
		if cmd != nil {
			if err := conn.run(ctx, "ending IDLE", func() error {
				if err := cmd.Close(); err != nil {
					return err
				}
				return cmd.Wait()
			}); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := conn.run(ctx, "checking", func() error { return conn.c.Noop().Wait() }); err != nil {
			return err
		}
		if renewal {
			// A folder deleted and created again under the session may
			// go unreported (Dovecot does not always end the session):
			// select it again now and then, and compare UIDVALIDITY.
			var sel *imap.SelectData
			if err := conn.run(ctx, "selecting "+strconv.Quote(b.acct.mailbox)+" again", func() error {
				var err error
				sel, err = conn.c.Select(b.acct.mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
				return err
			}); err != nil {
				return err
			}
			if sel.UIDValidity != conn.sel.UIDValidity {
				return fmt.Errorf("imap %s: UIDVALIDITY of %q changed under the session", b.acct, b.acct.mailbox)
			}
		}
		// Drop a signal already handled by the NOOP's sync below.
		select {
		case <-b.notify:
		default:
		}
		if err := b.sync(ctx, conn); err != nil {
			return err
		}
		if sel := conn.c.Mailbox(); sel == nil {
			return fmt.Errorf("imap %s: the mailbox was closed by the server", b.acct)
		}
	}
}

// snapshot returns the threads last read and the failure to reach the
// mailbox since, if any.
func (b *imapBox) snapshot() ([]Thread, map[string]int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.threads, b.byID, b.failure
}
