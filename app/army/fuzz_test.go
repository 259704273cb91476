package army

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, any failure
// must be an *Error with at least one problem, and any army it accepts must
// export to a file that reads back to an equal army, and export stably.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"name: t\n",
		head + "agents:\n  a:\n    triggers: [manual, every 1h]\n    bindings: {out: out}\n    code: export default {}\n",
		"name: t\ncapabilities:\n  k: {kind: kv, props: {namespace: n, max_key_bytes: &x 3, max_value_bytes: *x}}\n",
		"name: t\ncapabilities:\n  notes:\n    kind: kv\n    props: {namespace: n, max_key_bytes: &x [*x]}\n",
		"name: t\ncapabilities:\n  box: {kind: mail, props: {maildir: ./m}}\nagents:\n  t:\n    template: {each: box, as: thread}\n    triggers: [item]\n    code: |\n      export default {}\n",
		"name: t\ncapabilities:\n  pipe: {kind: channel, props: {to: b}}\nagents:\n  a: {bindings: {send: pipe}, code: \"x\"}\n  b: {triggers: [message], code: \"y\"}\n",
		"name: \"\\u0000\"\ndoc: !!binary aGk=\n",
		"<<: {name: t}\n",
		"name: t\n---\nname: u\n",
		"name: t\nagents:\n  a:\n    code: \"./x\\n\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data, "")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 || e.Error() == "" {
				t.Fatalf("Parse error %T %v: want an *Error with problems", err, err)
			}
			if a != nil {
				t.Fatal("Parse returned an army and an error")
			}
			return
		}
		roundTrip(t, a)
	})
}
