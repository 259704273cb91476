package mcp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// NewToken returns a random bearer token for Handler: 32 bytes, in hex.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Handler returns the streamable HTTP transport of s for a server listening
// on loopback port port. It refuses, before the SDK sees them, a request
// whose Host is not this server (127.0.0.1, localhost or [::1] with port: a
// DNS name pointing here is DNS rebinding) with 403, one with an Origin
// other than this server with 403, and one without "Authorization: Bearer
// TOKEN" with 401.
func (s *Server) Handler(token string, port int) http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv }, nil)
	ps := strconv.Itoa(port)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host, ps) {
			http.Error(w, fmt.Sprintf("refused: Host %q is not this server (use http://127.0.0.1:%s/)", r.Host, ps), http.StatusForbidden)
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Scheme != "http" || u.Host != r.Host || u.Path != "" {
				http.Error(w, fmt.Sprintf("refused: a request from origin %q (only http://%s may call this server)", o, r.Host), http.StatusForbidden)
				return
			}
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="littleboxes mcp"`)
			http.Error(w, "refused: missing or wrong token: send the one littleboxes mcp printed as Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether the Host header h names this loopback
// server on port.
func loopbackHost(h, port string) bool {
	host, p, err := net.SplitHostPort(h)
	if err != nil || p != port {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

// ServeListener serves s over streamable HTTP on ln (a loopback listener) behind
// token until ctx is done, then shuts the server down: open requests get
// two seconds, then they are cancelled and their connections closed.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener, token string) error {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return fmt.Errorf("mcp: serve on %s: not a loopback TCP address", ln.Addr())
	}
	// Every request's context derives from base: a client's event stream
	// (streamable HTTP's long-lived GET) never goes idle by itself, so
	// shutting down ends what is still open after a grace period.
	base, endRequests := context.WithCancel(context.Background())
	defer endRequests()
	hs := &http.Server{Handler: s.Handler(token, tcp.Port), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }() // ends when Shutdown closes ln
	select {
	case err := <-done:
		return fmt.Errorf("mcp: serve: %w", err)
	case <-ctx.Done():
	}
	// Open requests get two seconds; what is still open then (a client's
	// event stream, which the SDK's handler keeps while its session
	// lives) is cancelled and its connection closed.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		endRequests()
		err = hs.Close()
	}
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
