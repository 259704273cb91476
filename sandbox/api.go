// Package sandbox runs agent modules in isolates.
//
// An isolate is one fresh goja runtime running one invocation of one agent
// module: it is created for the invocation and thrown away after it, so nothing
// survives from one run to the next. The module is compiled once by esbuild
// (TypeScript or JavaScript, ES module syntax) and the compiled program is
// shared by every isolate of the same code.
//
// An isolate sees the ECMAScript built-ins, a handful of web-platform globals
// (console, timers, URL, TextEncoder, …; see package webapi) and the env object
// it is handed. It has no require, no fetch, no process and no filesystem. The
// only way out is env: each env.NAME is a Binding, a set of named methods that
// take and return plain data. Values cross the bridge as copies (null, bool,
// number, string, array, object, bytes), size-checked, never as live goja
// objects, so the Go side of a binding never sees a JavaScript value.
//
// Every invocation runs under Limits (a wall deadline, call-stack depth,
// timers, pending binding calls, console bytes, value size). Hitting one ends
// the invocation with a *LimitError naming it.
//
// This package knows nothing of capabilities, secrets or the app: the Runner
// interface is what callers use, so a runner that hosts isolates in worker
// processes can replace the in-process one without touching them.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Binding is what an isolate sees as one env.NAME: a set of named methods
// taking and returning plain data (nil, bool, float64, string, []byte,
// []any, map[string]any; integers of any Go type are accepted in results).
//
// Call runs off the isolate's event loop, on its own goroutine; it must honour
// ctx, which is cancelled when the invocation ends. An error it returns is
// thrown into JavaScript as an Error carrying the error's message; as a
// TypeError when the error has a method TypeError() bool reporting true (a
// call refused as a mistake in the agent's code). Reading a method the
// binding does not list throws a TypeError naming the methods it has. Call
// must refuse a method Methods does not list: an isolate in a worker process
// (sandbox/cell) can name any method, and the runner does not check the name
// again.
type Binding interface {
	// Methods lists the method names the isolate may call.
	Methods() []string
	// Call runs one method with the copied arguments and returns its result.
	Call(ctx context.Context, method string, args []any) (any, error)
}

// AsyncBinding is a Binding whose calls can start without a goroutine of
// their own: the in-process runner calls Start on the isolate's event loop
// instead of running Call on a new goroutine. A cell's bindings are of this
// kind: each call is a frame to the main process, and its answer arrives
// on the cell's reading goroutine.
type AsyncBinding interface {
	Binding
	// Start starts one call of method and returns without waiting for it.
	// It must not block. It calls done once with the result, from any
	// goroutine, unless ctx ends first (ctx ends with the invocation, whose
	// result no longer matters then).
	Start(ctx context.Context, method string, args []any, done func(any, error))
}

// MethodFunc is one method of a Methods binding.
type MethodFunc func(ctx context.Context, args []any) (any, error)

// Methods is a Binding made of plain Go functions, keyed by method name.
type Methods map[string]MethodFunc

// Methods returns the method names in sorted order.
func (m Methods) Methods() []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Call runs the named method.
func (m Methods) Call(ctx context.Context, method string, args []any) (any, error) {
	f, ok := m[method]
	if !ok {
		return nil, fmt.Errorf("no method %q", method)
	}
	return f(ctx, args)
}

// Entry points an agent module may export on its default export.
const (
	EntryRun        = "run"        // run(input, env, ctx): a manual or scheduled trigger
	EntryOnMessage  = "onMessage"  // onMessage(msg, env, ctx): a channel delivered msg
	EntryOnApproval = "onApproval" // onApproval(result, env, ctx): the owner decided an approval
)

// Limits bound one invocation. A zero field takes its default (see
// DefaultLimits); a negative one is invalid.
type Limits struct {
	// Deadline is the wall-clock time an invocation may take, from the start
	// of the isolate to the settling of the entry point's Promise.
	Deadline time.Duration `json:"deadline,omitempty"`
	// MaxStackDepth is the deepest JavaScript call stack allowed.
	MaxStackDepth int `json:"maxStackDepth,omitempty"`
	// MaxTimers is how many setTimeout timers may be pending at once.
	MaxTimers int `json:"maxTimers,omitempty"`
	// MaxPendingCalls is how many binding calls may be in flight at once.
	MaxPendingCalls int `json:"maxPendingCalls,omitempty"`
	// MaxConsoleBytes is how many bytes of console output are kept.
	MaxConsoleBytes int `json:"maxConsoleBytes,omitempty"`
	// MaxValueBytes caps the size of one value crossing the bridge: the
	// input, each call's arguments, each call's result, and the final result.
	MaxValueBytes int `json:"maxValueBytes,omitempty"`
}

