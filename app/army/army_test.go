package army

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"littleboxes/capabilities/captest"
	_ "littleboxes/capabilities/standard"
)

// stripPos returns a copy of a with positions and Dir zeroed, for comparing
// armies read from different bytes.
func stripPos(a *Army) *Army {
	b := *a
	b.Dir = ""
	b.Capabilities = nil
	for _, c := range a.Capabilities {
		c2 := *c
		c2.Pos = Pos{}
		b.Capabilities = append(b.Capabilities, &c2)
	}
	b.Agents = nil
	for _, ag := range a.Agents {
		ag2 := *ag
		ag2.Pos = Pos{}
		ag2.Bindings = nil
		for _, bd := range ag.Bindings {
			bd2 := *bd
			bd2.Pos = Pos{}
			ag2.Bindings = append(ag2.Bindings, &bd2)
		}
		b.Agents = append(b.Agents, &ag2)
	}
	b.Channels = nil
	for _, ch := range a.Channels {
		ch2 := *ch
		ch2.Pos = Pos{}
		b.Channels = append(b.Channels, &ch2)
	}
	return &b
}

// roundTrip checks that export → parse gives back an equal army and that
// export is stable, and returns the export.
func roundTrip(t testing.TB, a *Army) []byte {
	t.Helper()
	out, err := a.Export()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	b, err := Parse(out, a.Dir)
	if err != nil {
		t.Fatalf("parse of the export: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(stripPos(a), stripPos(b)) {
		t.Fatalf("round trip changed the army:\n%s", out)
	}
	again, err := b.Export()
	if err != nil {
		t.Fatalf("second export: %v", err)
	}
	if string(again) != string(out) {
		t.Fatalf("export is not stable:\n%s\n----\n%s", out, again)
	}
	return out
}

func TestLoad(t *testing.T) {
	a, err := Load("testdata/inbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata")
	if a.Dir != abs {
		t.Errorf("Dir = %q, want %q", a.Dir, abs)
	}
	if a.Name != "inbox" || len(a.Capabilities) != 2 || len(a.Agents) != 2 || len(a.Channels) != 1 {
		t.Fatalf("army = %+v", a)
	}
	box := a.Capability("mailbox")
	if box == nil || box.Kind != "mail" || box.Props["maildir"] != "./maildir" || box.Pos != (Pos{5, 3}) {
		t.Errorf("mailbox = %+v", box)
	}
	triage := a.Agent("triage")
	code, _ := os.ReadFile("testdata/agents/triage.ts")
	if triage.CodePath != "agents/triage.ts" || triage.Code != string(code) {
		t.Errorf("triage code = %q from %q", triage.Code, triage.CodePath)
	}
	if *triage.Template != (Template{Each: "mailbox", As: "thread"}) || !reflect.DeepEqual(triage.Triggers, []Trigger{{Kind: TriggerItem}}) {
		t.Errorf("triage = %+v", triage)
	}
	sum := a.Agent("summarizer")
	if sum.CodePath != "" || !strings.HasPrefix(sum.Code, "export default {\n") || sum.Pos != (Pos{15, 3}) {
		t.Errorf("summarizer = %+v", sum)
	}
	if want := []Trigger{{Kind: TriggerMessage}, {Kind: TriggerEvery, Every: time.Hour}}; !reflect.DeepEqual(sum.Triggers, want) {
		t.Errorf("triggers = %v, want %v", sum.Triggers, want)
	}
	if sum.Limits != (Limits{Deadline: 10 * time.Second, MaxTimers: 4}) {
		t.Errorf("limits = %+v", sum.Limits)
	}
	if len(sum.Bindings) != 1 || *sum.Bindings[0] != (Binding{Env: "report", Capability: "owner-report", Pos: Pos{18, 17}}) {
		t.Errorf("bindings = %+v", sum.Bindings[0])
	}
	if *a.Channels[0] != (Channel{From: "triage", Env: "summary", To: "summarizer", Pos: Pos{25, 5}}) {
		t.Errorf("channel = %+v", a.Channels[0])
	}
	if got := a.ResolvedProps(box)["maildir"]; got != filepath.Join(abs, "maildir") {
		t.Errorf("resolved maildir = %v", got)
	}
}

func TestLoadCodeFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "agents", "a.ts"), "export default { async run() { return 1 } }\n")
	mustWrite(t, filepath.Join(dir, "b.js"), "export default {}\n")
	mustWrite(t, filepath.Join(dir, "army.yaml"), `name: files
agents:
  a:
    triggers: [manual]
    code: ./agents/a.ts
  b:
    triggers: [manual]
    code: "./agents/../b.js"
`)
	a, err := Load(filepath.Join(dir, "army.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if ag := a.Agent("a"); ag.CodePath != "agents/a.ts" || !strings.Contains(ag.Code, "return 1") {
		t.Errorf("a = %+v", ag)
	}
	if ag := a.Agent("b"); ag.CodePath != "b.js" || ag.Code != "export default {}\n" {
		t.Errorf("b = %+v", ag)
	}
	out := roundTrip(t, a)
	if !strings.Contains(string(out), "code: ./agents/a.ts\n") || !strings.Contains(string(out), "code: ./b.js\n") {
		t.Errorf("export does not keep the paths:\n%s", out)
	}

	// A problem names the file.
	mustWrite(t, filepath.Join(dir, "bad.yaml"), "name: bad\nagents:\n  a:\n    code: ./missing.ts\n")
	_, err = Load(filepath.Join(dir, "bad.yaml"))
	want := filepath.Join(dir, "bad.yaml") + ":4:5: agents.a.code: code file ./missing.ts: no such file (a code path is relative to the army file's folder)"
	if err == nil || err.Error() != want {
		t.Errorf("Load = %v\nwant %s", err, want)
	}
	// A missing army file is a plain error.
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil || errors.As(err, new(*Error)) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v", err)
	}
}

