package army

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// head is the start of most cases: an army with a report capability, so a
// case only writes what it is about.
const head = `name: t
capabilities:
  out: {kind: report}
`

func TestProblems(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "agents", "a.ts"), "export default {}\n")
	mustWrite(t, filepath.Join(dir, "big.ts"), strings.Repeat("x", MaxCodeBytes+1))
	mustWrite(t, filepath.Join(dir, "empty.ts"), "")
	mustWrite(t, filepath.Join(dir, "latin1.ts"), "caf\xe9")
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "x.ts"), "export default {}\n")
	if err := os.Symlink(filepath.Join(outside, "x.ts"), filepath.Join(dir, "link.ts")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.ts"), 0o755); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		dir  string // "" unless the case reads code files
		yaml string
		want []string
	}{
		{"yaml syntax: end of file inside a list", "", "name: t\nagents:\n  a: [1,\n", []string{`4:1: invalid YAML: did not find expected node content`}},
		{"yaml syntax on the first line", "", "name: a: b\n", []string{`1:8: invalid YAML: mapping values are not allowed in this context`}},
		{"tab indentation", "", "name: t\n\tagents: {}\n", []string{`2:1: invalid YAML: found a tab character that violates indentation`}},
		{"yaml syntax: a key indented too little", "", head + "agents:\n  a:\n    code: x\n   b: 1\n", []string{`7:4: invalid YAML: did not find expected key`}},
		{"yaml syntax: a list item among keys", "", head + "agents:\n  a:\n    code: x\n  - b\n", []string{`7:3: invalid YAML: did not find expected key`}},
		{"yaml syntax: a key inside a value", "", "name: t\ndoc: x\n  y: z\n", []string{`3:4: invalid YAML: mapping values are not allowed in this context`}},
		{"yaml syntax: an unclosed quote", "", "name: t\ndoc: \"abc\nagents: {}\n", []string{`2:6: invalid YAML: found unexpected end of stream`}},
		{"yaml syntax in the second document", "", "name: t\n---\nname: [\n", []string{`4:1: invalid YAML: did not find expected node content`}},
		{"NUL byte", "", "name: t\ndoc: a\x00b\n", []string{`2:7: the army file holds a NUL byte: it must be text`}},
		{"NUL byte after a CRLF line and a BOM", "", "\ufeffname: t\r\ndoc: \x00\r\n", []string{`2:6: the army file holds a NUL byte: it must be text`}},
		{"invalid UTF-8", "", "name: t\ndoc: caf\u00e9\nx: caf\xe9\n", []string{`3:7: the army file is not UTF-8 text (byte 0xe9): save it as UTF-8`}},
		{"control character", "", "name: t\ndoc: \u00e9\x1b\n", []string{`2:7: the army file holds the control character U+001B, which YAML does not allow (in a double-quoted string, write it as "\u001B")`}},
		{"empty file", "", "", []string{`1:1: the army file is empty`}},
		{"only a comment", "", "# nothing here\n", []string{`1:1: the army file is empty`}},
		{"not a mapping", "", "- a\n- b\n", []string{`1:1: want a mapping of name, doc, capabilities, agents or channels, got a list`}},
		{"two documents", "", head + "---\nname: u\n", []string{`4:1: more than one YAML document: an army file holds one army`}},
		{"unknown anchor", "", "name: *nope\n", []string{`1:7: invalid YAML: unknown anchor 'nope' referenced`}},
		{"unknown top-level field with a suggestion", "", head + "agnets: {}\n", []string{`4:1: agnets: unknown field "agnets" (did you mean "agents"?)`}},
		{"unknown top-level field", "", head + "colour: blue\n", []string{`4:1: colour: unknown field "colour" (want name, doc, capabilities, agents or channels)`}},
		{"name of the wrong type", "", "name: 12\n", []string{`1:1: name: want a string, got an integer (quote it to make it one: "12")`}},
		{"name is a list", "", "name: [a]\n", []string{`1:1: name: want a string, got a list`}},
		{"missing name", "", "doc: nameless\n", []string{`1:1: name: missing: give the army a name`}},
		{"duplicate key", "", "name: t\nname: u\n", []string{`2:1: name: duplicate key "name" (first at line 1)`}},
		{"merge key", "", "name: t\ncapabilities:\n  out:\n    <<: {kind: report}\n", []string{`4:5: capabilities.out: merge keys (<<) are not supported: write the fields out`}},
		{"capabilities is a list", "", "name: t\ncapabilities: [a, b]\n", []string{`2:1: capabilities: want a mapping of capability names to capabilities, got a list`}},
		{"capability is nothing", "", "name: t\ncapabilities:\n  out:\n", []string{`3:3: capabilities.out: no kind: write out: {kind: KIND}`}},
		{"capability is a string", "", "name: t\ncapabilities:\n  out: report\n", []string{`3:3: capabilities.out: want a mapping of kind, props and secrets, got a string (write out: {kind: report})`}},
		{"unknown capability field", "", head + "  box:\n    knd: mail\n", []string{`5:5: capabilities.box.knd: unknown field "knd" (did you mean "kind"?)`}},
		{"missing kind", "", "name: t\ncapabilities:\n  box: {props: {maildir: ./m}}\n", []string{`3:3: capabilities.box.kind: missing: say which kind of capability this is (channel, folder, http, kv, llm, mail, mcp, openapi or report)`}},
		{"unknown kind with a suggestion", "", "name: t\ncapabilities:\n  box: {kind: mial}\n", []string{`3:9: capabilities.box.kind: unknown capability kind "mial" (did you mean "mail"?)`}},
		{"unknown kind", "", "name: t\ncapabilities:\n  box: {kind: telepathy}\n", []string{`3:9: capabilities.box.kind: unknown capability kind "telepathy" (kinds: channel, folder, http, kv, llm, mail, mcp, openapi, report)`}},
		{"unknown prop", "", "name: t\ncapabilities:\n  box:\n    kind: mail\n    props:\n      maildir: ./m\n      ownr: me@example.com\n", []string{`7:7: capabilities.box.props.ownr: kind mail has no prop "ownr" (did you mean "owner"?)`}},
		{"unknown prop without a near name", "", "name: t\ncapabilities:\n  notes:\n    kind: kv\n    props: {namespace: n, colour: blue}\n", []string{`5:27: capabilities.notes.props.colour: kind kv has no prop "colour" (its props: namespace, max_key_bytes, max_value_bytes)`}},
		{"prop of the wrong type", "", "name: t\ncapabilities:\n  box:\n    kind: mail\n    props: {maildir: ./m, smtp_port: \"587\"}\n", []string{`5:27: capabilities.box.props.smtp_port: want an integer, got a string`}},
		{"prop integer given a fraction", "", "name: t\ncapabilities:\n  box:\n    kind: mail\n    props: {maildir: ./m, smtp_port: 1.5}\n", []string{`5:27: capabilities.box.props.smtp_port: want an integer, got the number 1.5`}},
		{"nested prop of the wrong type", "", "name: t\ncapabilities:\n  api:\n    kind: http\n    props:\n      origins: [https://example.com]\n      auth: {type: 3}\n", []string{`7:14: capabilities.api.props.auth.type: want a string, got a number`}},
		{"nested unknown prop", "", "name: t\ncapabilities:\n  api:\n    kind: http\n    props:\n      origins: [https://example.com]\n      auth: {type: bearer, colour: red}\n", []string{`7:28: capabilities.api.props.auth.colour: unknown field "colour"`}},
		{"nested prop matched without regard to case", "", "name: t\ncapabilities:\n  api:\n    kind: http\n    props:\n      origins: [https://example.com]\n      auth: {Type: 3}\n", []string{`7:7: capabilities.api.props.auth.type: want a string, got a number`}},
		{"missing required prop", "", "name: t\ncapabilities:\n  box:\n    kind: mail\n    props: {owner: me@example.com}\n", []string{`5:5: capabilities.box.props.maildir: maildir is required, or imap_host: the path of a Maildir folder, or an IMAP server`}},
		{"missing props", "", "name: t\ncapabilities:\n  box: {kind: mail}\n", []string{`3:3: capabilities.box.props.maildir: maildir is required, or imap_host: the path of a Maildir folder, or an IMAP server`}},
		{"props the kinds refuse, all at once", "", "name: t\ncapabilities:\n  api:\n    kind: http\n    props:\n      origins: [https://api.example.com, ftp://files.example.com, http://127.0.0.1:8080]\n      max_redirects: -1\n      timeout: soon\n      auth: {type: basic}\n  notes: {kind: kv, props: {namespace: \"\"}}\n  model:\n    kind: llm\n    props: {base_url: ftp://models.example/v1, model: x, temperature: 3}\n  box:\n    kind: mail\n    props: {maildir: ./m, smtp_port: 70000, smtp_user: me}\n  out: {kind: report, props: {max_bytes: -5}}\n", []string{
			`6:42: capabilities.api.props.origins[1]: "ftp://files.example.com": the scheme must be http or https`,
			`6:67: capabilities.api.props.origins[2]: http://127.0.0.1:8080 is a loopback address; set allow_private_network to reach it`,
			`7:7: capabilities.api.props.max_redirects: -1 is not between 0 and 20`,
			`8:7: capabilities.api.props.timeout: "soon" is not a duration like "30s"`,
			`9:14: capabilities.api.props.auth.type: "basic" is not one of bearer, header, query`,
			`10:29: capabilities.notes.props.namespace: namespace is required`,
			`13:13: capabilities.model.props.base_url: base_url "ftp://models.example/v1": want an http or https URL`,
			`13:58: capabilities.model.props.temperature: temperature 3: want 0 to 2`,
			`16:27: capabilities.box.props.smtp_port: smtp_port 70000 is out of range (1 to 65535, or 0 for the default)`,
			`16:45: capabilities.box.props.smtp_user: smtp_user is set but smtp_host is not`,
			`17:31: capabilities.out.props.max_bytes: max_bytes is -5, want 1 to 16777216 (or 0 for the default 65536)`,
		}},
		{"props that need a secret slot", "", "name: t\ncapabilities:\n  api:\n    kind: http\n    props: {origins: [https://api.example.com], auth: {type: bearer}}\n", []string{
			`5:49: capabilities.api.props.auth: auth is set (type bearer) but no "credential" secret is given: name the secret holding the token in the capability's secrets`,
		}},
		{"props not a mapping", "", "name: t\ncapabilities:\n  box:\n    kind: mail\n    props: [maildir]\n", []string{`5:5: capabilities.box.props: want a mapping of props, got a list`}},
		{"props infinity", "", "name: t\ncapabilities:\n  m:\n    kind: llm\n    props: {base_url: http://127.0.0.1/v1, model: x, temperature: .inf}\n", []string{`5:54: capabilities.m.props.temperature: .inf is not a number props can hold (no infinities or NaN)`}},
		{"props binary", "", "name: t\ncapabilities:\n  notes:\n    kind: kv\n    props: {namespace: !!binary aGk=}\n", []string{`5:13: capabilities.notes.props.namespace: props cannot hold binary data`}},
		{"props alias cycle", "", "name: t\ncapabilities:\n  notes:\n    kind: kv\n    props: {namespace: n, max_key_bytes: &x [*x]}\n", []string{`5:27: capabilities.notes.props.max_key_bytes: props nest more than 64 deep (an alias that contains itself?)`}},
		{"props billion laughs", "", "name: t\ncapabilities:\n  notes:\n    kind: kv\n    props:\n      namespace: n\n      max_key_bytes: &a9 [&a8 [&a7 [&a6 [&a5 [&a4 [&a3 [&a2 [&a1 [&a0 [x, x, x, x, x, x, x, x, x, x], *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0], *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1], *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2], *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3], *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4], *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5], *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6], *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7], *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]\n", []string{`the army file is too complex (aliases that expand too far?)`}},
		{"unknown secret slot", "", "name: t\ncapabilities:\n  m:\n    kind: llm\n    props: {base_url: http://127.0.0.1/v1, model: x}\n    secrets: {apikey: k}\n", []string{`6:15: capabilities.m.secrets.apikey: kind llm has no secret slot "apikey" (did you mean "api_key"?)`}},
		{"secret slot of a kind without slots", "", head + "  notes:\n    kind: kv\n    props: {namespace: n}\n    secrets: {password: pw}\n", []string{`7:15: capabilities.notes.secrets.password: kind kv has no secret slots`}},
		{"invalid secret name", "", "name: t\ncapabilities:\n  m:\n    kind: llm\n    props: {base_url: http://127.0.0.1/v1, model: x}\n    secrets: {api_key: my key}\n", []string{`6:15: capabilities.m.secrets.api_key: invalid secret name "my key": use 1 to 128 letters, digits, '.', '_' and '-'`}},
		{"secret name not a string", "", "name: t\ncapabilities:\n  m:\n    kind: llm\n    props: {base_url: http://127.0.0.1/v1, model: x}\n    secrets: {api_key: 42}\n", []string{`6:15: capabilities.m.secrets.api_key: want a string, got an integer (quote it to make it one: "42")`}},
		{"invalid capability name", "", "name: t\ncapabilities:\n  Out: {kind: report}\n", []string{`3:3: capabilities.Out: invalid capability name "Out": use 1 to 64 lowercase letters, digits and -, beginning with a letter`}},
		{"duplicate capability", "", "name: t\ncapabilities:\n  out: {kind: report}\n  out: {kind: report}\n", []string{`4:3: capabilities.out: duplicate capability "out" (first at line 3)`}},
		{"duplicate agent", "", head + "agents:\n  a:\n    code: export default {}\n  a:\n    code: export default {}\n", []string{`7:3: agents.a: duplicate agent "a" (first at line 5)`}},
		{"invalid agent name", "", head + "agents:\n  1st:\n    code: export default {}\n", []string{`5:3: agents.1st: invalid agent name "1st": use 1 to 64 lowercase letters, digits and -, beginning with a letter`}},
		{"instructions and code", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    instructions: reply kindly\n    model: m\n    code: export default {}\n", []string{`9:5: agents.a.code: give code or instructions, not both: a model writes an instructions agent's code`}},
		{"instructions without a model", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    instructions: reply kindly\n", []string{`6:3: agents.a.model: missing: name the llm capability that writes this agent's code (model: CAPABILITY) (llm capabilities: m)`}},
		{"instructions with a model that is not an llm", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    instructions: reply kindly\n    model: out\n", []string{`8:5: agents.a.model: capability "out" is of kind report; the model must be an llm capability (llm capabilities: m)`}},
		{"instructions with an unknown model", "", head + "agents:\n  a:\n    instructions: reply kindly\n    model: gpt\n", []string{`7:5: agents.a.model: no capability named "gpt" (the army has no llm capability: add one)`}},
		{"instructions with a bad mode and attempts", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    instructions: reply kindly\n    model: m\n    mode: sometimes\n    attempts: 11\n", []string{
			`9:5: agents.a.mode: mode "sometimes": want plan (the model writes the code once, never seeing the data) or per-call (it sees each input and writes code for it)`,
			`10:5: agents.a.attempts: attempts is 11, want 1 to 10 (or leave it out for 3)`,
		}},
		{"attempts not a number", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    instructions: reply kindly\n    model: m\n    attempts: many\n", []string{`9:5: agents.a.attempts: want a whole number of attempts from 1 to 10, got a string`}},
		{"a model for code", "", head + "  m: {kind: llm, props: {base_url: http://127.0.0.1:1/v1, model: x}}\nagents:\n  a:\n    code: export default {}\n    model: m\n", []string{`8:5: agents.a.model: model belongs to an instructions agent: give instructions instead of code, or remove model`}},
		{"agent is nothing", "", head + "agents:\n  a:\n", []string{`5:3: agents.a: no code: an agent needs at least code, or instructions and a model`}},
		{"unknown agent field", "", head + "agents:\n  a:\n    tigger: manual\n    code: export default {}\n", []string{`6:5: agents.a.tigger: unknown field "tigger" (did you mean "triggers"?)`}},
		{"no code", "", head + "agents:\n  a:\n    triggers: [manual]\n", []string{`5:3: agents.a.code: no code: write the module inline (code: |) or give its file (code: ./agents/a.ts), or give instructions and a model for a model to write it`}},
		{"binding to a missing capability", "", head + "agents:\n  a:\n    bindings: {report: uot}\n    code: export default {}\n", []string{`6:16: agents.a.bindings.report: no capability named "uot" (did you mean "out"?)`}},
		{"binding not a string", "", head + "agents:\n  a:\n    bindings: {report: [out]}\n    code: export default {}\n", []string{`6:16: agents.a.bindings.report: want a string, got a list`}},
		{"env name not an identifier", "", head + "agents:\n  a:\n    bindings: {my-report: out}\n    code: export default {}\n", []string{`6:16: agents.a.bindings.my-report: env name "my-report" is not a JavaScript identifier: use 1 to 64 letters, digits, _ and $, not beginning with a digit`}},
		{"env name reserved", "", head + "agents:\n  a:\n    bindings: {then: out}\n    code: export default {}\n", []string{`6:16: agents.a.bindings.then: env name "then" is reserved: it would make env look like a Promise to await`}},
		{"env name shadows Object.prototype", "", head + "agents:\n  a:\n    bindings: {constructor: out}\n    code: export default {}\n", []string{`6:16: agents.a.bindings.constructor: env name "constructor" is reserved: it would shadow Object.prototype.constructor`}},
		{"duplicate env name in bindings", "", head + "agents:\n  a:\n    bindings:\n      report: out\n      report: out\n    code: export default {}\n", []string{`8:7: agents.a.bindings.report: duplicate env name "report" (first at line 7)`}},
		{"duplicate env name across a binding and a channel", "", head + "agents:\n  a:\n    bindings: {report: out}\n    code: export default {}\n  b:\n    triggers: [message]\n    code: export default {}\nchannels:\n  - {from: a, env: report, to: b}\n", []string{`12:15: channels[0].env: duplicate env name "report" in agent "a" (first at line 6)`}},
		{"channel with a missing sender", "", head + "agents:\n  b:\n    triggers: [message]\n    code: export default {}\nchannels:\n  - {from: a, env: note, to: b}\n", []string{`9:6: channels[0].from: no agent named "a" (agents: b)`}},
		{"channel to a missing agent", "", head + "agents:\n  summarizer:\n    code: export default {}\nchannels:\n  - {from: summarizer, env: note, to: sumarizer}\n", []string{`8:35: channels[0].to: no agent named "sumarizer" (did you mean "summarizer"?)`}},
		{"channel with missing fields", "", head + "agents:\n  a:\n    code: export default {}\nchannels:\n  - {from: a}\n", []string{
			`8:5: channels[0].env: missing: give an env name`,
			`8:5: channels[0].to: missing: name the receiving agent`,
		}},
		{"channel not a mapping", "", head + "channels:\n  - a -> b\n", []string{`5:5: channels[0]: want a channel {from: AGENT, env: NAME, to: AGENT}, got a string`}},
		{"channels not a list", "", head + "channels: {from: a}\n", []string{`4:1: channels: want a list of channels ({from: AGENT, env: NAME, to: AGENT}), got a mapping`}},
		{"unknown channel field", "", head + "agents:\n  a:\n    code: export default {}\n  b:\n    triggers: [message]\n    code: export default {}\nchannels:\n  - {from: a, env: note, to: b, via: c}\n", []string{`11:33: channels[0].via: unknown field "via" (want from, env or to)`}},
		{"channel to a template", "", "name: t\ncapabilities:\n  box: {kind: mail, props: {maildir: ./m}}\nagents:\n  a:\n    code: export default {}\n  t:\n    template: {each: box, as: thread}\n    triggers: [item, message]\n    code: export default {}\nchannels:\n  - {from: a, env: note, to: t}\n", []string{`12:26: channels[0].to: agent "t" is a template: a channel cannot choose one of its instances to deliver to`}},
		{"channel capability bound by an agent that does not send on it", "", "name: t\ncapabilities:\n  pipe: {kind: channel, props: {to: c}}\nagents:\n  a:\n    bindings: {out: pipe}\n    code: export default {}\n  b:\n    bindings: {out: pipe}\n    code: export default {}\n  c:\n    triggers: [message]\n    code: export default {}\n", []string{`9:16: agents.b.bindings.out: capability "pipe" is a channel owned by agent "a", its sender (bound at line 6): only its owner may bind it (give agent "b" a channel of its own)`}},
		{"channel capability to a missing agent", "", "name: t\ncapabilities:\n  pipe: {kind: channel, props: {to: nobody}}\nagents:\n  a:\n    bindings: {out: pipe}\n    code: export default {}\n", []string{`3:33: capabilities.pipe.props.to: no agent named "nobody" (agents: a)`}},
		{"template of a missing capability", "", head + "agents:\n  t:\n    template: {each: mailbox, as: thread}\n    code: export default {}\n", []string{`6:16: agents.t.template.each: no capability named "mailbox" (capabilities: out)`}},
		{"template of a capability that does not enumerate", "", head + "agents:\n  t:\n    template: {each: out, as: thread}\n    code: export default {}\n", []string{`6:16: agents.t.template.each: capability "out" is of kind report, which does not enumerate items (kinds that do: mail)`}},
		{"template without as", "", "name: t\ncapabilities:\n  box: {kind: mail, props: {maildir: ./m}}\nagents:\n  t:\n    template: {each: box}\n    code: export default {}\n", []string{`6:5: agents.t.template.as: missing: name the env entry each instance's own item is bound to`}},
		{"template unknown field", "", "name: t\ncapabilities:\n  box: {kind: mail, props: {maildir: ./m}}\nagents:\n  t:\n    template: {each: box, as: thread, per: item}\n    code: export default {}\n", []string{`6:39: agents.t.template.per: unknown field "per" (want each or as)`}},
		{"template is nothing", "", head + "agents:\n  t:\n    template:\n    code: export default {}\n", []string{`6:5: agents.t.template: want {each: CAPABILITY, as: NAME}, got nothing`}},
		{"template as clashes with a binding", "", "name: t\ncapabilities:\n  box: {kind: mail, props: {maildir: ./m}}\nagents:\n  t:\n    template: {each: box, as: thread}\n    bindings: {thread: box}\n    code: export default {}\n", []string{`7:16: agents.t.bindings.thread: duplicate env name "thread" in agent "t" (first at line 6)`}},
		{"unknown trigger", "", head + "agents:\n  a:\n    triggers: [manual, daily]\n    code: export default {}\n", []string{`6:24: agents.a.triggers[1]: unknown trigger "daily" (want manual, message, every DURATION or item)`}},
		{"trigger with a suggestion", "", head + "agents:\n  a:\n    triggers: manul\n    code: export default {}\n", []string{`6:5: agents.a.triggers[0]: unknown trigger "manul" (did you mean "manual"?)`}},
		{"trigger not a string", "", head + "agents:\n  a:\n    triggers: [{every: 1h}]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: want a trigger (manual, message, every DURATION, item), got a mapping`}},
		{"every too often", "", head + "agents:\n  a:\n    triggers: [every 500ms]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: "every 500ms" is too often: the shortest period is 1s`}},
		{"every in days", "", head + "agents:\n  a:\n    triggers: [every 1d]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: trigger "every 1d": the period "1d" is not a Go duration: write days in hours (every 24h)`}},
		{"every without a period", "", head + "agents:\n  a:\n    triggers: [every]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: trigger "every" needs a period, as in "every 10m"`}},
		{"duplicate trigger", "", head + "agents:\n  a:\n    triggers: [manual, every 1h, manual]\n    code: export default {}\n", []string{`6:34: agents.a.triggers[2]: duplicate trigger "manual"`}},
		{"item trigger on an agent", "", head + "agents:\n  a:\n    triggers: [item]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: the item trigger is for templates only (template: {each: CAPABILITY, as: NAME})`}},
		{"message trigger without a channel", "", head + "agents:\n  a:\n    triggers: [message]\n    code: export default {}\n", []string{`6:16: agents.a.triggers[0]: no channel comes to agent "a", so the message trigger would never fire`}},
		{"channel to an agent without a message trigger", "", head + "agents:\n  a:\n    code: export default {}\n  b:\n    triggers: [manual]\n    code: export default {}\nchannels:\n  - {from: a, env: note, to: b}\n", []string{`8:5: agents.b.triggers: agent "b" receives messages (from "a") but has no message trigger: add message to its triggers`}},
		{"unknown limit", "", head + "agents:\n  a:\n    limits: {max_memory: 10}\n    code: export default {}\n", []string{`6:14: agents.a.limits.max_memory: unknown field "max_memory" (want deadline, max_stack_depth, max_timers, max_pending_calls, max_console_bytes, max_value_bytes or concurrency)`}},
		{"negative limit", "", head + "agents:\n  a:\n    limits: {max_timers: -1}\n    code: export default {}\n", []string{`6:14: agents.a.limits.max_timers: must not be negative`}},
		{"limit not a number", "", head + "agents:\n  a:\n    limits: {max_timers: many}\n    code: export default {}\n", []string{`6:14: agents.a.limits.max_timers: want a whole number from 0 to 2147483647, got a string`}},
		{"limit too large", "", head + "agents:\n  a:\n    limits: {max_value_bytes: 99999999999}\n    code: export default {}\n", []string{`6:14: agents.a.limits.max_value_bytes: want a whole number from 0 to 2147483647, got 99999999999`}},
		{"deadline not a duration", "", head + "agents:\n  a:\n    limits: {deadline: 10}\n    code: export default {}\n", []string{`6:14: agents.a.limits.deadline: want a string, got an integer (quote it to make it one: "10")`}},
		{"deadline malformed", "", head + "agents:\n  a:\n    limits: {deadline: soon}\n    code: export default {}\n", []string{`6:14: agents.a.limits.deadline: "soon" is not a Go duration such as 10s or 2m`}},
		{"negative deadline", "", head + "agents:\n  a:\n    limits: {deadline: -1s}\n    code: export default {}\n", []string{`6:14: agents.a.limits.deadline: must not be negative`}},
		{"code file outside the folder", "", head + "agents:\n  a:\n    code: ./agents/../../a.ts\n", []string{`6:5: agents.a.code: code file ./agents/../../a.ts is outside the army's folder`}},
		{"code file absolute", "", head + "agents:\n  a:\n    code: /etc/a.ts\n", []string{`6:5: agents.a.code: code file "/etc/a.ts" is an absolute path: give it relative to the army's folder, as ./a.ts`}},
		{"code looks like a path", "", head + "agents:\n  a:\n    code: agents/a.ts\n", []string{`6:5: agents.a.code: code "agents/a.ts" looks like a file path: begin it with ./ (inline code goes in a block: code: |)`}},
		{"code file without a folder", "", head + "agents:\n  a:\n    code: ./agents/a.ts\n", []string{`6:5: agents.a.code: code file ./agents/a.ts: the army has no folder to read it from (inline the code instead)`}},
		{"code not a string", "", head + "agents:\n  a:\n    code: {file: a.ts}\n", []string{`6:5: agents.a.code: want a string, got a mapping`}},
		{"inline code that looks like a path", "", head + "agents:\n  a:\n    code: |-\n      ./agents/a.ts\n", []string{`6:5: agents.a.code: inline code "./agents/a.ts" looks like a file path: write it as a plain value (code: ./agents/a.ts), not a block`}},
		{"inline code too large", "", head + "agents:\n  a:\n    code: \"" + strings.Repeat("x", MaxCodeBytes+1) + "\"\n", []string{`6:5: agents.a.code: the code is 1048577 bytes, more than the limit of 1048576 (1 MiB)`}},
		{"code file missing", dir, head + "agents:\n  a:\n    code: ./agents/b.ts\n", []string{`6:5: agents.a.code: code file ./agents/b.ts: no such file (a code path is relative to the army file's folder)`}},
		{"code file too large", dir, head + "agents:\n  a:\n    code: ./big.ts\n", []string{`6:5: agents.a.code: code file ./big.ts: 1048577 bytes, more than the limit of 1048576 (1 MiB)`}},
		{"code file empty", dir, head + "agents:\n  a:\n    code: ./empty.ts\n", []string{`6:5: agents.a.code: code file ./empty.ts is empty`}},
		{"code file not UTF-8", dir, head + "agents:\n  a:\n    code: ./latin1.ts\n", []string{`6:5: agents.a.code: code file ./latin1.ts: not UTF-8 text`}},
		{"code file is a folder", dir, head + "agents:\n  a:\n    code: ./folder.ts\n", []string{`6:5: agents.a.code: code file ./folder.ts: a folder, not a file`}},
		{"code file through a symlink out of the folder", dir, head + "agents:\n  a:\n    code: ./link.ts\n", []string{`6:5: agents.a.code: code file ./link.ts: leads outside the army's folder`}},
		{"many problems at once", "", "name: t\ncolour: blue\ncapabilities:\n  box: {kind: mial}\nagents:\n  a:\n    triggers: [mesage]\n    bindings: {x: nope}\n", []string{
			`2:1: colour: unknown field "colour" (want name, doc, capabilities, agents or channels)`,
			`4:9: capabilities.box.kind: unknown capability kind "mial" (did you mean "mail"?)`,
			`6:3: agents.a.code: no code: write the module inline (code: |) or give its file (code: ./agents/a.ts), or give instructions and a model for a model to write it`,
			`7:16: agents.a.triggers[0]: unknown trigger "mesage" (did you mean "message"?)`,
			`8:16: agents.a.bindings.x: no capability named "nope" (capabilities: box)`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse([]byte(c.yaml), c.dir)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, %v; want an *Error", a, err)
			}
			if a != nil {
				t.Errorf("Parse returned an army with its error")
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