// Default limits.
const (
	DefaultDeadline        = 5 * time.Second
	DefaultMaxStackDepth   = 1000
	DefaultMaxTimers       = 1000
	DefaultMaxPendingCalls = 100
	DefaultMaxConsoleBytes = 64 << 10
	DefaultMaxValueBytes   = 4 << 20
)

// DefaultLimits returns the limits an invocation gets when it sets none.
func DefaultLimits() Limits {
	return Limits{
		Deadline:        DefaultDeadline,
		MaxStackDepth:   DefaultMaxStackDepth,
		MaxTimers:       DefaultMaxTimers,
		MaxPendingCalls: DefaultMaxPendingCalls,
		MaxConsoleBytes: DefaultMaxConsoleBytes,
		MaxValueBytes:   DefaultMaxValueBytes,
	}
}

// WithDefaults returns l with every zero field set to its default, or an
// error naming the first negative field.
func (l Limits) WithDefaults() (Limits, error) {
	d := DefaultLimits()
	if l.Deadline < 0 {
		return l, fmt.Errorf("limit deadline: %v is negative", l.Deadline)
	}
	if l.Deadline == 0 {
		l.Deadline = d.Deadline
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{
		{"call stack depth", &l.MaxStackDepth, d.MaxStackDepth},
		{"timers", &l.MaxTimers, d.MaxTimers},
		{"pending binding calls", &l.MaxPendingCalls, d.MaxPendingCalls},
		{"console bytes", &l.MaxConsoleBytes, d.MaxConsoleBytes},
		{"value size", &l.MaxValueBytes, d.MaxValueBytes},
	} {
		if *f.v < 0 {
			return l, fmt.Errorf("limit %s: %d is negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return l, nil
}

// Invocation is one call of an agent module's entry point.
type Invocation struct {
	// Module is the compiled agent module.
	Module *Module
	// Entry is the method of the default export to call; EntryRun if empty.
	Entry string
	// Input is the first argument, as plain data.
	Input any
	// Env holds the bindings, by env name.
	Env map[string]Binding
	// Context is the ctx argument, as plain data (agent name, trigger, …).
	Context map[string]any
	// Limits bound the invocation; zero fields take defaults.
	Limits Limits
}

// ConsoleLine is one console call of the agent.
type ConsoleLine struct {
	Level string `json:"level"` // log, info, warn, error, debug
	Text  string `json:"text"`
}

// Result is what an invocation produced. Run returns a Result even when it
// also returns an error, so the console output of a failed run is kept.
type Result struct {
	// Value is the settled value of the entry point, as plain data.
	Value any `json:"value"`
	// Console holds the console output, at most Limits.MaxConsoleBytes.
	Console []ConsoleLine `json:"console,omitempty"`
	// Duration is the wall time of the invocation.
	Duration time.Duration `json:"duration"`
}

// Runner runs invocations. The in-process runner is NewInProcess; a runner
// hosting isolates in worker processes implements the same interface.
type Runner interface {
	Run(ctx context.Context, inv *Invocation) (*Result, error)
}

// Sentinel errors, wrapped by the typed errors below where they apply.
var (
	// ErrLimit is wrapped by every *LimitError.
	ErrLimit = errors.New("limit exceeded")
	// ErrNoEntry means the module's default export lacks the entry method.
	ErrNoEntry = errors.New("no entry point")
)

// CompileMessage is one diagnostic from compiling a module.
type CompileMessage struct {
	File   string `json:"file"`
	Line   int    `json:"line"`   // 1-based
	Column int    `json:"column"` // 1-based
	Text   string `json:"text"`
}

func (m CompileMessage) String() string {
	if m.Line == 0 {
		return fmt.Sprintf("%s: %s", m.File, m.Text)
	}
	return fmt.Sprintf("%s:%d:%d: %s", m.File, m.Line, m.Column, m.Text)
}

// CompileError reports why a module did not compile.
type CompileError struct {
	Messages []CompileMessage
}

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Messages))
	for i, m := range e.Messages {
		parts[i] = m.String()
	}
	return "compile: " + strings.Join(parts, "; ")
}

// ScriptError is an exception the agent threw, or a rejection of the Promise
// its entry point returned.
type ScriptError struct {
	Name    string `json:"name"`    // the error's name (Error, TypeError, …) or the thrown value's type
	Message string `json:"message"` // the error's message, or the thrown value described
	Stack   string `json:"stack"`   // "at fn (file:line:col)" lines, innermost first
}

func (e *ScriptError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// LimitError reports which limit an invocation hit.
type LimitError struct {
	Limit  string `json:"limit"`  // deadline, call stack depth, timers, …
	Detail string `json:"detail"` // what exactly went over
}

func (e *LimitError) Error() string { return "limit " + e.Limit + " exceeded: " + e.Detail }

// Unwrap makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Unwrap() error { return ErrLimit }
