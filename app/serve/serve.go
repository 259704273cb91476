// Package serve is `littleboxes serve`: the app's page and API served to a
// browser over HTTP, on loopback, behind a token.
//
// It serves what the window binds, no more: every exported method of the
// values in App.Bound (the list Wails binds, from package app) is callable
// as POST /api/call/METHOD with the JSON array of its arguments, and
// GET /api/events streams App.Events as server-sent events. It listens on
// loopback unless told --allow-remote and prints its URL with a random
// token in the fragment (http://127.0.0.1:PORT/#token=…), which a browser
// never sends to a server. The page moves the token into the tab's
// sessionStorage, takes it out of the address bar, and sends it in the
// X-Littleboxes-Token header on every API request, the event stream
// included (read with fetch, not EventSource). The token is never a cookie
// (browsers send 127.0.0.1's cookies to every port) and never in a query
// (?token= is refused: logs and history keep URLs). Every request must name
// this server in its Host header (127.0.0.1, localhost or [::1] with the
// port: no DNS rebinding) and, if it has an Origin, come from this server's
// own origin; the frontend's files, which hold no secret, need nothing
// more.
//
// Package serve imports neither package app nor Wails: main hands it an
// Opener that opens the app.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"littleboxes/app/events"
)

// Serving limits.
const (
	// maxCallBody caps a call's JSON body: an army file (8 MiB) and then
	// some.
	maxCallBody = 16 << 20
	// heartbeat is how often an idle event stream gets a comment line.
	heartbeat = 15 * time.Second
	// TokenHeader carries the token on every API request (calls and the
	// event stream). It is the only place the server looks for it: never a
	// cookie (browsers send 127.0.0.1's cookies to every port, so any local
	// server the browser talks to would get it) and never the query (logs
	// and history keep URLs).
	TokenHeader = "X-Littleboxes-Token"
)

// The http.Server's limits. The event stream is a response that lasts, so
// there is no server-wide read or write timeout; a call's body has its own
// read deadline (callBodyTimeout).
var serveLimits = httpLimits{
	ReadHeader:     10 * time.Second,
	Idle:           60 * time.Second,
	MaxHeaderBytes: 64 << 10,
	CallBody:       60 * time.Second,
}

// httpLimits are the timeouts and sizes of the http.Server serve runs.
type httpLimits struct {
	ReadHeader     time.Duration // to read a request's headers
	Idle           time.Duration // a kept-alive connection waiting for its next request
	MaxHeaderBytes int           // the request line and headers
	CallBody       time.Duration // to read a call's body
}

// httpServer is the http.Server of serve, with lim.
func httpServer(h http.Handler, lim httpLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeader,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
	}
}

// App is what serve serves, as package app opens it.
type App struct {
	// Bound are the values whose exported methods the page calls: the
	// same list the window binds (Wails' Bind). Every exported method of
	// each is callable; two with the same name are an error.
	Bound []any
	// Events subscribes to the events the page sees; the func ends the
	// subscription. Required.
	Events func() (<-chan events.Event, func())
	// Close closes the app, after the server stopped. Required.
	Close func() error
}

// Options are the flags of `littleboxes serve` that concern the app, for
// the Opener.
type Options struct {
	// DataDir is the data directory ("": the default).
	DataDir string
	// InProcess runs agents in this process instead of cells.
	InProcess bool
	// Logf logs, with a time, to the command's stderr.
	Logf func(format string, args ...any)
}

// An Opener opens the app to serve; ctx ends when serve stops.
type Opener func(ctx context.Context, o Options) (App, error)

const serveUsage = `usage: littleboxes serve [--addr 127.0.0.1:PORT] [--data DIR] [--allow-remote] [--in-process]

Serves the app to a browser on loopback, behind a token: open the URL it
prints (http://127.0.0.1:PORT/#token=…). The token is in the URL's fragment,
which the browser never sends to a server; the page keeps it in the tab's
sessionStorage and sends it in a header. Stop it with Ctrl-C.
`

// Main implements `littleboxes serve`: it opens the app with open and serves
// the frontend (assets holds frontend/dist) and the app over HTTP until
// SIGINT or SIGTERM, and returns the exit code (0 stopped cleanly, 1
// failed, 2 usage). The first line on stdout is
// "littleboxes serve: http://HOST:PORT/#token=TOKEN".
func Main(assets fs.FS, args []string, stdout, stderr io.Writer, open Opener) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, assets, args, stdout, stderr, open)
}

