package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Local mode: the bound API served over a listener whose connections are
// already authenticated (package app/daemon's Unix socket: owner-only,
// peer credentials checked). There is no token and no Host check, and
// no files: only /api/call/METHOD and /api/events, the same handlers as
// over HTTP. A request carrying an Origin is refused: no browser reaches
// a Unix socket, and one that claims to is not served.

// localState is the part of Handler only local mode uses.
type localState struct {
	active   atomic.Int64 // requests being served (event streams included)
	lastDone atomic.Int64 // when the last request ended, Unix nanoseconds
}

// NewLocalHandler returns the handler serving app's API to connections
// that are already authenticated: no token, Host or Origin check.
func NewLocalHandler(app App) (*Handler, error) {
	methods, err := Methods(app.Bound...)
	if err != nil {
		return nil, err
	}
	h := &Handler{app: app, methods: methods, done: make(chan struct{}), local: &localState{}}
	h.local.lastDone.Store(time.Now().UnixNano())
	return h, nil
}

// serveLocal serves a request in local mode.
func (s *Handler) serveLocal(w http.ResponseWriter, r *http.Request) {
	s.local.active.Add(1)
	defer func() {
		s.local.lastDone.Store(time.Now().UnixNano())
		s.local.active.Add(-1)
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("Origin") != "" {
		writeError(w, http.StatusForbidden, "refused: a request with an Origin on the local socket")
		return
	}
	if !s.serveAPI(w, r) {
		writeError(w, http.StatusNotFound, "no API at %s", r.URL.Path)
	}
}

// idleFor returns how long the handler has served no request (0 while one
// is being served, an event stream included).
func (s *Handler) idleFor(now time.Time) time.Duration {
	if s.local.active.Load() > 0 {
		return 0
	}
	return now.Sub(time.Unix(0, s.local.lastDone.Load()))
}

// LocalOptions configure ServeLocal.
type LocalOptions struct {
	// IdleExit, when positive, ends ServeLocal once no request (no call,
	// no event stream) has been served for that long.
	IdleExit time.Duration
}

// ErrIdle is ServeLocal's error when it stopped after LocalOptions.IdleExit
// with no client.
var ErrIdle = errors.New("no client for the idle time: stopped")

// ServeLocal serves app's API in local mode on ln until ctx is done (nil),
// the listener fails, or, with IdleExit, no client came for that long
// (ErrIdle). It closes ln; app is the caller's to close.
func ServeLocal(ctx context.Context, ln net.Listener, app App, o LocalOptions) error {
	h, err := NewLocalHandler(app)
	if err != nil {
		ln.Close()
		return err
	}
	h.callBody = serveLimits.CallBody
	srv := httpServer(h, serveLimits)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // ends at srv.Shutdown/Close
	var tick <-chan time.Time
	if o.IdleExit > 0 {
		every := min(max(o.IdleExit/4, 10*time.Millisecond), time.Second)
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	var result error
	served := true
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			result, served = err, false
			break loop
		case now := <-tick:
			if h.idleFor(now) >= o.IdleExit {
				result = ErrIdle
				break loop
			}
		}
	}
	h.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if served {
		<-errc
	}
	return result
}
