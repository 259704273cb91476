package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"littleboxes/capabilities/captest"
	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
	"littleboxes/examples"
)

// exampleDir matches the temporary folder check materializes an example in.
var exampleDir = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/littleboxes-check-[0-9]+`)

// TestCheckExamples runs check on every built-in army and compares its text
// and JSON output with golden files.
func TestCheckExamples(t *testing.T) {
	for _, name := range examples.Names() {
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
				// A folder's store is named by its path, under the
				// temporary folder check materializes the example in.
				stdout = exampleDir.ReplaceAllString(stdout, "EXAMPLE")
				captest.Golden(t, filepath.Join("testdata", "check-"+name+"."+format), []byte(stdout))
			})
		}
	}
}

func TestCheckVerdictsOfTheExamples(t *testing.T) {
	_, out, _ := runMain(t, "", "check", "inbox-leaky")
	if !strings.Contains(out, "⚠ approval summarizer.webhook → origin:https://hooks.example.com") {
		t.Fatalf("the leaky webhook is not flagged:\n%s", out)
	}
	if !strings.Contains(out, "✓ safe     summarizer.report → owner\n") || !strings.Contains(out, "label summarizer = owner; integrity ") {
		t.Fatalf("the summarizer's label or report verdict is wrong:\n%s", out)
	}
	// The webhook is held by both rules: mail senders steer a POST to an
	// origin that wrote none of it.
	if !strings.Contains(out, "integrity ⚠ approval: webhook could be steered by person:") {
		t.Fatalf("the webhook is not held by the integrity rule:\n%s", out)
	}
	_, out, _ = runMain(t, "", "check", "inbox")
	if strings.Contains(out, "summarizer.") && strings.Contains(out, "⚠ approval summarizer") {
		t.Fatalf("inbox flags the summarizer:\n%s", out)
	}
	// The phishing sender steers only a reply to themselves: automatic.
	if !strings.Contains(out, "label triage[7b609f582ce3] = owner, person:security@examp1e.com; integrity person:security@examp1e.com\n") ||
		!strings.Contains(out, "integrity ✓ safe: everyone thread reaches (owner, person:security@examp1e.com) could have steered it themselves") {
		t.Fatalf("the phishing thread's integrity or reply verdict is wrong:\n%s", out)
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

// TestBadProps: props a kind refuses are reported by check and by run like
// every other problem of an army, all at once, each at its prop's
// line:column; run reports them before it opens the data or starts a cell.
func TestBadProps(t *testing.T) {
	dir := t.TempDir()
	army := filepath.Join(dir, "army.yaml")
	src := `name: bad-props
capabilities:
  api:
    kind: http
    props:
      origins: [https://api.example.com, ftp://files.example.com]
      max_redirects: -1
  notes: {kind: kv, props: {namespace: ""}}
  model:
    kind: llm
    props: {base_url: ftp://models.example/v1, model: x}
agents:
  a:
    triggers: [manual]
    bindings: {api: api, notes: notes, model: model}
    code: "export default { async run() { return 1 } }"
`
	if err := os.WriteFile(army, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{
		army + `:6:42: capabilities.api.props.origins[1]: "ftp://files.example.com": the scheme must be http or https`,
		army + `:7:7: capabilities.api.props.max_redirects: -1 is not between 0 and 20`,
		army + `:8:29: capabilities.notes.props.namespace: namespace is required`,
		army + `:11:13: capabilities.model.props.base_url: base_url "ftp://models.example/v1": want an http or https URL`,
	}
	data := filepath.Join(dir, "data")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"check", []string{"check", army}},
		{"run once", []string{"run", "--data", data, "--once", "a", army}},
		{"run", []string{"run", "--data", data, army}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, "", tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			for i := range lines {
				lines[i] = strings.TrimPrefix(lines[i], "littleboxes run: ")
			}
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("%s opened the data folder before failing (stat: %v)", tt.name, err)
			}
		})
	}
}
