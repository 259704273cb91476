// Package webapi defines the web-platform globals an isolate gets besides the
// ECMAScript built-ins: atob, btoa, TextEncoder, TextDecoder, URL,
// URLSearchParams and crypto (randomUUID and getRandomValues).
//
// Each is implemented without any reach into the host: no filesystem,
// network, environment or clock. crypto draws from crypto/rand and nothing
// else.
//
// A runtime is created per agent invocation, so Install costs almost nothing
// (one small object, no function) until a global is used. Install inserts a
// lazy object in the global object's prototype chain; the first read of a
// name through it builds the value and defines it on the global object as a
// plain writable, configurable, non-enumerable data property, like a web
// global. Building runs a JavaScript class definition compiled once per
// process and shared by every runtime; the Go helper it calls is passed to
// it as an argument and is never reachable from JavaScript. Each runtime
// gets its own classes and prototypes, so nothing mutable is shared.
//
// Semantics follow the WHATWG URL, Encoding and Web Crypto standards as far
// as a sandbox without DOMException allows; errors a browser raises as a
// DOMException are thrown as an Error with the DOMException's name (for
// example "InvalidCharacterError") and code.
package webapi

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// global names one of the globals Install provides.
type global uint8

const (
	globalAtob global = iota
	globalBtoa
	globalTextEncoder
	globalTextDecoder
	globalURL
	globalURLSearchParams
	globalCrypto
	numGlobals
)

var globalNames = [numGlobals]string{"atob", "btoa", "TextEncoder", "TextDecoder", "URL", "URLSearchParams", "crypto"}

func globalByName(name string) (global, bool) {
	switch name {
	case "atob":
		return globalAtob, true
	case "btoa":
		return globalBtoa, true
	case "TextEncoder":
		return globalTextEncoder, true
	case "TextDecoder":
		return globalTextDecoder, true
	case "URL":
		return globalURL, true
	case "URLSearchParams":
		return globalURLSearchParams, true
	case "crypto":
		return globalCrypto, true
	}
	return 0, false
}

// Install defines atob, btoa, TextEncoder, TextDecoder, URL, URLSearchParams
// and crypto on rt's global object.
//
// Nothing is built until it is used. Install gives the global object a new
// prototype, whose own prototype is the previous one, holding the globals
// lazily: the first read of a name (URL, typeof URL, globalThis.URL, …)
// builds the value and defines it as an own property of the global object,
// writable, configurable and not enumerable; from then on the prototype
// plays no part for that name. Until then the names are not own properties
// of the global object. Assigning to one before it was read defines it
// (as an enumerable property), except for a bare assignment in strict code
// (URL = x), which goja resolves against own properties only and so throws
// a ReferenceError, as it does for any inherited global.
//
// Install must be called once per runtime, before scripts run, on the
// goroutine that owns rt.
func Install(rt *goja.Runtime) {
	install(rt)
}

// InstallWith is Install holding extra globals the same way, each built by
// its Build on first use: the runner's own globals (console, timers) ride
// on the same lazy prototype. At most MaxExtra are held; their names must
// not be among Install's own.
func InstallWith(rt *goja.Runtime, extra ...Lazy) {
	install(rt, extra...)
}

// Lazy is one more global for Install to hold lazily.
type Lazy struct {
	// Name is the global's name.
	Name string
	// Build makes its value on first use, on the runtime's goroutine.
	Build func() goja.Value
}

// MaxExtra is how many extra globals Install holds; more are ignored.
const MaxExtra = 8

// env is the per-runtime state behind the globals.
type env struct {
	rt     *goja.Runtime
	global *goja.Object
	// pending holds a bit per global not yet defined on the global object:
	// Install's own by their global number, then the extra ones.
	pending uint16
	// built holds values built but not defined (the global object refused
	// the definition, e.g. because it was frozen).
	built [numGlobals + MaxExtra]goja.Value
	// extra are the caller's lazy globals, numbered from numGlobals.
	extra []Lazy
	// builds counts programs run and native values built; tests read it.
	builds int

	encoding *goja.Object // {TextEncoder, TextDecoder}
	urls     *goja.Object // {URL}
	params   *goja.Object // {URLSearchParams, link}
	u8       *goja.Object // the Uint8Array constructor, once used
	errProto *goja.Object
}

func install(rt *goja.Runtime, extra ...Lazy) *env {
	extra = extra[:min(len(extra), MaxExtra)]
	e := &env{rt: rt, global: rt.GlobalObject(), pending: 1<<(int(numGlobals)+len(extra)) - 1, extra: extra}
	lazy := rt.NewDynamicObject((*lazyGlobals)(e))
	// The lazy object keeps the global object's former prototype, so
	// everything it inherited (toString, hasOwnProperty, …) still resolves.
	if err := lazy.SetPrototype(e.global.Prototype()); err == nil {
		_ = e.global.SetPrototype(lazy)
	}
	return e
}

