package mail

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Message is one message of a Maildir, as far as threading needs it: its
// headers, not its body (read that with [ReadContent]).
type Message struct {
	// ID is the Message-ID without angle brackets. A message without one
	// gets a stable made-up id, "nomsgid.HASH@littleboxes.invalid", from its
	// file name.
	ID string
	// InReplyTo and References are the message ids those headers name, in
	// order, without angle brackets.
	InReplyTo  []string
	References []string
	// From is the sender's bare address, lower-cased ("" if unparseable).
	From string
	// To and Cc are bare addresses, lower-cased, in header order.
	To, Cc []string
	// Date is the Date header; when it is missing or unparseable, the time
	// in the file name, or else the file's modification time.
	Date time.Time
	// Subject is the decoded Subject header, control characters replaced.
	Subject string
	// Path is the message's file ("" for a message on an IMAP server).
	Path string
	// UID is the message's IMAP UID (0 for a message in a Maildir).
	UID uint32
	// Flags are the Maildir info flags ("S" seen, "R" replied, ...).
	Flags string
}

// Thread is one conversation: the messages linked by Message-ID,
// In-Reply-To and References.
type Thread struct {
	// ID is the thread id: [ThreadID] of Root.
	ID string
	// Root is the Message-ID at the top of the thread; the message itself
	// may be missing from the Maildir.
	Root string
	// Subject is the earliest message's subject without "Re:"-like prefixes.
	Subject string
	// Participants are every From, To and Cc address of the thread's
	// messages, lower-cased, sorted, without duplicates.
	Participants []string
	// Messages are sorted by date, oldest first.
	Messages []Message
}

// Latest returns the date of the thread's newest message.
func (t Thread) Latest() time.Time {
	if len(t.Messages) == 0 {
		return time.Time{}
	}
	return t.Messages[len(t.Messages)-1].Date
}

// Sentinel errors of the Maildir functions.
var (
	// ErrNotMaildir means a directory lacks cur/, new/ or tmp/.
	ErrNotMaildir = errors.New("not a Maildir")
	// ErrThreadNotFound means no thread has the id asked for.
	ErrThreadNotFound = errors.New("thread not found")
)

// Limits of the reader.
const (
	// maxHeaderBytes is how much of a file is read for its headers.
	maxHeaderBytes = 256 << 10
	// maxMessageBytes is how much of a file is read for its content.
	maxMessageBytes = 64 << 20
)

var threadIDPattern = regexp.MustCompile(`^[0-9a-f]{12}$`)

// ThreadID returns the id of the thread whose root has the given Message-ID
// (without angle brackets): the first 12 hex digits of its SHA-256.
func ThreadID(rootMessageID string) string {
	sum := sha256.Sum256([]byte(rootMessageID))
	return hex.EncodeToString(sum[:6])
}

// ReadMaildir reads every message in dir's cur/ and new/ (headers only) and
// groups them into threads, newest thread first (by latest message, then by
// id). It caches nothing; see [Maildir] for a reader that does.
func ReadMaildir(dir string) ([]Thread, error) {
	return newMaildir(dir).Threads()
}

// Maildir reads a Maildir and keeps the parsed headers of each file, keyed
// by name, size and modification time, so that reading it again parses only
// what changed. It also keeps the threads it last found, and returns them
// again for as long as cur/ and new/ are unchanged: in a Maildir a message
// is added, removed or re-flagged by creating, removing or renaming a file,
// which changes its folder's modification time. It is safe for concurrent
// use.
type Maildir struct {
	dir string

	mu    sync.Mutex
	files map[string]cachedFile // by path

	snapMu sync.Mutex
	snap   *snapshot
}

// snapshot is the threads found at one reading.
type snapshot struct {
	cur, new time.Time // the folders' modification times when read
	taken    time.Time
	threads  []Thread
	byID     map[string]int
}

// racyWindow is how long after a folder's modification time a snapshot must
// have been taken for the folder's time to prove that nothing changed since:
// a file added in the same clock tick as an earlier change leaves the time
// as it was. A second covers the coarse clocks of Linux filesystems.
const racyWindow = time.Second

