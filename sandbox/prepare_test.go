package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A prepared isolate is as fresh as one made by Run, serves exactly one
// invocation, and takes that invocation's limits.
func TestPrepare(t *testing.T) {
	r := NewInProcess()
	runSrc := func(src string, env map[string]Binding, limits Limits) (*Result, error) {
		t.Helper()
		mod, err := Compile("agent.ts", src)
		if err != nil {
			t.Fatalf("compile: %v", err)
		}
		return r.Run(context.Background(), &Invocation{Module: mod, Env: env, Limits: limits})
	}
	// leave changes everything an agent can reach outside its own module.
	leave := `export default { async run(_, env) {
		globalThis.left = 1; Object.prototype.polluted = 1; JSON.parse = () => "hijacked";
		Promise.prototype.then = () => "hijacked"; console.log("first"); return 1 } }`
	look := `export default { async run(_, env) {
		console.log("second");
		return [typeof left, ({}).polluted === undefined, JSON.parse("[1]")[0], await Promise.resolve(2), Object.isFrozen(env.e), typeof env.e.echo] } }`
	echo := map[string]Binding{"e": Methods{"echo": func(_ context.Context, a []any) (any, error) { return a, nil }}}

	tests := []struct {
		name    string
		prepare bool
	}{
		{"without a spare", false},
		{"with a spare", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prepare {
				r.Prepare()
				if r.spare.Load() == nil {
					t.Fatal("Prepare left no spare")
				}
			}
			if _, err := runSrc(leave, echo, Limits{}); err != nil {
				t.Fatalf("first run: %v", err)
			}
			if r.spare.Load() != nil {
				t.Fatal("the spare is still there after the run that took it")
			}
			if tt.prepare {
				r.Prepare()
			}
			res, err := runSrc(look, echo, Limits{})
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			want := []any{"undefined", true, 1.0, 2.0, true, "function"}
			got, _ := res.Value.([]any)
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", res.Value, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("value %d: got %v (%T), want %v", i, got[i], got[i], want[i])
				}
			}
			if len(res.Console) != 1 || res.Console[0].Text != "second" {
				t.Errorf("console %v: want only the second run's line", res.Console)
			}
			// The invocation's own limits hold in a prepared isolate.
			if tt.prepare {
				r.Prepare()
			}
			_, err = runSrc(`export default { run() { const f = n => n ? f(n - 1) + 1 : 0; return f(500) } }`, nil, Limits{MaxStackDepth: 100})
			var le *LimitError
			if !errors.As(err, &le) || !strings.Contains(le.Limit, "stack") {
				t.Errorf("deep recursion under a depth limit of 100: %v, want the call stack depth limit", err)
			}
		})
	}
}
