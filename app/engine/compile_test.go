package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"littleboxes/sandbox"
)

// manyAgents is an army of n agents; agent i's code is text(i).
func manyAgents(n int, text func(i int) string) string {
	var b strings.Builder
	b.WriteString("name: many\nagents:\n")
	for i := range n {
		fmt.Fprintf(&b, "  a%d:\n    triggers: [manual]\n    code: |\n      %s\n", i, text(i))
	}
	return b.String()
}

// TestCompileOnlyWhatRuns: starting an engine checks every agent's code and
// compiles none; running one agent compiles that one, once; agents of one
// text share one compiled program.
func TestCompileOnlyWhatRuns(t *testing.T) {
	ctx := context.Background()
	nonce := time.Now().UnixNano() // texts no other test compiled
	for _, tc := range []struct {
		name         string
		text         func(i int) string
		checks       uint64 // when the engine starts
		compilesRun2 uint64 // after running a1 and a2
	}{
		{"every agent its own text", func(i int) string {
			return fmt.Sprintf("export default { async run() { return %q } }", fmt.Sprint(nonce, "/", i))
		}, 40, 2},
		{"every agent one text", func(int) string {
			return fmt.Sprintf("export default { async run(_i, _e, ctx) { return %q + ctx.agent } }", fmt.Sprint(nonce, "/"))
		}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openBolt(t, t.TempDir())
			before := sandbox.Stats()
			e := newEngine(t, parse(t, manyAgents(40, tc.text)), st, func(o *Options) { o.Passive = true })
			defer e.Close(ctx)
			started := sandbox.Stats()
			if got := started.Checks - before.Checks; got != tc.checks {
				t.Errorf("starting checked %d texts, want %d", got, tc.checks)
			}
			if got := started.Compiles - before.Compiles; got != 0 {
				t.Errorf("starting compiled %d modules, want none", got)
			}
			for _, name := range []string{"a1", "a1", "a2"} {
				res, err := e.Run(ctx, name, nil)
				if err != nil {
					t.Fatal(err)
				}
				if s, _ := res.Value.(string); !strings.HasPrefix(s, fmt.Sprint(nonce)) {
					t.Fatalf("%s returned %#v", name, res.Value)
				}
			}
			if got := sandbox.Stats().Compiles - started.Compiles; got != tc.compilesRun2 {
				t.Errorf("running a1 twice and a2 compiled %d modules, want %d", got, tc.compilesRun2)
			}
		})
	}
}

// TestCompileErrorBeforeRunning: an agent that does not compile stops the
// engine from starting, naming the agent, however many others there are.
func TestCompileErrorBeforeRunning(t *testing.T) {
	src := manyAgents(20, func(i int) string {
		if i == 17 {
			return "export default { async run() { return ( } }"
		}
		return "export default { async run() { return 1 } }"
	})
	st := openBolt(t, t.TempDir())
	e, err := New(context.Background(), Options{Army: parse(t, src), Store: st})
	if err == nil {
		e.Close(context.Background())
		t.Fatal("an engine started with an agent that does not compile")
	}
	var ce *sandbox.CompileError
	if !strings.Contains(err.Error(), `agent "a17"`) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a compile error naming agent a17", err)
	}
}