// shared holds the Maildir reader of each folder, so that every capability
// instance on one mailbox (one per thread, thousands of them) shares one
// cache instead of each reading the whole folder again.
var shared struct {
	sync.Mutex
	boxes map[string]*Maildir
}

type cachedFile struct {
	size  int64
	mtime time.Time
	msg   Message
}

// OpenMaildir returns a reader of the Maildir at dir. It touches nothing
// until Threads is called.
// Readers are shared by folder: opening the same folder again returns the
// same reader, and its cache.
func OpenMaildir(dir string) *Maildir {
	key := dir
	if abs, err := filepath.Abs(dir); err == nil {
		key = abs
	}
	shared.Lock()
	defer shared.Unlock()
	if m, ok := shared.boxes[key]; ok {
		return m
	}
	if shared.boxes == nil {
		shared.boxes = map[string]*Maildir{}
	}
	m := newMaildir(dir)
	shared.boxes[key] = m
	return m
}

func newMaildir(dir string) *Maildir {
	return &Maildir{dir: dir, files: map[string]cachedFile{}}
}

// Dir returns the Maildir's directory.
func (m *Maildir) Dir() string { return m.dir }

// CheckMaildir returns an error wrapping ErrNotMaildir unless dir is a
// directory holding cur/, new/ and tmp/.
func CheckMaildir(dir string) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return fmt.Errorf("%q: %w (no %s/ folder)", dir, ErrNotMaildir, sub)
		}
	}
	return nil
}

// Threads returns the Maildir's threads, newest first, reading the folder
// again when it changed. Unreadable files are skipped; a missing cur/ or
// new/ is an error. The threads are shared with other callers: do not
// modify them.
func (m *Maildir) Threads() ([]Thread, error) {
	s, err := m.snapshot()
	if err != nil {
		return nil, err
	}
	return s.threads, nil
}

// Thread returns the thread with the given id.
func (m *Maildir) Thread(id string) (Thread, error) {
	s, err := m.snapshot()
	if err != nil {
		return Thread{}, err
	}
	if i, ok := s.byID[id]; ok {
		return s.threads[i], nil
	}
	return Thread{}, fmt.Errorf("thread %q: %w in %s", id, ErrThreadNotFound, m.dir)
}

// snapshot returns the threads last found, or reads the folder again when
// cur/ or new/ may have changed since.
func (m *Maildir) snapshot() (*snapshot, error) {
	m.snapMu.Lock()
	defer m.snapMu.Unlock()
	var times [2]time.Time
	for i, sub := range []string{"cur", "new"} {
		fi, err := os.Stat(filepath.Join(m.dir, sub))
		if err != nil {
			return nil, fmt.Errorf("reading maildir: %w", err)
		}
		times[i] = fi.ModTime()
	}
	if s := m.snap; s != nil && s.cur.Equal(times[0]) && s.new.Equal(times[1]) &&
		s.taken.Sub(times[0]) > racyWindow && s.taken.Sub(times[1]) > racyWindow {
		return s, nil
	}
	taken := time.Now()
	msgs, err := m.messages()
	if err != nil {
		return nil, err
	}
	s := &snapshot{cur: times[0], new: times[1], taken: taken, threads: threads(msgs)}
	s.byID = make(map[string]int, len(s.threads))
	for i, t := range s.threads {
		s.byID[t.ID] = i
	}
	m.snap = s
	return s, nil
}

func (m *Maildir) messages() ([]Message, error) {
	type found struct {
		path string
		info fs.FileInfo
	}
	var all []found
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(m.dir, sub))
		if err != nil {
			return nil, fmt.Errorf("reading maildir: %w", err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // renamed or removed meanwhile
			}
			all = append(all, found{filepath.Join(m.dir, sub, e.Name()), info})
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]cachedFile, len(all))
	msgs := make([]Message, 0, len(all))
	for _, f := range all {
		c, ok := m.files[f.path]
		if !ok || c.size != f.info.Size() || !c.mtime.Equal(f.info.ModTime()) {
			msg, err := readHeaders(f.path, f.info)
			if err != nil {
				continue // unreadable: skip it, as a mail client would
			}
			c = cachedFile{size: f.info.Size(), mtime: f.info.ModTime(), msg: msg}
		}
		next[f.path] = c
		msgs = append(msgs, c.msg)
	}
	m.files = next
	return msgs, nil
}

