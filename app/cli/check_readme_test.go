package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMECheckOutput: the `littleboxes check inbox-leaky` output the
// README pastes (its integrity example: the phishing thread, the held
// webhook) is today's. Each README line, its wrapped continuation lines
// joined, must appear in the output with runs of spaces collapsed; "…"
// marks what the README leaves out.
func TestREADMECheckOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runMain(t, "", "check", "inbox-leaky")
	if code != ExitOK {
		t.Fatalf("check: exit %d: %s", code, stderr)
	}
	spaces := regexp.MustCompile(`\s+`)
	var norm []string
	for _, l := range strings.Split(out, "\n") {
		norm = append(norm, spaces.ReplaceAllString(strings.TrimSpace(l), " "))
	}
	output := strings.Join(norm, "\n")

	blocks := 0
	for i, block := range strings.Split(string(readme), "```") {
		if i%2 == 0 || !strings.Contains(block, "summarizer.webhook → origin:https://hooks.example.com") {
			continue // prose, or not check's output for inbox-leaky
		}
		blocks++
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			switch {
			case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "$ "):
			case strings.HasPrefix(l, "        ") && len(lines) > 0: // wrapped by the README
				lines[len(lines)-1] += " " + strings.TrimSpace(l)
			default:
				lines = append(lines, l)
			}
		}
		for _, l := range lines {
			for _, frag := range strings.Split(spaces.ReplaceAllString(strings.TrimSpace(l), " "), "…") {
				if frag = strings.TrimSpace(frag); frag != "" && !strings.Contains(output, frag) {
					t.Errorf("README block %d: %q is not in today's `littleboxes check inbox-leaky`:\n%s", blocks, frag, out)
				}
			}
		}
	}
	if blocks < 2 {
		t.Fatalf("found %d README blocks of check inbox-leaky's output, want the two (labels, and integrity)", blocks)
	}
	// The phishing thread's reply stays automatic: the README says so.
	if !strings.Contains(string(readme), "triage[7b609f582ce3].thread → owner, person:security@examp1e.com") {
		t.Error("the README's integrity example lost the phishing thread's reply")
	}
}
