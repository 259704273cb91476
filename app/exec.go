package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"littleboxes/sandbox"
)

// DefaultExecDeadline is how long API.Exec lets one invocation run.
const DefaultExecDeadline = sandbox.DefaultDeadline

// ExecFilename is the file name an Exec'd module is compiled under; it
// appears in compile messages and stack traces. The .ts extension lets the
// module be TypeScript (JavaScript is TypeScript too).
const ExecFilename = "agent.ts"

// ExecResult is the outcome of running an agent module once, shaped for the
// window: every field is JSON-friendly and Console is never null.
type ExecResult struct {
	// OK is true when the entry point settled with a value.
	OK bool `json:"ok"`
	// Value is the settled value as JSON text ("null" for undefined or null),
	// set only when OK. Bytes appear as base64 strings; NaN and ±Infinity as
	// the strings "NaN", "Infinity" and "-Infinity".
	Value string `json:"value"`
	// Console is the module's console output, in order, also on failure.
	Console []ConsoleLine `json:"console"`
	// Error says why the run failed; nil when OK.
	Error *ExecError `json:"error,omitempty"`
	// DurationMs is the wall time of the invocation in milliseconds.
	DurationMs float64 `json:"durationMs"`
}

// ConsoleLine is one console call of the module.
type ConsoleLine struct {
	// Level is log, info, warn, error or debug.
	Level string `json:"level"`
	// Text is what was printed.
	Text string `json:"text"`
}

// Kinds of ExecError.
const (
	ErrorKindCompile  = "compile"  // the module did not compile
	ErrorKindScript   = "script"   // the module threw or rejected, or lacks the entry point
	ErrorKindLimit    = "limit"    // the invocation hit a limit (deadline, stack depth, …)
	ErrorKindInput    = "input"    // the input is not valid JSON
	ErrorKindInternal = "internal" // anything else: a bug in littleboxes, not in the module
)

// ExecError describes a failed run.
type ExecError struct {
	// Kind is one of the ErrorKind constants.
	Kind string `json:"kind"`
	// Message is a one-line description, without a file/line prefix.
	Message string `json:"message"`
	// Line and Column locate a compile or input error, 1-based; zero when
	// unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Limit names the limit hit, for kind "limit".
	Limit string `json:"limit,omitempty"`
	// Name is the thrown error's name (Error, TypeError, …), for kind "script".
	Name string `json:"name,omitempty"`
	// Stack is the JavaScript stack, for kind "script".
	Stack string `json:"stack,omitempty"`
}

// compileFunc compiles a module; sandbox.Compile in production.
type compileFunc func(filename, source string) (*sandbox.Module, error)

// executor is the part of API.Exec that does not need Wails.
type executor struct {
	compile  compileFunc
	runner   sandbox.Runner
	deadline time.Duration
}

