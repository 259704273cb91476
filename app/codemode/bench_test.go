package codemode

import (
	"context"
	"fmt"
	"testing"

	"littleboxes/sandbox"
)

// BenchmarkAttemptOverhead is Code Mode's own cost per attempt, the model's
// time excluded: normalise a reply of new code, compile it, and run it in a
// fresh in-process isolate.
func BenchmarkAttemptOverhead(b *testing.B) {
	w := &world{}
	exec := execIn(w, map[string]any{"n": 1.0}, nil)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		reply := fmt.Sprintf("```ts\nconst n: number = input.n + %d;\nawait env.out.peek();\nreturn { n };\n```", i)
		if _, _, err := runAttempt(ctx, Extract(reply), false, exec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPlanKey(t *testing.T) {
	base := PlanKey("m", "i", "d")
	for _, k := range []string{PlanKey("m2", "i", "d"), PlanKey("m", "i2", "d"), PlanKey("m", "i", "d2"), PlanKey("", "mi", "d")} {
		if k == base {
			t.Fatal("a different model, instructions or declaration gave the same key")
		}
	}
	if PlanKey("m", "i", "d") != base {
		t.Fatal("the key is not stable")
	}
	_ = sandbox.EntryRun
}
