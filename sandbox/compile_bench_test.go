package sandbox

import (
	"fmt"
	"testing"
)

// BenchmarkCompileNew is compiling a module new to the cache, of the shape
// Code Mode makes of a model's code: what every attempt of new code costs
// the main process.
func BenchmarkCompileNew(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		src := fmt.Sprintf("async function __body(input: any, env: any, ctx: any) {\nconst n: number = input + %d;\nawait env.b0.noop(n);\nreturn { n };\n}\nexport default { async run(input: any, env: any, ctx: any) { return __body(input, env, ctx) } }\n", i)
		if _, err := Compile("agent.ts", src); err != nil {
			b.Fatal(err)
		}
	}
}
