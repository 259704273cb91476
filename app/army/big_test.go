package army

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLarge checks that a large army, and one full of dangling names, is
// checked quickly: no step is quadratic in the army's size.
func TestLarge(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		var b strings.Builder
		b.WriteString("name: large\ncapabilities:\n")
		const n = 3000
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  cap-%d: {kind: kv, props: {namespace: ns%d}}\n", i, i)
		}
		b.WriteString("agents:\n")
		for i := 0; i < n; i++ {
			capName := fmt.Sprintf("cap-%d", i)
			if dangling {
				capName = fmt.Sprintf("cap-x%d", i)
			}
			fmt.Fprintf(&b, "  agent-%d:\n    triggers: [message]\n    bindings: {kv: %s}\n    code: export default {}\n", i, capName)
		}
		b.WriteString("channels:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  - {from: agent-%d, env: next, to: agent-%d}\n", i, (i+1)%n)
		}
		start := time.Now()
		_, err := Parse([]byte(b.String()), "")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("dangling=%v: Parse took %v", dangling, took)
		}
		if (err != nil) != dangling {
			t.Errorf("dangling=%v: Parse = %v", dangling, err)
		}
	}
}
