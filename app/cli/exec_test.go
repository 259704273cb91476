package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExec(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.ts")
	if err := os.WriteFile(file, []byte(`export default { async run(input: {n: number}, env, ctx) { console.log("n is", input.n); console.warn("careful"); return { double: input.n * 2, agent: ctx.agent } } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		stdout     string // exact JSON when set
		stderrHas  []string
		stdoutNone bool
	}{
		{name: "file with input", args: []string{"exec", file, "--input", `{"n": 21}`}, code: 0,
			stdout: `{"agent":"` + strings.TrimSuffix(file, ".ts") + `","double":42}`, stderrHas: []string{"n is 21", "[warn] careful"}},
		{name: "flags before file", args: []string{"exec", "--input", `{"n": 1}`, file}, code: 0, stderrHas: []string{"n is 1"}},
		{name: "stdin", stdin: `export default { run(x) { return [x, typeof URL] } }`, args: []string{"exec", "-", "--input", "7"}, code: 0, stdout: `[7,"function"]`},
		{name: "thrown error", stdin: `export default { run() { throw new TypeError("nope") } }`, args: []string{"exec", "-"}, code: 1, stderrHas: []string{"error: TypeError: nope", "at "}, stdoutNone: true},
		{name: "rejected promise", stdin: `export default { async run() { await 0; throw new Error("later") } }`, args: []string{"exec", "-"}, code: 1, stderrHas: []string{"error: Error: later"}},
		{name: "compile error", stdin: "export default {\n  run() { return ) }\n}", args: []string{"exec", "-"}, code: 2, stderrHas: []string{"stdin.ts:2:18:"}, stdoutNone: true},
		{name: "no run method", stdin: `export default { onMessage() {} }`, args: []string{"exec", "-"}, code: 2, stderrHas: []string{"no run method"}},
		{name: "bad input JSON", stdin: `export default { run() {} }`, args: []string{"exec", "-", "--input", "{nope"}, code: 2, stderrHas: []string{"--input is not valid JSON"}},
		{name: "missing file", args: []string{"exec", filepath.Join(dir, "absent.ts")}, code: 2, stderrHas: []string{"absent.ts"}},
		{name: "no file", args: []string{"exec"}, code: 2, stderrHas: []string{"usage: littleboxes exec"}},
		{name: "deadline", stdin: `export default { run() { for (;;) {} } }`, args: []string{"exec", "-", "--timeout", "100ms"}, code: 3, stderrHas: []string{"limit exceeded: deadline"}},
		{name: "stack limit", stdin: `export default { run() { const f = () => f(); f() } }`, args: []string{"exec", "-"}, code: 3, stderrHas: []string{"limit exceeded: call stack depth"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderrHas: []string{`unknown command "frobnicate"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" {
				var got, want any
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatalf("stdout is not JSON: %q", stdout)
				}
				_ = json.Unmarshal([]byte(tt.stdout), &want)
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Fatalf("stdout = %s, want %s", g, w)
				}
			}
			if tt.stdoutNone && stdout != "" {
				t.Fatalf("stdout = %q, want nothing", stdout)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(stderr, s) {
					t.Fatalf("stderr %q lacks %q", stderr, s)
				}
			}
		})
	}
}

func TestBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("bench takes a few seconds")
	}
	t.Setenv(argvEnv, "1") // the scale figures run this binary as littleboxes
	code, stdout, stderr := runMain(t, "", "bench", "--json", "--n", "300", "--threads", "100", "--scale", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	for _, k := range []string{"spawn_p50_us", "spawn_p99_us", "spawns_per_s", "live_agents", "heap_per_agent_kib", "rss_per_agent_kib", "binding_call_p50_us",
		"cell_spawn_p50_us", "cell_binding_call_p50_us", "army_threads", "army_10k_wall_s", "army_10k_rss_mib",
		"scale_n", "check_10k_s", "once_10k_s", "once_10k_rss_mib"} {
		v, ok := r[k].(float64)
		if !ok {
			t.Fatalf("field %s missing in %s", k, stdout)
		}
		if k != "rss_per_agent_kib" && v <= 0 {
			t.Fatalf("field %s = %v, want > 0", k, v)
		}
	}
	if r["live_agents"].(float64) != 300 {
		t.Fatalf("live_agents = %v, want 300", r["live_agents"])
	}
	if code, _, _ := runMain(t, "", "bench", "--n", "0"); code != 2 {
		t.Fatalf("bench --n 0 exit %d, want 2", code)
	}
}
