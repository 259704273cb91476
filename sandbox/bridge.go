package sandbox

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// The bridge copies values between JavaScript and Go. Only plain data
// crosses: null, booleans, numbers, strings, arrays, plain objects and bytes
// (a Uint8Array or ArrayBuffer in JavaScript, []byte in Go). Every read of a
// JavaScript object (its keys, each property, an array's length) happens once,
// during the copy, so a getter or Proxy trap runs at most once per property and
// under the invocation's deadline. Go never holds a goja value afterwards.

// maxValueDepth bounds how deeply arrays and objects may nest in one value.
const maxValueDepth = 100

// bridgeTypeError is a copy that failed because of the value's shape; it is
// thrown into JavaScript as a TypeError.
type bridgeTypeError struct{ msg string }

func (e *bridgeTypeError) Error() string { return e.msg }

// subject says what a copied value is, for messages. A binding call's
// arguments and result are described only when a message needs it: most
// copies succeed, and formatting a label for each would cost every call.
type subject struct {
	text string       // the description, when m is nil
	m    *boundMethod // the binding method whose argument or result this is
	arg  int          // the argument's number, from 1; 0 for the result
}

// String formats the description: "argument 1 of env.kv.get", "the
// result of env.kv.get", or the fixed text.
func (s subject) String() string {
	switch {
	case s.m == nil:
		return s.text
	case s.arg > 0:
		return "argument " + strconv.Itoa(s.arg) + " of " + s.m.label()
	default:
		return "the result of " + s.m.label()
	}
}

// exporter copies one JavaScript value out of an isolate into plain Go data.
type exporter struct {
	iso    *isolate
	budget int            // bytes left under the value-size limit
	what   subject        // what is being copied, for messages: "argument 1 of env.kv.get"
	stack  []*goja.Object // the objects being copied, to detect cycles
}

func (x *exporter) typeErr(format string, args ...any) error {
	return &bridgeTypeError{msg: x.what.String() + ": " + fmt.Sprintf(format, args...)}
}

func (x *exporter) spend(n int) error {
	x.budget -= n
	if x.budget < 0 {
		return &LimitError{Limit: "value size", Detail: fmt.Sprintf("%s is larger than %d bytes", x.what.String(), x.iso.limits.MaxValueBytes)}
	}
	return nil
}

// export copies v. It returns a *bridgeTypeError for values that are not
// plain data and a *LimitError when the value is over the size limit.
func (x *exporter) export(v goja.Value) (any, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, x.spend(4)
	}
	if o, ok := v.(*goja.Object); ok {
		return x.exportObject(o)
	}
	if _, ok := v.(*goja.Symbol); ok {
		return nil, x.typeErr("a Symbol is not plain data")
	}
	switch e := v.Export().(type) {
	case bool:
		return e, x.spend(4)
	case int64:
		return float64(e), x.spend(8)
	case float64:
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return nil, x.spend(4) // as JSON.stringify does
		}
		return e, x.spend(8)
	case string:
		return e, x.spend(len(e) + 2)
	case *big.Int:
		return nil, x.typeErr("a BigInt is not plain data; convert it to a string or number first")
	case *goja.Symbol:
		return nil, x.typeErr("a Symbol is not plain data")
	default:
		return nil, x.typeErr("a value of type %T is not plain data", e)
	}
}

func (x *exporter) exportObject(o *goja.Object) (any, error) {
	if _, isFn := goja.AssertFunction(o); isFn {
		return nil, x.typeErr("a function is not plain data")
	}
	for _, anc := range x.stack {
		if anc == o {
			return nil, x.typeErr("the value contains a cycle")
		}
	}
	if len(x.stack) >= maxValueDepth {
		return nil, x.typeErr("the value nests deeper than %d levels", maxValueDepth)
	}
	x.stack = append(x.stack, o)
	defer func() { x.stack = x.stack[:len(x.stack)-1] }()

	switch o.ClassName() {
	case "Array":
		return x.exportArray(o)
	case "Object":
		// Typed arrays, Maps, Sets and Promises all report the class
		// "Object"; their export types tell them apart.
		switch et := o.ExportType(); {
		case et == typeBytes || et == typeArrayBuffer:
			return x.exportBytes(o)
		case et == typePromise:
			return nil, x.typeErr("a Promise is not plain data; await it first")
		case et == typeMapExport:
			return nil, x.typeErr("a Map is not plain data; use Object.fromEntries(map)")
		case et == typeSetExport:
			return nil, x.typeErr("a Set is not plain data; use Array.from(set)")
		case et != nil && et.Kind() == reflect.Slice:
			return nil, x.typeErr("a typed array other than Uint8Array is not plain data; pass new Uint8Array(a.buffer)")
		default:
			return x.exportPlain(o)
		}
	case "Error":
		return x.exportError(o)
	case "Date":
		if t, ok := o.Export().(time.Time); ok {
			s := t.UTC().Format("2006-01-02T15:04:05.000Z")
			return s, x.spend(len(s))
		}
		return nil, x.typeErr("an invalid Date is not plain data")
	default:
		return nil, x.typeErr("a %s is not plain data (only null, booleans, numbers, strings, arrays, plain objects and Uint8Array cross the bridge)", o.ClassName())
	}
}

