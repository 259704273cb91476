package capabilities

import (
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