// readHeaders parses the headers of one message file.
func readHeaders(path string, info fs.FileInfo) (Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return Message{}, err
	}
	defer f.Close()
	msg, err := mail.ReadMessage(bufio.NewReader(io.LimitReader(f, maxHeaderBytes)))
	if err != nil {
		return Message{}, fmt.Errorf("%s: %w", path, err)
	}
	return messageOf(msg.Header, path, info.ModTime()), nil
}

// messageOf builds a Message from parsed headers.
func messageOf(h mail.Header, path string, mtime time.Time) Message {
	base := filepath.Base(path)
	unique, flags := splitInfo(base)
	m := Message{
		Path:    path,
		Flags:   flags,
		Subject: cleanHeader(decodeHeader(h.Get("Subject"))),
		From:    first(addresses(h, "From")),
		To:      addresses(h, "To"),
		Cc:      addresses(h, "Cc"),
	}
	if ids := msgIDs(h.Get("Message-ID")); len(ids) > 0 {
		m.ID = ids[0]
	} else {
		sum := sha256.Sum256([]byte(unique))
		m.ID = "nomsgid." + hex.EncodeToString(sum[:8]) + "@littleboxes.invalid"
	}
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(strings.Join(h["References"], " "))
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d
	} else if sec, err := strconv.ParseInt(strings.SplitN(unique, ".", 2)[0], 10, 64); err == nil && sec > 0 {
		m.Date = time.Unix(sec, 0).UTC()
	} else {
		m.Date = mtime.UTC()
	}
	return m
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// splitInfo splits a Maildir file name into its unique part and its flags
// (the letters after ":2,"; "!2," and ";2," are accepted too, as written on
// systems where a colon is not allowed in file names).
func splitInfo(name string) (unique, flags string) {
	for _, sep := range []string{":2,", "!2,", ";2,"} {
		if i := strings.LastIndex(name, sep); i >= 0 {
			return name[:i], name[i+len(sep):]
		}
	}
	return name, ""
}

var (
	bracketed   = regexp.MustCompile(`<([^<>\s]+)>`)
	loneAddress = regexp.MustCompile(`[A-Za-z0-9._%+\-=!#$&'*/?^{|}~]+@[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?`)
)

// msgIDs returns the message ids in a header value: each <...>, or, when
// there is none, the whitespace-separated words that look like one.
func msgIDs(v string) []string {
	var ids []string
	for _, m := range bracketed.FindAllStringSubmatch(v, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		for _, w := range strings.Fields(v) {
			if strings.Contains(w, "@") && !strings.ContainsAny(w, "<>\"") {
				ids = append(ids, w)
			}
		}
	}
	return ids
}

// addresses returns the bare, lower-cased addresses of an address header.
// When the header does not parse, it falls back to anything shaped like an
// address.
func addresses(h mail.Header, key string) []string {
	v := h.Get(key)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
	} else {
		for _, a := range loneAddress.FindAllString(v, -1) {
			out = append(out, strings.ToLower(a))
		}
	}
	return out
}

// cleanHeader replaces control characters (a decoded header may hold CR or
// LF) with spaces and trims the result.
func cleanHeader(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}