var (
	typeBytes       = reflect.TypeOf([]byte(nil))
	typeArrayBuffer = reflect.TypeOf(goja.ArrayBuffer{})
	typePromise     = reflect.TypeOf((*goja.Promise)(nil))
	typeMapExport   = reflect.TypeOf([][2]any{}) // what goja exports a Map as
	typeSetExport   = reflect.TypeOf([]any{})    // what goja exports a Set as (an Array has class "Array")
)

func (x *exporter) exportBytes(o *goja.Object) (any, error) {
	b, err := x.iso.bytesOf(o)
	if err != nil {
		return nil, x.typeErr("%v", err)
	}
	if err := x.spend(len(b) + 2); err != nil {
		return nil, err
	}
	return b, nil
}

func (x *exporter) exportArray(o *goja.Object) (any, error) {
	n := o.Get("length").ToInteger()
	if n < 0 || n > int64(x.budget) {
		return nil, x.spend(int(min(n, math.MaxInt32)) + 1)
	}
	if err := x.spend(2); err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i := int64(0); i < n; i++ {
		v, err := x.export(o.Get(strconv.FormatInt(i, 10)))
		if err != nil {
			return nil, err
		}
		if err := x.spend(1); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (x *exporter) exportPlain(o *goja.Object) (any, error) {
	keys := o.Keys()
	if err := x.spend(2); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		pv := o.Get(k)
		if pv == nil || goja.IsUndefined(pv) {
			continue // as JSON.stringify does
		}
		v, err := x.export(pv)
		if err != nil {
			return nil, err
		}
		if err := x.spend(len(k) + 3); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// exportError copies an Error as {name, message} plus its own enumerable
// properties, so a caught error can be passed on.
func (x *exporter) exportError(o *goja.Object) (any, error) {
	m, err := x.exportPlain(o)
	if err != nil {
		return nil, err
	}
	out := m.(map[string]any)
	for _, k := range []string{"name", "message"} {
		if _, ok := out[k]; ok {
			continue
		}
		if s, ok := stringOf(o.Get(k)); ok {
			if err := x.spend(len(s) + len(k)); err != nil {
				return nil, err
			}
			out[k] = s
		}
	}
	return out, nil
}

// importer copies plain Go data into an isolate as new JavaScript values.
type importer struct {
	iso    *isolate
	budget int
	what   subject
}

func (m *importer) spend(n int) error {
	m.budget -= n
	if m.budget < 0 {
		return &LimitError{Limit: "value size", Detail: fmt.Sprintf("%s is larger than %d bytes", m.what.String(), m.iso.limits.MaxValueBytes)}
	}
	return nil
}

// imp converts v, which must be plain data; depth guards against deeply
// nested Go values.
func (m *importer) imp(v any, depth int) (goja.Value, error) {
	rt := m.iso.rt
	if depth > maxValueDepth {
		return nil, fmt.Errorf("%s nests deeper than %d levels", m.what.String(), maxValueDepth)
	}
	switch e := v.(type) {
	case nil:
		return goja.Null(), m.spend(4)
	case bool:
		return rt.ToValue(e), m.spend(4)
	case string:
		return rt.ToValue(e), m.spend(len(e) + 2)
	case float64:
		return rt.ToValue(e), m.spend(8)
	case float32:
		return rt.ToValue(float64(e)), m.spend(8)
	case int:
		return rt.ToValue(e), m.spend(8)
	case int8:
		return rt.ToValue(int64(e)), m.spend(8)
	case int16:
		return rt.ToValue(int64(e)), m.spend(8)
	case int32:
		return rt.ToValue(int64(e)), m.spend(8)
	case int64:
		return rt.ToValue(e), m.spend(8)
	case uint:
		return rt.ToValue(float64(e)), m.spend(8)
	case uint8:
		return rt.ToValue(int64(e)), m.spend(8)
	case uint16:
		return rt.ToValue(int64(e)), m.spend(8)
	case uint32:
		return rt.ToValue(int64(e)), m.spend(8)
	case uint64:
		return rt.ToValue(float64(e)), m.spend(8)
	case []byte:
		if err := m.spend(len(e) + 2); err != nil {
			return nil, err
		}
		return m.iso.newUint8Array(e)
	case []any:
		if err := m.spend(2 + len(e)); err != nil {
			return nil, err
		}
		items := make([]any, len(e))
		for i, it := range e {
			jv, err := m.imp(it, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = jv
		}
		return rt.NewArray(items...), nil
	case []string:
		items := make([]any, len(e))
		for i, s := range e {
			items[i] = s
		}
		return m.imp(items, depth)
	case map[string]any:
		if err := m.spend(2); err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := rt.NewObject()
		for _, k := range keys {
			jv, err := m.imp(e[k], depth+1)
			if err != nil {
				return nil, err
			}
			if err := m.spend(len(k) + 3); err != nil {
				return nil, err
			}
			// DefineDataProperty, not Set: a key "__proto__" is data, never a prototype.
			if err := obj.DefineDataProperty(k, jv, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				return nil, fmt.Errorf("%s: key %q: %w", m.what.String(), k, err)
			}
		}
		return obj, nil
	case map[string]string:
		mm := make(map[string]any, len(e))
		for k, s := range e {
			mm[k] = s
		}
		return m.imp(mm, depth)
	default:
		return nil, fmt.Errorf("%s: a Go value of type %T is not plain data", m.what.String(), v)
	}
}

// stringOf returns v's value if v is a string primitive. Unlike Export, it
// never reads an object's properties.
func stringOf(v goja.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	if _, isObj := v.(*goja.Object); isObj {
		return "", false
	}
	if _, isSym := v.(*goja.Symbol); isSym {
		return "", false
	}
	s, ok := v.Export().(string)
	return s, ok
}

// strictBinding makes reading a method that env.NAME lacks a TypeError that
// says which methods it has ("env.thread has no method forward; it has read,
// reply"), for its reader is often a model fixing its own code, where
// JavaScript would only say that undefined is not a function. It sets obj's
// prototype, before obj is frozen, to the isolate's binding prototype.
func (iso *isolate) strictBinding(obj *goja.Object, name string, methods []string) error {
	if iso.bindingProto == nil {
		iso.bindingProto = iso.newBindingProto()
	}
	iso.bindingProto.names[obj] = bindingNames{name: name, methods: methods}
	return obj.SetPrototype(iso.bindingProto.proxy)
}

// bindingProto is the prototype of every env.NAME object of one isolate: a
// Proxy over a plain object. Names the plain object has (toString,
// hasOwnProperty) read as usual; then, toJSON and every Symbol read as
// undefined, so that awaiting, serialising or printing a binding still
// works; any other name throws a TypeError naming the binding's methods.
type bindingProto struct {
	proxy *goja.Object
	names map[*goja.Object]bindingNames // env.NAME object → its name and methods
}

type bindingNames struct {
	name    string
	methods []string
}

func (iso *isolate) newBindingProto() *bindingProto {
	rt := iso.rt
	bp := &bindingProto{names: map[*goja.Object]bindingNames{}}
	p := rt.NewProxy(rt.NewObject(), &goja.ProxyTrapConfig{
		Get: func(target *goja.Object, prop string, receiver goja.Value) goja.Value {
			if v := target.Get(prop); v != nil {
				return v
			}
			o, _ := receiver.(*goja.Object)
			b, ok := bp.names[o]
			if !ok || prop == "then" || prop == "toJSON" {
				return goja.Undefined()
			}
			list := "it has no methods"
			if len(b.methods) > 0 {
				list = "it has " + strings.Join(b.methods, ", ")
			}
			panic(rt.NewTypeError("env." + b.name + " has no method " + prop + "; " + list))
		},
	})
	bp.proxy = rt.ToValue(p).ToObject(rt)
	return bp
}
