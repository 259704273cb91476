package llm_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/llm"
	"littleboxes/vault"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { captest.Check(t, "llm") }

const testKey = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// recorded is one request the fake server saw.
type recorded struct {
	Path string
	Auth string
	Body map[string]any
}

// server is a loopback chat-completions server. Its handler gets the decoded
// request body; by default it answers with one choice saying "hello".
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body map[string]any)) *server {
	t.Helper()
	if handle == nil {
		handle = func(w http.ResponseWriter, r *http.Request, body map[string]any) {
			reply(w, map[string]any{
				"id":      "chatcmpl-1",
				"object":  "chat.completion",
				"model":   "served-model",
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": "hello"}, "finish_reason": "stop"}},
				"usage":   map[string]any{"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
			})
		}
	}
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(data, &body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
		s.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *server) last(t *testing.T) recorded {
	t.Helper()
	rs := s.requests()
	if len(rs) == 0 {
		t.Fatal("the server got no request")
	}
	return rs[len(rs)-1]
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func raw(status int, contentType, body string) func(http.ResponseWriter, *http.Request, map[string]any) {
	return func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newChat makes an llm instance through capabilities.New; with a key, the
// api_key slot refers to the secret "openai" holding it.
func newChat(t *testing.T, props map[string]any, key string) capabilities.Instance {
	t.Helper()
	inst, err := makeChat(t, props, key)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func makeChat(t *testing.T, props map[string]any, key string) (capabilities.Instance, error) {
	t.Helper()
	p, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	h := &capabilities.Host{Instance: "model", Secrets: vault.NewMemory(map[string]string{"openai": key})}
	if key != "" {
		h.SecretRefs = map[string]string{"api_key": "openai"}
	}
	inst, err := capabilities.New(t.Context(), "llm", p, h)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = capabilities.Cleanup(inst) })
	return inst, nil
}

func props(s *server, extra ...any) map[string]any {
	p := map[string]any{"base_url": s.URL + "/v1", "model": "llama3.2"}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i].(string)] = extra[i+1]
	}
	return p
}

func userMsg(content string) []any {
	return []any{map[string]any{"role": "user", "content": content}}
}

func TestChat(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s, "max_tokens", 100), testKey)
	msgs := []any{
		map[string]any{"role": "system", "content": "Be brief."},
		map[string]any{"role": "user", "content": "Hi"},
		map[string]any{"role": "assistant", "content": "Hello."},
		map[string]any{"role": "user", "content": "Again"},
	}
	got, err := capabilities.Call(t.Context(), c, "chat", []any{msgs, map[string]any{
		"max_tokens": 5000.0, "temperature": 0.25, "stop": []any{"END"}, "json": true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"content":       "hello",
		"finish_reason": "stop",
		"model":         "served-model",
		"usage":         map[string]any{"prompt_tokens": 12.0, "completion_tokens": 3.0, "total_tokens": 15.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result = %#v\nwant %#v", got, want)
	}
	r := s.last(t)
	if r.Path != "/v1/chat/completions" {
		t.Errorf("path = %q", r.Path)
	}
	if r.Auth != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want the bearer key", r.Auth)
	}
	wantBody := map[string]any{
		"model":           "llama3.2",
		"messages":        msgs,
		"max_tokens":      100.0, // the agent asked for 5000: clamped to the props
		"temperature":     0.25,
		"stop":            []any{"END"},
		"response_format": map[string]any{"type": "json_object"},
		"stream":          false,
	}
	if !reflect.DeepEqual(r.Body, wantBody) {
		t.Errorf("wire body = %#v\nwant %#v", r.Body, wantBody)
	}
}

func TestMaxTokens(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		name  string
		props map[string]any
		opts  any
		want  float64
	}{
		{"default", props(s), nil, 1024},
		{"props", props(s, "max_tokens", 300), nil, 300},
		{"agent asks for less", props(s, "max_tokens", 300), map[string]any{"max_tokens": 20.0}, 20},
		{"agent asks for more", props(s, "max_tokens", 300), map[string]any{"max_tokens": 301.0}, 300},
		{"agent over the hard cap", props(s), map[string]any{"max_tokens": 1e9}, 1024},
		{"props at the hard cap", props(s, "max_tokens", llm.MaxMaxTokens), map[string]any{"max_tokens": 1e9}, llm.MaxMaxTokens},
		{"null option", props(s), map[string]any{"max_tokens": nil}, 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChat(t, tc.props, "")
			if _, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("x"), tc.opts}); err != nil {
				t.Fatal(err)
			}
			if got := s.last(t).Body["max_tokens"]; got != tc.want {
				t.Fatalf("max_tokens on the wire = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTemperature(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s), "")
	if _, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("x")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.last(t).Body["temperature"]; ok {
		t.Errorf("temperature sent without being set: %v", s.last(t).Body)
	}
	c = newChat(t, props(s, "temperature", 0.7), "")
	if _, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("x")}); err != nil {
		t.Fatal(err)
	}
	if got := s.last(t).Body["temperature"]; got != 0.7 {
		t.Errorf("temperature = %v, want the props' 0.7", got)
	}
	if _, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("x"), map[string]any{"temperature": 0.0}}); err != nil {
		t.Fatal(err)
	}
	if got := s.last(t).Body["temperature"]; got != 0.0 {
		t.Errorf("temperature = %v, want the agent's 0", got)
	}
}

