package cell

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"littleboxes/sandbox"
)

// Message types. Main → cell: run, runBatch, callResult, cancel, probe.
// Cell → main: hello, call, done, probeResult.
const (
	msgRun         = 1
	msgCallResult  = 2
	msgCancel      = 3
	msgProbe       = 4
	msgRunBatch    = 5 // several runs of one agent, run one after another; a done each
	msgHello       = 10
	msgCall        = 11
	msgDone        = 12
	msgProbeResult = 13
)

// Error kinds carried by a done message.
const (
	errNone          = 0
	errScript        = 1
	errLimit         = 2
	errCompile       = 3
	errNoEntry       = 4
	errCancelled     = 5
	errUnknownModule = 6
	errOther         = 7
)

// runMsg asks a cell to run one invocation.
type runMsg struct {
	id       uint64
	hash     string
	filename string
	js       string // the module's compiled JavaScript; empty when the cell was sent this module before
	entry    string
	limits   sandbox.Limits
	input    any
	context  map[string]any
	env      []envEntry
}

type envEntry struct {
	name    string
	methods []string
}

func (e *enc) run(m *runMsg) error {
	e.reset(msgRun)
	return e.runBody(m)
}

// runBatch encodes a runBatch frame: the count, then each run as a run
// frame's body.
func (e *enc) runBatch(ms []*runMsg) error {
	e.reset(msgRunBatch)
	e.uvarint(uint64(len(ms)))
	for i, m := range ms {
		if err := e.runBody(m); err != nil {
			return fmt.Errorf("run %d of the batch: %w", i+1, err)
		}
	}
	return nil
}

func (e *enc) runBody(m *runMsg) error {
	e.uvarint(m.id)
	e.str(m.hash)
	e.str(m.filename)
	e.str(m.js)
	e.str(m.entry)
	e.limits(m.limits)
	if err := e.value(m.input, 0); err != nil {
		return fmt.Errorf("the input: %w", err)
	}
	var ctx any
	if m.context != nil {
		ctx = m.context
	}
	if err := e.value(ctx, 0); err != nil {
		return fmt.Errorf("ctx: %w", err)
	}
	e.uvarint(uint64(len(m.env)))
	for _, b := range m.env {
		e.str(b.name)
		e.strs(b.methods)
	}
	return nil
}

func (e *enc) limits(l sandbox.Limits) {
	e.varint(int64(l.Deadline))
	e.varint(int64(l.MaxStackDepth))
	e.varint(int64(l.MaxTimers))
	e.varint(int64(l.MaxPendingCalls))
	e.varint(int64(l.MaxConsoleBytes))
	e.varint(int64(l.MaxValueBytes))
}

func (d *dec) limits() sandbox.Limits {
	return sandbox.Limits{
		Deadline:        time.Duration(d.varint()),
		MaxStackDepth:   d.int(),
		MaxTimers:       d.int(),
		MaxPendingCalls: d.int(),
		MaxConsoleBytes: d.int(),
		MaxValueBytes:   d.int(),
	}
}

// runBatch decodes a runBatch frame's runs.
func (d *dec) runBatch() []*runMsg {
	n := d.count(8)
	var ms []*runMsg
	for i := 0; i < n && d.err == nil; i++ {
		ms = append(ms, d.run())
	}
	return ms
}

func (d *dec) run() *runMsg {
	m := &runMsg{id: d.uint64(), hash: d.str(), filename: d.str(), js: d.str(), entry: d.str()}
	m.limits = d.limits()
	m.input = d.value(0)
	if c, ok := d.value(0).(map[string]any); ok {
		m.context = c
	}
	n := d.count(2)
	for i := 0; i < n && d.err == nil; i++ {
		m.env = append(m.env, envEntry{name: d.str(), methods: d.strs()})
	}
	return m
}

// callMsg is a binding call made by an isolate in a cell.
type callMsg struct {
	inv, call       uint64
	binding, method string
	args            []any
}

func (e *enc) call(m *callMsg) error {
	e.reset(msgCall)
	e.uvarint(m.inv)
	e.uvarint(m.call)
	e.str(m.binding)
	e.str(m.method)
	e.uvarint(uint64(len(m.args)))
	for i, a := range m.args {
		if err := e.value(a, 0); err != nil {
			return fmt.Errorf("argument %d: %w", i+1, err)
		}
	}
	return nil
}

func (d *dec) call() *callMsg {
	m := &callMsg{inv: d.uint64(), call: d.uint64(), binding: d.str(), method: d.str()}
	n := d.count(1)
	m.args = make([]any, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		m.args = append(m.args, d.value(0))
	}
	return m
}

// callResultMsg answers a callMsg: a value, or an error's message. A
// binding that returned a *sandbox.LimitError stops the isolate with that
// limit, as in the in-process runner, so a limit travels typed.
type callResultMsg struct {
	inv, call uint64
	value     any
	err       string
	failed    bool
	typeErr   bool // the call was refused as a mistake in the agent's code: a TypeError in JS
	limit     *sandbox.LimitError
}

func (e *enc) callResult(m *callResultMsg) error {
	e.reset(msgCallResult)
	e.uvarint(m.inv)
	e.uvarint(m.call)
	switch {
	case m.limit != nil:
		e.byte(2)
		e.str(m.limit.Limit)
		e.str(m.limit.Detail)
		return nil
	case m.failed && m.typeErr:
		e.byte(3)
		e.str(m.err)
		return nil
	case m.failed:
		e.byte(1)
		e.str(m.err)
		return nil
	}
	e.byte(0)
	return e.value(m.value, 0)
}

