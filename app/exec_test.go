package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
	"littleboxes/sandbox/cell"

	"go.uber.org/goleak"

	"littleboxes/sandbox"
)

func TestMain(m *testing.M) {
	cell.MaybeServe() // cell-backed runs start cells from this binary
	// go-keyring keeps one D-Bus session connection for the process, with
	// its reader goroutines: not ours to end.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"))
}

// TestAPIExec runs real modules through the in-process sandbox, as the
// window does.
func TestAPIExec(t *testing.T) {
	tests := []struct {
		name   string
		source string
		input  string
		check  func(t *testing.T, r ExecResult)
	}{
		{
			name: "ok",
			source: `export default {
  async run(input: { name: string }, env, ctx) {
    console.log("hi " + input.name);
    return { greeting: "hello " + input.name, n: 1, list: [true, null] };
  },
};`,
			input: `{"name": "ada"}`,
			check: func(t *testing.T, r ExecResult) {
				wantOK(t, r)
				wantJSON(t, r.Value, map[string]any{"greeting": "hello ada", "n": 1.0, "list": []any{true, nil}})
				want := []ConsoleLine{{Level: "log", Text: "hi ada"}}
				if !reflect.DeepEqual(r.Console, want) {
					t.Errorf("console = %+v, want %+v", r.Console, want)
				}
			},
		},
		{
			name:   "undefined is null",
			source: `export default { run() {} }`,
			check: func(t *testing.T, r ExecResult) {
				wantOK(t, r)
				if r.Value != "null" {
					t.Errorf("value = %q, want null", r.Value)
				}
			},
		},
		{
			name:   "compile error with line and column",
			source: "export default {\n  run(input) {\n    return 1 +;\n  },\n};\n",
			check: func(t *testing.T, r ExecResult) {
				e := wantError(t, r, ErrorKindCompile)
				if e.Line != 3 || e.Column != 15 {
					t.Errorf("at %d:%d, want 3:15 (the ';')", e.Line, e.Column)
				}
				if e.Message == "" || strings.HasPrefix(e.Message, "compile") {
					t.Errorf("message = %q, want the bare compiler message", e.Message)
				}
			},
		},
		{
			name: "thrown error",
			source: `export default {
  run(input) {
    console.warn("about to throw");
    throw new TypeError("bad name " + input.name);
  },
};`,
			input: `{"name":"bob"}`,
			check: func(t *testing.T, r ExecResult) {
				e := wantError(t, r, ErrorKindScript)
				if e.Name != "TypeError" || !strings.Contains(e.Message, "bad name bob") {
					t.Errorf("error = %+v, want a TypeError with the message", e)
				}
				if len(r.Console) != 1 || r.Console[0].Level != "warn" {
					t.Errorf("console = %+v, want the warning kept", r.Console)
				}
			},
		},
		{
			name:   "rejected promise",
			source: `export default { async run() { await null; throw new Error("nope"); } }`,
			check: func(t *testing.T, r ExecResult) {
				e := wantError(t, r, ErrorKindScript)
				if !strings.Contains(e.Message, "nope") {
					t.Errorf("message = %q, want it to contain nope", e.Message)
				}
			},
		},
		{
			name:   "no run entry point",
			source: `export default { onMessage() {} }`,
			check: func(t *testing.T, r ExecResult) {
				wantError(t, r, ErrorKindScript)
			},
		},
		{
			name:   "bad input JSON",
			source: `export default { run(input) { return input } }`,
			input:  `{"name": }`,
			check: func(t *testing.T, r ExecResult) {
				e := wantError(t, r, ErrorKindInput)
				if e.Line != 1 || e.Column != 10 {
					t.Errorf("at %d:%d, want 1:10 (the '}')", e.Line, e.Column)
				}
			},
		},
		{
			name:   "infinite loop hits the deadline",
			source: `export default { run() { for (;;) {} } }`,
			check: func(t *testing.T, r ExecResult) {
				e := wantError(t, r, ErrorKindLimit)
				if e.Limit != "deadline" {
					t.Errorf("limit = %q, want deadline", e.Limit)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := NewAPI()
			api.exec.deadline = 300 * time.Millisecond
			start := time.Now()
			r := api.Exec(tt.source, tt.input)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Exec took %v", took)
			}
			if r.Console == nil {
				t.Errorf("console is nil, want a (possibly empty) slice")
			}
			tt.check(t, r)
		})
	}
}

// fakeRunner returns a fixed result, or panics.
type fakeRunner struct {
	res   *sandbox.Result
	err   error
	panic any
	got   *sandbox.Invocation
}

