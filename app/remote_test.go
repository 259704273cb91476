package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/app/events"
	"littleboxes/app/serve"
)

// tokenTransport takes a daemon.Client's requests to an engine served on
// a loopback port behind package serve's token: the engine's socket
// protocol, over TCP.
type tokenTransport struct {
	url *url.URL // the server's
	rt  http.RoundTripper
}

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.url.Scheme, t.url.Host, ""
	r.Header.Set(serve.TokenHeader, testToken)
	return t.rt.RoundTrip(r)
}

// engineHost is an engine as a test runs it: a real *API on a data
// directory served by the real serve handler on a loopback port, counting
// the methods called through it.
type engineHost struct {
	api   *API
	ts    *httptest.Server
	h     *serve.Handler
	mu    sync.Mutex
	calls []string
	once  sync.Once
}

// startEngine opens dir's workspace and serves it until kill or the test's
// end.
func startEngine(t *testing.T, dir string) *engineHost {
	t.Helper()
	e := &engineHost{api: openTest(t, dir)}
	e.ts = httptest.NewUnstartedServer(nil)
	port := e.ts.Listener.Addr().(*net.TCPAddr).Port
	h, err := serve.NewHandler(e.api.served(), testDist, testToken, port, true)
	if err != nil {
		e.ts.Close()
		t.Fatal(err)
	}
	e.h = h
	e.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := strings.CutPrefix(r.URL.Path, "/api/call/"); ok {
			e.mu.Lock()
			e.calls = append(e.calls, m)
			e.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
	e.ts.Start()
	t.Cleanup(e.kill)
	return e
}

// kill stops the engine as kill -9 would, as far as its clients see: the
// event streams end, the port refuses, the store is released.
func (e *engineHost) kill() {
	e.once.Do(func() {
		e.h.Shutdown()
		e.ts.Close()
		e.api.close()
	})
}

// client is a new connection to e.
func (e *engineHost) client() engineClient {
	u, err := url.Parse(e.ts.URL)
	if err != nil {
		panic(err) // httptest's own URL
	}
	return daemon.NewClient(tokenTransport{url: u, rt: e.ts.Client().Transport})
}

// called returns the methods called through e so far.
func (e *engineHost) called() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// attachTest returns an API attached through connect, closed at the
// test's end.
func attachTest(t *testing.T, connect func(context.Context) (engineClient, error)) *API {
	t.Helper()
	a := NewAPI()
	r, err := attach(context.Background(), a.hub, connect, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	a.remote = r
	t.Cleanup(func() { a.close() })
	return a
}

// dialer connects to e.
func dialer(e *engineHost) func(context.Context) (engineClient, error) {
	return func(context.Context) (engineClient, error) { return e.client(), nil }
}

// waitEvent waits for an event of stream matching ok.
func waitEvent(t *testing.T, stream <-chan Event, what string, ok func(Event) bool) Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, open := <-stream:
			if !open {
				t.Fatalf("the stream ended waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s in 20 s", what)
		}
	}
}

// TestEveryMethodForwards calls every exported method of an attached API
// (read off the type, as serve.Methods and Wails do) and checks each one
// reached the engine by its name: a method added later without forward
// fails here. The attached API has no workspace of its own, so a method
// that answered locally would fail "no workspace is open" — checked too.
func TestEveryMethodForwards(t *testing.T) {
	e := startEngine(t, "")
	a := attachTest(t, dialer(e))
	methods, err := serve.Methods(a.bound()...)
	if err != nil {
		t.Fatal(err)
	}
	if len(methods) < 30 {
		t.Fatalf("only %d methods", len(methods))
	}
	for name, m := range methods {
		before := len(e.called())
		in := make([]reflect.Value, m.Type().NumIn())
		for i := range in {
			in[i] = reflect.Zero(m.Type().In(i))
		}
		for _, out := range m.Call(in) {
			if err, ok := out.Interface().(error); ok && err != nil && errors.Is(err, errNotOpen) {
				t.Errorf("%s answered locally: %v", name, err)
			}
		}
		if got := e.called()[before:]; !slices.Equal(got, []string{name}) {
			t.Errorf("%s called %v on the engine, want [%s]", name, got, name)
		}
	}
	// What came back is the engine's, decoded into the method's own type.
	want, err := e.api.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	if !bytes.Equal(wb, gb) {
		t.Errorf("the attached Workspace differs from the engine's:\n%s\n%s", gb, wb)
	}
	// Errors keep their text.
	_, werr := e.api.DeleteAgent("no-such-agent")
	_, gerr := a.DeleteAgent("no-such-agent")
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
		t.Errorf("DeleteAgent's error: attached %v, engine %v", gerr, werr)
	}
}

