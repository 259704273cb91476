package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/capabilities/llm/llmtest"
)

// Several armies side by side in one engine (issue 13 §1) and the commands
// that read the store as its clients (§2), driven as a person would: the
// engine a subprocess, each army started by its own `run` client.

// tickArmy writes an army named name whose ticker runs every second,
// counting its runs in a kv namespace of its own, with a scripted model
// at baseURL to write code with; it returns the army file.
func tickArmy(t *testing.T, name, baseURL string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".yaml")
	src := fmt.Sprintf(`name: %[1]s
capabilities:
  counter:
    kind: kv
    props: {namespace: %[1]s-count}
  model:
    kind: llm
    props: {base_url: "%[2]s", model: scripted}
agents:
  ticker:
    triggers: [every 1s, manual]
    bindings: {counter: counter}
    code: |
      export default {
        async run(input, env) {
          const n = Number((await env.counter.get("n")) ?? "0") + 1
          await env.counter.put("n", String(n))
          return { army: %[1]q, n }
        },
      }
`, name, baseURL)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// runCount returns how many runs the ticker of the army file has on record
// (littleboxes runs, through the engine when one runs).
func runCount(t *testing.T, file, data string) int {
	t.Helper()
	code, out, errs := lb(t, "runs", file, "ticker", "--json", "--limit", "1000", "--data", data)
	if code != 0 {
		t.Fatalf("runs %s: exit %d: %s", file, code, errs)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("runs --json: %v: %s", err, out)
	}
	return len(recs)
}

