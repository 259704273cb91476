package bench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// sharedTriage is the per-thread agent of the shared army: it reads its
// thread, keeps a note in the shared kv namespace, and posts the note to a
// public webhook (held for approval: the namespace joins every thread).
const sharedTriage = `export default {
  async run(_input: unknown, env: Env) {
    const t = (await env.thread.read()) as { thread: string; subject: string };
    await env.notes.put("thread/" + t.thread, t.subject);
    const posted = await env.webhook.fetch("https://hooks.example.com/note", { method: "POST", body: t.subject });
    return { thread: t.thread, posted };
  },
};
`

// sharedPoster reads every note and posts a digest to the webhook.
const sharedPoster = `export default {
  async run(_input: unknown, env: Env) {
    const page = await env.notes.list("thread/", { limit: 100 });
    const body = page.keys.join("\n");
    return await env.webhook.fetch("https://hooks.example.com/digest", { method: "POST", body });
  },
};
`

const sharedArmyYAML = `name: inbox-shared
doc: One triage agent per thread, all keeping notes in one kv namespace and posting to a public webhook.
capabilities:
  mailbox:
    kind: mail
    props:
      maildir: ./maildir
      owner: me@example.com
      smtp_host: 127.0.0.1
      smtp_port: 2525
      smtp_security: none
  notes:
    kind: kv
    props: {namespace: inbox-shared-notes}
  webhook:
    kind: http
    props:
      origins: [https://hooks.example.com]
      methods: [POST]
      label: public
agents:
  triage:
    template: {each: mailbox, as: thread}
    triggers: [manual]
    code: ./agents/triage.ts
    bindings: {notes: notes, webhook: webhook}
  poster:
    triggers: [manual]
    code: ./agents/poster.ts
    bindings: {notes: notes, webhook: webhook}
`

// WriteSharedArmy writes, in dir, an army over a Maildir of threads threads
// whose flagged sinks share a kv namespace: one triage agent per thread
// that writes a note to the shared namespace and posts to a public webhook,
// and a poster that reads the notes and posts a digest. Every thread's
// triage can read every other thread (through the namespace), so each of
// its sinks needs approval, each with an explanation. It returns the army
// file's path.
func WriteSharedArmy(dir string, threads int) (string, error) {
	if err := WriteMaildir(filepath.Join(dir, "maildir"), threads); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "agents"), 0o755); err != nil {
		return "", err
	}
	for name, code := range map[string]string{"triage.ts": sharedTriage, "poster.ts": sharedPoster} {
		if err := os.WriteFile(filepath.Join(dir, "agents", name), []byte(code), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "army.yaml")
	return path, os.WriteFile(path, []byte(sharedArmyYAML), 0o644)
}

// wideAgent is every agent of the wide army: each keeps a counter in the
// shared kv namespace.
const wideAgent = `export default {
  async run(_input: unknown, env: Env, ctx: { agent: string }) {
    const n = Number((await env.notes.get(ctx.agent)) ?? "0") + 1;
    await env.notes.put(ctx.agent, String(n));
    return { agent: ctx.agent, runs: n };
  },
};
`

