package webapi

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

func (e *env) newAtob() goja.Value {
	e.builds++
	return e.nativeFunc("atob", 1, func(call goja.FunctionCall) goja.Value {
		if len(call.Arguments) < 1 {
			e.throwTypeError("Failed to execute 'atob': 1 argument required, but only 0 present.")
		}
		out, ok := forgivingBase64Decode(e.toString(call.Arguments[0]))
		if !ok {
			panic(e.domException("InvalidCharacterError", 5, "Failed to execute 'atob': The string to be decoded is not correctly encoded."))
		}
		return e.rt.ToValue(latin1(out))
	})
}

func (e *env) newBtoa() goja.Value {
	e.builds++
	return e.nativeFunc("btoa", 1, func(call goja.FunctionCall) goja.Value {
		if len(call.Arguments) < 1 {
			e.throwTypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.")
		}
		s := e.toString(call.Arguments[0])
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xFF {
				panic(e.domException("InvalidCharacterError", 5, "Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range."))
			}
			b = append(b, byte(r))
		}
		return e.rt.ToValue(base64.StdEncoding.EncodeToString(b))
	})
}

// forgivingBase64Decode implements forgiving-base64 decode.
func forgivingBase64Decode(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\t\n\f\r ") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case '\t', '\n', '\f', '\r', ' ':
				return -1
			}
			return r
		}, s)
	}
	if len(s)%4 == 0 {
		if strings.HasSuffix(s, "==") {
			s = s[:len(s)-2]
		} else if strings.HasSuffix(s, "=") {
			s = s[:len(s)-1]
		}
	}
	if len(s)%4 == 1 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return nil, false
		}
	}
	out, err := base64.RawStdEncoding.DecodeString(s)
	return out, err == nil
}

// latin1 returns the string whose code points are the bytes b.
func latin1(b []byte) string {
	n := 0
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	if n == 0 {
		return string(b)
	}
	s := make([]byte, 0, len(b)+n)
	for _, c := range b {
		s = utf8.AppendRune(s, rune(c))
	}
	return string(s)
}
