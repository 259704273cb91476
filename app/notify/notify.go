// Package notify tells the person when the army needs them: it turns the
// engine's events (an effect held for approval, an agent cordoned, a message
// moved to the dead letters) into desktop notifications over the freedesktop
// org.freedesktop.Notifications D-Bus interface.
//
// A burst of events makes ONE notification ("3 actions wait for your
// approval", not one per thread of a template): events are gathered until
// the stream has been quiet for Options.Window (2 s by default), or for at
// most Options.MaxWait after the first, and each notification replaces the
// previous one (replaces_id). Clicking it (the "default" action) calls
// Options.Open with the approval it is about, so the window can open there.
// When every approval it announced has been decided, it is withdrawn.
//
// Mutes (everything, or per kind) are read through Options.Muted each time,
// so the caller keeps them wherever its settings live. With no session bus
// or no notification server, Watch logs once and goes on draining events:
// notifications never fail the engine. A server that appears later (a
// desktop started after the engine's user service) is used from the next
// burst on.
//
// The daemon (or the window) runs it on its own event stream:
//
//	evs, stop := hub.Subscribe() // or engine.Subscribe / daemon.Client.Events
//	defer stop()
//	go notify.Watch(ctx, evs, notify.Options{Logf: logf, Muted: settings.Mutes, Open: window.OpenApproval})
//
// Watch returns when ctx is done or the stream closes; the goroutine that
// calls it owns it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"littleboxes/app/events"
)

// Event types Watch reacts to. They are the engine's names (app/engine's
// EventApprovalNew, EventApprovalDecided, EventDeadLetter, EventCordoned; a
// test keeps them equal); package notify does not import the engine.
const (
	EventApprovalNew     = "approval.new"
	EventApprovalDecided = "approval.decided"
	EventDeadLetter      = "message.dead"
	// EventCordoned is an agent moved into a cell of its own after it
	// killed cells (Agent: the agent).
	EventCordoned = "agent.cordoned"
)

// The D-Bus names of the freedesktop notification service.
const (
	busName   = "org.freedesktop.Notifications"
	busPath   = dbus.ObjectPath("/org/freedesktop/Notifications")
	busIface  = "org.freedesktop.Notifications"
	appName   = "littleboxes"
	appIcon   = "littleboxes" // the icon the package installs (hicolor/…/apps/littleboxes.png)
	actionKey = "default"     // the action a click on the notification invokes
)

// Mutes says what the person does not want to hear about.
type Mutes struct {
	All         bool `json:"all,omitempty"`
	Approvals   bool `json:"approvals,omitempty"`
	Cordons     bool `json:"cordons,omitempty"`
	DeadLetters bool `json:"deadLetters,omitempty"`
}

// Options configures Watch. Every field may be left zero.
type Options struct {
	// Logf logs what went wrong (once per kind of trouble); nil discards.
	Logf func(format string, args ...any)
	// Muted returns the current mutes; it is called for every event and
	// again before a notification is sent. Nil mutes nothing.
	Muted func() Mutes
	// Open is called when the person clicks the notification, with the
	// approval it is about ("" when it is about no approval). It runs on
	// Watch's goroutine: it should return quickly.
	Open func(approvalID string)
	// Window is how long the stream must be quiet before a burst is
	// notified; 2 s when zero.
	Window time.Duration
	// MaxWait bounds how long a burst that keeps going waits; 10 s when zero.
	MaxWait time.Duration
	// Address is the D-Bus address to use; the session bus when empty.
	Address string
}

// burst is what happened since the last notification.
type burst struct {
	approvals []approval // in order of arrival, still pending
	cordoned  []string   // agents, once each
	dead      []deadLetter
}

type approval struct{ id, agent, what string }

type deadLetter struct{ from, to, channel string }

func (b *burst) empty() bool {
	return len(b.approvals) == 0 && len(b.cordoned) == 0 && len(b.dead) == 0
}

// watcher is Watch's state; only Watch's goroutine touches it.
type watcher struct {
	opt     Options
	conn    *dbus.Conn
	signals chan *dbus.Signal
	caps    bool // the server's capabilities are known
	markup  bool // the server renders body markup: escape it
	actions bool // the server shows actions

	cur      burst    // gathered, not yet notified
	shown    uint32   // the id of the notification on screen, 0 if none
	shownFor []string // the pending approvals it announced
	open     string   // the approval a click on it opens
	pending  []approval

	loggedConnect, loggedNotify bool
}

// Watch turns the events read from evs into desktop notifications until ctx
// is done or evs is closed (then a burst still gathering is notified at
// once). It never fails: trouble with D-Bus is logged once and notifications
// stop until the bus and a server are there again.
func Watch(ctx context.Context, evs <-chan events.Event, opt Options) {
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.Muted == nil {
		opt.Muted = func() Mutes { return Mutes{} }
	}
	if opt.Window <= 0 {
		opt.Window = 2 * time.Second
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 10 * time.Second
	}
	w := &watcher{opt: opt}
	defer w.disconnect()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var first time.Time // when the burst gathering now began; zero if none
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-evs:
			if !ok {
				w.flush(ctx)
				return
			}
			if !w.add(ev) {
				continue
			}
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			wait := min(opt.Window, first.Add(opt.MaxWait).Sub(now))
			timer.Reset(max(wait, 0))
		case <-timer.C:
			first = time.Time{}
			w.flush(ctx)
		case sig, ok := <-w.signals:
			if !ok { // the connection closed (the bus went away)
				w.disconnect()
				continue
			}
			w.signal(sig)
		}
	}
}

