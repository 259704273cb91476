package serve

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// echo is a bound value with one method.
type echo struct{}

// Echo returns s.
func (echo) Echo(s string) string { return s }

// TestServeLimits checks the http.Server serve runs against clients that
// hold a connection: a request whose headers never end, a kept-alive
// connection left idle, and headers too large.
func TestServeLimits(t *testing.T) {
	for name, v := range map[string]int64{
		"ReadHeader": int64(serveLimits.ReadHeader), "Idle": int64(serveLimits.Idle),
		"MaxHeaderBytes": int64(serveLimits.MaxHeaderBytes), "CallBody": int64(serveLimits.CallBody),
	} {
		if v <= 0 {
			t.Errorf("serveLimits.%s is %d: unlimited", name, v)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	dist := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	s, err := NewHandler(App{Bound: []any{echo{}}}, dist, testToken, port, true)
	if err != nil {
		t.Fatal(err)
	}
	lim := httpLimits{ReadHeader: 200 * time.Millisecond, Idle: 200 * time.Millisecond, MaxHeaderBytes: 4 << 10, CallBody: 200 * time.Millisecond}
	s.callBody = lim.CallBody
	srv := httpServer(s, lim)
	go srv.Serve(ln)
	t.Cleanup(func() {
		s.Shutdown()
		srv.Close()
	})
	host := "127.0.0.1:" + strconv.Itoa(port)
	get := "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	tests := []struct {
		name  string
		send  []string // written one after another, 50 ms apart
		want  string   // in what the server sent before closing
		slack time.Duration
	}{
		{"headers that never end", []string{"GET / HTTP/1.1\r\nHost: " + host + "\r\n", "X-Slow: 1\r\n"}, "", 3 * time.Second},
		{"a kept-alive connection left idle", []string{get}, "200 OK", 3 * time.Second},
		{"headers too large", []string{"GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"}, "431", 3 * time.Second},
		{"a call whose body never ends", []string{"POST /api/call/Echo HTTP/1.1\r\nHost: " + host + "\r\n" + TokenHeader + ": " + testToken +
			"\r\nContent-Length: 100\r\n\r\n[", "  "}, "408", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, part := range tt.send {
				if _, err := io.WriteString(c, part); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(tt.slack))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("the server kept the connection open %v: %v (got %q)", tt.slack, err, got)
			}
			if !strings.Contains(string(got), tt.want) {
				t.Errorf("got %q, want %q in it", got, tt.want)
			}
		})
	}
}