// run compiles source and runs its run entry point once with the JSON input.
// It recovers a panic of the sandbox into an internal error, so a bug there
// can never take the window down.
func (e executor) run(ctx context.Context, source, inputJSON string) (res ExecResult) {
	start := time.Now()
	res.Console = []ConsoleLine{}
	defer func() {
		if p := recover(); p != nil {
			res.OK, res.Value = false, ""
			res.Error = &ExecError{Kind: ErrorKindInternal, Message: fmt.Sprintf("the sandbox panicked: %v", p)}
		}
		if res.DurationMs == 0 {
			res.DurationMs = ms(time.Since(start))
		}
	}()

	input, ierr := parseInput(inputJSON)
	if ierr != nil {
		res.Error = ierr
		return res
	}
	mod, err := e.compile(ExecFilename, source)
	if err != nil {
		res.Error = describeError(err)
		return res
	}

	deadline := e.deadline
	if deadline <= 0 {
		deadline = DefaultExecDeadline
	}
	// The sandbox enforces the deadline itself; this context is a backstop
	// so that a stuck invocation cannot hold the window's call forever.
	ctx, cancel := context.WithTimeout(ctx, deadline+2*time.Second)
	defer cancel()
	out, err := e.runner.Run(ctx, &sandbox.Invocation{
		Module: mod,
		Entry:  sandbox.EntryRun,
		Input:  input,
		Env:    nil,
		Limits: sandbox.Limits{Deadline: deadline},
	})
	if out != nil {
		for _, l := range out.Console {
			res.Console = append(res.Console, ConsoleLine{Level: l.Level, Text: l.Text})
		}
		res.DurationMs = ms(out.Duration)
	}
	if err != nil {
		res.Error = describeError(err)
		return res
	}
	var value any
	if out != nil {
		value = out.Value
	}
	text, err := valueJSON(value)
	if err != nil {
		res.Error = &ExecError{Kind: ErrorKindInternal, Message: err.Error()}
		return res
	}
	res.OK, res.Value = true, text
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// parseInput decodes the input JSON text; blank text is null. A syntax error
// is located by line and column.
func parseInput(text string) (any, *ExecError) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var v any
	if err := dec.Decode(&v); err != nil {
		ee := &ExecError{Kind: ErrorKindInput, Message: err.Error()}
		var (
			syn *json.SyntaxError
			typ *json.UnmarshalTypeError
		)
		switch {
		case errors.As(err, &syn):
			// Offset counts the offending byte too.
			ee.Line, ee.Column = lineColumn(text, max(syn.Offset-1, 0))
		case errors.As(err, &typ):
			// A number too large for float64, such as 1e999. The decoder's
			// offset is not reliable here: find the literal instead.
			lit := strings.TrimPrefix(typ.Value, "number ")
			ee.Message = fmt.Sprintf("number %s is out of range", lit)
			ee.Line, ee.Column = lineColumn(text, int64(max(strings.Index(text, lit), 0)))
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			ee.Message = "unexpected end of JSON"
			ee.Line, ee.Column = lineColumn(text, int64(len(text)))
		}
		return nil, ee
	}
	off := dec.InputOffset()
	if rest := strings.TrimLeft(text[off:], " \t\r\n"); rest != "" {
		line, col := lineColumn(text, int64(len(text)-len(rest)))
		return nil, &ExecError{Kind: ErrorKindInput, Message: "unexpected text after the JSON value", Line: line, Column: col}
	}
	return v, nil
}

// lineColumn turns a byte offset into text into a 1-based line and a 1-based
// column counted in characters.
func lineColumn(text string, off int64) (line, col int) {
	if off > int64(len(text)) {
		off = int64(len(text))
	}
	line, col = 1, 1
	for _, r := range text[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// describeError maps an error of sandbox.Compile or Runner.Run to an
// ExecError.
func describeError(err error) *ExecError {
	var (
		ce *sandbox.CompileError
		se *sandbox.ScriptError
		le *sandbox.LimitError
	)
	switch {
	case errors.As(err, &ce):
		ee := &ExecError{Kind: ErrorKindCompile, Message: err.Error()}
		if len(ce.Messages) > 0 {
			m := ce.Messages[0]
			ee.Message, ee.Line, ee.Column = m.Text, m.Line, m.Column
			if n := len(ce.Messages) - 1; n > 0 {
				ee.Message += fmt.Sprintf(" (and %d more)", n)
			}
		}
		return ee
	case errors.As(err, &se):
		return &ExecError{Kind: ErrorKindScript, Message: se.Error(), Name: se.Name, Stack: se.Stack}
	case errors.As(err, &le):
		return &ExecError{Kind: ErrorKindLimit, Message: le.Error(), Limit: le.Limit}
	case errors.Is(err, sandbox.ErrNoEntry):
		return &ExecError{Kind: ErrorKindScript, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &ExecError{Kind: ErrorKindLimit, Message: "limit deadline exceeded: " + err.Error(), Limit: "deadline"}
	case errors.Is(err, context.Canceled):
		return &ExecError{Kind: ErrorKindInternal, Message: "cancelled: the window is closing"}
	}
	return &ExecError{Kind: ErrorKindInternal, Message: err.Error()}
}

// valueJSON encodes a sandbox value as compact JSON text. Numbers JSON cannot
// hold (NaN, ±Infinity) become strings rather than failing the encoding.
func valueJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonSafe(v)); err != nil {
		return "", fmt.Errorf("encode result: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
	case float32:
		return jsonSafe(float64(x))
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonSafe(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k := range x {
			out[k] = jsonSafe(x[k])
		}
		return out
	}
	return v
}