// add records ev and reports whether it starts or extends a burst.
func (w *watcher) add(ev events.Event) bool {
	m := w.opt.Muted()
	switch ev.Type {
	case EventApprovalNew:
		a := approval{id: ev.ID, agent: ev.Agent, what: ev.Detail}
		w.pending = append(w.pending, a)
		if m.All || m.Approvals {
			return false
		}
		w.cur.approvals = append(w.cur.approvals, a)
		return true
	case EventApprovalDecided:
		w.pending = slices.DeleteFunc(w.pending, func(a approval) bool { return a.id == ev.ID })
		w.cur.approvals = slices.DeleteFunc(w.cur.approvals, func(a approval) bool { return a.id == ev.ID })
		w.withdrawIfDecided()
		return false
	case EventCordoned:
		if m.All || m.Cordons || ev.Agent == "" {
			return false
		}
		if !slices.Contains(w.cur.cordoned, ev.Agent) {
			w.cur.cordoned = append(w.cur.cordoned, ev.Agent)
		}
		return true
	case EventDeadLetter:
		if m.All || m.DeadLetters {
			return false
		}
		w.cur.dead = append(w.cur.dead, deadLetter{from: ev.Agent, to: ev.To, channel: ev.Detail})
		return true
	}
	return false
}

// withdrawIfDecided closes the notification on screen when it announced
// approvals only and every one of them has been decided.
func (w *watcher) withdrawIfDecided() {
	if w.shown == 0 || w.conn == nil || len(w.shownFor) == 0 {
		return
	}
	for _, id := range w.shownFor {
		if slices.ContainsFunc(w.pending, func(a approval) bool { return a.id == id }) {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Best effort: a server that already dropped it answers with an error.
	_ = w.conn.Object(busName, busPath).CallWithContext(ctx, busIface+".CloseNotification", 0, w.shown).Err
	w.shown, w.shownFor, w.open = 0, nil, ""
}

// flush sends the burst gathered so far as one notification.
func (w *watcher) flush(ctx context.Context) {
	b := w.cur
	w.cur = burst{}
	m := w.opt.Muted() // mutes may have changed while the burst gathered
	if m.All {
		return
	}
	if m.Approvals {
		b.approvals = nil
	}
	if m.Cordons {
		b.cordoned = nil
	}
	if m.DeadLetters {
		b.dead = nil
	}
	if b.empty() {
		return
	}
	if !w.connect(ctx) {
		return
	}
	w.capabilities(ctx)
	summary, body := w.text(b, m)
	var actions []string
	if w.actions {
		actions = []string{actionKey, "Open littleboxes"}
	}
	hints := map[string]dbus.Variant{
		"desktop-entry": dbus.MakeVariant(appName),
		"urgency":       dbus.MakeVariant(byte(1)),
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var id uint32
	err := w.conn.Object(busName, busPath).CallWithContext(cctx, busIface+".Notify", 0,
		appName, w.shown, appIcon, summary, body, actions, hints, int32(-1)).Store(&id)
	if err != nil {
		w.caps = false // ask again when a server answers
		if !w.loggedNotify {
			w.loggedNotify = true
			w.opt.Logf("notify: no desktop notification server answers (%v); notifications are off until one does", err)
		}
		return
	}
	if w.loggedNotify {
		w.loggedNotify = false
		w.opt.Logf("notify: a desktop notification server answers again")
	}
	w.shown = id
	w.shownFor = w.shownFor[:0]
	w.open = ""
	if !m.Approvals {
		for _, a := range w.pending {
			w.shownFor = append(w.shownFor, a.id)
		}
		if len(w.pending) > 0 {
			w.open = w.pending[0].id
		}
	}
	if len(b.cordoned) > 0 || len(b.dead) > 0 {
		w.shownFor = nil // not only about approvals: deciding them does not withdraw it
	}
}

// text is a notification's summary and body for b. The count of approvals
// is every one still pending that Watch has seen announced (the
// notification replaces the one before),
// the body names what this burst added.
func (w *watcher) text(b burst, m Mutes) (summary, body string) {
	var lines []string
	nApprovals := 0
	if !m.Approvals {
		nApprovals = len(w.pending)
	}
	switch {
	case nApprovals == 1:
		summary = "1 action waits for your approval"
	case nApprovals > 1:
		summary = fmt.Sprintf("%d actions wait for your approval", nApprovals)
	case len(b.cordoned) > 0:
		summary = plural(len(b.cordoned), "agent was", "agents were") + " cordoned"
	default:
		summary = plural(len(b.dead), "message", "messages") + " went to the dead letters"
	}
	if len(b.approvals) > 0 {
		lines = append(lines, countedList(b.approvals, func(a approval) string {
			if a.what == "" {
				return template(a.agent)
			}
			return template(a.agent) + ": " + a.what
		}))
	}
	if len(b.cordoned) > 0 {
		lines = append(lines, "cordoned after killing cells: "+countedList(b.cordoned, template))
	}
	if len(b.dead) > 0 {
		lines = append(lines, "dead letters: "+countedList(b.dead, func(d deadLetter) string {
			s := template(d.from) + " → " + template(d.to)
			// The engine names a channel by its sender's env name,
			// "FROM.ENV": the sender is said already.
			if ch := strings.TrimPrefix(strings.TrimPrefix(d.channel, d.from+"."), template(d.from)+"."); ch != "" {
				s += " (" + ch + ")"
			}
			return s
		}))
	}
	body = strings.Join(lines, "\n")
	if w.markup {
		body = escapeMarkup(body)
	}
	return summary, body
}

// countedList names each distinct item once, in order of first arrival,
// with a count when it came more than once: "inbox: mail.reply ×3, …".
func countedList[T any](items []T, name func(T) string) string {
	var order []string
	n := map[string]int{}
	for _, it := range items {
		s := name(it)
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	const most = 5
	var parts []string
	for i, s := range order {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(order)-most))
			break
		}
		if n[s] > 1 {
			s += fmt.Sprintf(" ×%d", n[s])
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// template is the agent an instance of a template was made from: the
// engine names the instance for item X of template T "T[X]", and a burst
// of a template's threads is told as one line.
func template(agent string) string {
	if i := strings.IndexByte(agent, '['); i > 0 && strings.HasSuffix(agent, "]") {
		return agent[:i]
	}
	return agent
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// escapeMarkup escapes what a server that renders body markup would read
// as markup.
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// signal handles a signal of the notification server: a click on the
// notification on screen opens the window.
func (w *watcher) signal(sig *dbus.Signal) {
	if sig.Path != busPath || len(sig.Body) < 2 {
		return
	}
	id, _ := sig.Body[0].(uint32)
	if id == 0 || id != w.shown {
		return
	}
	switch sig.Name {
	case busIface + ".ActionInvoked":
		if key, _ := sig.Body[1].(string); key == actionKey && w.opt.Open != nil {
			w.opt.Open(w.opening())
		}
	case busIface + ".NotificationClosed":
		w.shown, w.shownFor, w.open = 0, nil, ""
	}
}

// opening is the approval a click opens: the one the notification named
// if it still waits, else the oldest that waits, else none.
func (w *watcher) opening() string {
	if w.open == "" || slices.ContainsFunc(w.pending, func(a approval) bool { return a.id == w.open }) {
		return w.open
	}
	if len(w.pending) > 0 {
		return w.pending[0].id
	}
	return ""
}

// connect opens the bus connection if there is none, and reports whether
// there is one.
func (w *watcher) connect(ctx context.Context) bool {
	if w.conn != nil {
		return true
	}
	conn, err := w.dial(ctx)
	if err != nil {
		if !w.loggedConnect {
			w.loggedConnect = true
			w.opt.Logf("notify: no D-Bus session bus (%v); desktop notifications are off", err)
		}
		return false
	}
	w.loggedConnect = false
	w.conn = conn
	w.signals = make(chan *dbus.Signal, 16)
	conn.Signal(w.signals)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignalContext(cctx, dbus.WithMatchObjectPath(busPath),
			dbus.WithMatchInterface(busIface), dbus.WithMatchMember(member)); err != nil {
			w.opt.Logf("notify: listening for %s: %v", member, err)
		}
	}
	return true
}

// capabilities asks the server what it renders, once it answers.
func (w *watcher) capabilities(ctx context.Context) {
	if w.caps {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var caps []string
	if err := w.conn.Object(busName, busPath).CallWithContext(cctx, busIface+".GetCapabilities", 0).Store(&caps); err != nil {
		// No server yet: assume the common case; Notify will tell.
		w.markup, w.actions = false, true
		return
	}
	w.caps = true
	w.markup = slices.Contains(caps, "body-markup")
	w.actions = slices.Contains(caps, "actions")
}

// dial connects to Options.Address, or to the session bus.
func (w *watcher) dial(ctx context.Context) (*dbus.Conn, error) {
	if w.opt.Address == "" {
		return dbus.ConnectSessionBus(dbus.WithContext(ctx))
	}
	conn, err := dbus.Connect(w.opt.Address, dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", w.opt.Address, err)
	}
	return conn, nil
}

// disconnect closes the connection (its signal channel closes with it).
func (w *watcher) disconnect() {
	if w.conn == nil {
		return
	}
	if err := w.conn.Close(); err != nil && !errors.Is(err, dbus.ErrClosed) {
		w.opt.Logf("notify: closing the D-Bus connection: %v", err)
	}
	w.conn, w.signals, w.shown, w.shownFor, w.open, w.caps = nil, nil, 0, nil, "", false
}
