package sandbox

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"

	"littleboxes/sandbox/webapi"
)

// maxJSONDepth bounds the nesting JSON.parse accepts. goja's parser recurses
// in Go and cannot be interrupted, so very deep input is refused up front.
const maxJSONDepth = 10000

// setup captures the intrinsics the isolate relies on and installs the
// globals: console, timers, queueMicrotask, the web APIs, and a guarded
// JSON.parse. It runs before any agent code.
func (iso *isolate) setup() error {
	rt := iso.rt
	g := rt.GlobalObject()
	object, _ := g.Get("Object").(*goja.Object)
	if object == nil {
		return errors.New("sandbox: no Object intrinsic")
	}
	var ok bool
	if iso.objectFreeze, ok = goja.AssertFunction(object.Get("freeze")); !ok {
		return errors.New("sandbox: no Object.freeze intrinsic")
	}
	if iso.objectPreventExtensions, ok = goja.AssertFunction(object.Get("preventExtensions")); !ok {
		return errors.New("sandbox: no Object.preventExtensions intrinsic")
	}
	if iso.getOwnProp, ok = goja.AssertFunction(object.Get("getOwnPropertyDescriptor")); !ok {
		return errors.New("sandbox: no Object.getOwnPropertyDescriptor intrinsic")
	}
	rt.SetPromiseRejectionTracker(iso.trackRejection)

	// The timers and console are built on first use, as the web APIs are:
	// most agents touch none of them, and every function a runtime makes
	// costs when thousands of isolates start each second.
	native := func(f func(goja.FunctionCall) goja.Value) func() goja.Value {
		return func() goja.Value { return rt.ToValue(f) }
	}
	webapi.InstallWith(rt,
		webapi.Lazy{Name: "setTimeout", Build: native(iso.setTimeout)},
		webapi.Lazy{Name: "clearTimeout", Build: native(iso.clearTimeout)},
		webapi.Lazy{Name: "queueMicrotask", Build: native(iso.queueMicrotask)},
		webapi.Lazy{Name: "console", Build: func() goja.Value {
			console := rt.NewObject()
			for _, level := range []string{"log", "info", "warn", "error", "debug"} {
				_ = console.Set(level, iso.consoleMethod(level))
			}
			return console
		}},
	)
	iso.guardJSONParse()
	return nil
}

// guardJSONParse replaces JSON.parse with one that refuses text nesting
// deeper than maxJSONDepth (goja's parser recurses and ignores Interrupt).
func (iso *isolate) guardJSONParse() {
	rt := iso.rt
	json, ok := rt.GlobalObject().Get("JSON").(*goja.Object)
	if !ok {
		return
	}
	parse, ok := goja.AssertFunction(json.Get("parse"))
	if !ok {
		return
	}
	_ = json.Set("parse", func(call goja.FunctionCall) goja.Value {
		if s, ok := stringOf(call.Argument(0)); ok && jsonDepthOver(s, maxJSONDepth) {
			panic(iso.rangeError(fmt.Sprintf("JSON.parse: the text nests deeper than %d levels", maxJSONDepth)))
		}
		v, err := parse(call.This, call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	})
}

// jsonDepthOver reports whether JSON text nests arrays and objects deeper
// than max, skipping string contents.
func jsonDepthOver(s string, max int) bool {
	if len(s) < 2*max {
		return false
	}
	depth, inStr, esc := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

// consoleMethod captures console output up to the console-bytes limit.
func (iso *isolate) consoleMethod(level string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = iso.describe(a)
		}
		text := strings.Join(parts, " ")
		iso.consoleSize += len(text) + 1
		if iso.consoleSize > iso.limits.MaxConsoleBytes {
			iso.hitLimit(&LimitError{Limit: "console bytes", Detail: fmt.Sprintf("console output passed %d bytes", iso.limits.MaxConsoleBytes)})
			panic(iso.rt.NewTypeError("limit console bytes exceeded"))
		}
		iso.console = append(iso.console, ConsoleLine{Level: level, Text: text})
		return goja.Undefined()
	}
}

// describe renders a console argument: strings as they are, errors as
// "Name: message", plain data as JSON, anything else by its kind. It reads
// data properties only, so it runs no agent code but Proxy traps (which run
// under the deadline).
func (iso *isolate) describe(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if goja.IsNull(v) {
		return "null"
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return v.String()
	}
	if _, fn := goja.AssertFunction(o); fn {
		name := dataString(o, "name")
		if name == "" {
			name = "(anonymous)"
		}
		return "[Function: " + name + "]"
	}
	if o.ClassName() == "Error" {
		se := iso.scriptError(o)
		return se.Error()
	}
	switch o.ExportType() {
	case typeMapExport:
		return "[object Map]"
	case typeSetExport:
		return "[object Set]"
	case typePromise:
		return "[object Promise]"
	}
	x := &exporter{iso: iso, budget: 16 << 10, what: subject{text: "console argument"}}
	pd, err := x.export(o)
	if err != nil {
		return "[object " + o.ClassName() + "]"
	}
	return compactJSON(pd)
}