// TestTwoClientsSeeOneArmy: two front ends attached to one engine; an edit
// through one is an event on the other, whose Workspace shows it.
func TestTwoClientsSeeOneArmy(t *testing.T) {
	e := startEngine(t, "")
	one := attachTest(t, dialer(e))
	two := attachTest(t, dialer(e))
	stream, stop := two.subscribe()
	defer stop()
	if _, err := one.AddAgent(AgentSpec{Name: "shared", Code: ptr(helloCode), Triggers: []string{"manual"}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, stream, "a workspace event on the second client", func(ev Event) bool { return ev.Type == EventWorkspace })
	w, err := two.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	if agentView(w, "shared") == nil {
		t.Fatalf("the second client does not see the agent the first added")
	}
	// A run through the second is an event on the first.
	stream1, stop1 := one.subscribe()
	defer stop1()
	rec, err := two.RunAgent("shared", `{"n": 1}`)
	if err != nil || rec.Status != "ok" || string(rec.Result) != `{"n":1}` {
		t.Fatalf("run through the second client: %+v %v", rec, err)
	}
	waitEvent(t, stream1, "run.end of shared on the first client", func(ev Event) bool { return ev.Type == "run.end" && ev.Agent == "shared" })
}

// TestReconnect kills the engine under an attached API: the API says it
// is reconnecting, its methods fail with ErrEngineGone, it starts a new
// engine on the same data directory (as a long-lived front end does when
// none answers), says so, and sees the army as it was.
func TestReconnect(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	running := startEngine(t, dir)
	spawned := 0
	connect := func(context.Context) (engineClient, error) {
		mu.Lock()
		defer mu.Unlock()
		if running == nil {
			// What engineConnector does when the dial finds none: start one.
			running = startEngine(t, dir)
			spawned++
		}
		return running.client(), nil
	}
	a := attachTest(t, connect)
	if _, err := a.AddAgent(AgentSpec{Name: "survivor", Code: ptr(helloCode)}); err != nil {
		t.Fatal(err)
	}
	stream, stop := a.subscribe()
	defer stop()

	// Hold the reconnect until the dead engine's errors are checked.
	mu.Lock()
	running.kill()
	running = nil
	waitEvent(t, stream, "reconnecting", func(ev Event) bool { return ev.Type == EventEngine && ev.Detail == EngineReconnecting })
	for _, err := range []error{
		func() error { _, err := a.Workspace(); return err }(),
		func() error { _, err := a.Approvals(false); return err }(),
	} {
		if !errors.Is(err, ErrEngineGone) || err.Error() != "the littleboxes engine is not running; reconnecting" {
			t.Errorf("while disconnected: %v", err)
		}
	}
	if r := a.Exec(helloCode, ""); r.Error == nil || !strings.Contains(r.Error.Message, "not running; reconnecting") {
		t.Errorf("Exec while disconnected: %+v", r)
	}
	mu.Unlock()

	waitEvent(t, stream, "attached", func(ev Event) bool { return ev.Type == EventEngine && ev.Detail == EngineAttached })
	waitEvent(t, stream, "a workspace refresh", func(ev Event) bool { return ev.Type == EventWorkspace })
	w, err := a.Workspace()
	if err != nil {
		t.Fatal(err)
	}
	if agentView(w, "survivor") == nil {
		t.Errorf("the army after the restart lacks the agent added before")
	}
	mu.Lock()
	if spawned != 1 {
		t.Errorf("started %d engines, want 1", spawned)
	}
	mu.Unlock()
}

// TestCallToAKilledEngine: a call that finds the engine gone before the
// event stream says so is ErrEngineGone too, not a transport error's text.
func TestCallToAKilledEngine(t *testing.T) {
	e := startEngine(t, "")
	c := e.client()
	e.kill()
	r := &remote{client: c}
	var w Workspace
	err := r.call(context.Background(), "Workspace", &w)
	if !errors.Is(err, ErrEngineGone) {
		t.Fatalf("got %v", err)
	}
}

// scripted is an engineClient whose event stream the test ends.
type scripted struct{ evs chan events.Event }

func (s *scripted) Call(context.Context, string, any, ...any) error { return nil }
func (s *scripted) Events(ctx context.Context) (<-chan events.Event, error) {
	out := make(chan events.Event)
	go func() {
		// Ends when the test closes s.evs or ctx ends.
		defer close(out)
		for {
			select {
			case ev, ok := <-s.evs:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// connector scripts a front end's connect: the first call returns first,
// an engine whose event stream the test ends; call n (n > 1) returns what
// later(n) does. It counts the calls.
type connector struct {
	first *scripted
	later func(n int) (engineClient, error)

	mu    sync.Mutex
	calls int
}

func newConnector(later func(n int) (engineClient, error)) *connector {
	return &connector{first: &scripted{evs: make(chan events.Event)}, later: later}
}

func (c *connector) connect(context.Context) (engineClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		return c.first, nil
	}
	return c.later(c.calls)
}

// count returns how many times connect was called.
func (c *connector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// TestReconnectBacksOff: while no engine can be reached the API keeps
// trying, logging each kind of failure once, and attaches when one answers;
// close ends a reconnect in progress.
func TestReconnectBacksOff(t *testing.T) {
	c := newConnector(func(n int) (engineClient, error) {
		if n <= 4 {
			return nil, errors.New("starting the engine: it exited at once")
		}
		return &scripted{evs: make(chan events.Event)}, nil
	})
	first := c.first
	var logMu sync.Mutex
	var logged []string
	a := NewAPI()
	r, err := attach(context.Background(), a.hub, c.connect, func(f string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logged = append(logged, fmt.Sprintf(f, args...))
	})
	if err != nil {
		t.Fatal(err)
	}
	a.remote = r
	defer a.close()
	stream, stop := a.subscribe()
	defer stop()
	first.evs <- events.Event{Type: "run.start", Agent: "x"}
	waitEvent(t, stream, "the engine's event re-emitted", func(ev Event) bool { return ev.Type == "run.start" && ev.Agent == "x" })
	close(first.evs)
	waitEvent(t, stream, "attached", func(ev Event) bool { return ev.Type == EventEngine && ev.Detail == EngineAttached })
	if n := c.count(); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	logMu.Lock()
	n := 0
	for _, l := range logged {
		if strings.Contains(l, "it exited at once") {
			n++
		}
	}
	logMu.Unlock()
	if n != 1 {
		t.Errorf("the failure was logged %d times, want once: %q", n, logged)
	}

	// A reconnect that never succeeds ends at close.
	b := NewAPI()
	lone := newConnector(func(int) (engineClient, error) { return nil, errEngineNotRunning })
	rb, err := attach(context.Background(), b.hub, lone.connect, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.remote = rb
	close(lone.first.evs)
	bs, bstop := b.subscribe()
	defer bstop()
	waitEvent(t, bs, "reconnecting", func(ev Event) bool { return ev.Type == EventEngine && ev.Detail == EngineReconnecting })
	if _, err := b.Runs("x", 1); !errors.Is(err, ErrEngineGone) {
		t.Errorf("Runs while reconnecting: %v", err)
	}
	b.close() // must return: the loop ends
}

// TestShuttingDownStartsNoEngine: once the front end's context ends (serve
// got SIGTERM, the window is closing), an engine that goes away is not
// reconnected to, nor one started: it would outlive the front end.
func TestShuttingDownStartsNoEngine(t *testing.T) {
	c := newConnector(func(int) (engineClient, error) {
		return &scripted{evs: make(chan events.Event)}, nil // an engine started
	})
	ctx, shutDown := context.WithCancel(context.Background())
	a := NewAPI()
	r, err := attach(ctx, a.hub, c.connect, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	a.remote = r
	defer a.close()
	shutDown()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the event loop did not end within 20 s of the front end's context")
	}
	close(c.first.evs) // the engine goes away while the front end shuts down
	if n := c.count(); n != 1 {
		t.Errorf("%d connections (or engines started), want only the first", n)
	}
}
