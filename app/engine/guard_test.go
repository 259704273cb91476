package engine

import (
	"context"
	"testing"
)

const kvArmy = `
name: guardkv
capabilities:
  notes: {kind: kv, props: {namespace: guard}}
agents:
  a:
    triggers: [manual]
    bindings: {notes: notes}
    code: |
      export default { async run() {} }
`

// BenchmarkGuardKVCall measures one kv get through the agent's guarded,
// redacted binding: the per-call overhead of the guard and dispatch.
func BenchmarkGuardKVCall(b *testing.B) {
	st := openBolt(b, b.TempDir())
	defer st.Close()
	e := newEngine(b, parse(b, kvArmy), st, func(o *Options) { o.Passive = true })
	defer e.Close(context.Background())
	bd := e.agents["a"].env["notes"]
	ctx := context.Background()
	if _, err := bd.Call(ctx, "put", []any{"k", "v"}); err != nil {
		b.Fatal(err)
	}
	args := []any{"k"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := bd.Call(ctx, "get", args); err != nil {
			b.Fatal(err)
		}
	}
}
