package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzBridge sends arbitrary JSON through a binding and back: whatever the
// value, the bridge must not panic, and a value that crossed must come back
// equal to what Go received.
func FuzzBridge(f *testing.F) {
	for _, seed := range []string{`null`, `1`, `"s"`, `[1,[2,{"a":null}]]`, `{"__proto__":{"x":1}}`, `{"constructor":{"prototype":1}}`, `[[[[[[[[[[]]]]]]]]]]`, `"\u0000\ud800"`} {
		f.Add(seed)
	}
	mod, err := Compile("fuzz.js", `export default { async run(input, env) { const a = await env.e.echo(JSON.parse(input)); return await env.e.echo(a) } }`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var want any
		if json.Unmarshal([]byte(text), &want) != nil {
			return
		}
		var got []any
		env := map[string]Binding{"e": Methods{"echo": func(_ context.Context, args []any) (any, error) {
			got = append(got, args[0])
			return args[0], nil
		}}}
		res, err := NewInProcess().Run(context.Background(), &Invocation{Module: mod, Input: text, Env: env, Limits: Limits{Deadline: 2 * time.Second, MaxValueBytes: 1 << 16}})
		if err != nil {
			var le *LimitError
			var se *ScriptError
			if errors.As(err, &le) || errors.As(err, &se) {
				return // too big, too deep, or not JSON that goja accepts
			}
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		if len(got) != 2 || !reflect.DeepEqual(got[0], got[1]) || !reflect.DeepEqual(res.Value, got[1]) {
			t.Fatalf("value changed crossing the bridge: %#v", got)
		}
	})
}
