package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"littleboxes/capabilities"
	"littleboxes/vault"
)

// errBodyLimit is the most bytes read of an error response.
const errBodyLimit = 64 << 10

// maxErrText is the most bytes of server text an error quotes.
const maxErrText = 500

// message is one chat message, on the wire as the agent gave it.
type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model          string          `json:"model"`
	Messages       []message       `json:"messages"`
	MaxTokens      int             `json:"max_tokens"`
	Temperature    *float64        `json:"temperature,omitempty"`
	Stop           []string        `json:"stop,omitempty"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
	Stream         bool            `json:"stream"`
}

type responseFormat struct {
	Type string `json:"type"`
}

// chatResponse is what the server answers; unknown fields are ignored.
type chatResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message *struct {
			Content *string `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     float64 `json:"prompt_tokens"`
		CompletionTokens float64 `json:"completion_tokens"`
		TotalTokens      float64 `json:"total_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// APIError is an error the provider returned: an HTTP status outside 2xx, or
// an "error" member in the body. Its text is redacted and clipped when it is
// made. It matches ErrProvider.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the provider's error code ("invalid_api_key"), if it gave one.
	Code string
	// Type is the provider's error type ("invalid_request_error"), if any.
	Type string
	// Message is the provider's message, or the start of a body that was
	// not a JSON error.
	Message string
}

// Error reads "llm: STATUS LABEL: MESSAGE", the label being the code, else
// the type, else the HTTP status text.
func (e *APIError) Error() string {
	label := e.Code
	if label == "" {
		label = e.Type
	}
	if label == "" {
		label = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("llm: %d", e.Status)
	if label != "" {
		s += " " + label
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap makes the error match ErrProvider.
func (e *APIError) Unwrap() error { return ErrProvider }

// parseMessages checks chat's first argument.
func parseMessages(args []any) ([]message, error) {
	var v any
	if len(args) > 0 {
		v = args[0]
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("llm chat: %w", &capabilities.ArgError{Index: 0, Name: "messages", Want: "an array of {role, content} objects", Got: v})
	}
	if len(arr) == 0 {
		return nil, errors.New("llm chat: messages is empty; send at least one message")
	}
	if len(arr) > MaxMessages {
		return nil, fmt.Errorf("llm chat: %d messages, over the limit of %d", len(arr), MaxMessages)
	}
	msgs := make([]message, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("llm chat: messages[%d]: want a {role, content} object, got %s", i, capabilities.Describe(e))
		}
		for _, k := range sortedKeys(m) {
			if k != "role" && k != "content" {
				return nil, fmt.Errorf("llm chat: messages[%d]: unknown field %q (a message has only role and content)", i, k)
			}
		}
		role, _ := m["role"].(string)
		switch role {
		case "system", "user", "assistant":
		default:
			return nil, fmt.Errorf("llm chat: messages[%d].role: want \"system\", \"user\" or \"assistant\", got %s", i, capabilities.Describe(m["role"]))
		}
		content, ok := m["content"].(string)
		if !ok {
			return nil, fmt.Errorf("llm chat: messages[%d].content: want a string, got %s", i, capabilities.Describe(m["content"]))
		}
		msgs[i] = message{Role: role, Content: content}
	}
	return msgs, nil
}

// request builds the request body from the messages and the options (the
// argument after them), applying the props' limits and defaults.
func (c *Chat) request(method string, msgs []message, args []any) (*chatRequest, error) {
	req := &chatRequest{Model: c.Model, Messages: msgs, MaxTokens: c.maxTokens, Temperature: c.Temperature}
	opts, err := capabilities.OptObject(args, 1, "options")
	if err != nil {
		return nil, fmt.Errorf("llm %s: %w", method, err)
	}
	for _, k := range sortedKeys(opts) {
		v := opts[k]
		if v == nil {
			continue
		}
		bad := func(want string) error {
			return fmt.Errorf("llm %s: options.%s: want %s, got %s", method, k, want, capabilities.Describe(v))
		}
		switch k {
		case "max_tokens":
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) || f < 1 {
				return nil, bad("a positive integer")
			}
			if f < float64(c.maxTokens) {
				req.MaxTokens = int(f)
			}
		case "temperature":
			f, ok := v.(float64)
			if !ok || !(f >= 0 && f <= 2) {
				return nil, bad("a number from 0 to 2")
			}
			req.Temperature = &f
		case "stop":
			arr, ok := v.([]any)
			if !ok || len(arr) > MaxStop {
				return nil, bad(fmt.Sprintf("an array of at most %d strings", MaxStop))
			}
			for _, e := range arr {
				s, ok := e.(string)
				if !ok || s == "" {
					return nil, bad("an array of non-empty strings")
				}
				req.Stop = append(req.Stop, s)
			}
		case "json":
			b, ok := v.(bool)
			if !ok {
				return nil, bad("a boolean")
			}
			if b {
				req.ResponseFormat = &responseFormat{Type: "json_object"}
			}
		default:
			return nil, fmt.Errorf("llm %s: unknown option %q (known: max_tokens, temperature, stop, json)", method, k)
		}
	}
	return req, nil
}

// do posts the request and reads the reply, within the timeout.
func (c *Chat) do(ctx context.Context, req *chatRequest, key string, red *vault.Redactor) (any, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("llm: encoding the request: %w", err)
	}
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(tctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "littleboxes")
	if key != "" {
		hreq.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.client.Do(hreq)
	if err != nil {
		return nil, c.transportErr(ctx, err)
	}
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	lim := int64(c.maxResp)
	if !ok {
		lim = min(lim, errBodyLimit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, lim+1))
	if err != nil {
		return nil, c.transportErr(ctx, err)
	}
	if int64(len(data)) > lim {
		if ok {
			return nil, fmt.Errorf("llm: %w: the server sent more than max_response_bytes (%d)", ErrResponseTooLarge, c.maxResp)
		}
		data = data[:lim] // an error's start is enough to say what went wrong
	}
	return parseReply(resp.StatusCode, resp.Header.Get("Location"), data, red, c.Model)
}

// transportErr says why no response came: the caller gave up, the timeout
// passed, or the connection failed.
func (c *Chat) transportErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("llm: request to %s abandoned: %w", c.hostname, cerr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("llm: no reply from %s within the timeout of %s: %w", c.hostname, c.timeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("llm: POST %s: %v", c.endpoint, err)
}

// parseReply turns a response into what the agent gets, or an error. Every
// string in either is redacted.
func parseReply(status int, location string, body []byte, red *vault.Redactor, model string) (any, error) {
	switch {
	case status >= 300 && status < 400:
		return nil, &APIError{Status: status, Message: clip(red, "redirect to "+redirectTarget(location)+" not followed: a prompt goes to base_url's host only")}
	case status < 200 || status >= 300:
		return nil, apiError(status, body, red)
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("llm: %w: %s is a JSON %s, want %s", ErrBadResponse, te.Field, te.Value, jsonKind(te.Type.Kind()))
		}
		return nil, fmt.Errorf("llm: %w: the body is not a JSON object: %s", ErrBadResponse, quote(red, body))
	}
	if len(r.Error) > 0 && string(r.Error) != "null" {
		return nil, apiError(status, body, red)
	}
	if len(r.Choices) == 0 {
		return nil, fmt.Errorf("llm: %w: no choices in the response", ErrBadResponse)
	}
	ch := r.Choices[0]
	if ch.Message == nil || ch.Message.Content == nil {
		if ch.Message != nil && ch.Message.Refusal != nil {
			return nil, fmt.Errorf("llm: %w: the model refused: %s", ErrBadResponse, clip(red, *ch.Message.Refusal))
		}
		return nil, fmt.Errorf("llm: %w: no choices[0].message.content in the response", ErrBadResponse)
	}
	out := map[string]any{
		"content":       red.String(*ch.Message.Content),
		"finish_reason": "",
		"model":         red.String(model),
	}
	if ch.FinishReason != nil {
		out["finish_reason"] = red.String(*ch.FinishReason)
	}
	if r.Model != "" {
		out["model"] = red.String(r.Model)
	}
	if u := r.Usage; u != nil {
		out["usage"] = map[string]any{
			"prompt_tokens":     u.PromptTokens,
			"completion_tokens": u.CompletionTokens,
			"total_tokens":      u.TotalTokens,
		}
	}
	return out, nil
}

// apiError reads a provider's error body: OpenAI's {"error": {"message",
// "type", "code"}}, Ollama's and llama.cpp's {"error": "text"}, a bare
// {"message": "text"}, or anything else, quoted.
func apiError(status int, body []byte, red *vault.Redactor) *APIError {
	e := &APIError{Status: status}
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		e.Message = quote(red, body)
		return e
	}
	var s string
	var o struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	}
	hasErr := len(v.Error) > 0 && string(v.Error) != "null"
	switch {
	case hasErr && json.Unmarshal(v.Error, &s) == nil:
		e.Message = clip(red, s)
	case hasErr && json.Unmarshal(v.Error, &o) == nil && (o.Message != "" || o.Type != "" || o.Code != nil):
		e.Message = clip(red, o.Message)
		e.Type = clip(red, o.Type)
		switch code := o.Code.(type) {
		case string:
			e.Code = clip(red, code)
		case float64:
			e.Code = fmt.Sprint(code)
		}
	case v.Message != "":
		e.Message = clip(red, v.Message)
	default:
		e.Message = quote(red, body)
	}
	return e
}

// quote returns the start of a body for an error: redacted, on one line,
// clipped; "(empty body)" when there is none. A JSON body is re-encoded
// first, without escapes where it can, so a key hidden behind \u escapes is
// plain again, and redacted.
func quote(red *vault.Redactor, body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "(empty body)"
	}
	if json.Valid(body) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if dec.Decode(&v) == nil && enc.Encode(v) == nil {
			body = buf.Bytes()
		}
	}
	return clip(red, string(body))
}

// redirectTarget says where a redirect pointed: its scheme, host and path,
// unescaped, without the query or fragment.
func redirectTarget(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return "an unreadable location"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String() + u.Path
}

// clip redacts s, puts it on one line of valid UTF-8 and cuts it to
// maxErrText bytes. Redacting first means a cut never leaves part of the key.
func clip(red *vault.Redactor, s string) string {
	s = red.String(s)
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > maxErrText {
		cut := maxErrText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return red.String(s)
}

// jsonKind names what a Go kind decodes from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	default:
		return "an object"
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