// lazyGlobals is the goja.DynamicObject behind the prototype Install gives
// the global object. Its only properties are the globals still pending.
type lazyGlobals env

// Get builds the named global, defines it on the global object and returns
// it; it returns nil for names it does not hold.
func (l *lazyGlobals) Get(key string) goja.Value {
	e := (*env)(l)
	g, ok := e.lookup(key)
	if !ok || e.pending&(1<<g) == 0 {
		return nil
	}
	if v := e.built[g]; v != nil {
		return v
	}
	v := e.build(g)
	if e.global.DefineDataProperty(key, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE) == nil {
		e.pending &^= 1 << g
	} else {
		e.built[g] = v
	}
	return v
}

// Set refuses assignments made to the lazy object itself (an assignment to
// a global never reaches it: it defines the name on the global object).
func (l *lazyGlobals) Set(string, goja.Value) bool { return false }

// Has reports whether key names a global not yet defined.
func (l *lazyGlobals) Has(key string) bool {
	g, ok := (*env)(l).lookup(key)
	return ok && l.pending&(1<<g) != 0
}

// Delete forgets a global not yet defined.
func (l *lazyGlobals) Delete(key string) bool {
	if g, ok := (*env)(l).lookup(key); ok {
		l.pending &^= 1 << g
		l.built[g] = nil
	}
	return true
}

// Keys returns nothing: the pending globals are not enumerable.
func (l *lazyGlobals) Keys() []string { return nil }

// lookup numbers the global named key: one of Install's own, or an extra
// one.
func (e *env) lookup(key string) (global, bool) {
	if g, ok := globalByName(key); ok {
		return g, true
	}
	for i, x := range e.extra {
		if x.Name == key {
			return numGlobals + global(i), true
		}
	}
	return 0, false
}

// build makes the value of global g.
func (e *env) build(g global) goja.Value {
	if g >= numGlobals {
		return e.extra[g-numGlobals].Build()
	}
	switch g {
	case globalAtob:
		return e.newAtob()
	case globalBtoa:
		return e.newBtoa()
	case globalTextEncoder:
		return e.encodingModule().Get("TextEncoder")
	case globalTextDecoder:
		return e.encodingModule().Get("TextDecoder")
	case globalURL:
		return e.urlModule().Get("URL")
	case globalURLSearchParams:
		return e.paramsModule().Get("URLSearchParams")
	case globalCrypto:
		c := e.instantiate(cryptoModuleDef, e.cryptoNative).Get("crypto").(*goja.Object)
		e.setToStringTag(c.Prototype(), "Crypto")
		return c
	}
	panic("webapi: unknown global")
}

// module is a JavaScript factory compiled once per process: the source of a
// function taking the native helper and returning the module's exports.
type module struct {
	name string
	body string
	ops  []opName
	prog func() *goja.Program
}

// Operations every module's native helper handles, numbered apart from the
// module's own.
const (
	opThrow = 1000 + iota // (message): throw a TypeError
	opArgs                // (required, given, prefix): throw "n arguments required"
)

// opName binds a constant name visible to a module's JavaScript to the
// operation number its native helper dispatches on.
type opName struct {
	name string
	op   int
}

func newModule(name, body string, ops []opName) *module {
	ops = append([]opName{{"THROW", opThrow}, {"ARGS", opArgs}}, ops...)
	m := &module{name: name, body: body, ops: ops}
	m.prog = sync.OnceValue(func() *goja.Program {
		return goja.MustCompile(m.name, m.source(), true)
	})
	return m
}

// source wraps the module body in its factory function, with its operation
// constants declared first.
func (m *module) source() string {
	var b strings.Builder
	b.WriteString("(function (native) {\n\"use strict\";\n")
	if len(m.ops) > 0 {
		b.WriteString("const ")
		for i, op := range m.ops {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(op.name)
			b.WriteString(" = ")
			b.WriteString(strconv.Itoa(op.op))
		}
		b.WriteString(";\n")
	}
	b.WriteString(m.body)
	b.WriteString("\n})")
	return b.String()
}

