package webapi

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"

	"github.com/dop251/goja"
)

//go:embed crypto.js
var cryptoJS string

// Operations of the crypto module's native helper.
const (
	opRandomValues = iota
	opRandomUUID
)

var cryptoModuleDef = newModule("webapi:crypto", cryptoJS, []opName{
	{"RANDOM_VALUES", opRandomValues},
	{"RANDOM_UUID", opRandomUUID},
})

// maxRandomBytes is the most getRandomValues fills in one call.
const maxRandomBytes = 65536

func (e *env) cryptoNative(op int64, call goja.FunctionCall) goja.Value {
	switch op {
	case opRandomValues:
		v := call.Argument(1)
		o, ok := v.(*goja.Object)
		if !ok || !typedArrayTypes[o.ExportType()] {
			e.throwTypeError("Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView value must be an integer array type.")
		}
		b := e.viewBytes(o)
		if len(b) > maxRandomBytes {
			panic(e.domException("QuotaExceededError", 22, fmt.Sprintf(
				"Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (%d) exceeds the number of bytes of entropy available via this API (%d).",
				len(b), maxRandomBytes)))
		}
		_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
		return v
	case opRandomUUID:
		return e.rt.ToValue(randomUUID())
	}
	e.throwTypeError("webapi: unknown crypto operation")
	return nil
}

// randomUUID returns a version 4 UUID in lowercase hexadecimal.
func randomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}
