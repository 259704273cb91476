package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/engine"
	"littleboxes/app/events"
	"littleboxes/app/notify/notifytest"
	"littleboxes/app/store"
	"littleboxes/sandbox/cell"
)

func TestMain(m *testing.M) {
	cell.MaybeServe() // TestEngineEvents runs agents in cells: this binary
	goleak.VerifyTestMain(m)
}

// wait is how long a test waits for something that should happen at once:
// generous, so a busy machine does not make a test flake.
const wait = notifytest.Wait

// run starts Watch on a fresh stream holding first, and returns the
// stream and a func that closes it and waits for Watch to return.
func run(t *testing.T, opt Options, first ...events.Event) (chan<- events.Event, func()) {
	t.Helper()
	evs := make(chan events.Event, 100)
	for _, ev := range first {
		evs <- ev
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, evs, opt)
	}()
	var once sync.Once
	finish := func() {
		once.Do(func() {
			close(evs)
			select {
			case <-done:
			case <-time.After(wait):
				t.Errorf("Watch did not return within %s of its stream closing", wait)
			}
			cancel()
			<-done
		})
	}
	t.Cleanup(finish)
	return evs, finish
}

func approvalNew(agent, id, what string) events.Event {
	return events.Event{Type: EventApprovalNew, Agent: agent, ID: id, Detail: what}
}

// logs records Logf lines.
type logs struct {
	mu    sync.Mutex
	lines []string
	c     chan string
}

func newLogs() *logs { return &logs{c: make(chan string, 100)} }

func (l *logs) Logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	l.c <- s
}

func (l *logs) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// The names Watch reacts to are the engine's.
func TestEventTypesAreTheEngines(t *testing.T) {
	for _, c := range []struct{ ours, engines string }{
		{EventApprovalNew, engine.EventApprovalNew},
		{EventApprovalDecided, engine.EventApprovalDecided},
		{EventDeadLetter, engine.EventDeadLetter},
		{EventCordoned, engine.EventCordoned},
	} {
		if c.ours != c.engines {
			t.Errorf("notify reacts to %q, the engine publishes %q", c.ours, c.engines)
		}
	}
}

// A burst of approvals from a template's threads, among other events,
// makes exactly one notification; the next burst replaces it.
func TestOneNotificationPerBurst(t *testing.T) {
	addr := notifytest.StartBus(t)
	srv := notifytest.StartServer(t, addr, "actions", "body", "body-markup")
	// The default window (2 s); the burst is in the stream before Watch
	// starts, so a busy machine cannot split it.
	evs, finish := run(t, Options{Address: addr},
		events.Event{Type: engine.EventRunStart, Agent: "replier[t1]"},
		approvalNew("replier[t1]", "1", "mail.reply"),
		events.Event{Type: engine.EventMessage, Agent: "triage", To: "replier[t2]"},
		approvalNew("replier[t2]", "2", "mail.reply"),
		approvalNew("replier[t3]", "3", "mail.reply"),
		events.Event{Type: engine.EventRunEnd, Agent: "replier[t3]"})

	first := srv.NextCall(t)
	if first.Summary != "3 actions wait for your approval" {
		t.Errorf("summary = %q", first.Summary)
	}
	if first.Body != "replier: mail.reply ×3" {
		t.Errorf("body = %q, want one line for the template's three threads", first.Body)
	}
	if first.ReplacesID != 0 || first.App != "littleboxes" || first.Icon != "littleboxes" {
		t.Errorf("first call: replaces %d, app %q, icon %q", first.ReplacesID, first.App, first.Icon)
	}
	if len(first.Actions) != 2 || first.Actions[0] != "default" {
		t.Errorf("actions = %q, want the default action", first.Actions)
	}
	if v, ok := first.Hints["desktop-entry"]; !ok || v.Value() != "littleboxes" {
		t.Errorf("desktop-entry hint = %v", v)
	}

	// The next burst: a dead letter on a channel whose name the server
	// would read as markup.
	evs <- events.Event{Type: EventDeadLetter, Agent: "triage", To: "replier[t4]", Detail: "a<b>"}
	second := srv.NextCall(t)
	if second.ReplacesID != first.ID {
		t.Errorf("second notification replaces %d, want %d", second.ReplacesID, first.ID)
	}
	if second.Summary != "3 actions wait for your approval" {
		t.Errorf("second summary = %q (the approvals still wait)", second.Summary)
	}
	if want := "dead letters: triage → replier (a&lt;b&gt;)"; second.Body != want {
		t.Errorf("second body = %q, want %q", second.Body, want)
	}
	finish()
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("%d Notify calls, want 2: %+v", n, srv.Calls())
	}
}

