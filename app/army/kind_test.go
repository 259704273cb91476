package army

import (
	"errors"
	"testing"
)

// TestProblemKinds checks the kind each problem is raised with: an editor
// saves an army whose problems are all incomplete, and refuses the others.
func TestProblemKinds(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want ProblemKind
	}{
		{"no army name", "agents:\n  a: {code: 'export default {}'}\n", ProblemIncomplete},
		{"no kind", head + "  c: {}\n", ProblemIncomplete},
		{"no code", head + "agents:\n  a: {doc: hi}\n", ProblemIncomplete},
		{"no agent entry at all", head + "agents:\n  a:\n", ProblemIncomplete},
		{"required prop missing", head + "  h: {kind: http}\n", ProblemIncomplete},
		{"message trigger with no channel", head + "agents:\n  a: {code: 'export default {}', triggers: [message]}\n", ProblemIncomplete},
		{"channel to an agent with no message trigger", head + "agents:\n  a: {code: 'export default {}'}\n  b: {code: 'export default {}'}\nchannels:\n  - {from: a, env: out, to: b}\n", ProblemIncomplete},
		{"binding with no capability", head + "agents:\n  a:\n    code: 'export default {}'\n    bindings: {out: ''}\n", ProblemIncomplete},
		{"binding to nothing", head + "agents:\n  a:\n    code: 'export default {}'\n    bindings: {out: nothing}\n", ProblemInvalid},
		{"unknown kind", head + "  c: {kind: nope}\n", ProblemInvalid},
		{"bad agent name", head + "agents:\n  A_b: {code: 'export default {}'}\n", ProblemInvalid},
		{"bad env name", head + "agents:\n  a:\n    code: 'export default {}'\n    bindings: {then: out}\n", ProblemInvalid},
		{"yaml syntax", "name: a: b\n", ProblemSyntax},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDraft([]byte(tc.yaml), t.TempDir())
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("err = %v, want problems", err)
			}
			p := e.Problems[0]
			if p.Kind != tc.want {
				t.Errorf("%s: kind %s, want %s", p, p.Kind, tc.want)
			}
		})
	}
}