// trackRejection remembers rejected promises nobody handles, to report them
// as console errors when the invocation ends.
func (iso *isolate) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		iso.unhandled = append(iso.unhandled, p)
	case goja.PromiseRejectionHandle:
		for i, u := range iso.unhandled {
			if u == p {
				iso.unhandled = append(iso.unhandled[:i], iso.unhandled[i+1:]...)
				break
			}
		}
	}
}

// reportUnhandled logs every still-unhandled rejection except skip.
func (iso *isolate) reportUnhandled(skip *goja.Promise) {
	for _, p := range iso.unhandled {
		if p == skip {
			continue
		}
		line := "Uncaught (in promise) " + iso.scriptError(p.Result()).Error()
		if iso.consoleSize+len(line) <= iso.limits.MaxConsoleBytes {
			iso.consoleSize += len(line)
			iso.console = append(iso.console, ConsoleLine{Level: "error", Text: line})
		}
	}
	iso.unhandled = nil
}

// timer is one pending setTimeout.
type timer struct {
	id    int64
	due   time.Time
	seq   int64
	fn    goja.Callable
	args  []goja.Value
	index int
}

// timerQueue orders timers by due time, then by creation.
type timerQueue []*timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].index = i; q[j].index = j }
func (q *timerQueue) Push(x any)   { t := x.(*timer); t.index = len(*q); *q = append(*q, t) }
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	*q = old[:len(old)-1]
	t.index = -1
	return t
}

// maxTimerDelay clamps setTimeout delays, as browsers do at 2^31-1 ms.
const maxTimerDelay = 1<<31 - 1

func (iso *isolate) setTimeout(call goja.FunctionCall) goja.Value {
	rt := iso.rt
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(rt.NewTypeError("setTimeout: the first argument must be a function"))
	}
	if len(iso.timers) >= iso.limits.MaxTimers {
		iso.hitLimit(&LimitError{Limit: "timers", Detail: fmt.Sprintf("more than %d timers pending at once", iso.limits.MaxTimers)})
		panic(rt.NewTypeError("limit timers exceeded"))
	}
	delay := call.Argument(1).ToFloat()
	if !(delay > 0) { // also NaN
		delay = 0
	}
	if delay > maxTimerDelay {
		delay = maxTimerDelay
	}
	var args []goja.Value
	if len(call.Arguments) > 2 {
		args = append(args, call.Arguments[2:]...)
	}
	iso.timerSeq++
	t := &timer{id: iso.timerSeq, seq: iso.timerSeq, due: time.Now().Add(time.Duration(delay * float64(time.Millisecond))), fn: fn, args: args}
	if iso.timerByID == nil {
		iso.timerByID = make(map[int64]*timer)
	}
	iso.timerByID[t.id] = t
	heap.Push(&iso.timers, t)
	return rt.ToValue(t.id)
}

func (iso *isolate) clearTimeout(call goja.FunctionCall) goja.Value {
	id := call.Argument(0).ToInteger()
	if t, ok := iso.timerByID[id]; ok {
		delete(iso.timerByID, id)
		if t.index >= 0 {
			heap.Remove(&iso.timers, t.index)
		}
	}
	return goja.Undefined()
}

// runDueTimers runs every timer that is due, in order.
func (iso *isolate) runDueTimers() {
	now := time.Now()
	for len(iso.timers) > 0 && !iso.timers[0].due.After(now) {
		if iso.loopErr() != nil {
			return
		}
		t := heap.Pop(&iso.timers).(*timer)
		delete(iso.timerByID, t.id)
		if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
			iso.afterJS(err)
			return
		}
	}
}

// queueMicrotask schedules fn as a Promise job.
func (iso *isolate) queueMicrotask(call goja.FunctionCall) goja.Value {
	rt := iso.rt
	fn := call.Argument(0)
	if _, ok := goja.AssertFunction(fn); !ok {
		panic(rt.NewTypeError("queueMicrotask: the argument must be a function"))
	}
	if iso.promiseThen == nil {
		pp := rt.GlobalObject().Get("Promise")
		// Take then from a fresh promise's prototype chain as the agent left it;
		// it is the agent's own runtime either way.
		p, _, _ := rt.NewPromise()
		then, ok := goja.AssertFunction(rt.ToValue(p).(*goja.Object).Get("then"))
		if !ok || pp == nil {
			panic(rt.NewTypeError("queueMicrotask: Promise.prototype.then is not a function"))
		}
		iso.promiseThen = then
	}
	p, resolve, _ := rt.NewPromise()
	if _, err := iso.promiseThen(rt.ToValue(p), fn); err != nil {
		panic(err)
	}
	if err := resolve(goja.Undefined()); err != nil {
		panic(err)
	}
	return goja.Undefined()
}

// rangeError makes a RangeError with the intrinsic constructor.
func (iso *isolate) rangeError(msg string) goja.Value {
	if ctor, ok := iso.rt.GlobalObject().Get("RangeError").(*goja.Object); ok {
		if o, err := iso.rt.New(ctor, iso.rt.ToValue(msg)); err == nil {
			return o
		}
	}
	return iso.rt.NewTypeError(msg)
}