func (d *dec) callResult() *callResultMsg {
	m := &callResultMsg{inv: d.uint64(), call: d.uint64()}
	switch d.byte() {
	case 0:
		m.value = d.value(0)
	case 1:
		m.failed, m.err = true, d.str()
	case 2:
		m.failed, m.limit = true, &sandbox.LimitError{Limit: d.str(), Detail: d.str()}
	case 3:
		m.failed, m.typeErr, m.err = true, true, d.str()
	default:
		d.fail(errors.New("cell wire: bad call result"))
	}
	return m
}

// doneMsg reports the end of an invocation.
type doneMsg struct {
	id       uint64
	duration time.Duration
	value    any
	console  []sandbox.ConsoleLine
	err      error
	died     bool // not the cell's answer: the main process failed it when the cell died
}

func (e *enc) done(m *doneMsg) error {
	e.reset(msgDone)
	e.uvarint(m.id)
	e.varint(int64(m.duration))
	e.uvarint(uint64(len(m.console)))
	for _, l := range m.console {
		e.str(l.Level)
		e.str(l.Text)
	}
	e.errValue(m.err)
	if m.err == nil {
		if err := e.value(m.value, 0); err != nil {
			// Cannot happen for values the sandbox exported; report it
			// rather than send a broken frame.
			e.reset(msgDone)
			e.uvarint(m.id)
			e.varint(int64(m.duration))
			e.uvarint(0)
			e.errValue(fmt.Errorf("sandbox cell: encoding the result: %w", err))
		}
	}
	return nil
}

func (d *dec) done() *doneMsg {
	m := &doneMsg{id: d.uint64(), duration: time.Duration(d.varint())}
	n := d.count(2)
	for i := 0; i < n && d.err == nil; i++ {
		m.console = append(m.console, sandbox.ConsoleLine{Level: d.str(), Text: d.str()})
	}
	m.err = d.errValue()
	if m.err == nil {
		m.value = d.value(0)
	}
	return m
}

// errUnknownModuleErr is what a cell answers a run whose module it does not
// hold; the main process sends the module again.
var errUnknownModuleErr = errors.New("cell does not hold the module")

// cancelledError is a cancellation as the cell saw it; the main process
// replaces it with its own context's cause.
type cancelledError struct{ msg string }

func (e *cancelledError) Error() string { return e.msg }

// noEntryError carries sandbox.ErrNoEntry across the pipe with the exact
// message the in-process runner gives.
type noEntryError struct{ msg string }

func (e *noEntryError) Error() string { return e.msg }
func (e *noEntryError) Unwrap() error { return sandbox.ErrNoEntry }

func (e *enc) errValue(err error) {
	var (
		se *sandbox.ScriptError
		le *sandbox.LimitError
		ce *sandbox.CompileError
	)
	switch {
	case err == nil:
		e.byte(errNone)
	case errors.As(err, &le):
		e.byte(errLimit)
		e.str(le.Limit)
		e.str(le.Detail)
	case errors.As(err, &se):
		e.byte(errScript)
		e.str(se.Name)
		e.str(se.Message)
		e.str(se.Stack)
	case errors.As(err, &ce):
		e.byte(errCompile)
		e.uvarint(uint64(len(ce.Messages)))
		for _, m := range ce.Messages {
			e.str(m.File)
			e.varint(int64(m.Line))
			e.varint(int64(m.Column))
			e.str(m.Text)
		}
	case errors.Is(err, sandbox.ErrNoEntry):
		e.byte(errNoEntry)
		e.str(err.Error())
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || strings.HasPrefix(err.Error(), "invocation cancelled"):
		e.byte(errCancelled)
		e.str(err.Error())
	case errors.Is(err, errUnknownModuleErr):
		e.byte(errUnknownModule)
	default:
		e.byte(errOther)
		e.str(err.Error())
	}
}

func (d *dec) errValue() error {
	switch k := d.byte(); k {
	case errNone:
		return nil
	case errLimit:
		return &sandbox.LimitError{Limit: d.str(), Detail: d.str()}
	case errScript:
		return &sandbox.ScriptError{Name: d.str(), Message: d.str(), Stack: d.str()}
	case errCompile:
		n := d.count(4)
		ce := &sandbox.CompileError{}
		for i := 0; i < n && d.err == nil; i++ {
			ce.Messages = append(ce.Messages, sandbox.CompileMessage{File: d.str(), Line: d.int(), Column: d.int(), Text: d.str()})
		}
		return ce
	case errNoEntry:
		return &noEntryError{msg: d.str()}
	case errCancelled:
		return &cancelledError{msg: d.str()}
	case errUnknownModule:
		return errUnknownModuleErr
	case errOther:
		return errors.New(d.str())
	default:
		d.fail(fmt.Errorf("cell wire: unknown error kind %d", k))
		return nil
	}
}

// helloMsg is a cell's first message: who it is and how it is hardened.
type helloMsg struct {
	pid       int
	hardening Hardening
}

// Hardening reports what a cell applied to itself before serving.
type Hardening struct {
	NoNewPrivs bool   `json:"noNewPrivs"`
	Seccomp    bool   `json:"seccomp"`
	Landlock   int    `json:"landlock"` // the Landlock ABI version enforced; 0 if none
	Problems   string `json:"problems,omitempty"`
}

func (e *enc) hello(m *helloMsg) {
	e.reset(msgHello)
	e.varint(int64(m.pid))
	e.byte(b2i(m.hardening.NoNewPrivs))
	e.byte(b2i(m.hardening.Seccomp))
	e.varint(int64(m.hardening.Landlock))
	e.str(m.hardening.Problems)
}

func (d *dec) hello() *helloMsg {
	m := &helloMsg{pid: d.int()}
	m.hardening.NoNewPrivs = d.byte() == 1
	m.hardening.Seccomp = d.byte() == 1
	m.hardening.Landlock = d.int()
	m.hardening.Problems = d.str()
	return m
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}
