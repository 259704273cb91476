package cell

import (
	"context"
	"time"

	"littleboxes/sandbox"
)

// warmModule is run once before hardening, so that everything the sandbox
// loads lazily (esbuild's and goja's tables, the netpoller, the local time
// zone) is loaded while the cell may still open files.
const warmModule = `export default { async run(input, env, ctx) {
  await new Promise(r => setTimeout(r, 1)); await env.w.m(1);
  console.log(new Date().toString(), JSON.stringify({a: [1, "x"]}), new URL("https://x.test/p?q=1").href, new TextEncoder().encode("é"));
  return input } }`

// prepareForHardening loads what would otherwise be read from files later.
func prepareForHardening() {
	_, _ = time.Now().Local().Zone()
	mod, err := sandbox.Compile("warm.ts", warmModule)
	if err != nil {
		return
	}
	w := sandbox.Methods{"m": func(_ context.Context, a []any) (any, error) { return a[0], nil }}
	_, _ = sandbox.NewInProcess().Run(context.Background(), &sandbox.Invocation{
		Module: mod, Input: []byte{1}, Env: map[string]sandbox.Binding{"w": w},
	})
}