// TestDraft: Load and LoadDraft agree on armies that read, and differ on
// one that reads but does not validate: the draft comes back with its
// problems, named by the file, where Load returns no army. A file that does
// not read gives no draft, and only the problems of reading.
func TestDraft(t *testing.T) {
	const noCode = ":3:3: agents.a.code: no code: write the module inline (code: |) or give its file (code: ./agents/a.ts), or give instructions and a model for a model to write it"
	const bogus = `:2:1: bogus: unknown field "bogus" (want name, doc, capabilities, agents or channels)`
	cases := []struct {
		name, src string
		loadErr   string // Load's error after the file name; "" for none (and an army)
		draftErr  string // LoadDraft's, likewise
		draftArmy bool   // LoadDraft returns an army
	}{
		{"valid", "name: x\nagents:\n  a:\n    code: export default {}\n", "", "", true},
		{"no code yet", "name: x\nagents:\n  a:\n    triggers: [manual]\n", noCode, noCode, true},
		{"unknown field", "name: x\nbogus: 1\nagents:\n  a:\n    triggers: [manual]\n", bogus + "\n%s" + strings.Replace(noCode, ":3:", ":4:", 1), bogus, false},
		{"bad yaml", "name: [\n", ":2:1: invalid YAML: did not find expected node content", ":2:1: invalid YAML: did not find expected node content", false},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			mustWrite(t, path, c.src)
			for _, load := range []struct {
				name    string
				fn      func(string) (*Army, error)
				wantErr string
				army    bool
			}{
				{"Load", Load, c.loadErr, c.loadErr == ""},
				{"LoadDraft", LoadDraft, c.draftErr, c.draftArmy},
			} {
				a, err := load.fn(path)
				if got := a != nil; got != load.army {
					t.Errorf("%s returned an army: %v, want %v", load.name, got, load.army)
				}
				want := "<nil>"
				if load.wantErr != "" {
					want = path + strings.ReplaceAll(load.wantErr, "%s", path)
					if !errors.As(err, new(*Error)) {
						t.Errorf("%s error %T is not an *Error", load.name, err)
					}
				}
				if fmt.Sprint(err) != want {
					t.Errorf("%s = %v\nwant %s", load.name, err, want)
				}
			}
		})
	}
}

