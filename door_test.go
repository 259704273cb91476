package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryReadmeMakeTargetSetsItselfUp checks the README's door: on a fresh
// machine each `make TARGET` the README names installs what it needs first
// (build/deps.sh, then npm ci where node packages are used) before it builds
// or tests anything. It asks make itself for each target's commands, in
// order, without running them (make -n).
func TestEveryReadmeMakeTargetSetsItselfUp(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, m := range regexp.MustCompile("(?m)(?:^|`|\\s)make ([a-z][a-z0-9-]*)").FindAllStringSubmatch(string(readme), -1) {
		if !slices.Contains(targets, m[1]) {
			targets = append(targets, m[1])
		}
	}
	if !slices.Contains(targets, "test") || !slices.Contains(targets, "run") {
		t.Fatalf("the README names make targets %v, without run and test", targets)
	}
	// A command that needs the system packages, Go's toolchain or the
	// frontend's node packages.
	work := regexp.MustCompile(`(^|\s)(go|npm run|npm test|npx|node|xvfb-run)\s|with-keyring\.sh|test-window\.sh|test-e2e\.sh|\$\(BIN\)|build/bin/`)
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			cmd := exec.Command("make", "-n", "-B", target)
			cmd.Env = append(os.Environ(), "MAKEFLAGS=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", target, err, out)
			}
			lines := strings.Split(string(out), "\n")
			deps, npm, first := -1, -1, -1
			for i, l := range lines {
				switch {
				case deps < 0 && strings.Contains(l, "build/deps.sh"):
					deps = i
				case npm < 0 && strings.Contains(l, "npm ci"):
					npm = i
				case first < 0 && work.MatchString(l):
					first = i
				}
			}
			if first < 0 {
				return // nothing that needs setting up
			}
			if deps < 0 || deps > first {
				t.Errorf("make %s runs %q before (or without) build/deps.sh:\n%s", target, strings.TrimSpace(lines[first]), out)
			}
			nodeWork := regexp.MustCompile(`npm run|npm test|(^|\s)node\s|test-e2e\.sh`)
			for i, l := range lines {
				if nodeWork.MatchString(l) {
					if npm < 0 || npm > i {
						t.Errorf("make %s runs %q before (or without) npm ci:\n%s", target, strings.TrimSpace(l), out)
					}
					break
				}
			}
		})
	}
}