// A click on the notification opens the window on the approval it is
// about (the oldest still waiting); a click on another notification does
// nothing.
func TestClickOpensTheApproval(t *testing.T) {
	addr := notifytest.StartBus(t)
	srv := notifytest.StartServer(t, addr, "actions", "body")
	opened := make(chan string, 10)
	evs, _ := run(t, Options{Address: addr, Window: 100 * time.Millisecond, Open: func(id string) { opened <- id }},
		approvalNew("summarizer", "7", "mail.send"), approvalNew("summarizer", "8", "mail.send"))
	c := srv.NextCall(t)
	if c.Summary != "2 actions wait for your approval" || c.Body != "summarizer: mail.send ×2" {
		t.Errorf("notification = %q / %q", c.Summary, c.Body)
	}
	click := func(want string) {
		t.Helper()
		srv.Click(t, c.ID+100) // someone else's notification
		srv.Click(t, c.ID)
		select {
		case id := <-opened:
			if id != want {
				t.Errorf("Open(%q), want Open(%q) (and nothing for the other notification)", id, want)
			}
		case <-time.After(wait):
			t.Fatalf("Open not called within %s of the click", wait)
		}
	}
	click("7")
	// 7 decided elsewhere (the CLI): the notification stays for 8, and a
	// click opens 8.
	// The dead letter after it makes a Notify call the test waits for, so
	// Watch has taken the decision in before the click.
	evs <- events.Event{Type: EventApprovalDecided, ID: "7", Detail: "done"}
	evs <- events.Event{Type: EventDeadLetter, Agent: "a", To: "b"}
	if c2 := srv.NextCall(t); c2.ID != c.ID || c2.Summary != "1 action waits for your approval" {
		t.Errorf("after the decision: id %d (want %d), summary %q", c2.ID, c.ID, c2.Summary)
	}
	click("8")
}

// When every approval a notification announced is decided, it is withdrawn.
func TestDecidedApprovalsWithdrawTheNotification(t *testing.T) {
	addr := notifytest.StartBus(t)
	srv := notifytest.StartServer(t, addr, "actions", "body")
	evs, _ := run(t, Options{Address: addr, Window: 100 * time.Millisecond})

	evs <- approvalNew("a", "1", "http.post")
	evs <- approvalNew("b", "2", "http.post")
	c := srv.NextCall(t)
	evs <- events.Event{Type: EventApprovalDecided, ID: "1", Detail: "done"}
	evs <- events.Event{Type: EventApprovalDecided, ID: "2", Detail: "denied"}
	select {
	case id := <-srv.Closed:
		if id != c.ID {
			t.Errorf("CloseNotification(%d), want %d", id, c.ID)
		}
	case <-time.After(wait):
		t.Fatalf("the notification was not withdrawn within %s", wait)
	}
	// A new approval after that is a new notification, counted afresh.
	evs <- approvalNew("a", "3", "http.post")
	if c := srv.NextCall(t); c.ReplacesID != 0 || c.Summary != "1 action waits for your approval" {
		t.Errorf("after withdrawal: replaces %d, summary %q", c.ReplacesID, c.Summary)
	}
}