func TestNoKeyNoAuthorization(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s), "")
	if _, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("hi")}); err != nil {
		t.Fatal(err)
	}
	if r := s.last(t); r.Auth != "" {
		t.Fatalf("Authorization = %q, want none", r.Auth)
	}
	for _, k := range []string{"temperature", "stop", "response_format"} {
		if _, ok := s.last(t).Body[k]; ok {
			t.Errorf("%s sent without being asked for", k)
		}
	}
}

func TestComplete(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s), "")
	got, err := capabilities.Call(t.Context(), c, "complete", []any{"Say hello", map[string]any{"max_tokens": 7.0}})
	if err != nil {
		t.Fatal(err)
	}
	if got.(map[string]any)["content"] != "hello" {
		t.Fatalf("result = %v", got)
	}
	b := s.last(t).Body
	if want := userMsg("Say hello"); !reflect.DeepEqual(b["messages"], want) {
		t.Errorf("messages = %v, want %v", b["messages"], want)
	}
	if b["max_tokens"] != 7.0 {
		t.Errorf("max_tokens = %v", b["max_tokens"])
	}
}

func TestReplyShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want map[string]any
	}{
		{"no usage, no model", `{"choices":[{"message":{"content":"ok"},"finish_reason":"length"}]}`,
			map[string]any{"content": "ok", "finish_reason": "length", "model": "llama3.2"}},
		{"null finish_reason", `{"model":"m","choices":[{"message":{"role":"assistant","content":""},"finish_reason":null}]}`,
			map[string]any{"content": "", "finish_reason": "", "model": "m"}},
		{"extra fields", `{"model":"m","system_fingerprint":"x","choices":[{"index":0,"logprobs":null,"message":{"role":"assistant","content":"a","reasoning_content":"b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{}}}`,
			map[string]any{"content": "a", "finish_reason": "stop", "model": "m", "usage": map[string]any{"prompt_tokens": 1.0, "completion_tokens": 2.0, "total_tokens": 3.0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, raw(200, "application/json", tc.body))
			got, err := capabilities.Call(t.Context(), newChat(t, props(s), ""), "chat", []any{userMsg("x")})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("result = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handle  func(http.ResponseWriter, *http.Request, map[string]any)
		wantErr string
		is      error
		status  int // of the *APIError, when one is wanted
	}{
		{"openai error object",
			raw(401, "application/json", `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`),
			"llm: 401 invalid_api_key: Incorrect API key provided", llm.ErrProvider, 401},
		{"openai error without code",
			raw(429, "application/json", `{"error":{"message":"Rate limit reached","type":"requests","code":null}}`),
			"llm: 429 requests: Rate limit reached", llm.ErrProvider, 429},
		{"plain string error",
			raw(404, "application/json", `{"error":"model \"llama9\" not found, try pulling it first"}`),
			`llm: 404 Not Found: model "llama9" not found, try pulling it first`, llm.ErrProvider, 404},
		{"numeric code",
			raw(500, "application/json", `{"error":{"code":500,"message":"failed to load model","type":"server_error"}}`),
			"llm: 500 500: failed to load model", llm.ErrProvider, 500},
		{"bare message",
			raw(400, "application/json", `{"message":"bad things"}`),
			"llm: 400 Bad Request: bad things", llm.ErrProvider, 400},
		{"non-JSON 502",
			raw(502, "text/html", "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>\n"),
			"llm: 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> </html>", llm.ErrProvider, 502},
		{"empty 503",
			raw(503, "text/plain", ""),
			"llm: 503 Service Unavailable: (empty body)", llm.ErrProvider, 503},
		{"error in a 200",
			raw(200, "application/json", `{"error":"context window exceeded"}`),
			"llm: 200 OK: context window exceeded", llm.ErrProvider, 200},
		{"empty choices",
			raw(200, "application/json", `{"model":"m","choices":[]}`),
			"llm: malformed response: no choices in the response", llm.ErrBadResponse, 0},
		{"null content",
			raw(200, "application/json", `{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[]}}]}`),
			"llm: malformed response: no choices[0].message.content in the response", llm.ErrBadResponse, 0},
		{"refusal",
			raw(200, "application/json", `{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."}}]}`),
			"llm: malformed response: the model refused: I can't help with that.", llm.ErrBadResponse, 0},
		{"content not a string",
			raw(200, "application/json", `{"choices":[{"message":{"content":[{"type":"text","text":"x"}]}}]}`),
			"llm: malformed response: choices.message.content is a JSON array, want a string", llm.ErrBadResponse, 0},
		{"choices not an array",
			raw(200, "application/json", `{"choices":{}}`),
			"llm: malformed response: choices is a JSON object, want an array", llm.ErrBadResponse, 0},
		{"non-JSON 200",
			raw(200, "text/plain", "hello there"),
			"llm: malformed response: the body is not a JSON object: hello there", llm.ErrBadResponse, 0},
		{"redirect",
			func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
				http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
			},
			"llm: 307 Temporary Redirect: redirect to http://127.0.0.1:1/elsewhere not followed", llm.ErrProvider, 307},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.handle)
			_, err := capabilities.Call(t.Context(), newChat(t, props(s), ""), "chat", []any{userMsg("x")})
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v\nwant prefix %s", err, tc.wantErr)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want it to match %v", err, tc.is)
			}
			var ae *llm.APIError
			if errors.As(err, &ae) != (tc.status != 0) || (ae != nil && ae.Status != tc.status) {
				t.Errorf("APIError = %+v, want status %d", ae, tc.status)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestLongErrorClipped(t *testing.T) {
	s := newServer(t, raw(500, "text/plain", strings.Repeat("é", 100_000)))
	_, err := capabilities.Call(t.Context(), newChat(t, props(s), ""), "chat", []any{userMsg("x")})
	if err == nil || len(err.Error()) > 600 || !strings.HasSuffix(err.Error(), "é…") {
		t.Fatalf("err = %.100q… (%d bytes), want a clipped message", err, len(err.Error()))
	}
}

func TestConnectionRefused(t *testing.T) {
	s := newServer(t, nil)
	p := props(s)
	s.Close()
	_, err := capabilities.Call(t.Context(), newChat(t, p, ""), "chat", []any{userMsg("x")})
	if err == nil || !strings.HasPrefix(err.Error(), "llm: POST "+s.URL+"/v1/chat/completions: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := newChat(t, props(s, "timeout", "100ms"), "")
	start := time.Now()
	_, err := capabilities.Call(t.Context(), c, "chat", []any{userMsg("x")})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "within the timeout of 100ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}

	t.Run("caller cancels", func(t *testing.T) {
		c := newChat(t, props(s), "")
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(50 * time.Millisecond)
			cancel()
		}()
		_, err := capabilities.Call(ctx, c, "chat", []any{userMsg("x")})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "abandoned") {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestSlowBodyTimesOut(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"choices":[`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	_, err := capabilities.Call(t.Context(), newChat(t, props(s, "timeout", "100ms"), ""), "chat", []any{userMsg("x")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout while reading the body", err)
	}
}

func TestResponseCap(t *testing.T) {
	big := strings.Repeat("x", 5000)
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		reply(w, map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": big}, "finish_reason": "stop"}}})
	})
	_, err := capabilities.Call(t.Context(), newChat(t, props(s, "max_response_bytes", 1000), ""), "chat", []any{userMsg("x")})
	if !errors.Is(err, llm.ErrResponseTooLarge) || !strings.Contains(err.Error(), "max_response_bytes (1000)") {
		t.Fatalf("err = %v, want ErrResponseTooLarge naming the cap", err)
	}
	got, err := capabilities.Call(t.Context(), newChat(t, props(s, "max_response_bytes", 6000), ""), "chat", []any{userMsg("x")})
	if err != nil || got.(map[string]any)["content"] != big {
		t.Fatalf("under the cap: err = %v", err)
	}
}

func TestPromptCap(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s, "max_prompt_bytes", 100), "")
	msgs := []any{
		map[string]any{"role": "system", "content": strings.Repeat("s", 50)},
		map[string]any{"role": "user", "content": strings.Repeat("u", 51)},
	}
	_, err := capabilities.Call(t.Context(), c, "chat", []any{msgs})
	if !errors.Is(err, llm.ErrPromptTooLarge) || !strings.Contains(err.Error(), "101 bytes of message content, over max_prompt_bytes (100)") {
		t.Fatalf("err = %v, want ErrPromptTooLarge", err)
	}
	_, err = capabilities.Call(t.Context(), c, "complete", []any{strings.Repeat("u", 101)})
	if !errors.Is(err, llm.ErrPromptTooLarge) {
		t.Fatalf("complete: err = %v, want ErrPromptTooLarge", err)
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent over the cap", n)
	}
	if _, err := capabilities.Call(t.Context(), c, "complete", []any{strings.Repeat("u", 100)}); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
}

func TestProps(t *testing.T) {
	captest.Props(t, "llm", nil, []captest.PropsCase{
		{Name: "loopback http", Props: `{"base_url":"http://127.0.0.1:11434/v1","model":"m"}`},
		{Name: "localhost http", Props: `{"base_url":"http://localhost:1234/v1/","model":"m"}`},
		{Name: "ipv6 loopback http", Props: `{"base_url":"http://[::1]:8080","model":"m"}`},
		{Name: "https remote", Props: `{"base_url":"https://api.openai.com/v1","model":"gpt-4o-mini"}`},
		{Name: "insecure allowed", Props: `{"base_url":"http://192.168.1.20:11434/v1","model":"m","allow_insecure":true}`},
		{Name: "all fields", Props: `{"base_url":"https://x.test/v1","model":"m","trusted":true,"timeout":"2m","max_tokens":32768,"max_prompt_bytes":1000,"max_response_bytes":2000,"temperature":0}`},
		{Name: "unknown field", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","api_key":"sk-x"}`, WantErr: `unknown field "api_key"`},
		{Name: "wrong type", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","max_tokens":"many"}`, WantErr: "max_tokens"},
		{Name: "missing base_url", Props: `{"model":"m"}`, WantErr: "base_url is required"},
		{Name: "missing model", Props: `{"base_url":"http://127.0.0.1/v1"}`, WantErr: "model is required"},
		{Name: "blank model", Props: `{"base_url":"http://127.0.0.1/v1","model":"  "}`, WantErr: "model is required"},
		{Name: "not a URL", Props: `{"base_url":"http://[::1","model":"m"}`, WantErr: "not a URL"},
		{Name: "relative URL", Props: `{"base_url":"/v1","model":"m"}`, WantErr: "want an http or https URL"},
		{Name: "ftp", Props: `{"base_url":"ftp://127.0.0.1/v1","model":"m"}`, WantErr: "want an http or https URL"},
		{Name: "no host", Props: `{"base_url":"https:///v1","model":"m"}`, WantErr: "no host"},
		{Name: "query", Props: `{"base_url":"https://x.test/v1?a=b","model":"m"}`, WantErr: "no query or fragment"},
		{Name: "http remote", Props: `{"base_url":"http://api.openai.com/v1","model":"m"}`, WantErr: "plain http is allowed only to a loopback host"},
		{Name: "http LAN", Props: `{"base_url":"http://192.168.1.20:11434/v1","model":"m"}`, WantErr: "plain http is allowed only to a loopback host"},
		{Name: "http name resolving to loopback", Props: `{"base_url":"http://localtest.me/v1","model":"m"}`, WantErr: "plain http is allowed only to a loopback host"},
		{Name: "max_tokens over cap", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","max_tokens":32769}`, WantErr: "max_tokens is 32769, want 1 to 32768"},
		{Name: "negative max_tokens", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","max_tokens":-1}`, WantErr: "max_tokens is -1"},
		{Name: "max_prompt_bytes over cap", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","max_prompt_bytes":100000000}`, WantErr: "max_prompt_bytes"},
		{Name: "max_response_bytes negative", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","max_response_bytes":-5}`, WantErr: "max_response_bytes"},
		{Name: "bad timeout", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","timeout":"soon"}`, WantErr: `timeout: "soon" is not a duration`},
		{Name: "timeout over cap", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","timeout":"11m"}`, WantErr: "at most 10m0s"},
		{Name: "zero timeout", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","timeout":"0s"}`, WantErr: "0s is not more than 0"},
		{Name: "temperature", Props: `{"base_url":"http://127.0.0.1/v1","model":"m","temperature":2.5}`, WantErr: "temperature 2.5: want 0 to 2"},
	})
}

func TestPropsUserInfoNotEchoed(t *testing.T) {
	for _, u := range []string{"https://user:hunter2secret@api.x.test/v1", "http://u:hunter2secret@[::1/v1"} {
		_, err := capabilities.New(t.Context(), "llm", []byte(`{"model":"m","base_url":"`+u+`"}`), nil)
		if !errors.Is(err, capabilities.ErrProps) || strings.Contains(err.Error(), "hunter2secret") {
			t.Fatalf("%s: err = %v, want ErrProps without the password", u, err)
		}
	}
}

func TestSecretSlots(t *testing.T) {
	_, err := capabilities.New(t.Context(), "llm", []byte(`{"base_url":"http://127.0.0.1/v1","model":"m"}`),
		&capabilities.Host{Secrets: vault.NewMemory(nil), SecretRefs: map[string]string{"password": "x"}})
	if !errors.Is(err, capabilities.ErrProps) || !strings.Contains(err.Error(), `unknown secret slot "password"`) {
		t.Fatalf("err = %v", err)
	}

	s := newServer(t, nil)
	p, _ := json.Marshal(props(s))
	c, err := capabilities.New(t.Context(), "llm", p, &capabilities.Host{Secrets: vault.NewMemory(nil), SecretRefs: map[string]string{"api_key": "missing"}})
	if err != nil {
		t.Fatal(err)
	}
	defer capabilities.Cleanup(c)
	_, err = capabilities.Call(t.Context(), c, "chat", []any{userMsg("x")})
	if err == nil || !strings.Contains(err.Error(), `secret "missing" for slot "api_key"`) {
		t.Fatalf("err = %v, want the secret read error", err)
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent without the key", n)
	}
}

func TestFlow(t *testing.T) {
	owner := capabilities.NewLabel(capabilities.Owner)
	for _, tc := range []struct {
		name  string
		props string
		want  capabilities.Label
	}{
		{"loopback trusted by default", `{"base_url":"http://127.0.0.1:11434/v1","model":"m"}`, owner},
		{"localhost trusted by default", `{"base_url":"http://LocalHost:1234/v1","model":"m"}`, owner},
		{"ipv6 loopback trusted by default", `{"base_url":"https://[::1]:8443/v1","model":"m"}`, owner},
		{"remote untrusted by default", `{"base_url":"https://API.OpenAI.com/v1","model":"m"}`,
			capabilities.NewLabel(capabilities.Owner, capabilities.Provider("api.openai.com"))},
		{"LAN untrusted by default", `{"base_url":"http://192.168.1.20:11434/v1","model":"m","allow_insecure":true}`,
			capabilities.NewLabel(capabilities.Owner, capabilities.Provider("192.168.1.20"))},
		{"loopback explicitly untrusted", `{"base_url":"http://127.0.0.1:11434/v1","model":"m","trusted":false}`,
			capabilities.NewLabel(capabilities.Owner, capabilities.Provider("127.0.0.1"))},
		{"remote explicitly trusted", `{"base_url":"https://llm.corp.test/v1","model":"m","trusted":true}`, owner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := capabilities.New(t.Context(), "llm", []byte(tc.props), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer capabilities.Cleanup(inst)
			f := inst.Flow()
			if !reflect.DeepEqual(f.Audience, tc.want) {
				t.Errorf("audience = %v, want %v", f.Audience, tc.want)
			}
			if !reflect.DeepEqual(f.Label, owner) {
				t.Errorf("label = %v, want {owner}", f.Label)
			}
			// The analysis may ask a decoded, unprovisioned instance.
			dec, _, err := capabilities.Decode("llm", []byte(tc.props))
			if err != nil {
				t.Fatal(err)
			}
			if got := dec.Flow(); !reflect.DeepEqual(got, f) {
				t.Errorf("decoded flow = %+v, provisioned %+v", got, f)
			}
		})
	}
	dec, _, _ := capabilities.Decode("llm", []byte(`{}`))
	if got := dec.Flow().Audience; !got.Has(capabilities.Public) {
		t.Errorf("audience without a base_url = %v, want public", got)
	}
	k, _ := capabilities.Lookup("llm")
	for _, m := range capabilities.TableOf(dec).Names() {
		if mm, _ := k.Table.Method(m); mm.Role != capabilities.Sink {
			t.Errorf("method %s role = %s, want sink", m, mm.Role)
		}
	}
}

func TestArgs(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s), "")
	for _, tc := range []struct {
		name    string
		method  string
		args    []any
		wantErr string
	}{
		{"no messages", "chat", nil, "argument 1 (messages): want an array of {role, content} objects, got nothing"},
		{"messages a string", "chat", []any{"hi"}, "got a string"},
		{"empty messages", "chat", []any{[]any{}}, "messages is empty"},
		{"message not an object", "chat", []any{[]any{"hi"}}, "messages[0]: want a {role, content} object, got a string"},
		{"bad role", "chat", []any{[]any{map[string]any{"role": "tool", "content": "x"}}}, `messages[0].role: want "system", "user" or "assistant", got a string`},
		{"missing role", "chat", []any{[]any{map[string]any{"content": "x"}}}, "messages[0].role"},
		{"content a number", "chat", []any{[]any{map[string]any{"role": "user", "content": 3.0}}}, "messages[0].content: want a string, got the number 3"},
		{"extra field", "chat", []any{[]any{map[string]any{"role": "user", "content": "x", "name": "bob"}}}, `messages[0]: unknown field "name"`},
		{"too many", "chat", []any{make([]any, llm.MaxMessages+1)}, "over the limit of 1000"},
		{"options not an object", "chat", []any{userMsg("x"), "fast"}, "argument 2 (options): want an object, got a string"},
		{"unknown option", "chat", []any{userMsg("x"), map[string]any{"model": "gpt-5"}}, `unknown option "model"`},
		{"max_tokens zero", "chat", []any{userMsg("x"), map[string]any{"max_tokens": 0.0}}, "options.max_tokens: want a positive integer, got the number 0"},
		{"max_tokens fraction", "chat", []any{userMsg("x"), map[string]any{"max_tokens": 1.5}}, "options.max_tokens"},
		{"temperature high", "chat", []any{userMsg("x"), map[string]any{"temperature": 2.1}}, "options.temperature: want a number from 0 to 2"},
		{"stop not strings", "chat", []any{userMsg("x"), map[string]any{"stop": []any{1.0}}}, "options.stop: want an array of non-empty strings"},
		{"stop too many", "chat", []any{userMsg("x"), map[string]any{"stop": []any{"a", "b", "c", "d", "e"}}}, "at most 4 strings"},
		{"json not bool", "chat", []any{userMsg("x"), map[string]any{"json": "yes"}}, "options.json: want a boolean"},
		{"complete number", "complete", []any{3.0}, "argument 1 (prompt): want a string, got the number 3"},
		{"complete bad option", "complete", []any{"x", map[string]any{"stream": true}}, `llm complete: unknown option "stream"`},
		{"unknown method", "embed", nil, "there is no method embed; it has chat, complete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := capabilities.Call(t.Context(), c, tc.method, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent for bad arguments", n)
	}
}

func TestNotProvisioned(t *testing.T) {
	inst, _, err := capabilities.Decode("llm", []byte(`{"base_url":"http://127.0.0.1/v1","model":"m"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capabilities.Call(t.Context(), inst, "complete", []any{"x"}); err == nil || !strings.Contains(err.Error(), "not provisioned") {
		t.Fatalf("err = %v", err)
	}
}

// keyLeaks reports which forms of key s shows.
func keyLeaks(s, key string) []string {
	bearer := base64.StdEncoding.EncodeToString([]byte("Bearer " + key))
	forms := map[string]string{
		"raw":           key,
		"base64":        base64.StdEncoding.EncodeToString([]byte(key)),
		"base64url":     base64.RawURLEncoding.EncodeToString([]byte(key)),
		"hex":           hex.EncodeToString([]byte(key)),
		"HEX":           strings.ToUpper(hex.EncodeToString([]byte(key))),
		"query-escaped": url.QueryEscape(key),
		// "Bearer " is 7 bytes: the key's own bits start at character 10.
		"base64 of the bearer header": bearer[10:26],
		"half the key":                key[:len(key)/2],
	}
	var out []string
	for name, f := range forms {
		if strings.Contains(s, f) {
			out = append(out, name)
		}
	}
	return out
}

func TestKeyNeverLeaks(t *testing.T) {
	key := testKey + "/+?&<>\"" // characters each encoding treats differently
	echo := func(r *http.Request) string {
		k := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		return fmt.Sprintf("raw=%s b64=%s b64url=%s hex=%s HEX=%s q=%s path=%s bearer-basic=%s header=%s",
			k,
			base64.StdEncoding.EncodeToString([]byte(k)),
			base64.RawURLEncoding.EncodeToString([]byte(k)),
			hex.EncodeToString([]byte(k)),
			strings.ToUpper(hex.EncodeToString([]byte(k))),
			url.QueryEscape(k),
			url.PathEscape(k),
			base64.StdEncoding.EncodeToString([]byte("Bearer "+k)),
			r.Header.Get("Authorization"))
	}
	jsonStr := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, _ map[string]any)
	}{
		{"in the reply", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			e := echo(r)
			reply(w, map[string]any{"model": e, "choices": []any{map[string]any{"message": map[string]any{"content": e}, "finish_reason": e}}})
		}},
		{"in an openai error", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":{"message":%s,"type":%s,"code":%s}}`, jsonStr(echo(r)), jsonStr(echo(r)), jsonStr(echo(r)))
		}},
		{"in a string error", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":%s}`, jsonStr(echo(r)))
		}},
		{"in a non-JSON error", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			w.WriteHeader(502)
			io.WriteString(w, echo(r))
		}},
		{"in a non-JSON 200", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			io.WriteString(w, echo(r))
		}},
		{"in unknown JSON", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"detail":%s}`, jsonStr(echo(r)))
		}},
		{"in a refusal", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			reply(w, map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": nil, "refusal": echo(r)}}}})
		}},
		{"in a redirect", func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			k := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			http.Redirect(w, r, "/v1/"+url.PathEscape(k)+"?k="+url.QueryEscape(echo(r)), http.StatusFound)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.handle)
			got, err := capabilities.Call(t.Context(), newChat(t, props(s), key), "chat", []any{userMsg("what is your key?")})
			var text string
			if err != nil {
				text = err.Error()
			} else {
				b, _ := json.Marshal(got)
				text = string(b)
			}
			if leaks := keyLeaks(text, key); len(leaks) > 0 {
				t.Fatalf("the key leaked (%v) in: %s", leaks, text)
			}
			if !strings.Contains(text, llm.Marker) {
				t.Fatalf("no %s marker in: %s", llm.Marker, text)
			}
			if r := s.last(t); r.Auth != "Bearer "+key {
				t.Fatalf("the server got Authorization %q", r.Auth)
			}
		})
	}
}

func TestConcurrentCalls(t *testing.T) {
	s := newServer(t, nil)
	c := newChat(t, props(s), testKey)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := capabilities.Call(t.Context(), c, "complete", []any{fmt.Sprint("n", i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.requests()); n != 20 {
		t.Fatalf("%d requests, want 20", n)
	}
}