// progresses waits until each army file's ticker has more runs than from
// says (and returns their counts then).
func progresses(t *testing.T, data string, from map[string]int) map[string]int {
	t.Helper()
	now := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)
	for file, n := range from {
		for {
			if now[file] = runCount(t, file, data); now[file] > n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not run: %d runs, %d before", filepath.Base(file), now[file], n)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return now
}

// statusOf returns littleboxes status's output, waiting (bounded) for it to
// list want.
func statusOf(t *testing.T, data string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out, _ := lb(t, "status", "--data", data)
		ok := code == 0
		for _, w := range want {
			ok = ok && strings.Contains(out, w)
		}
		if ok {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: exit %d, want %q in:\n%s", code, want, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// onceOK runs the army's ticker once through the engine and checks its
// result names the army.
func onceOK(t *testing.T, file, data, army string) {
	t.Helper()
	code, out, errs := lb(t, "run", file, "--once", "ticker", "--data", data)
	if code != 0 || !strings.Contains(out, `"army": "`+army+`"`) {
		t.Fatalf("run --once %s: exit %d: %s%s", army, code, out, errs)
	}
}

// TestEngineArmies: two `run` clients start two armies in one engine; both
// run, each on its own; run --once, kv, runs and write go through the
// engine; after kill -9 a run client becomes the engine and both armies
// run again with their runs and data kept; Ctrl-C on a run client stops the
// army it started and no other.
func TestEngineArmies(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	srv, err := llmtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	data := shortData(t)
	alpha, beta := tickArmy(t, "alpha", srv.BaseURL), tickArmy(t, "beta", srv.BaseURL)

	d := start(t, "serving", "daemon", "--data", data, "--in-process")
	ra := start(t, "in the engine (pid", "run", alpha, "--data", data)
	rb := start(t, "in the engine (pid", "run", beta, "--data", data)
	out := statusOf(t, data, "alpha\t", "beta\t")
	if !strings.Contains(out, "engine pid "+itoa(d.cmd.Process.Pid)) {
		t.Fatalf("status names another engine than the daemon (pid %d):\n%s", d.cmd.Process.Pid, out)
	}
	counts := progresses(t, data, map[string]int{alpha: 0, beta: 0})
	onceOK(t, alpha, data, "alpha")
	onceOK(t, beta, data, "beta")
	// Each run client prints its own army's events only.
	if strings.Contains(ra.output(), "beta") || strings.Contains(rb.output(), "alpha") {
		t.Errorf("a run client printed the other army's events:\nalpha's:\n%s\nbeta's:\n%s", ra.output(), rb.output())
	}

	// kv and write, through the engine (in-process they could not open the
	// store).
	code, out, errs := lb(t, "kv", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "kv:alpha-count\t") || !strings.Contains(out, "kv:beta-count\t") {
		t.Fatalf("kv list through the engine: exit %d: %s%s", code, out, errs)
	}
	srv.Push(llmtest.Step{Content: "```ts\nexport default { async run(input: any, env: Env) { await env.counter.put('n', '0'); return 'reset' } }\n```"})
	code, out, errs = lb(t, "write", alpha, "ticker", "reset the counter", "--data", data)
	if code != 0 || !strings.Contains(out, `would call env.counter.put("n","0")`) || !strings.Contains(out, `dry run result: "reset"`) {
		t.Fatalf("write through the engine: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = lb(t, "kv", "clear", "beta-count", "--yes", "--data", data)
	if code != 0 || !strings.Contains(out, "cleared kv:beta-count") {
		t.Fatalf("kv clear through the engine: exit %d: %s%s", code, out, errs)
	}

	// kill -9: a run client takes over as the engine and runs both.
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	d.wait(t)
	out = statusOf(t, data, "alpha\t", "beta\t")
	host, follower, hostArmy, followerArmy := ra, rb, "alpha", "beta"
	switch {
	case strings.Contains(out, "engine pid "+itoa(rb.cmd.Process.Pid)):
		host, follower, hostArmy, followerArmy = rb, ra, "beta", "alpha"
	case !strings.Contains(out, "engine pid "+itoa(ra.cmd.Process.Pid)):
		t.Fatalf("after kill -9 neither run client is the engine:\n%s\nalpha's:\n%s\nbeta's:\n%s", out, ra.output(), rb.output())
	}
	for file, n := range progresses(t, data, counts) {
		if n <= counts[file] {
			t.Errorf("%s: %d runs on record after kill -9, %d before", filepath.Base(file), n, counts[file])
		}
	}
	onceOK(t, alpha, data, "alpha")
	onceOK(t, beta, data, "beta")

	// Ctrl-C on the follower stops its army, and only it.
	if code := follower.interrupt(t); code != 0 {
		t.Fatalf("the follower after SIGINT: exit %d:\n%s", code, follower.output())
	}
	out = statusOf(t, data, hostArmy+"\t")
	if strings.Contains(out, followerArmy+"\t") {
		t.Fatalf("%s still runs after its run client's Ctrl-C:\n%s", followerArmy, out)
	}
	// Ctrl-C on the engine: it stops its army and exits; nothing runs.
	if code := host.interrupt(t); code != 0 {
		t.Fatalf("the engine's run after SIGINT: exit %d:\n%s", code, host.output())
	}
	if _, err := os.Lstat(daemon.SocketPath(data)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after the last run stopped: %v", err)
	}
	if code, _, errs := lb(t, "status", "--data", data); code != 1 || !strings.Contains(errs, "no engine runs") {
		t.Errorf("status with no engine: exit %d: %s", code, errs)
	}
	// The next engine runs neither (both were stopped); the runs and the
	// kv data are kept (runs and kv work in-process again).
	if n := runCount(t, alpha, data); n <= counts[alpha] {
		t.Errorf("alpha: %d runs on record, %d before", n, counts[alpha])
	}
	start(t, "serving", "daemon", "--data", data, "--in-process")
	if out := statusOf(t, data, "engine pid"); strings.Contains(out, "alpha\t") || strings.Contains(out, "beta\t") {
		t.Errorf("a stopped army runs in the next engine:\n%s", out)
	}
}

// TestEngineStop: littleboxes stop ARMY stops one army of the engine and
// no other (its run client exits); it stays stopped when the engine
// restarts.
func TestEngineStop(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	data := shortData(t)
	alpha, beta := tickArmy(t, "alpha", "http://127.0.0.1:1"), tickArmy(t, "beta", "http://127.0.0.1:1")
	d := start(t, "serving", "daemon", "--data", data, "--in-process")
	ra := start(t, "in the engine (pid", "run", alpha, "--data", data)
	start(t, "in the engine (pid", "run", beta, "--data", data)
	statusOf(t, data, "alpha\t", "beta\t")
	if code, out, errs := lb(t, "stop", "alpha", "--data", data); code != 0 || !strings.Contains(out, "stopped army alpha") {
		t.Fatalf("stop alpha: exit %d: %s%s", code, out, errs)
	}
	// alpha's run client sees it stop, and exits.
	if code := ra.wait(t); code != 0 || !strings.Contains(ra.output(), "army alpha was stopped") {
		t.Errorf("alpha's run client after stop: exit %d:\n%s", code, ra.output())
	}
	if code, _, errs := lb(t, "stop", "alpha", "--data", data); code != 1 || !strings.Contains(errs, "not running") {
		t.Errorf("stop alpha again: exit %d: %s", code, errs)
	}
	out := statusOf(t, data, "beta\t")
	if strings.Contains(out, "alpha\t") {
		t.Fatalf("alpha runs after stop:\n%s", out)
	}
	// kill -9: beta's run client becomes the engine; alpha stays stopped.
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	d.wait(t)
	out = statusOf(t, data, "beta\t", "engine pid")
	if strings.Contains(out, "alpha\t") || strings.Contains(out, "engine pid "+itoa(d.cmd.Process.Pid)) {
		t.Fatalf("after kill -9 the stopped alpha runs (or the dead engine answers):\n%s", out)
	}
}