// WriteWideArmy writes, in dir, an army of n agents, each its own entry
// with its own code file (agents/aN.ts, all of the same text) and a binding
// to one shared kv namespace, the shape of an army a generator writes out.
// It returns the army file's path.
func WriteWideArmy(dir string, n int) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "agents"), 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("name: wide\ndoc: Many agents, each with its own code file.\ncapabilities:\n  notes:\n    kind: kv\n    props: {namespace: wide-notes}\nagents:\n")
	for i := range n {
		name := fmt.Sprintf("a%d", i)
		if err := os.WriteFile(filepath.Join(dir, "agents", name+".ts"), []byte(wideAgent), 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  %s:\n    triggers: [manual]\n    code: ./agents/%s.ts\n    bindings: {notes: notes}\n", name, name)
	}
	path := filepath.Join(dir, "army.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// ScaleReport holds the figures of an army of many agents, each measured
// on a child process of the littleboxes binary, as a person runs it: the
// median of three runs.
type ScaleReport struct {
	// N is the threads of the shared army and the agents of the wide one.
	N int `json:"n"`
	// CheckS is `littleboxes check` of the shared army (WriteSharedArmy):
	// every sink flagged, each with its explanation.
	CheckS float64 `json:"check_s"`
	// OnceS is `littleboxes run --once` of one agent of the wide army
	// (WriteWideArmy), from start to exit, its cell included.
	OnceS float64 `json:"once_s"`
	// OnceRSSMiB is the peak resident memory of that run: the process and
	// its cell, sampled every 10 ms, and at least the process's own peak.
	OnceRSSMiB float64 `json:"once_rss_mib"`
}

// Scale measures `check` and `run --once` of armies of n agents, running
// exe (the littleboxes binary) in dir, which it fills.
func Scale(ctx context.Context, exe string, n int, dir string, logf func(string, ...any)) (*ScaleReport, error) {
	if n < 1 {
		return nil, errors.New("bench scale: want at least one agent")
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	shared, err := WriteSharedArmy(filepath.Join(dir, "shared"), n)
	if err != nil {
		return nil, fmt.Errorf("bench scale: %w", err)
	}
	wide, err := WriteWideArmy(filepath.Join(dir, "wide"), n)
	if err != nil {
		return nil, fmt.Errorf("bench scale: %w", err)
	}
	r := &ScaleReport{N: n}
	var checks, onces, rss []float64
	for i := range 3 {
		logf("scale: check of %d threads sharing a kv namespace (%d of 3)", n, i+1)
		out, wall, _, err := child(ctx, exe, "check", shared)
		if err != nil {
			return nil, fmt.Errorf("bench scale: check: %w", err)
		}
		if want := fmt.Sprintf("%d agents, %d sinks: 0 safe, %d needing approval", n+1, 2*n+1, 2*n+1); !strings.Contains(out, want) {
			return nil, fmt.Errorf("bench scale: check printed %q, want %q", lastLine(out), want)
		}
		checks = append(checks, wall)
		logf("scale: run --once of one agent of %d (%d of 3)", n, i+1)
		agent := fmt.Sprintf("a%d", n/2)
		out, wall, peak, err := child(ctx, exe, "run", wide, "--once", agent, "--data", filepath.Join(dir, fmt.Sprintf("data%d", i)))
		if err != nil {
			return nil, fmt.Errorf("bench scale: run --once: %w", err)
		}
		if !strings.Contains(out, `"agent": "`+agent+`"`) {
			return nil, fmt.Errorf("bench scale: run --once printed %q", out)
		}
		onces, rss = append(onces, wall), append(rss, float64(peak)/(1<<20))
	}
	r.CheckS, r.OnceS, r.OnceRSSMiB = median(checks), median(onces), median(rss)
	logf("scale: check %.2f s; run --once %.2f s, peak RSS %.0f MiB", r.CheckS, r.OnceS, r.OnceRSSMiB)
	return r, nil
}

// child runs exe with args, and returns its stdout, its wall time in
// seconds and its peak resident memory with its children's (sampled every
// 10 ms; at least its own peak as the kernel counts it).
func child(ctx context.Context, exe string, args ...string) (string, float64, int64, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, 0, err
	}
	var peak atomic.Int64
	pid := strconv.Itoa(cmd.Process.Pid)
	stop := sampleRSS(&peak, func() int64 { return treeRSS(pid) }, 10*time.Millisecond)
	err := cmd.Wait()
	wall := time.Since(start).Seconds()
	stop()
	if err != nil {
		return "", 0, 0, fmt.Errorf("%s %s: %w: %s", filepath.Base(exe), strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > peak.Load() {
		peak.Store(ru.Maxrss * 1024) // Linux counts KiB
	}
	return stdout.String(), wall, peak.Load(), nil
}

// treeRSS returns the resident memory of process pid and its descendants
// (Linux lists a process's children by the thread that started them).
func treeRSS(pid string) int64 {
	n := readRSSOf(pid)
	tasks, _ := filepath.Glob("/proc/" + pid + "/task/*/children")
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, c := range strings.Fields(string(b)) {
			n += treeRSS(c)
		}
	}
	return n
}

// median returns the median of v (sorting a copy).
func median[T cmp.Ordered](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
