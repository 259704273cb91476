package app

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
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Serving limits.
const (
	// maxCallBody caps a call's JSON body: an army file (8 MiB) and then
	// some.
	maxCallBody = 16 << 20
	// heartbeat is how often an idle event stream gets a comment line.
	heartbeat = 15 * time.Second
	// TokenHeader carries the token on API requests.
	TokenHeader = "X-Littleboxes-Token"
	// tokenCookie carries it for the page's own requests (assets, events).
	tokenCookie = "littleboxes_token"
)

// Callable lists the API methods served over HTTP: those of
// frontend/src/lib/api.ts (METHODS) plus Exec and Army. No other exported
// method can be called.
var Callable = []string{
	"Version", "Workspace", "Examples", "OpenExample", "ImportYAML", "ExportYAML",
	"AddAgent", "UpdateAgent", "DeleteAgent", "SetAgentCode", "AddCapability", "UpdateCapability",
	"DeleteCapability", "Bind", "Unbind", "Connect", "Disconnect", "MoveNodes",
	"Kinds", "AgentEnv", "CheckCode", "RunAgent", "Runs", "Approvals", "Approve", "Deny",
	"Secrets", "SetSecret", "DeleteSecret",
	"Exec", "Army",
}

const serveUsage = `usage: littleboxes serve [--addr 127.0.0.1:PORT] [--data DIR] [--allow-remote] [--in-process]

Serves the app to a browser on loopback, behind a token: open the URL it
prints (http://127.0.0.1:PORT/?token=…). Stop it with Ctrl-C.
`

// Serve implements `littleboxes serve`: it serves the frontend (assets holds
// frontend/dist) and the API over HTTP until SIGINT or SIGTERM, and returns
// the exit code (0 stopped cleanly, 1 failed, 2 usage). The first line on
// stdout is "littleboxes serve: http://HOST:PORT/?token=TOKEN".
func Serve(assets fs.FS, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, assets, args, stdout, stderr)
}

// serve is Serve until ctx is done.
func serve(ctx context.Context, assets fs.FS, args []string, stdout, stderr io.Writer) int {
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
	api, err := Open(ctx, Options{DataDir: *data, Logf: logf, InProcess: *inProcess})
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes serve: %v\n", err)
		return 1
	}
	defer api.close()
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
	s := newServer(api, dist, token, port, loopback)
	urlHost := host
	if !loopback || host == "" || host == "localhost" {
		urlHost = "127.0.0.1"
	}
	fmt.Fprintf(stdout, "littleboxes serve: http://%s/?token=%s\n", net.JoinHostPort(urlHost, strconv.Itoa(port)), token)
	if !loopback {
		logf("WARNING: serving on %s, reachable from other machines; keep the token secret", ln.Addr())
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
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
	s.shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if code == 0 {
		<-errc // http.ErrServerClosed
	}
	if err := api.close(); err != nil {
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

// server is the HTTP handler of serve.
type server struct {
	api      *API
	files    http.Handler
	token    string
	port     string
	loopback bool
	methods  map[string]reflect.Value

	done     chan struct{} // closed at shutdown: event streams end
	doneOnce sync.Once
}

func newServer(api *API, dist fs.FS, token string, port int, loopback bool) *server {
	s := &server{api: api, files: http.FileServer(http.FS(dist)), token: token, port: strconv.Itoa(port),
		loopback: loopback, methods: map[string]reflect.Value{}, done: make(chan struct{})}
	v := reflect.ValueOf(api)
	for _, name := range Callable {
		m := v.MethodByName(name)
		if !m.IsValid() {
			panic("app: Callable names a method API lacks: " + name)
		}
		s.methods[name] = m
	}
	return s
}

func (s *server) shutdown() { s.doneOnce.Do(func() { close(s.done) }) }

// hostOK reports whether the request's Host is this server: a loopback
// name with the served port (or, when serving beyond loopback, any IP
// address with it). A DNS name pointing here is refused: that is DNS
// rebinding.
func (s *server) hostOK(h string) bool {
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

// tokenOK reports whether r carries the token (header, query or cookie),
// comparing in constant time.
func (s *server) tokenOK(r *http.Request) (ok, fromQuery bool) {
	eq := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1 }
	if t := r.Header.Get(TokenHeader); t != "" {
		return eq(t), false
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return eq(t), true
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return eq(c.Value), false
	}
	return false, false
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

// ServeHTTP checks the Host, the Origin and the token, then serves the API
// (/api/call/METHOD, /api/events) or the frontend's files.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	ok, fromQuery := s.tokenOK(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "refused: missing or wrong token (open the URL littleboxes serve printed, with its ?token=)")
		return
	}
	if fromQuery {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	switch {
	case r.URL.Path == "/api/events":
		s.events(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/call/"):
		s.call(w, r, strings.TrimPrefix(r.URL.Path, "/api/call/"))
	case strings.HasPrefix(r.URL.Path, "/api/"):
		writeError(w, http.StatusNotFound, "no API at %s", r.URL.Path)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.files.ServeHTTP(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// call serves POST /api/call/METHOD: the body is the JSON array of the
// arguments, decoded into the method's parameter types. 200 with the JSON
// result (null for a method that returns nothing); 400 for a body that is
// not such an array or an argument of the wrong type; 404 for a method not
// served; 405 for a method other than POST; 422 with the method's error;
// 500 if the method panicked.
func (s *server) call(w http.ResponseWriter, r *http.Request, name string) {
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "%s: reading the body: %v", name, err)
		return
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
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "GET the events")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming is not supported")
		return
	}
	events, stop := s.api.subscribe()
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
