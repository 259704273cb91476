package mcp_test

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/mcp"
)

func TestCheckProps(t *testing.T) {
	tok := map[string]string{"token": "tok"}
	for _, c := range []struct {
		name  string
		props string
		refs  map[string]string
		want  []string // "path: words in the message", sorted by path
	}{
		{"command", `{"command": "node", "args": ["s.js"], "env": {"A": "1"}, "secret_env": {"T": "token"}}`, tok, nil},
		{"url", `{"url": "https://mcp.example.com/mcp", "secret_headers": {"Authorization": "Bearer {token}"}}`, tok, nil},
		{"loopback http", `{"url": "http://127.0.0.1:8080/mcp"}`, nil, nil},
		{"insecure allowed", `{"url": "http://mcp.lan/mcp", "allow_insecure_http": true}`, nil, nil},
		{"neither", `{}`, nil, []string{": give either command"}},
		{"both", `{"command": "x", "url": "https://a.example"}`, nil, []string{"url: url: give either command or url, not both"}},
		{"plain http", `{"url": "http://mcp.example.com/mcp"}`, nil, []string{"url: url: \"http://mcp.example.com/mcp\" is plain http"}},
		{"user in url", `{"url": "https://u:p@mcp.example.com"}`, nil, []string{"url: url: \"https://u:p@mcp.example.com\" holds a user name or password"}},
		{"bad env name", `{"command": "x", "env": {"A-B": "1"}}`, nil, []string{"env.A-B: env.A-B: not an environment variable name"}},
		{"env twice", `{"command": "x", "env": {"T": "1"}, "secret_env": {"T": "token"}}`, tok, []string{"secret_env.T: secret_env.T: T is also in env"}},
		{"unknown slot", `{"command": "x", "secret_env": {"T": "pin"}}`, nil, []string{`secret_env.T: secret_env.T: "pin" is not a secret slot; use one of token, api_key, credential, password`}},
		{"slot without secret", `{"command": "x", "secret_env": {"T": "token"}}`, nil, []string{"secret_env.T: secret_env.T: uses the secret slot token, but no secret is given"}},
		{"secret unused", `{"command": "x"}`, tok, []string{": a secret is given for slot token but no secret_env or secret_headers uses it"}},
		{"headers on a command", `{"command": "x", "secret_headers": {"A": "token"}}`, tok, []string{": a secret is given for slot token", "secret_headers: secret_headers: only for a url server"}},
		{"forbidden header", `{"url": "https://a.example", "secret_headers": {"mcp-session-id": "token"}}`, tok, []string{": a secret is given for slot token", "secret_headers.mcp-session-id: secret_headers.mcp-session-id: the MCP transport sets Mcp-Session-Id itself"}},
		{"bad template", `{"url": "https://a.example", "secret_headers": {"Authorization": "Bearer {token} {token}"}}`, tok, []string{": a secret is given", "secret_headers.Authorization: secret_headers.Authorization: \"Bearer {token} {token}\": a template holds exactly one {slot}"}},
		{"args on a url", `{"url": "https://a.example", "args": ["x"]}`, nil, []string{"url: url: env, secret_env and args are for a command server"}},
		{"tools", `{"command": "x", "tools": ["a", "a", ""]}`, nil, []string{"tools[1]: tools[1]: a is listed twice", "tools[2]: tools[2]: empty tool name"}},
		{"roles", `{"command": "x", "tools": ["a"], "roles": {"a": "reader", "b": "sink"}}`, nil, []string{`roles.a: roles.a: "reader" is not one of source, sink, exchange, pure`, "roles.b: roles.b: b is not in tools"}},
		{"timeout", `{"command": "x", "timeout": "1h"}`, nil, []string{"timeout: timeout: 1h0m0s is not more than 0 and at most 10m0s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := capabilities.CheckProps(mcp.ID, []byte(c.props), c.refs)
			if c.want == nil {
				if err != nil {
					t.Fatalf("CheckProps: %v", err)
				}
				return
			}
			if !errors.Is(err, capabilities.ErrProps) {
				t.Fatalf("err = %v, want ErrProps", err)
			}
			pes := capabilities.PropErrors(err)
			var got []string
			for _, pe := range pes {
				got = append(got, pe.Path+": "+pe.Msg)
			}
			sort.Strings(got)
			if len(got) != len(c.want) {
				t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(c.want), strings.Join(c.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %q, want it to start %q", got[i], c.want[i])
				}
			}
		})
	}
}

func TestFlowBeforeProvisioning(t *testing.T) {
	for _, c := range []struct{ props, want string }{
		{`{"url": "https://MCP.example.com:443/mcp"}`, "origin:https://mcp.example.com"},
		{`{"url": "http://[::1]:8080/mcp"}`, "origin:http://[::1]:8080"},
		{`{"command": "/usr/bin/my-server", "args": ["--ro"]}`, "provider:mcp:my-server --ro"},
	} {
		inst, _, err := capabilities.Decode(mcp.ID, []byte(c.props))
		if err != nil {
			t.Fatal(err)
		}
		f := inst.Flow()
		if len(f.Audience) != 1 || string(f.Audience[0]) != c.want || !f.Label.Has(capabilities.Owner) || !f.Label.Has(capabilities.Principal(c.want)) {
			t.Errorf("%s: flow %+v, want %s", c.props, f, c.want)
		}
	}
}

// TestNoServerYetIsIncomplete: a capability with neither command nor url
// (as the palette adds it) is incomplete, like a missing required prop, so
// an army being built may hold it; a wrong prop is not.
func TestNoServerYetIsIncomplete(t *testing.T) {
	err := capabilities.CheckProps(mcp.ID, []byte(`{}`), nil)
	if !errors.Is(err, capabilities.ErrIncomplete) {
		t.Errorf("no command nor url: %v, want ErrIncomplete", err)
	}
	err = capabilities.CheckProps(mcp.ID, []byte(`{"command": "x", "url": "https://a.example"}`), nil)
	if err == nil || errors.Is(err, capabilities.ErrIncomplete) {
		t.Errorf("both command and url: %v, want a problem that is not ErrIncomplete", err)
	}
}