// Run is Main until ctx is done.
func Run(ctx context.Context, assets fs.FS, args []string, stdout, stderr io.Writer, open Opener) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: a free one)")
	data := fl.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	inProcess := fl.Bool("in-process", false, "run agents in this process instead of worker processes (cells); for debugging")
	remote := fl.Bool("allow-remote", false, "allow --addr to be an address other machines can reach (still behind the token)")
	fl.Usage = func() { io.WriteString(stderr, serveUsage+"\nFlags:\n"); fl.PrintDefaults() }
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "littleboxes serve: unexpected argument %q\n", fl.Arg(0))
		fl.Usage()
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: --addr %q: %v\n", *addr, err)
		return 2
	}
	loopback := isLoopbackHost(host)
	if !loopback && !*remote {
		fmt.Fprintf(stderr, "littleboxes serve: --addr %s can be reached from other machines; "+
			"pass --allow-remote as well if that is what you want (anyone with the token then controls your agents)\n", *addr)
		return 2
	}
	dist, err := subDist(assets)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
	}
	app, err := open(ctx, Options{DataDir: *data, Logf: logf, InProcess: *inProcess})
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	closeApp := sync.OnceValue(app.Close)
	defer closeApp()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	token, err := newToken()
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s, err := NewHandler(app, dist, token, port, loopback)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	s.callBody = serveLimits.CallBody
	urlHost := host
	if !loopback || host == "" || host == "localhost" {
		urlHost = "127.0.0.1"
	}
	fmt.Fprintf(stdout, "littleboxes serve: http://%s/#token=%s\n", net.JoinHostPort(urlHost, strconv.Itoa(port)), token)
	if !loopback {
		logf("WARNING: serving on %s, reachable from other machines; keep the token secret", ln.Addr())
	}
	srv := httpServer(s, serveLimits)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	code := 0
	select {
	case <-ctx.Done():
		logf("stopping")
	case err := <-errc:
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		code = 1
	}
	s.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if code == 0 {
		<-errc // http.ErrServerClosed
	}
	if err := closeApp(); err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		code = 1
	}
	return code
}

// subDist returns the frontend's files, frontend/dist in assets.
func subDist(assets fs.FS) (fs.FS, error) {
	dist, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		return nil, fmt.Errorf("frontend assets: %w", err)
	}
	return dist, nil
}

// isLoopbackHost reports whether a listen host is loopback only.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Handler is the HTTP handler of serve: the API, the event stream and the
// frontend's files.
type Handler struct {
	app      App
	files    http.Handler
	token    string
	port     string
	loopback bool
	methods  map[string]reflect.Value
	callBody time.Duration // the read deadline of a call's body; 0: none

	done     chan struct{} // closed at shutdown: event streams end
	doneOnce sync.Once

	local *localState // non-nil: local mode (NewLocalHandler)
}

// NewHandler returns the handler serving app, the frontend's files in
// dist, behind token, to requests naming port (and, when loopback, a
// loopback host). It fails when two bound values have a method of the
// same name.
func NewHandler(app App, dist fs.FS, token string, port int, loopback bool) (*Handler, error) {
	methods, err := Methods(app.Bound...)
	if err != nil {
		return nil, err
	}
	return &Handler{app: app, files: http.FileServer(http.FS(dist)), token: token, port: strconv.Itoa(port),
		loopback: loopback, methods: methods, done: make(chan struct{})}, nil
}

// Methods returns the exported methods of the bound values by name: what
// Wails binds of them, and what serve serves.
func Methods(bound ...any) (map[string]reflect.Value, error) {
	out := map[string]reflect.Value{}
	for _, b := range bound {
		v := reflect.ValueOf(b)
		t := v.Type()
		for i := 0; i < t.NumMethod(); i++ {
			name := t.Method(i).Name
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("serve: two bound values have a method %s", name)
			}
			out[name] = v.Method(i)
		}
	}
	return out, nil
}

// Shutdown ends the event streams; it is idempotent.
func (s *Handler) Shutdown() { s.doneOnce.Do(func() { close(s.done) }) }

