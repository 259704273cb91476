package capabilities

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes as props: decoding must never panic, and
// anything it rejects must be ErrProps.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"greeting":"x","count":2,"tags":["a"]}`, `{"count":1e400}`, `{"tags":{}}`, `null`, `{"greeting":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, props []byte) {
		inst, _, err := Decode("test.fake", props)
		if err != nil {
			if !errors.Is(err, ErrProps) {
				t.Fatalf("err = %v, want ErrProps", err)
			}
			return
		}
		_ = inst.Flow()
	})
}

// FuzzCheck feeds arbitrary JSON arrays as a call's arguments: the schema
// check must never panic, must refuse with a CallError, and whatever it
// accepts must match the method's parameters.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`[]`, `["k"]`, `["k", 3]`, `[1.5, null, "raw", true, [], {}]`, `[null, null, null]`, `[2, 1, 1, 1, 1, 1, 1]`} {
		f.Add("page", []byte(s))
		f.Add("put", []byte(s))
	}
	f.Fuzz(func(t *testing.T, method string, raw []byte) {
		var args []any
		if json.Unmarshal(raw, &args) != nil {
			return
		}
		m, err := notesTable.Lookup(method)
		if err != nil {
			if ce, ok := errors.AsType[*CallError](err); !ok || !ce.Unknown {
				t.Fatalf("lookup %q: %v", method, err)
			}
			return
		}
		if err := m.Check(args); err != nil {
			if _, ok := errors.AsType[*CallError](err); !ok {
				t.Fatalf("refused with %T %v, want a CallError", err, err)
			}
			return
		}
		for i, p := range m.Params {
			if i < len(args) && args[i] != nil && !p.Type.accepts(args[i]) {
				t.Fatalf("accepted argument %d (%s) = %#v", i+1, p.Name, args[i])
			}
			if !p.Optional && (i >= len(args) || args[i] == nil) {
				t.Fatalf("accepted a call without argument %d (%s)", i+1, p.Name)
			}
		}
	})
}