func (f *fakeRunner) Run(ctx context.Context, inv *sandbox.Invocation) (*sandbox.Result, error) {
	f.got = inv
	if f.panic != nil {
		panic(f.panic)
	}
	return f.res, f.err
}

func compileOK(filename, source string) (*sandbox.Module, error) { return &sandbox.Module{}, nil }

// TestExecutorMapping checks how runner outcomes become ExecResults, with a
// fake runner, so it does not depend on the sandbox.
func TestExecutorMapping(t *testing.T) {
	console := []sandbox.ConsoleLine{{Level: "log", Text: "a"}, {Level: "error", Text: "b"}}
	tests := []struct {
		name    string
		compile compileFunc
		runner  *fakeRunner
		want    ExecResult
	}{
		{
			name:   "value and console",
			runner: &fakeRunner{res: &sandbox.Result{Value: map[string]any{"b": []byte("hi"), "a": 1.5}, Console: console, Duration: 1500 * time.Microsecond}},
			want: ExecResult{OK: true, Value: `{"a":1.5,"b":"aGk="}`, DurationMs: 1.5,
				Console: []ConsoleLine{{"log", "a"}, {"error", "b"}}},
		},
		{
			name:   "numbers JSON cannot hold",
			runner: &fakeRunner{res: &sandbox.Result{Value: []any{math.NaN(), math.Inf(1), math.Inf(-1), "<&>"}, Duration: time.Millisecond}},
			want:   ExecResult{OK: true, Value: `["NaN","Infinity","-Infinity","<&>"]`, DurationMs: 1, Console: []ConsoleLine{}},
		},
		{
			name: "compile error keeps the first message",
			compile: func(string, string) (*sandbox.Module, error) {
				return nil, &sandbox.CompileError{Messages: []sandbox.CompileMessage{
					{File: "agent.ts", Line: 2, Column: 7, Text: `Expected ";" but found "x"`},
					{File: "agent.ts", Line: 9, Column: 1, Text: "another"},
				}}
			},
			runner: &fakeRunner{},
			want: ExecResult{Console: []ConsoleLine{}, Error: &ExecError{
				Kind: ErrorKindCompile, Message: `Expected ";" but found "x" (and 1 more)`, Line: 2, Column: 7}},
		},
		{
			name:   "script error keeps the console",
			runner: &fakeRunner{res: &sandbox.Result{Console: console[:1], Duration: 2 * time.Millisecond}, err: &sandbox.ScriptError{Name: "RangeError", Message: "too far", Stack: "at run (agent.ts:3:9)"}},
			want: ExecResult{DurationMs: 2, Console: []ConsoleLine{{"log", "a"}}, Error: &ExecError{
				Kind: ErrorKindScript, Message: "RangeError: too far", Name: "RangeError", Stack: "at run (agent.ts:3:9)"}},
		},
		{
			name:   "wrapped limit error",
			runner: &fakeRunner{res: &sandbox.Result{Duration: 5 * time.Second}, err: fmt.Errorf("run: %w", &sandbox.LimitError{Limit: "call stack depth", Detail: "1001 frames"})},
			want: ExecResult{DurationMs: 5000, Console: []ConsoleLine{}, Error: &ExecError{
				Kind: ErrorKindLimit, Message: "limit call stack depth exceeded: 1001 frames", Limit: "call stack depth"}},
		},
		{
			name:   "no entry point",
			runner: &fakeRunner{err: fmt.Errorf("agent.ts: %w: run", sandbox.ErrNoEntry)},
			want:   ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: ErrorKindScript, Message: "agent.ts: no entry point: run"}},
		},
		{
			name:   "other error",
			runner: &fakeRunner{err: errors.New("cell died")},
			want:   ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: ErrorKindInternal, Message: "cell died"}},
		},
		{
			name:   "runner panic is recovered",
			runner: &fakeRunner{panic: "unimplemented"},
			want:   ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: ErrorKindInternal, Message: "the sandbox panicked: unimplemented"}},
		},
		{
			name:    "compile panic is recovered",
			compile: func(string, string) (*sandbox.Module, error) { panic("boom") },
			runner:  &fakeRunner{},
			want:    ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: ErrorKindInternal, Message: "the sandbox panicked: boom"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compile := tt.compile
			if compile == nil {
				compile = compileOK
			}
			e := executor{compile: compile, runner: tt.runner}
			got := e.run(context.Background(), "export default {}", `{"x": [1, 2]}`)
			if tt.want.DurationMs == 0 {
				got.DurationMs = 0 // measured wall time: only check it is set
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(tt.want))
			}
			if inv := tt.runner.got; inv != nil {
				if inv.Entry != sandbox.EntryRun || inv.Limits.Deadline != DefaultExecDeadline || inv.Env != nil {
					t.Errorf("invocation = %+v, want entry run, the default deadline, no env", inv)
				}
				if !reflect.DeepEqual(inv.Input, map[string]any{"x": []any{1.0, 2.0}}) {
					t.Errorf("input = %#v", inv.Input)
				}
			}
		})
	}
}

