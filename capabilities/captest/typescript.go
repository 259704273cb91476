package captest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TypeCheck type-checks agent, a TypeScript module, against env, an env
// declaration (capabilities.RenderEnv's), with the TypeScript compiler
// installed in frontend/ (npm ci there), in strict mode with no ambient
// types. It returns what tsc printed and its error: nil when the agent
// type-checks. Without tsc the test is skipped, or fails when CI is set.
func TypeCheck(t *testing.T, env, agent string) ([]byte, error) {
	t.Helper()
	tsc := filepath.Join(moduleRoot(t), "frontend", "node_modules", ".bin", "tsc")
	if _, err := os.Stat(tsc); err != nil {
		Missing(t, "tsc not installed at %s (%v): run npm ci in frontend/", tsc, err)
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"env.d.ts": env, "agent.ts": agent} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022", "--types", "", "env.d.ts", "agent.ts")
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// Missing ends a test that lacks a tool it needs from outside Go (tsc,
// node, an npm package): it is skipped with the reason, or fails when the
// environment variable CI is set, where every tool must be installed.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// moduleRoot is the folder of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}
