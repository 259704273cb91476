package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// maxErrorText bounds the message and stack kept from an agent's error.
const maxErrorText = 8 << 10

// scriptError describes a thrown or rejected value without running agent
// code: it reads only data properties (through the intrinsic
// Object.getOwnPropertyDescriptor, so a getter is never called) and never
// calls toString. A hostile error object therefore cannot hang or lie its
// way through the description; Proxy traps do run, under the deadline.
//
// Reading an error's stack property makes goja format its header, which
// reads message through any getter, so callers that have the frames (a
// synchronous throw) pass withStack false and format the frames themselves.
func (iso *isolate) scriptError(v goja.Value) *ScriptError { return iso.describeError(v, true) }

func (iso *isolate) describeError(v goja.Value, withStack bool) *ScriptError {
	if v == nil || goja.IsUndefined(v) {
		return &ScriptError{Message: "the agent threw undefined"}
	}
	if goja.IsNull(v) {
		return &ScriptError{Message: "the agent threw null"}
	}
	o, ok := v.(*goja.Object)
	if !ok {
		if _, isSym := v.(*goja.Symbol); isSym {
			return &ScriptError{Message: "the agent threw a Symbol"}
		}
		return &ScriptError{Message: truncate(v.String(), maxErrorText)}
	}
	se := &ScriptError{}
	se.Name = iso.protoDataString(o, "name")
	se.Message = truncate(iso.ownDataString(o, "message"), maxErrorText)
	if o.ClassName() != "Error" && se.Message == "" {
		x := &exporter{iso: iso, budget: 4 << 10, what: subject{text: "thrown value"}}
		if pd, err := x.export(o); err == nil {
			se.Message = "the agent threw " + compactJSON(pd)
		} else {
			se.Message = "the agent threw an object that is not an Error and not plain data (" + o.ClassName() + ")"
		}
	}
	if !withStack {
		return se
	}
	if st := iso.ownDataString(o, "stack"); st != "" {
		se.Stack = truncate(stackLines(st), maxErrorText)
	}
	return se
}

// ownDataString returns o's own data property key if it is a string.
func (iso *isolate) ownDataString(o *goja.Object, key string) (s string) {
	d, err := iso.getOwnProp(goja.Undefined(), o, iso.rt.ToValue(key))
	if err != nil {
		reraiseUncatchable(err)
		return ""
	}
	do, ok := d.(*goja.Object)
	if !ok {
		return ""
	}
	str, _ := stringOf(do.Get("value"))
	return str
}

// protoDataString looks key up the prototype chain, data properties only.
func (iso *isolate) protoDataString(o *goja.Object, key string) string {
	for i := 0; o != nil && i < 16; i++ {
		if s := iso.ownDataString(o, key); s != "" {
			return s
		}
		o = o.Prototype()
	}
	return ""
}

// dataString reads a plain data property of a function object made by goja.
func dataString(o *goja.Object, key string) string {
	s, _ := stringOf(o.Get(key))
	return s
}

// stackLines keeps the "at …" lines of a goja stack string.
func stackLines(st string) string {
	var keep []string
	for _, l := range strings.Split(st, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "at ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// formatStack renders an exception's frames as "at fn (file:line:col)".
func formatStack(ex *goja.Exception) string {
	var b strings.Builder
	for i, f := range ex.Stack() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("at ")
		var fb bytes.Buffer
		f.Write(&fb)
		b.Write(fb.Bytes())
	}
	return truncate(b.String(), maxErrorText)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// compactJSON renders plain data as JSON without HTML escaping.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// reraiseUncatchable panics with err if it is an interrupt or a stack
// overflow, so that it keeps unwinding the isolate instead of being taken
// for an ordinary failure of one nested call.
func reraiseUncatchable(err error) {
	switch err.(type) {
	case *goja.InterruptedError, *goja.StackOverflowError:
		panic(err)
	}
}

// typeErrorer is an error a binding returns for a call that is a mistake in
// the agent's code (a method the binding lacks, an argument of the wrong
// type): its TypeError reports true, and the call rejects with a TypeError
// rather than an Error.
type typeErrorer interface {
	error
	TypeError() bool
}

// callError is the JavaScript error a failed binding call rejects with: the
// call's label ("env.notes.put") and the error's message, as a TypeError
// when the error says it is one (typeErrorer), else as an Error.
func (iso *isolate) callError(label string, err error) goja.Value {
	msg := label + ": " + err.Error()
	if te, ok := errors.AsType[typeErrorer](err); ok && te.TypeError() {
		return iso.rt.NewTypeError(msg)
	}
	return iso.newError(msg)
}