// Mutes: all, or per kind. The stream is closed to end the burst, so the
// count of Notify calls is exact.
func TestMuted(t *testing.T) {
	addr := notifytest.StartBus(t)
	burst := []events.Event{
		approvalNew("replier[t1]", "1", "mail.reply"),
		approvalNew("replier[t2]", "2", "mail.reply"),
		{Type: EventCordoned, Agent: "looper"},
		{Type: EventDeadLetter, Agent: "triage", To: "replier[t1]", Detail: "threads"},
	}
	for _, c := range []struct {
		name    string
		mutes   Mutes
		summary string // "" for no notification at all
		body    string
	}{
		{"none", Mutes{}, "2 actions wait for your approval",
			"replier: mail.reply ×2\ncordoned after killing cells: looper\ndead letters: triage → replier (threads)"},
		{"all", Mutes{All: true, Approvals: false}, "", ""},
		{"approvals", Mutes{Approvals: true}, "1 agent was cordoned",
			"cordoned after killing cells: looper\ndead letters: triage → replier (threads)"},
		{"approvals and cordons", Mutes{Approvals: true, Cordons: true}, "1 message went to the dead letters",
			"dead letters: triage → replier (threads)"},
		{"dead letters", Mutes{DeadLetters: true}, "2 actions wait for your approval",
			"replier: mail.reply ×2\ncordoned after killing cells: looper"},
		{"everything by kind", Mutes{Approvals: true, Cordons: true, DeadLetters: true}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := notifytest.StartServer(t, addr, "actions", "body")
			m := c.mutes
			evs, finish := run(t, Options{Address: addr, Window: time.Hour, Muted: func() Mutes { return m }})
			for _, ev := range burst {
				evs <- ev
			}
			finish() // the burst is notified now, before Watch returns
			calls := srv.Calls()
			if c.summary == "" {
				if len(calls) != 0 {
					t.Errorf("muted, yet %d notifications: %+v", len(calls), calls)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("%d notifications, want 1: %+v", len(calls), calls)
			}
			if calls[0].Summary != c.summary || calls[0].Body != c.body {
				t.Errorf("got %q / %q\nwant %q / %q", calls[0].Summary, calls[0].Body, c.summary, c.body)
			}
		})
	}
}

// Mutes are read when the burst is notified too: muting while a burst
// gathers silences it.
func TestMutedWhileGathering(t *testing.T) {
	addr := notifytest.StartBus(t)
	srv := notifytest.StartServer(t, addr, "actions", "body")
	var mu sync.Mutex
	muted, asked := false, 0
	evs, finish := run(t, Options{Address: addr, Window: time.Hour, Muted: func() Mutes {
		mu.Lock()
		defer mu.Unlock()
		asked++
		return Mutes{All: muted}
	}})
	evs <- approvalNew("a", "1", "http.post")
	// Wait until Watch has taken the event in (it reads the mutes once per
	// event), then mute: only the check before sending can silence it.
	for deadline := time.Now().Add(wait); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := asked
		if n > 0 {
			muted = true
		}
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Watch did not read the mutes within %s", wait)
		}
	}
	finish()
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d notifications after muting all", n)
	}
}

// With no session bus, Watch logs once, keeps draining its stream and ends
// when the stream does.
func TestNoBusLogsOnce(t *testing.T) {
	l := newLogs()
	addr := "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	evs, finish := run(t, Options{Address: addr, Window: 50 * time.Millisecond, Logf: l.Logf})
	evs <- approvalNew("a", "1", "http.post")
	select {
	case s := <-l.c:
		if !strings.Contains(s, "no D-Bus session bus") {
			t.Errorf("log = %q", s)
		}
	case <-time.After(wait):
		t.Fatalf("nothing logged within %s", wait)
	}
	for i := range 2000 { // more than a subscriber's buffer: Watch drains
		evs <- approvalNew("a", fmt.Sprint(i+2), "http.post")
	}
	finish()
	if lines := l.Lines(); len(lines) != 1 {
		t.Errorf("logged %d lines, want 1: %q", len(lines), lines)
	}
}

