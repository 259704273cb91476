package webapi

import (
	_ "embed"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

//go:embed encoding.js
var encodingJS string

// Operations of the encoding module's native helper.
const (
	opEncode = iota
	opEncodeInto
	opDecoderNew
	opDecode
)

var encodingModuleDef = newModule("webapi:encoding", encodingJS, []opName{
	{"ENCODE", opEncode},
	{"ENCODE_INTO", opEncodeInto},
	{"DECODER_NEW", opDecoderNew},
	{"DECODE", opDecode},
})

// decoderObject is the Go side of a TextDecoder.
type decoderObject struct {
	handle
	d          utf8Decoder
	fatal      bool
	ignoreBOM  bool
	bomSeen    bool
	doNotFlush bool
}

func (e *env) encodingModule() *goja.Object {
	if e.encoding == nil {
		e.encoding = e.instantiate(encodingModuleDef, e.encodingNative)
		e.setToStringTag(prototypeOf(e.encoding.Get("TextEncoder")), "TextEncoder")
		e.setToStringTag(prototypeOf(e.encoding.Get("TextDecoder")), "TextDecoder")
	}
	return e.encoding
}

// newUint8Array returns a new Uint8Array over the bytes b.
func (e *env) newUint8Array(b []byte) goja.Value {
	if e.u8 == nil {
		// There is no Go API for typed arrays: use the global constructor,
		// as it is when first needed.
		c, ok := e.rt.Get("Uint8Array").(*goja.Object)
		if !ok {
			e.throwTypeError("Uint8Array is not a constructor")
		}
		e.u8 = c
	}
	arr, err := e.rt.New(e.u8, e.rt.ToValue(e.rt.NewArrayBuffer(b)))
	if err != nil {
		panic(err)
	}
	return arr
}

// isUTF8Label reports whether label names UTF-8 in the Encoding Standard
// (after trimming ASCII whitespace, case-insensitively).
func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.Trim(label, "\t\n\f\r ")) {
	case "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8":
		return true
	}
	return false
}

func (e *env) encodingNative(op int64, call goja.FunctionCall) goja.Value {
	rt := e.rt
	arg := call.Argument
	switch op {
	case opEncode:
		return e.newUint8Array([]byte(arg(1).String()))
	case opEncodeInto:
		src := arg(1).String()
		dst, ok := arg(2).(*goja.Object)
		if ok && dst.ExportType() == bytesType {
			tag := dst.GetSymbol(goja.SymToStringTag)
			ok = tag != nil && tag.String() == "Uint8Array" // not Uint8ClampedArray
		} else {
			ok = false
		}
		if !ok {
			e.throwTypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.")
		}
		p := e.viewBytes(dst)
		read, written := 0, 0
		for _, r := range src {
			n := utf8.RuneLen(r)
			if written+n > len(p) {
				break
			}
			utf8.EncodeRune(p[written:], r)
			written += n
			read++
			if r >= 0x10000 {
				read++ // a surrogate pair in UTF-16
			}
		}
		res := rt.NewObject()
		_ = res.Set("read", read)
		_ = res.Set("written", written)
		return res
	case opDecoderNew:
		if !isUTF8Label(arg(1).String()) {
			return goja.Null()
		}
		return e.newHandle(&decoderObject{fatal: arg(2).ToBoolean(), ignoreBOM: arg(3).ToBoolean()})
	case opDecode:
		d := handleOf[decoderObject](e, arg(1))
		var p []byte
		if in := arg(2); !goja.IsUndefined(in) {
			var ok bool
			if p, ok = e.bufferSourceBytes(in); !ok {
				e.throwTypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.")
			}
		}
		return rt.ToValue(d.decode(e, p, arg(3).ToBoolean()))
	}
	e.throwTypeError("webapi: unknown encoding operation")
	return nil
}

