package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"littleboxes/app/serve"
)

// seam replaces the engine seam (engineDial, engineSpawn, selfExe) for a
// test, restoring it at the end. Tests using it do not run in parallel.
func seam(t *testing.T, dial func(context.Context, string) (engineClient, error),
	spawn func(context.Context, string, string, ...string) (engineClient, error), exe func() (string, error)) {
	t.Helper()
	d, s, x := engineDial, engineSpawn, selfExe
	t.Cleanup(func() { engineDial, engineSpawn, selfExe = d, s, x })
	engineDial, engineSpawn = dial, spawn
	if exe != nil {
		selfExe = exe
	}
}

// servedAPI opens the API as `littleboxes serve` does, closed at the
// test's end, with what it logged.
func servedAPI(t *testing.T, dir string) (*API, *strings.Builder) {
	t.Helper()
	var mu sync.Mutex
	log := &strings.Builder{}
	app, err := Served(context.Background(), serve.Options{DataDir: dir, Logf: func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(log, f+"\n", args...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app.Bound[0].(*API), log
}

// TestServedAttaches: serve attaches to the engine running for its data
// directory, and starts none.
func TestServedAttaches(t *testing.T) {
	dir := t.TempDir()
	e := startEngine(t, dir)
	seam(t, func(_ context.Context, d string) (engineClient, error) {
		if d != dir {
			return nil, fmt.Errorf("dialled %s, want %s", d, dir)
		}
		return e.client(), nil
	}, func(context.Context, string, string, ...string) (engineClient, error) {
		t.Error("started an engine while one runs")
		return nil, errors.New("no")
	}, nil)
	a, _ := servedAPI(t, dir)
	if a.attached() == nil {
		t.Fatal("serve did not attach")
	}
	if _, err := a.AddAgent(AgentSpec{Name: "via-serve", Code: ptr(helloCode)}); err != nil {
		t.Fatal(err)
	}
	w, err := e.api.Workspace()
	if err != nil || agentView(w, "via-serve") == nil {
		t.Fatalf("the engine does not have the agent added through serve: %v", err)
	}
}

// TestFrontStartsEngine: when no engine answers, the front end starts one
// (this executable, `daemon --data DIR`), with --idle-exit unless the
// person keeps it running, and --in-process when asked for.
func TestFrontStartsEngine(t *testing.T) {
	tests := []struct {
		name      string
		keep      bool
		inProcess bool
		want      []string
	}{
		{"idle exit by default", false, false, []string{"--idle-exit", DefaultIdleExit.String()}},
		{"kept running", true, false, nil},
		{"agents in-process", true, true, []string{"--in-process"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.keep {
				if err := saveSettings(dir, Settings{KeepRunning: true}); err != nil {
					t.Fatal(err)
				}
			}
			var gotExe, gotDir string
			var gotArgs []string
			seam(t, func(context.Context, string) (engineClient, error) {
				return nil, fmt.Errorf("dial: %w", errEngineNotRunning)
			}, func(_ context.Context, exe, d string, args ...string) (engineClient, error) {
				gotExe, gotDir, gotArgs = exe, d, args
				return startEngine(t, d).client(), nil
			}, func() (string, error) { return "/opt/littleboxes/littleboxes", nil })
			a := NewAPI()
			t.Cleanup(func() { a.close() })
			if err := a.openFront(context.Background(), Options{DataDir: dir, InProcess: tt.inProcess}); err != nil {
				t.Fatal(err)
			}
			if a.attached() == nil {
				t.Fatal("not attached to the engine it started")
			}
			if gotExe != "/opt/littleboxes/littleboxes" || gotDir != dir || !slices.Equal(gotArgs, tt.want) {
				t.Errorf("started %s --data %s %v, want %v", gotExe, gotDir, gotArgs, tt.want)
			}
			if _, err := a.Workspace(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFrontFallsBack: when attaching is impossible or refused, the front
// end opens the store itself, as before, and logs why.
func TestFrontFallsBack(t *testing.T) {
	notRunning := func(context.Context, string) (engineClient, error) { return nil, errEngineNotRunning }
	tests := []struct {
		name  string
		setup func(t *testing.T)
		opts  Options
		why   string
	}{
		{"no engine package", func(t *testing.T) { seam(t, nil, nil, nil) }, Options{}, "no engine to attach to"},
		{"--no-daemon", func(t *testing.T) { seam(t, notRunning, nil, nil) }, Options{NoDaemon: true}, "--no-daemon"},
		{"LITTLEBOXES_NO_DAEMON=1", func(t *testing.T) {
			seam(t, notRunning, nil, nil)
			t.Setenv(noDaemonEnv, "1")
		}, Options{}, noDaemonEnv},
		{"a test binary cannot start one", func(t *testing.T) {
			seam(t, notRunning, func(context.Context, string, string, ...string) (engineClient, error) {
				t.Error("spawned a test binary")
				return nil, errors.New("no")
			}, nil)
		}, Options{}, "a test binary cannot start an engine"},
		{"the start fails", func(t *testing.T) {
			seam(t, notRunning, func(context.Context, string, string, ...string) (engineClient, error) {
				return nil, errors.New("exec: permission denied")
			}, func() (string, error) { return "/opt/littleboxes/littleboxes", nil })
		}, Options{}, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			dir := t.TempDir()
			var mu sync.Mutex
			var log []string
			opts := tt.opts
			opts.DataDir = dir
			opts.Logf = func(f string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				log = append(log, fmt.Sprintf(f, args...))
			}
			a := NewAPI()
			t.Cleanup(func() { a.close() })
			if err := a.openFront(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			if a.attached() != nil {
				t.Fatal("attached")
			}
			if _, err := a.Workspace(); err != nil {
				t.Fatalf("the in-process workspace: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.ContainsFunc(log, func(l string) bool {
				return strings.Contains(l, "in this process") && strings.Contains(l, tt.why)
			}) {
				t.Errorf("the log %q does not say %q", log, tt.why)
			}
		})
	}
}

// TestSettings: keep running is off by default, persists in the data
// directory (owner-only), and is read and set through an attached API in
// the engine's data directory.
func TestSettings(t *testing.T) {
	if _, err := NewAPI().Settings(); !errors.Is(err, errNotOpen) {
		t.Errorf("Settings before opening: %v", err)
	}
	dir := t.TempDir()
	a := openTest(t, dir)
	if s, err := a.Settings(); err != nil || s.KeepRunning {
		t.Fatalf("default settings %+v, %v", s, err)
	}
	if s, err := a.SetKeepRunning(true); err != nil || !s.KeepRunning {
		t.Fatalf("SetKeepRunning(true) = %+v, %v", s, err)
	}
	fi, err := os.Stat(filepath.Join(dir, SettingsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the settings file: %v %v", fi, err)
	}
	if !keepRunning(dir) {
		t.Error("keepRunning(dir) is false after SetKeepRunning(true)")
	}
	a.close()

	e := startEngine(t, dir)
	b := attachTest(t, dialer(e))
	if s, err := b.Settings(); err != nil || !s.KeepRunning {
		t.Fatalf("through the engine: %+v, %v", s, err)
	}
	if _, err := b.SetKeepRunning(false); err != nil {
		t.Fatal(err)
	}
	if keepRunning(dir) {
		t.Error("SetKeepRunning(false) through the engine did not reach its data directory")
	}

	if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.Settings(); err == nil || !strings.Contains(err.Error(), "settings") {
		t.Errorf("a broken settings file: %v", err)
	}
	if keepRunning(dir) {
		t.Error("a broken settings file keeps the engine running")
	}
}

// holdApproval makes a's army hold one effect for approval (an agent
// posting to a webhook on this machine) and returns its id.
func holdApproval(t *testing.T, a *API) string {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(hook.Close)
	addPoster(t, a, hook.URL)
	if _, err := a.RunAgent("poster", `"x"`); err != nil {
		t.Fatal(err)
	}
	p, err := a.Approvals(false)
	if err != nil || len(p) != 1 {
		t.Fatalf("pending %+v, %v", p, err)
	}
	return p[0].ID
}

// TestTitleBadge: the window's title counts the approvals pending in the
// engine, and follows them as they are held and decided.
func TestTitleBadge(t *testing.T) {
	for n, want := range map[int]string{0: "littleboxes", 1: "littleboxes (1)", 12: "littleboxes (12)"} {
		if got := windowTitle(n); got != want {
			t.Errorf("windowTitle(%d) = %q, want %q", n, got, want)
		}
	}
	e := startEngine(t, "")
	a := attachTest(t, dialer(e))
	titles := make(chan string, 16)
	stream, stop := a.subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.watchTitle(ctx, stream, func(s string) { titles <- s }, 10*time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		stop()
		<-done
	})
	next := func(want string) {
		t.Helper()
		for {
			select {
			case got := <-titles:
				if got == want {
					return
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("the title never became %q", want)
			}
		}
	}
	next("littleboxes")
	id := holdApproval(t, e.api)
	next("littleboxes (1)")
	if _, err := a.Deny(id); err != nil {
		t.Fatal(err)
	}
	next("littleboxes")
}