func TestLoadMalformed(t *testing.T) {
	_, err := Load("testdata/malformed.yaml")
	want := strings.TrimSpace(`
testdata/malformed.yaml:5:5: capabilities.mailbox.kind: unknown capability kind "mial" (did you mean "mail"?)
testdata/malformed.yaml:8:14: capabilities.owner-report.props.max_bytes: want an integer, got a string
testdata/malformed.yaml:8:31: capabilities.owner-report.props.colour: kind report has no prop "colour" (its props: max_bytes)
testdata/malformed.yaml:12:17: agents.triage.template.each: capability "owner-report" is of kind report, which does not enumerate items (kinds that do: mail)
testdata/malformed.yaml:13:22: agents.triage.triggers[1]: "every 100ms" is too often: the shortest period is 1s
testdata/malformed.yaml:13:35: agents.triage.triggers[2]: unknown trigger "mesage" (did you mean "message"?)
testdata/malformed.yaml:14:5: agents.triage.tigger: unknown field "tigger" (did you mean "triggers"?)
testdata/malformed.yaml:15:17: agents.triage.bindings.report: no capability named "owner-reprot" (did you mean "owner-report"?)
testdata/malformed.yaml:15:39: agents.triage.bindings.thread: duplicate env name "thread" in agent "triage" (first at line 12)
testdata/malformed.yaml:16:5: agents.triage.code: code file ../outside.ts is outside the army's folder
testdata/malformed.yaml:17:3: agents.Summarizer: invalid agent name "Summarizer": use 1 to 64 lowercase letters, digits and -, beginning with a letter
testdata/malformed.yaml:25:17: agents.reader.bindings.out: capability "pipe" is a channel owned by agent "writer", its sender (bound at line 21): only its owner may bind it (give agent "reader" a channel of its own)
testdata/malformed.yaml:28:35: channels[0].to: no agent named "summariser" (did you mean "Summarizer"?)
testdata/malformed.yaml:29:21: channels[1].env: duplicate env name "report" in agent "triage" (first at line 15)
testdata/malformed.yaml:29:34: channels[1].to: agent "triage" is a template: a channel cannot choose one of its instances to deliver to`)
	if err == nil || err.Error() != want {
		t.Errorf("Load:\n%v\nwant:\n%s", err, want)
	}
}