// With a bus but no notification server (a desktop not started yet),
// Watch logs once; once a server owns the name, the next burst is shown.
func TestServerAppearsLater(t *testing.T) {
	addr := notifytest.StartBus(t)
	l := newLogs()
	evs, _ := run(t, Options{Address: addr, Window: 50 * time.Millisecond, Logf: l.Logf})
	evs <- approvalNew("a", "1", "http.post")
	select {
	case s := <-l.c:
		if !strings.Contains(s, "no desktop notification server") {
			t.Errorf("log = %q", s)
		}
	case <-time.After(wait):
		t.Fatalf("nothing logged within %s", wait)
	}
	srv := notifytest.StartServer(t, addr, "actions", "body")
	evs <- approvalNew("b", "2", "http.post")
	c := srv.NextCall(t)
	if c.Summary != "2 actions wait for your approval" {
		t.Errorf("summary = %q", c.Summary)
	}
	select {
	case s := <-l.c:
		if !strings.Contains(s, "answers again") {
			t.Errorf("log = %q", s)
		}
	case <-time.After(wait):
		t.Fatalf("recovery not logged within %s", wait)
	}
}

// A template's instance name is told as its template's.
func TestTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"replier[t1]": "replier", "replier": "replier", "[x]": "[x]", "a[b": "a[b", "": "",
	} {
		if got := template(in); got != want {
			t.Errorf("template(%q) = %q, want %q", in, got, want)
		}
	}
}

// A real engine running agents in cells: an agent whose cell is killed
// under it is cordoned, a message that fails its only try goes to the dead
// letters, and Watch, reading the engine's own stream, tells both in one
// notification on the session bus.
func TestEngineEvents(t *testing.T) {
	addr := notifytest.StartBus(t)
	srv := notifytest.StartServer(t, addr, "actions", "body")
	a, err := army.Parse([]byte(`
name: notes
agents:
  slow:
    code: |
      export default { async run() { await new Promise((r) => setTimeout(r, 1500)); return 1 } }
  sender:
    code: |
      export default { async run(input, env) { await env.next.send("hello") } }
  receiver:
    triggers: [message]
    code: |
      export default { async onMessage() { throw new Error("cannot take it") } }
channels:
  - {from: sender, env: next, to: receiver}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cell.NewPool(cell.Options{Cells: 1, QuietPeriod: time.Hour, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{Army: a, Store: st, Runner: pool, Logf: t.Logf, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	evs, unsubscribe := e.Subscribe()
	seen, stopSeen := e.Subscribe()
	defer stopSeen()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, evs, Options{Address: addr, Window: time.Hour}) // one burst: until the stream closes
	}()

	ran := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, "slow", nil)
		ran <- err
	}()
	var victim int
	waitUntil(t, "slow running in a cell", func() bool {
		for _, c := range pool.Cells() {
			if slices.Contains(c.Agents, "slow") {
				victim = c.PID
				return true
			}
		}
		return false
	})
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Logf("slow after the kill: %v", err)
	}
	if _, err := e.Run(ctx, "sender", nil); err != nil {
		t.Fatal(err)
	}
	// Publish hands an event to every stream at once: when this one has the
	// dead letter, Watch's stream has it too.
	for timeout := time.After(wait); ; {
		select {
		case ev := <-seen:
			if ev.Type != engine.EventDeadLetter {
				continue
			}
		case <-timeout:
			t.Fatalf("no dead letter within %s", wait)
		}
		break
	}
	unsubscribe() // the events so far are still read: the burst ends with them
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("Watch did not return within %s of its stream closing", wait)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d notifications, want 1: %+v", len(calls), calls)
	}
	want := notifytest.Call{Summary: "1 agent was cordoned",
		Body: "cordoned after killing cells: slow\ndead letters: sender → receiver (next)"}
	if calls[0].Summary != want.Summary || calls[0].Body != want.Body {
		t.Errorf("got %q / %q\nwant %q / %q", calls[0].Summary, calls[0].Body, want.Summary, want.Body)
	}
}

// waitUntil polls cond until it holds, failing the test after wait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wait); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, wait)
		}
	}
}
