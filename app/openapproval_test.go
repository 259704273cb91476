package app

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"littleboxes/app/notify/notifytest"
)

// A click on the engine's notification (ActionInvoked on a private session
// bus, from a test notification server) asks every attached window to show
// the approval it announced, and starts a window on that approval when
// none is open.
func TestNotificationClickOpensTheApproval(t *testing.T) {
	for _, c := range []struct {
		name       string
		windowOpen bool
		wantStart  bool
	}{
		{name: "no window open: one is started on the approval", wantStart: true},
		{name: "a window open: it is asked, none is started", windowOpen: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := notifytest.StartBus(t)
			srv := notifytest.StartServer(t, addr, "actions", "body")
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			dir := t.TempDir()
			if c.windowOpen {
				release, err := holdWindowLock(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer release()
			}
			var mu sync.Mutex
			var started [][2]string
			old := startWindow
			startWindow = func(dir, id string, _ func(string, ...any)) {
				mu.Lock()
				defer mu.Unlock()
				started = append(started, [2]string{dir, id})
			}
			defer func() { startWindow = old }()

			a := NewAPI()
			defer a.close()
			seen, unsubscribe := a.subscribe()
			defer unsubscribe()
			stop := notifyFrom(context.Background(), a, dir, t.Logf)
			defer stop()

			a.hub.Publish(Event{Type: "approval.new", ID: "42", Agent: "summarizer", Detail: "mail.send"})
			n := srv.NextCall(t)
			srv.Click(t, n.ID)
			for timeout := time.After(notifytest.Wait); ; {
				select {
				case ev := <-seen:
					if ev.Type != EventOpenApproval {
						continue
					}
					if ev.ID != "42" {
						t.Errorf("asked the windows to show %q, want 42", ev.ID)
					}
				case <-timeout:
					t.Fatalf("no %s event within %s of the click", EventOpenApproval, notifytest.Wait)
				}
				break
			}
			// The click is handled on the watcher's goroutine, one thing at
			// a time: once the next notification is out, it is done.
			a.hub.Publish(Event{Type: "approval.new", ID: "43", Agent: "summarizer", Detail: "mail.send"})
			srv.NextCall(t)
			mu.Lock()
			defer mu.Unlock()
			var want [][2]string
			if c.wantStart {
				want = [][2]string{{dir, "42"}}
			}
			if !slices.Equal(started, want) {
				t.Errorf("windows started: %q, want %q", started, want)
			}
		})
	}
}

func TestWindowArgs(t *testing.T) {
	for _, c := range []struct {
		dir, id string
		want    []string
	}{
		{"/d", "42", []string{"--data", "/d", "--approval", "42"}},
		{"/d", "", []string{"--data", "/d"}},
	} {
		got := windowArgs(c.dir, c.id)
		if !slices.Equal(got, c.want) {
			t.Errorf("windowArgs(%q, %q) = %q, want %q", c.dir, c.id, got, c.want)
		}
		// What the window reads back from them.
		if o := flagValue(got, "approval"); o != c.id {
			t.Errorf("the window reads --approval %q from %q, want %q", o, got, c.id)
		}
	}
}

// The window lock tells whether a window is open, from another open file
// (as the engine, another process, opens it).
func TestWindowLock(t *testing.T) {
	dir := t.TempDir()
	if windowOpen(dir) {
		t.Fatal("a window is open before any held the lock")
	}
	r1, err := holdWindowLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := holdWindowLock(dir) // a second window: shared
	if err != nil {
		t.Fatal(err)
	}
	for i, release := range []func(){r1, r2} {
		if !windowOpen(dir) {
			t.Fatalf("no window open with %d of 2 holding the lock", 2-i)
		}
		release()
		release() // idempotent
	}
	if windowOpen(dir) {
		t.Error("a window is open after both released the lock")
	}
}

// An EventOpenApproval brings the window to the front before the page is
// given it; other events are only given to the page.
func TestToWindow(t *testing.T) {
	for _, c := range []struct {
		typ  string
		want []string
	}{
		{EventOpenApproval, []string{"focus", "emit " + EventOpenApproval}},
		{"approval.new", []string{"emit approval.new"}},
	} {
		var got []string
		toWindow(Event{Type: c.typ, ID: "1"}, func(ev Event) { got = append(got, "emit "+ev.Type) }, func() { got = append(got, "focus") })
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.typ, got, c.want)
		}
	}
}