// decode implements TextDecoder.decode on the bytes p.
func (d *decoderObject) decode(e *env, p []byte, stream bool) string {
	if !d.doNotFlush {
		d.d = utf8Decoder{}
		d.bomSeen = false
	}
	d.doNotFlush = stream
	out, ok := d.d.decode(make([]byte, 0, len(p)), p, !stream, d.fatal)
	if !ok {
		d.d, d.doNotFlush = utf8Decoder{}, false
		e.throwTypeError("Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid.")
	}
	if !d.ignoreBOM && !d.bomSeen && len(out) > 0 {
		d.bomSeen = true
		if len(out) >= 3 && out[0] == 0xEF && out[1] == 0xBB && out[2] == 0xBF {
			out = out[3:]
		}
	}
	return string(out)
}

var (
	arrayBufferType = reflect.TypeFor[goja.ArrayBuffer]()
	bytesType       = reflect.TypeFor[[]byte]()
)

// typedArrayTypes are the Export types of goja's typed arrays (Uint8Array
// and Uint8ClampedArray both export as []byte), mapped to whether their
// elements are integers.
var typedArrayTypes = map[reflect.Type]bool{
	reflect.TypeFor[[]uint8]():   true,
	reflect.TypeFor[[]int8]():    true,
	reflect.TypeFor[[]uint16]():  true,
	reflect.TypeFor[[]int16]():   true,
	reflect.TypeFor[[]uint32]():  true,
	reflect.TypeFor[[]int32]():   true,
	reflect.TypeFor[[]uint64]():  true,
	reflect.TypeFor[[]int64]():   true,
	reflect.TypeFor[[]float32](): false,
	reflect.TypeFor[[]float64](): false,
}

// arrayBufferOf returns v as an ArrayBuffer if it is one.
func arrayBufferOf(v goja.Value) (goja.ArrayBuffer, bool) {
	if o, ok := v.(*goja.Object); ok && o.ExportType() == arrayBufferType {
		ab, ok := o.Export().(goja.ArrayBuffer)
		return ab, ok
	}
	return goja.ArrayBuffer{}, false
}

// bufferSourceBytes returns the bytes of an ArrayBuffer, typed array or
// DataView v (sharing its memory), or ok false if v is none of these.
func (e *env) bufferSourceBytes(v goja.Value) (b []byte, ok bool) {
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, false
	}
	t := o.ExportType()
	if ab, ok := arrayBufferOf(o); ok {
		return ab.Bytes(), true
	}
	if _, ok := typedArrayTypes[t]; ok {
		return e.viewBytes(o), true
	}
	// A DataView exports as a map; tell it by its @@toStringTag.
	if tag := o.GetSymbol(goja.SymToStringTag); tag != nil && tag.String() == "DataView" {
		return e.viewBytes(o), true
	}
	return nil, false
}

// viewBytes returns the bytes a typed array or DataView o views, sharing its
// buffer's memory. It reads the view's buffer, byteOffset and byteLength as
// properties and slices the buffer's bytes with bounds checks, so it stays
// memory-safe whatever a script did to those properties (at worst it views
// another buffer the script holds) and whatever Go did to the buffer
// (goja's own Export of a view on a detached buffer is not safe).
func (e *env) viewBytes(o *goja.Object) []byte {
	ab, ok := arrayBufferOf(o.Get("buffer"))
	if !ok {
		e.throwTypeError("The provided value is not an ArrayBufferView")
	}
	if ab.Detached() {
		e.throwTypeError("Cannot perform this operation on a detached ArrayBuffer")
	}
	data := ab.Bytes()
	off, n := toIndex(o.Get("byteOffset")), toIndex(o.Get("byteLength"))
	if off < 0 || n < 0 || off > int64(len(data)) || n > int64(len(data))-off {
		e.throwTypeError("The ArrayBufferView is out of its buffer's bounds")
	}
	return data[off : off+n : off+n]
}

// toIndex returns v as a non-negative integer, or -1.
func toIndex(v goja.Value) int64 {
	if v == nil {
		return -1
	}
	f := v.ToFloat()
	if f != f || f < 0 || f > 1<<53 || f != float64(int64(f)) {
		return -1
	}
	return int64(f)
}
