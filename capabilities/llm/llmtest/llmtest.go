// Package llmtest is a scripted model server for tests: it speaks the
// OpenAI-compatible chat completions protocol over real HTTP on loopback,
// answers each request with the next step of a script, and records every
// request, so a test can say both what the model answered and everything it
// was sent. No real model is needed: the server is the real protocol part.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Step is one scripted answer.
type Step struct {
	// Content is the assistant message's text.
	Content string
	// Reply, when set, computes the content from the request instead.
	Reply func(Request) string
	// Delay is how long the server waits before answering (a slow or
	// hanging model); the wait ends early when the client goes away.
	Delay time.Duration
	// Status, when not 0 or 200, is sent with an OpenAI-style error body.
	Status int
	// Raw, when set, is sent as the whole response body as it is.
	Raw string
	// Usage overrides the token counts reported (default: prompt bytes/4,
	// content bytes/4).
	Usage *Usage
}

// Usage is a reply's token counts.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Message is one message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one request the server received.
type Request struct {
	Path     string
	Auth     string // the Authorization header
	Model    string
	Messages []Message
	Body     map[string]any
}

// Text is every message's content, joined: what the model was shown.
func (r Request) Text() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	return b.String()
}

// Server is a running scripted server. Close stops it.
type Server struct {
	// BaseURL is the base URL for an llm capability's base_url
	// ("http://127.0.0.1:PORT/v1").
	BaseURL string

	srv  *http.Server
	ln   net.Listener
	done chan struct{}

	mu    sync.Mutex
	steps []Step
	reqs  []Request
}

// Start starts a server on a loopback port with a script.
func Start(steps ...Step) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("llmtest listen: %w", err)
	}
	s := &Server{BaseURL: "http://" + ln.Addr().String() + "/v1", ln: ln, steps: steps, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and waits for it.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Push appends steps to the script.
func (s *Server) Push(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = append(s.steps, steps...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Sent is the text of every request received: everything the model saw.
func (s *Server) Sent() string {
	var b strings.Builder
	for _, r := range s.Requests() {
		b.WriteString(r.Text())
	}
	return b.String()
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var body struct {
		Model    string    `json:"model"`
		Messages []Message `json:"messages"`
	}
	var raw map[string]any
	if json.Unmarshal(data, &body) != nil || json.Unmarshal(data, &raw) != nil {
		writeError(w, http.StatusBadRequest, "the body is not JSON")
		return
	}
	req := Request{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Model: body.Model, Messages: body.Messages, Body: raw}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	var step Step
	ok := len(s.steps) > 0
	if ok {
		step, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusInternalServerError, "the script ran out")
		return
	}
	if step.Delay > 0 {
		select {
		case <-time.After(step.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case step.Raw != "":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, step.Raw)
		return
	case step.Status != 0 && step.Status != http.StatusOK:
		writeError(w, step.Status, "scripted error")
		return
	}
	content := step.Content
	if step.Reply != nil {
		content = step.Reply(req)
	}
	u := step.Usage
	if u == nil {
		p := len(req.Text()) / 4
		c := len(content) / 4
		u = &Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: p + c}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": fmt.Sprintf("chatcmpl-%d", len(s.Requests())), "object": "chat.completion", "model": body.Model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
		"usage":   u,
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "scripted"}})
}

// TB is the part of testing.TB that StartT uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// StartT starts a server for a test, failing it if the server cannot
// start, and closes the server when the test ends.
func StartT(t TB, steps ...Step) *Server {
	t.Helper()
	s, err := Start(steps...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
