// Package llm is the capability kind "llm": chat completions from a model
// behind an OpenAI-compatible endpoint. OpenAI, Ollama, the llama.cpp server
// and LM Studio all answer POST {base_url}/chat/completions, so one kind
// serves them all.
//
// The agent sees two methods: chat(messages, options?) sends a conversation
// and returns the model's next message; complete(prompt, options?) is sugar
// for a single user message. The api key, when the endpoint needs one, is the
// secret slot "api_key": it is read from the host at the moment of each call,
// sent as "Authorization: Bearer", and redacted (itself and its base64, URL
// and hex forms, as [secret:api_key]) from everything a call returns and from
// every error, so an endpoint that echoes it cannot hand it to JavaScript.
//
// # Flow
//
// Both methods are sinks: the prompt goes to the provider. The audience is
// the owner alone when the provider is trusted to see prompts as the owner
// would (by default, a loopback host: a model running on this machine), and
// the owner plus [capabilities.Provider] of the endpoint's host otherwise. An
// agent that has read data the provider may not see therefore needs the
// owner's approval to send it there.
//
// The reply is not treated as a new source. It derives from the prompt, so
// it carries at most what the agent already knew, plus the provider's own
// output, which the provider (who read the prompt) chose to send back. The
// Label is therefore {owner}: the most restrictive answer for anyone who asks
// who may read a reply, and one that never lets a reply widen what an agent
// may pass on.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"littleboxes/capabilities"
)

// ID is the kind's id.
const ID = "llm"

// Defaults and hard limits of the props.
const (
	DefaultTimeout          = 60 * time.Second
	MaxTimeout              = 10 * time.Minute
	DefaultMaxTokens        = 1024
	MaxMaxTokens            = 32768
	DefaultMaxPromptBytes   = 256 << 10
	MaxMaxPromptBytes       = 16 << 20
	DefaultMaxResponseBytes = 1 << 20
	MaxMaxResponseBytes     = 64 << 20
	// MaxMessages is the most messages one chat call may send.
	MaxMessages = 1000
	// MaxStop is the most stop sequences one call may give (OpenAI's limit).
	MaxStop = 4
)

// Sentinel errors, for callers that test with errors.Is. Errors of a call
// also wrap context.DeadlineExceeded on a timeout and context.Canceled when
// the caller gave up.
var (
	// ErrPromptTooLarge: the messages' content is over max_prompt_bytes.
	ErrPromptTooLarge = errors.New("prompt too large")
	// ErrResponseTooLarge: the server's response is over max_response_bytes.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrBadResponse: the server answered 2xx with something that is not a
	// chat completion (not JSON, no choices, no message content).
	ErrBadResponse = errors.New("malformed response")
	// ErrProvider: the provider returned an error; the error is an
	// *APIError.
	ErrProvider = errors.New("provider error")
)

// sentinels are what a redacted error still matches.
var sentinels = []error{ErrPromptTooLarge, ErrResponseTooLarge, ErrBadResponse, ErrProvider,
	context.DeadlineExceeded, context.Canceled, capabilities.ErrNoSecret}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:  ID,
		Doc: "A chat model behind an OpenAI-compatible endpoint (OpenAI, Ollama, llama.cpp, LM Studio); prompts go to its provider.",
		New: func() capabilities.Instance { return &Chat{} },
		Secrets: []capabilities.SecretSlot{{
			Name:     "api_key",
			Doc:      "The endpoint's API key, sent as Authorization: Bearer; local servers need none.",
			Optional: true,
		}},
		Table: table,
	})
}

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{
	Interface: "LLM",
	Doc: `A chat model behind an OpenAI-compatible endpoint. Everything you send is
seen by the model's provider. If that provider may not see what this agent
has read, the call does not run: it resolves at once to
{ status: "pending_approval", id } and the owner decides.
Calls throw an Error on a provider error, a timeout, or a prompt over the
binding's size limit.`,
	Types: `/** One message of a conversation with a chat model. */
interface LLMMessage {
  /** "system": instructions for the model; "user": the person's turn; "assistant": an earlier reply of the model. */
  role: "system" | "user" | "assistant";
  /** The text of the message. */
  content: string;
}

/** Options of one request to a chat model. Unknown options are an error. */
interface LLMOptions {
  /** The most tokens the reply may have. The binding has its own limit (1024 unless configured); asking for more gets that limit. */
  max_tokens?: number;
  /** Sampling temperature from 0 to 2; lower is more deterministic. Defaults to the binding's setting, else the model's. */
  temperature?: number;
  /** Up to 4 strings at which the model stops writing; the stop string is not included in the reply. */
  stop?: string[];
  /** Ask for a reply that is one JSON object; say "JSON" in the prompt, and JSON.parse the content. */
  json?: boolean;
}

/** A chat model's reply. */
interface LLMReply {
  /** The text the model wrote. */
  content: string;
  /** Why it stopped: "stop" (done or hit a stop string), "length" (hit max_tokens), or what the server says. */
  finish_reason: string;
  /** Token counts, when the server reports them. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** The model that answered. */
  model: string;
}`,
	Methods: []capabilities.Method{
		{
			Name: "chat", Role: capabilities.Sink, Inconsequential: true,
			Doc:    "Sends a conversation to the model's provider and returns the model's next message.",
			TS:     "chat(messages: LLMMessage[], options?: LLMOptions): Promise<LLMReply>",
			TSDoc:  "Send a conversation (at least one message) and get the model's next message.",
			Params: []capabilities.Param{{Name: "messages", Type: capabilities.TypeArray, Want: "an array of {role, content} objects"}, {Name: "options", Type: capabilities.TypeObject, Optional: true}},
			Fn:     capabilities.Of((*Chat).chat),
		},
		{
			Name: "complete", Role: capabilities.Sink, Inconsequential: true,
			Doc:    "Sends one user message to the model's provider and returns the reply.",
			TS:     "complete(prompt: string, options?: LLMOptions): Promise<LLMReply>",
			TSDoc:  "Send one user message and get the reply: chat([{ role: \"user\", content: prompt }], options).",
			Params: []capabilities.Param{{Name: "prompt", Type: capabilities.TypeString}, {Name: "options", Type: capabilities.TypeObject, Optional: true}},
			Fn:     capabilities.Of((*Chat).complete),
		},
	},
})