func TestParseInput(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		want       any
		line, col  int
		wantErrSub string
	}{
		{name: "empty is null", text: "", want: nil},
		{name: "blank is null", text: " \n\t", want: nil},
		{name: "object", text: `{"a": [1, "x", false, null]}`, want: map[string]any{"a": []any{1.0, "x", false, nil}}},
		{name: "string", text: ` "hi" `, want: "hi"},
		{name: "syntax error", text: `{"name": }`, line: 1, col: 10, wantErrSub: "invalid character '}'"},
		{name: "syntax error on line 3", text: "{\n  \"a\": 1,\n}", line: 3, col: 1, wantErrSub: "invalid character"},
		{name: "truncated", text: "{\"a\":\n [1,", line: 2, col: 5, wantErrSub: "unexpected end"},
		{name: "trailing text", text: `{} x`, line: 1, col: 4, wantErrSub: "after the JSON value"},
		{name: "two values", text: "1\n2", line: 2, col: 1, wantErrSub: "after the JSON value"},
		{name: "number out of range", text: "[1,\n -1e999 ]", line: 2, col: 2, wantErrSub: "-1e999 is out of range"},
		{name: "columns count characters", text: `["é", ]`, line: 1, col: 7, wantErrSub: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInput(tt.text)
			if tt.wantErrSub == "" {
				if err != nil {
					t.Fatalf("error %+v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %#v, want %#v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %#v, want an error", got)
			}
			if err.Kind != ErrorKindInput || err.Line != tt.line || err.Column != tt.col || !strings.Contains(err.Message, tt.wantErrSub) {
				t.Errorf("error = %+v, want input error at %d:%d containing %q", err, tt.line, tt.col, tt.wantErrSub)
			}
		})
	}
}

// TestExecResultJSON pins the JSON shape the frontend reads.
func TestExecResultJSON(t *testing.T) {
	b, err := json.Marshal(ExecResult{Console: []ConsoleLine{}, Error: &ExecError{Kind: "compile", Message: "m", Line: 1, Column: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ok":false,"value":"","console":[],"error":{"kind":"compile","message":"m","line":1,"column":2},"durationMs":0}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestVersion(t *testing.T) {
	if v := NewAPI().Version(); v == "" {
		t.Error("empty version")
	}
}

func wantOK(t *testing.T, r ExecResult) {
	t.Helper()
	if !r.OK || r.Error != nil {
		t.Fatalf("result = %s, want ok", show(r))
	}
	if r.DurationMs <= 0 {
		t.Errorf("durationMs = %v, want > 0", r.DurationMs)
	}
}

func wantError(t *testing.T, r ExecResult, kind string) *ExecError {
	t.Helper()
	if r.OK || r.Error == nil || r.Error.Kind != kind {
		t.Fatalf("result = %s, want a %s error", show(r), kind)
	}
	if r.Value != "" {
		t.Errorf("value = %q on error, want empty", r.Value)
	}
	return r.Error
}

func wantJSON(t *testing.T, text string, want any) {
	t.Helper()
	var got any
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("value %q is not JSON: %v", text, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("value = %s, want %v", text, want)
	}
}

func show(r ExecResult) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// FuzzParseInput checks that any input text is either accepted as JSON the
// standard library agrees with, or rejected with a position inside the text.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"", "null", `{"a": [1, "é", {}]}`, `{"name": }`, "[1,", "{} x", "\n\n  tru"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := parseInput(text)
		if err != nil {
			if err.Kind != ErrorKindInput || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			if err.Line < 1 || err.Line > strings.Count(text, "\n")+1 || err.Column < 1 || err.Column > len(text)+1 {
				t.Fatalf("position %d:%d outside %q", err.Line, err.Column, text)
			}
			return
		}
		if strings.TrimSpace(text) == "" {
			if v != nil {
				t.Fatalf("blank input gave %#v", v)
			}
			return
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("accepted invalid JSON %q", text)
		}
	})
}
