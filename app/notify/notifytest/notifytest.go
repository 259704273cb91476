// Package notifytest gives tests a private D-Bus session bus and a
// desktop notification server on it (org.freedesktop.Notifications) that
// records what it is asked and clicks what it showed, as a desktop's
// notification daemon would.
package notifytest

import (
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"littleboxes/vault/keyring/keyringtest"
)

// The D-Bus names of the freedesktop notification service.
const (
	BusName   = "org.freedesktop.Notifications"
	BusPath   = dbus.ObjectPath("/org/freedesktop/Notifications")
	BusIface  = "org.freedesktop.Notifications"
	ActionKey = "default" // the action a click on a notification invokes
)

// Wait is how long a helper waits for something that should happen at
// once: generous, so a busy machine does not make a test flake.
const Wait = 30 * time.Second

// StartBus starts a private D-Bus session bus in a temp dir and returns its
// address; it stops when the test ends. It is keyringtest.StartBus: without
// dbus-daemon the test is skipped, or fails when LITTLEBOXES_REQUIRE_KEYRING
// is 1 (make test).
func StartBus(t testing.TB) string {
	t.Helper()
	return keyringtest.StartBus(t)
}

// Call is one Notify call the server received.
type Call struct {
	App, Icon, Summary, Body string
	ReplacesID, ID           uint32
	Actions                  []string
	Hints                    map[string]dbus.Variant
}

// Server owns org.freedesktop.Notifications on a bus and records what it
// is asked. Closed receives the id of every CloseNotification.
type Server struct {
	conn   *dbus.Conn
	caps   []string
	got    chan Call
	Closed chan uint32

	mu    sync.Mutex
	calls []Call
	next  uint32
}

// GetCapabilities is the D-Bus method.
func (s *Server) GetCapabilities() ([]string, *dbus.Error) { return s.caps, nil }

// Notify is the D-Bus method: it records the call and answers its id.
func (s *Server) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	c := Call{App: app, Icon: icon, Summary: summary, Body: body, ReplacesID: replaces, ID: id, Actions: actions, Hints: hints}
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	s.got <- c
	return id, nil
}

// CloseNotification is the D-Bus method.
func (s *Server) CloseNotification(id uint32) *dbus.Error {
	s.Closed <- id
	return nil
}

// GetServerInformation is the D-Bus method.
func (s *Server) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "test", "littleboxes", "1", "1.2", nil
}

// Calls returns every Notify call so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Click emits the signal a server sends when the person clicks the
// notification id (its default action).
func (s *Server) Click(t testing.TB, id uint32) {
	t.Helper()
	if err := s.conn.Emit(BusPath, BusIface+".ActionInvoked", id, ActionKey); err != nil {
		t.Fatalf("emit ActionInvoked: %v", err)
	}
}

// NextCall returns the next Notify call, failing the test if none comes
// within Wait.
func (s *Server) NextCall(t testing.TB) Call {
	t.Helper()
	select {
	case c := <-s.got:
		return c
	case <-time.After(Wait):
		t.Fatalf("no Notify call within %s", Wait)
		return Call{}
	}
}

// StartServer connects to the bus at addr and owns the notification
// service there, answering caps to GetCapabilities; it stops when the test
// ends.
func StartServer(t testing.TB, addr string, caps ...string) *Server {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("server: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &Server{conn: conn, caps: caps, got: make(chan Call, 100), Closed: make(chan uint32, 100)}
	if err := conn.Export(s, BusPath, BusIface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("server: own %s: %v (reply %v)", BusName, err, reply)
	}
	return s
}