// Chat is an instance of the llm kind. Its exported fields are the props; it
// is safe for concurrent calls once made by capabilities.New.
type Chat struct {
	BaseURL          string   `json:"base_url" doc:"The endpoint's base URL; requests go to {base_url}/chat/completions (http://127.0.0.1:11434/v1 for Ollama, https://api.openai.com/v1 for OpenAI). Plain http only to a loopback host, unless allow_insecure."`
	Model            string   `json:"model" doc:"The model to ask, sent with every request (llama3.2, gpt-4o-mini)."`
	Trusted          *bool    `json:"trusted,omitempty" doc:"Whether the provider may see prompts as the owner would. Default: true for a loopback host, false otherwise; an untrusted provider is in the audience of every call."`
	AllowInsecure    bool     `json:"allow_insecure,omitempty" doc:"Allow plain http to a host that is not loopback: prompts, replies and the api key then cross the network in cleartext."`
	Timeout          string   `json:"timeout,omitempty" doc:"How long one request may take, as a Go duration (90s, 2m). Default 60s, at most 10m."`
	MaxTokens        int      `json:"max_tokens,omitempty" doc:"The most tokens a reply may have; an agent may ask for fewer, never more. Default 1024, at most 32768."`
	MaxPromptBytes   int      `json:"max_prompt_bytes,omitempty" doc:"The most bytes of message content one call may send. Default 262144 (256 KiB), at most 16 MiB."`
	MaxResponseBytes int      `json:"max_response_bytes,omitempty" doc:"The most bytes of response body read from the server. Default 1048576 (1 MiB), at most 64 MiB."`
	Temperature      *float64 `json:"temperature,omitempty" doc:"The default sampling temperature, 0 to 2; unset leaves it to the server. An agent may set its own per call."`

	// Set by Provision and Validate.
	host      *capabilities.Host
	transport *http.Transport
	client    *http.Client
	endpoint  string // {base_url}/chat/completions
	hostname  string // the endpoint's host, for errors
	timeout   time.Duration
	maxTokens int
	maxPrompt int
	maxResp   int
	ready     bool
}

