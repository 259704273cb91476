package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCheckExamples runs check on each built-in army and compares its text
// and JSON output with golden files.
func TestCheckExamples(t *testing.T) {
	for _, name := range []string{"inbox", "inbox-leaky", "inbox-llm"} {
		for _, format := range []string{"txt", "json"} {
			t.Run(name+"."+format, func(t *testing.T) {
				args := []string{"check", name}
				if format == "json" {
					args = append(args, "--json")
				}
				code, stdout, stderr := runMain(t, "", args...)
				if code != ExitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				golden := filepath.Join("testdata", "check-"+name+"."+format)
				if *update {
					if err := os.MkdirAll("testdata", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if stdout != string(want) {
					t.Fatalf("check %s differs from %s:\n%s", name, golden, stdout)
				}
			})
		}
	}
}

func TestCheckVerdictsOfTheExamples(t *testing.T) {
	_, out, _ := runMain(t, "", "check", "inbox-leaky")
	if !strings.Contains(out, "⚠ approval summarizer.webhook → origin:https://hooks.example.com") {
		t.Fatalf("the leaky webhook is not flagged:\n%s", out)
	}
	if !strings.Contains(out, "✓ safe     summarizer.report → owner") || !strings.Contains(out, "label summarizer = owner\n") {
		t.Fatalf("the summarizer's label or report verdict is wrong:\n%s", out)
	}
	_, out, _ = runMain(t, "", "check", "inbox")
	if strings.Contains(out, "summarizer.") && strings.Contains(out, "⚠ approval summarizer") {
		t.Fatalf("inbox flags the summarizer:\n%s", out)
	}
}

func TestCheckInvalid(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nagents:\n  a:\n    code: \"export default {}\"\n    bindings: {r: nope}\n    colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"dangling and unknown field", []string{"check", bad}, []string{"bad.yaml:5:16: agents.a.bindings.r: no capability named \"nope\"", "bad.yaml:6:5: agents.a.colour: unknown field \"colour\""}},
		{"missing file", []string{"check", filepath.Join(dir, "absent.yaml")}, []string{"absent.yaml"}},
		{"no file", []string{"check"}, []string{"usage: littleboxes check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, "", tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, want 2 and nothing", code, stdout)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Fatalf("stderr %q lacks %q", stderr, s)
				}
			}
		})
	}
}