var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|sv|antw)(\[\d+\])?\s*:\s*)+`)

// baseSubject strips "Re:", "Fwd:" and the like from the front of a subject.
func baseSubject(s string) string {
	return strings.TrimSpace(replyPrefix.ReplaceAllString(s, ""))
}

// threads groups messages into threads. A message joins the thread of every
// message id it references; the root is found by following the parent links
// (the last reference of each message) up from the thread's earliest
// message, so that the root, and with it the thread id, stays put as replies
// arrive, even when the first message itself is missing.
func threads(msgs []Message) []Thread {
	// Sort for determinism, and drop duplicate copies of one message.
	slices.SortFunc(msgs, func(a, b Message) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	seen := map[string]bool{}
	uniq := msgs[:0:0]
	for _, m := range msgs {
		if !seen[m.ID] {
			seen[m.ID] = true
			uniq = append(uniq, m)
		}
	}
	msgs = uniq

	// Union-find over message ids, and parent links.
	uf := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := uf[x]
		if !ok {
			uf[x] = x
			return x
		}
		for p != x {
			gp := uf[p]
			uf[x] = gp
			x, p = p, gp
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			uf[ra] = rb
		}
	}
	parent := map[string]string{}
	isAncestor := func(anc, x string) bool { // is anc x or above x?
		for i := 0; i < len(parent)+1; i++ {
			if x == anc {
				return true
			}
			p, ok := parent[x]
			if !ok {
				return false
			}
			x = p
		}
		return true // a cycle: treat as related
	}
	link := func(p, c string, override bool) {
		if p == c {
			return
		}
		if _, has := parent[c]; has && !override {
			return
		}
		if isAncestor(c, p) {
			return // would make a cycle
		}
		parent[c] = p
	}
	for _, m := range msgs {
		find(m.ID)
		refs := slices.Clone(m.References)
		for _, r := range m.InReplyTo[:min(1, len(m.InReplyTo))] {
			if !slices.Contains(refs, r) {
				refs = append(refs, r)
			}
		}
		for i, r := range refs {
			union(m.ID, r)
			if i > 0 {
				link(refs[i-1], r, false)
			}
		}
		if len(refs) > 0 {
			link(refs[len(refs)-1], m.ID, true)
		}
	}

	groups := map[string][]Message{}
	var order []string
	for _, m := range msgs {
		r := find(m.ID)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], m)
	}
	out := make([]Thread, 0, len(order))
	for _, r := range order {
		ms := groups[r] // already sorted by date
		root := ms[0].ID
		for i := 0; i < len(parent)+1; i++ {
			p, ok := parent[root]
			if !ok {
				break
			}
			root = p
		}
		t := Thread{ID: ThreadID(root), Root: root, Subject: baseSubject(ms[0].Subject), Messages: ms}
		set := map[string]bool{}
		for _, m := range ms {
			for _, a := range readers(m) {
				set[a] = true
			}
		}
		for a := range set {
			t.Participants = append(t.Participants, a)
		}
		slices.Sort(t.Participants)
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Thread) int {
		if c := b.Latest().Compare(a.Latest()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// readers returns the addresses a message was visibly shared with: its
// From, To and Cc.
func readers(m Message) []string {
	var out []string
	if m.From != "" {
		out = append(out, m.From)
	}
	out = append(out, m.To...)
	return append(out, m.Cc...)
}

var deliveries atomic.Uint64

// infoSep is the separator of a Maildir file name's info part.
var infoSep = func() string {
	if runtime.GOOS == "windows" {
		return "!"
	}
	return ":"
}()

// WriteMessage stores a raw message in the Maildir at dir the Maildir way:
// written and synced under tmp/, then renamed into place. With seen false it
// goes to new/ (as a delivery agent would leave it); with seen true it goes to
// cur/ with the S (seen) flag, as a client files its own sent copy. It
// returns the file's path.
func WriteMessage(dir string, raw []byte, seen bool) (string, error) {
	if err := CheckMaildir(dir); err != nil {
		return "", err
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", `\057`, ":", `\072`, "!", `\041`).Replace(host)
	if host == "" {
		host = "localhost"
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	now := time.Now()
	unique := fmt.Sprintf("%d.M%dP%dQ%dR%s.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), deliveries.Add(1), hex.EncodeToString(rnd[:]), host)
	tmp := filepath.Join(dir, "tmp", unique)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing to maildir: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("writing to maildir: %w", err)
	}
	dst := filepath.Join(dir, "new", unique)
	if seen {
		dst = filepath.Join(dir, "cur", unique+infoSep+"2,S")
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("writing to maildir: %w", err)
	}
	return dst, nil
}