// Provision keeps the host (the api key is read from it at each call) and
// makes the HTTP client. The client follows no redirects: a prompt goes to
// base_url's host and nowhere else.
func (c *Chat) Provision(ctx context.Context, h *capabilities.Host) error {
	c.host = h
	c.transport = http.DefaultTransport.(*http.Transport).Clone()
	c.client = &http.Client{
		Transport: c.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return nil
}

// CheckProps implements capabilities.PropsChecker: it checks every prop
// and fills in the defaults.
func (c *Chat) CheckProps(map[string]string) error {
	var ps capabilities.Problems
	u, err := c.parseBase()
	switch {
	case err != nil:
		ps.Add(capabilities.PropErrorf("base_url", "%v", err))
	case u.Scheme == "http" && !capabilities.IsLoopback(u.Hostname()) && !c.AllowInsecure:
		ps.Addf("base_url", "base_url %q: plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost); use https, or set allow_insecure", c.BaseURL)
	default:
		c.endpoint = strings.TrimRight(u.String(), "/") + "/chat/completions"
		c.hostname = u.Host
	}
	if strings.TrimSpace(c.Model) == "" {
		ps.Addf("model", "model is required (the model name the endpoint serves, e.g. llama3.2 or gpt-4o-mini)")
	}
	c.timeout = capabilities.CheckTimeout(&ps, "timeout", c.Timeout, DefaultTimeout, MaxTimeout)
	c.maxTokens = capabilities.CheckLimit(&ps, "max_tokens", c.MaxTokens, MaxMaxTokens, DefaultMaxTokens)
	c.maxPrompt = capabilities.CheckLimit(&ps, "max_prompt_bytes", c.MaxPromptBytes, MaxMaxPromptBytes, DefaultMaxPromptBytes)
	c.maxResp = capabilities.CheckLimit(&ps, "max_response_bytes", c.MaxResponseBytes, MaxMaxResponseBytes, DefaultMaxResponseBytes)
	if t := c.Temperature; t != nil && !(*t >= 0 && *t <= 2) {
		ps.Addf("temperature", "temperature %v: want 0 to 2", *t)
	}
	return ps.Err()
}

// Validate checks the props (when New has not) and that the instance was
// provisioned.
func (c *Chat) Validate() error {
	if c.endpoint == "" {
		if err := c.CheckProps(nil); err != nil {
			return err
		}
	}
	c.ready = c.client != nil
	return nil
}

// parseBase parses and checks base_url, without the http-to-loopback rule.
func (c *Chat) parseBase() (*url.URL, error) {
	if c.BaseURL == "" {
		return nil, errors.New("base_url is required (e.g. http://127.0.0.1:11434/v1 or https://api.openai.com/v1)")
	}
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil && strings.Contains(c.BaseURL, "@"):
		// Never echo it: it may hold a credential.
		return nil, errors.New("base_url: not a URL")
	case err != nil:
		return nil, fmt.Errorf("base_url %q: not a URL", c.BaseURL)
	case u.User != nil:
		return nil, errors.New("base_url holds a user name or password; put the key in the api_key secret instead")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base_url %q: want an http or https URL", c.BaseURL)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("base_url %q: no host", c.BaseURL)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("base_url %q: want no query or fragment", c.BaseURL)
	}
	return u, nil
}

// trusted reports whether the provider may see prompts as the owner would.
func (c *Chat) trusted(u *url.URL) bool {
	if c.Trusted != nil {
		return *c.Trusted
	}
	return capabilities.IsLoopback(u.Hostname())
}

// Flow reports the instance's label and audience, computed from the props
// alone (so the flow analysis may call it on an instance that was only
// decoded). The audience is {owner} for a trusted provider, else {owner,
// provider:HOST}; with a base_url that does not parse, it is {owner, public}.
// The label is {owner}: see the package doc for why.
func (c *Chat) Flow() capabilities.Flow {
	f := capabilities.Flow{Label: capabilities.NewLabel(capabilities.Owner)}
	u, err := c.parseBase()
	switch {
	case err != nil:
		f.Audience = capabilities.NewLabel(capabilities.Owner, capabilities.Public)
	case c.trusted(u):
		f.Audience = capabilities.NewLabel(capabilities.Owner)
	default:
		f.Audience = capabilities.NewLabel(capabilities.Owner, capabilities.Provider(u.Hostname()))
	}
	return f
}

// chat is the chat method: a conversation, then options.
func (c *Chat) chat(ctx context.Context, args []any) (any, error) {
	msgs, err := parseMessages(args)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, "chat", msgs, args)
}

// complete is the complete method: one user message, then options.
func (c *Chat) complete(ctx context.Context, args []any) (any, error) {
	prompt, err := capabilities.String(args, 0, "prompt")
	if err != nil {
		return nil, fmt.Errorf("llm complete: %w", err)
	}
	return c.send(ctx, "complete", []message{{Role: "user", Content: prompt}}, args)
}

// Cleanup closes the client's idle connections.
func (c *Chat) Cleanup() error {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	return nil
}

// send checks the options and the prompt's size, then makes one request.
func (c *Chat) send(ctx context.Context, method string, msgs []message, args []any) (any, error) {
	if !c.ready {
		return nil, errors.New("llm: instance not provisioned (make it with capabilities.New)")
	}
	req, err := c.request(method, msgs, args)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, m := range msgs {
		n += len(m.Content)
	}
	if n > c.maxPrompt {
		return nil, fmt.Errorf("llm %s: %w: %d bytes of message content, over max_prompt_bytes (%d)", method, ErrPromptTooLarge, n, c.maxPrompt)
	}
	key, err := c.apiKey(ctx)
	if err != nil {
		return nil, err
	}
	red := newRedactor(key)
	out, err := c.do(ctx, req, key, red)
	return out, redactErr(red, err)
}

// apiKey reads the api key at the moment of the call; "" when the instance
// was given none.
func (c *Chat) apiKey(ctx context.Context) (string, error) {
	if c.host == nil || c.host.SecretRefs["api_key"] == "" {
		return "", nil
	}
	key, err := c.host.Secret(ctx, "api_key")
	if err != nil {
		return "", fmt.Errorf("llm: %w", err)
	}
	return key, nil
}

// Interface guards.
var (
	_ capabilities.Instance     = (*Chat)(nil)
	_ capabilities.Provisioner  = (*Chat)(nil)
	_ capabilities.Validator    = (*Chat)(nil)
	_ capabilities.PropsChecker = (*Chat)(nil)
	_ capabilities.CleanerUpper = (*Chat)(nil)
)