// instantiate runs m's factory in e's runtime with native as its helper and
// returns what it returns. A JavaScript exception or an interrupt is
// rethrown into the running script. native sees the operation number first;
// the operations common to every module are handled before it is called.
func (e *env) instantiate(m *module, native func(op int64, call goja.FunctionCall) goja.Value) *goja.Object {
	e.builds++
	helper := func(call goja.FunctionCall) goja.Value {
		switch op := call.Argument(0).ToInteger(); op {
		case opThrow:
			e.throwTypeError(call.Argument(1).String())
		case opArgs:
			n, got := call.Argument(1).ToInteger(), call.Argument(2).ToInteger()
			plural := "s"
			if n == 1 {
				plural = ""
			}
			e.throwTypeError(fmt.Sprintf("%s: %d argument%s required, but only %d present.", call.Argument(3).String(), n, plural, got))
		default:
			return native(op, call)
		}
		return nil
	}
	f, err := e.rt.RunProgram(m.prog())
	if err != nil {
		panic(err)
	}
	factory, ok := goja.AssertFunction(f)
	if !ok {
		panic(e.rt.NewTypeError("webapi: module %s is not a function", m.name))
	}
	res, err := factory(goja.Undefined(), e.rt.ToValue(helper))
	if err != nil {
		panic(err)
	}
	obj, ok := res.(*goja.Object)
	if !ok {
		panic(e.rt.NewTypeError("webapi: module %s returned no object", m.name))
	}
	return obj
}

// setToStringTag defines obj's @@toStringTag as WebIDL does for an
// interface prototype: not writable, not enumerable, configurable.
func (e *env) setToStringTag(obj *goja.Object, tag string) {
	_ = obj.DefineDataPropertySymbol(goja.SymToStringTag, e.rt.ToValue(tag), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// prototypeOf returns the prototype property of the constructor c.
func prototypeOf(c goja.Value) *goja.Object {
	return c.(*goja.Object).Get("prototype").(*goja.Object)
}

// nativeFunc returns a function object named name with the given length.
func (e *env) nativeFunc(name string, length int, f func(goja.FunctionCall) goja.Value) *goja.Object {
	fn := e.rt.ToValue(f).(*goja.Object)
	// goja names a Go function after its Go symbol; give it its web name.
	_ = fn.DefineDataProperty("name", e.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = fn.DefineDataProperty("length", e.rt.ToValue(length), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return fn
}

// domException returns an Error standing for a DOMException: an object
// inheriting from Error.prototype whose name and code are the DOMException's.
func (e *env) domException(name string, code int, msg string) *goja.Object {
	err := e.rt.NewTypeError("%s", msg)
	if e.errProto == nil {
		// TypeError.prototype's prototype is %Error.prototype%.
		e.errProto = err.Prototype().Prototype()
	}
	_ = err.SetPrototype(e.errProto)
	_ = err.DefineDataProperty("name", e.rt.ToValue(name), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = err.DefineDataProperty("code", e.rt.ToValue(code), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return err
}

func (e *env) throwTypeError(msg string) {
	panic(e.rt.NewTypeError("%s", msg))
}

// object returns v as an object, or throws a TypeError.
func (e *env) object(v goja.Value) *goja.Object {
	o, ok := v.(*goja.Object)
	if !ok {
		e.throwTypeError("Illegal invocation")
	}
	return o
}

// toString converts v as ECMAScript ToString does (a Symbol is a TypeError)
// and returns it as a Go string, lone surrogates replaced by U+FFFD: a
// USVString.
func (e *env) toString(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	if _, ok := v.(*goja.Symbol); ok {
		e.throwTypeError("Cannot convert a Symbol value to a string")
	}
	return v.ToString().String()
}

// handle is embedded in the Go values JavaScript holds as opaque handles.
// Handles only ever live in private class fields of this package's classes,
// so user code never sees one; goja.DynamicObject is implemented only so a
// handle can be wrapped in a cheap object whose Export returns it.
type handle struct{}

// Get returns nil: a handle has no properties.
func (handle) Get(string) goja.Value { return nil }

// Set refuses every property.
func (handle) Set(string, goja.Value) bool { return false }

// Has returns false.
func (handle) Has(string) bool { return false }

// Delete refuses.
func (handle) Delete(string) bool { return false }

// Keys returns nil.
func (handle) Keys() []string { return nil }

// newHandle wraps d, a pointer to a type embedding handle, for JavaScript.
func (e *env) newHandle(d goja.DynamicObject) goja.Value { return e.rt.NewDynamicObject(d) }

// handleOf returns the Go value behind the handle v.
func handleOf[T any](e *env, v goja.Value) *T {
	if o, ok := v.(*goja.Object); ok {
		if h, ok := o.Export().(*T); ok {
			return h
		}
	}
	panic(e.rt.NewTypeError("Illegal invocation"))
}