// TestExport checks the testdata armies round-trip, and that their exports
// match the golden files (go test -update rewrites them).
func TestExport(t *testing.T) {
	for _, name := range []string{"inbox", "research", "instructed"} {
		t.Run(name, func(t *testing.T) {
			a, err := Load("testdata/" + name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			out := roundTrip(t, a)
			captest.Golden(t, "testdata/"+name+".export.yaml", out)
		})
	}
}

// TestRoundTripValues checks that props keep their values and types, and
// that odd strings survive.
func TestRoundTripValues(t *testing.T) {
	src := `name: "values: all of them"
doc: "  leading spaces, a tab\t and trailing spaces  \nsecond line\n\n"
capabilities:
  api:
    kind: http
    props:
      origins: ["https://api.example.com", "https://b.example.com:8443"]
      methods: []
      label: "public"
      max_response_bytes: 1_000
      max_request_bytes: 0x10
      max_redirects: 0
      allow_private_network: false
      auth: {type: header, name: "X-Key"}
    secrets: {credential: api.key}
  model:
    kind: llm
    props:
      base_url: http://127.0.0.1:11434/v1
      model: "123"
      temperature: 1.0
      max_tokens: 1e3
      trusted: true
      timeout: 90s
    secrets: {api_key: local.key_1}
  notes: {kind: kv, props: {namespace: "null"}}
  dates: {kind: kv, props: {namespace: 2001-12-14}}
agents:
  a:
    doc: "ends without a newline"
    triggers: [manual, every 90m, every 36h]
    limits: {deadline: 1m30s, max_stack_depth: 100, max_timers: 1, max_pending_calls: 2, max_console_bytes: 3, max_value_bytes: 4}
    bindings: {api: api, llm: model, $notes: notes, _x: notes}
    code: "export default {}\r\n// a comment \u00e9\n\ttabbed\n  \n"
  b:
    triggers: [message]
    code: |2
        indented first line
      export default {}
channels:
  - {from: a, env: toB, to: b}
  - {from: a, env: alsoToB, to: b}
`
	a, err := Parse([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	props := a.Capability("model").Props
	want := map[string]any{
		"base_url": "http://127.0.0.1:11434/v1", "model": "123", "temperature": 1.0,
		"max_tokens": 1000.0, "trusted": true, "timeout": "90s",
	}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("props = %#v\nwant %#v", props, want)
	}
	if ns := a.Capability("dates").Props["namespace"]; ns != "2001-12-14" {
		t.Errorf("a timestamp-looking prop = %#v, want the string", ns)
	}
	api := a.Capability("api").Props
	if api["max_response_bytes"] != int64(1000) || api["max_request_bytes"] != int64(16) || !reflect.DeepEqual(api["methods"], []any{}) {
		t.Errorf("api props = %#v", api)
	}
	out := roundTrip(t, a)
	for _, s := range []string{"temperature: 1.0\n", "model: \"123\"\n", "max_tokens: 1000.0\n", "namespace: \"null\"", "every 1h30m", "every 36h", "deadline: 1m30s"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("export lacks %q:\n%s", s, out)
		}
	}
}

// TestRoundTripBuilt round-trips an army built in code, including prop
// types Parse never makes.
func TestRoundTripBuilt(t *testing.T) {
	a := &Army{
		Name: "built",
		Capabilities: []*Capability{
			{Name: "notes", Kind: "kv", Props: map[string]any{"namespace": "n", "max_key_bytes": 64}},
		},
		Agents: []*Agent{{
			Name: "a", Code: "export default {}", Triggers: []Trigger{{Kind: TriggerEvery, Every: 24 * time.Hour}},
			Bindings: []*Binding{{Env: "notes", Capability: "notes"}},
		}},
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := a.Export()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(out, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if b.Agents[0].Code != "export default {}" || b.Capabilities[0].Props["max_key_bytes"] != int64(64) {
		t.Errorf("read back %+v from\n%s", b, out)
	}
	roundTrip(t, b)

	// Unencodable props are an error, not a panic.
	a.Capabilities[0].Props["bad"] = func() {}
	if _, err := a.Export(); err == nil {
		t.Error("Export of a func prop succeeded")
	}
}

func TestValidateBuilt(t *testing.T) {
	a := &Army{
		Name: "built",
		Capabilities: []*Capability{
			{Name: "out", Kind: "report"},
			{Name: "out", Kind: "report"},
			{Name: "pipe", Kind: ChannelKind, Props: map[string]any{"to": "b"}},
		},
		Agents: []*Agent{
			{Name: "a", Code: "export default {}", Bindings: []*Binding{{Env: "send", Capability: "pipe"}}, Pos: Pos{Line: 3}},
			{Name: "b", Code: "export default {}", Triggers: []Trigger{{Kind: TriggerEvery, Every: time.Millisecond}}},
			{Name: "c", CodePath: "../c.ts", Code: "x", Bindings: []*Binding{{Env: "send", Capability: "pipe", Pos: Pos{9, 7}}}},
		},
	}
	want := strings.TrimSpace(`
3: agents.a: duplicate agent "a" (first at line 3)
9:7: agents.c.bindings.send: capability "pipe" is a channel owned by agent "a", its sender: only its owner may bind it (give agent "c" a channel of its own)
capabilities.out: duplicate capability "out"
agents.b.triggers[0]: "every 1ms" is too often: the shortest period is 1s
agents.b.triggers: agent "b" receives messages (from "a" or "c") but has no message trigger: add message to its triggers
agents.c.code: code file "../c.ts" must be a clean relative path inside the army's folder (agents/x.ts)`)
	a.Agents = append(a.Agents, a.Agents[0])
	err := a.Validate()
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
}

func TestEdges(t *testing.T) {
	a, err := Load("testdata/research.yaml")
	if err != nil {
		t.Fatal(err)
	}
	edges := a.Edges()
	if len(edges) != 1 || edges[0].From != "watcher" || edges[0].Env != "writer" || edges[0].To != "writer" || edges[0].Pos.Line == 0 {
		t.Errorf("edges = %+v", edges)
	}
}

func TestResolvedProps(t *testing.T) {
	a := &Army{Dir: filepath.FromSlash("/armies/inbox")}
	c := &Capability{Props: map[string]any{
		"maildir": "./mail", "up": "../shared", "home": "~/Mail", "abs": "/x", "n": int64(3),
		"list": []any{"./a", "b"}, "nested": map[string]any{"p": "./deep"},
	}}
	got := a.ResolvedProps(c)
	want := map[string]any{
		"maildir": filepath.FromSlash("/armies/inbox/mail"), "up": filepath.FromSlash("/armies/shared"),
		"home": "~/Mail", "abs": "/x", "n": int64(3),
		"list": []any{filepath.FromSlash("/armies/inbox/a"), "b"}, "nested": map[string]any{"p": filepath.FromSlash("/armies/inbox/deep")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResolvedProps = %#v\nwant %#v", got, want)
	}
	if c.Props["maildir"] != "./mail" || c.Props["list"].([]any)[0] != "./a" {
		t.Error("ResolvedProps changed the army's props")
	}
	if got := (&Army{}).ResolvedProps(c); !reflect.DeepEqual(got, c.Props) {
		t.Errorf("without Dir: %v", got)
	}
}

func TestTriggers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Trigger
		out  string
	}{
		{"manual", Trigger{Kind: TriggerManual}, "manual"},
		{"message", Trigger{Kind: TriggerMessage}, "message"},
		{"item", Trigger{Kind: TriggerItem}, "item"},
		{"every 1h", Trigger{Kind: TriggerEvery, Every: time.Hour}, "every 1h"},
		{"every  90s", Trigger{Kind: TriggerEvery, Every: 90 * time.Second}, "every 1m30s"},
		{"every 1h0m1s", Trigger{Kind: TriggerEvery, Every: time.Hour + time.Second}, "every 1h0m1s"},
		{"every 2h30m", Trigger{Kind: TriggerEvery, Every: 150 * time.Minute}, "every 2h30m"},
	} {
		got, err := ParseTrigger(c.in)
		if err != nil || got != c.want || got.String() != c.out {
			t.Errorf("ParseTrigger(%q) = %v (%q), %v; want %v (%q)", c.in, got, got.String(), err, c.want, c.out)
		}
	}
}

func TestErrorRendering(t *testing.T) {
	e := &Error{File: "army.yaml", Problems: []Problem{
		{Pos: Pos{12, 5}, Field: "agents.triage.bindings.report", Msg: `no capability named "owner-reprot" (did you mean "owner-report"?)`},
		{Pos: Pos{Line: 3}, Msg: "invalid YAML: oops"},
		{Field: "name", Msg: "missing"},
	}}
	want := `army.yaml:12:5: agents.triage.bindings.report: no capability named "owner-reprot" (did you mean "owner-report"?)
army.yaml:3: invalid YAML: oops
army.yaml: name: missing`
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
	var many Error
	for i := 0; i < maxRendered+5; i++ {
		many.Problems = append(many.Problems, Problem{Msg: "x"})
	}
	if !strings.HasSuffix(many.Error(), "… and 5 more problems") {
		t.Errorf("Error() of many = …%s", many.Error()[len(many.Error())-40:])
	}
}

func TestSuggest(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"owner-reprot", "owner-report"},
		{"mial", "mail"},
		{"tigger", "triggers"},
		{"x", ""},
		{"summarizer", ""}, // itself
		{"completely-different", ""},
	} {
		if got := closest(c.in, []string{"owner-report", "mail", "triggers", "summarizer", "kv"}); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAliases(t *testing.T) {
	a, err := Parse([]byte(`name: aliases
capabilities:
  out: {kind: report}
agents:
  a:
    triggers: &t [manual, every 1h]
    limits: &l {deadline: 5s}
    code: &c export default {}
  b:
    triggers: *t
    limits: *l
    code: *c
`), "")
	if err != nil {
		t.Fatal(err)
	}
	b := a.Agent("b")
	if b.Code != "export default {}" || b.Limits.Deadline != 5*time.Second || len(b.Triggers) != 2 {
		t.Errorf("b = %+v", b)
	}
	roundTrip(t, a)
}

func TestMarshalYAML(t *testing.T) {
	a, err := Load("testdata/research.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := a.Export()
	if err != nil {
		t.Fatal(err)
	}
	got, err := yaml.Marshal(map[string]*Army{"army": a})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ Army yaml.Node }
	if err := yaml.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	again, err := yaml.Marshal(&back.Army)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(again, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, again)
	}
	if !reflect.DeepEqual(stripPos(a), stripPos(b)) {
		t.Errorf("embedded army differs:\n%s\nwant\n%s", again, want)
	}
}