// hostOK reports whether the request's Host is this server: a loopback
// name with the served port (or, when serving beyond loopback, any IP
// address with it). A DNS name pointing here is refused: that is DNS
// rebinding.
func (s *Handler) hostOK(h string) bool {
	host, port, err := net.SplitHostPort(h)
	if err != nil || port != s.port {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if s.loopback {
		return ip.IsLoopback() && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
	}
	return true
}

// tokenOK reports whether r carries the token in its TokenHeader,
// comparing in constant time. Cookies and the query are not looked at.
func (s *Handler) tokenOK(r *http.Request) bool {
	t := r.Header.Get(TokenHeader)
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// pathOK reports whether a request's path is a name: valid UTF-8, no NUL,
// and, cleaned, a valid fs path. Anything else (/%ff) is refused with a 400
// before it reaches a handler that would call it an internal error.
func pathOK(p string) bool {
	if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		return false
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	return name == "" || fs.ValidPath(name)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// ServeHTTP checks the Host, the Origin and the path, then serves the API
// (/api/call/METHOD, /api/events) to a request carrying the token in its
// header, or the frontend's files to anyone this far (they hold no secret:
// the page learns the token from its URL's fragment). A request with a
// token in its query (the form earlier versions printed) is refused, so the
// token stays out of the URLs that logs and history keep. No response sets
// a cookie.
func (s *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.local != nil {
		s.serveLocal(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	if !s.hostOK(r.Host) {
		writeError(w, http.StatusForbidden, "refused: Host %q is not this server (open the URL littleboxes serve printed)", r.Host)
		return
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Host != r.Host || u.Path != "" {
			writeError(w, http.StatusForbidden, "refused: a request from origin %q (only http://%s may call this server)", o, r.Host)
			return
		}
	}
	if r.URL.Query().Has("token") {
		writeError(w, http.StatusBadRequest, "refused: a token in the query (?token=) is not accepted, since logs and history keep URLs; "+
			"open the URL littleboxes serve printed (http://%s/#token=…): the page sends the token in the %s header", r.Host, TokenHeader)
		return
	}
	api := r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
	if api && !s.tokenOK(r) {
		writeError(w, http.StatusUnauthorized, "refused: missing or wrong token in the %s header (open the URL littleboxes serve printed, with its #token=)", TokenHeader)
		return
	}
	if s.serveAPI(w, r) {
		return
	}
	switch {
	case api:
		writeError(w, http.StatusNotFound, "no API at %s", r.URL.Path)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.files.ServeHTTP(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
}

// serveAPI answers r, and reports that it did, when r's path is not a valid
// name (400), is the event stream (/api/events) or calls a method
// (/api/call/NAME); it leaves any other request to its caller.
func (s *Handler) serveAPI(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case !pathOK(r.URL.Path):
		writeError(w, http.StatusBadRequest, "refused: the path %q is not a valid name", r.URL.Path)
	case r.URL.Path == "/api/events":
		s.events(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/call/"):
		s.call(w, r, strings.TrimPrefix(r.URL.Path, "/api/call/"))
	default:
		return false
	}
	return true
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// call serves POST /api/call/METHOD: the body is the JSON array of the
// arguments, decoded into the method's parameter types. 200 with the JSON
// result (null for a method that returns nothing); 400 for a body that is
// not such an array or an argument of the wrong type; 404 for a method not
// served; 405 for a method other than POST; 422 with the method's error;
// 500 if the method panicked.
func (s *Handler) call(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "call %s with POST", name)
		return
	}
	m, ok := s.methods[name]
	if !ok {
		writeError(w, http.StatusNotFound, "no API method %q", name)
		return
	}
	rc := http.NewResponseController(w)
	if s.callBody > 0 {
		// Best effort: a connection that cannot take a deadline still has
		// maxCallBody.
		_ = rc.SetReadDeadline(time.Now().Add(s.callBody))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallBody))
	if err != nil {
		// What is left of the body must not be read as the next request.
		w.Header().Set("Connection", "close")
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		var nerr net.Error
		switch {
		case errors.As(err, &tooBig):
			code = http.StatusRequestEntityTooLarge
		case errors.As(err, &nerr) && nerr.Timeout():
			code = http.StatusRequestTimeout
		}
		writeError(w, code, "%s: reading the body: %v", name, err)
		return
	}
	if s.callBody > 0 {
		_ = rc.SetReadDeadline(time.Time{}) // the call itself may take long
	}
	var raw []json.RawMessage
	if strings.TrimSpace(string(body)) != "" {
		if err := json.Unmarshal(body, &raw); err != nil {
			writeError(w, http.StatusBadRequest, "%s: the body must be a JSON array of the arguments: %v", name, err)
			return
		}
	}
	t := m.Type()
	if len(raw) != t.NumIn() {
		writeError(w, http.StatusBadRequest, "%s takes %d argument(s) (%s), got %d", name, t.NumIn(), paramList(t), len(raw))
		return
	}
	in := make([]reflect.Value, t.NumIn())
	for i := range in {
		p := reflect.New(t.In(i))
		// As Wails does: unknown fields of an object are ignored.
		if err := json.Unmarshal(raw[i], p.Interface()); err != nil {
			writeError(w, http.StatusBadRequest, "%s: argument %d (%s): %v", name, i+1, typeName(t.In(i)), err)
			return
		}
		in[i] = p.Elem()
	}
	out, perr := invoke(m, in)
	if perr != nil {
		writeError(w, http.StatusInternalServerError, "%s: internal error: %v", name, perr)
		return
	}
	var result any
	for _, o := range out {
		if o.Type() == errorType {
			if !o.IsNil() {
				writeError(w, http.StatusUnprocessableEntity, "%s", o.Interface().(error).Error())
				return
			}
			continue
		}
		result = o.Interface()
	}
	writeJSON(w, http.StatusOK, result)
}

// invoke calls m, turning a panic into an error.
func invoke(m reflect.Value, in []reflect.Value) (out []reflect.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return m.Call(in), nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return t.Name() + " object"
	}
	return t.String()
}

func paramList(t reflect.Type) string {
	var ps []string
	for i := 0; i < t.NumIn(); i++ {
		ps = append(ps, typeName(t.In(i)))
	}
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

// events serves GET /api/events: server-sent events, one "data: EVENT"
// line per event, and a comment line every 15 s. It ends when the client
// goes, the server shuts down or the API closes.
func (s *Handler) events(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "GET the events")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming is not supported")
		return
	}
	events, stop := s.app.Events()
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, ": littleboxes events\n\n")
	fl.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			fl.Flush()
		case ev, ok := <-events:
			if !ok {
				return
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		}
	}
}
