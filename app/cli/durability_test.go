package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"littleboxes/app/capstore"
	"littleboxes/app/engine"
	"littleboxes/app/store"
	"littleboxes/sandbox/cell"
)

// helperEnv switches the test binary into Main, for the subprocess
// durability test: its value is the arguments, separated by \x1f.
const helperEnv = "LITTLEBOXES_CLI_HELPER"

// argvEnv, set to 1, switches the test binary into Main with its own
// arguments, as littleboxes: bench runs check and run --once as children of
// the binary it is.
const argvEnv = "LITTLEBOXES_CLI_ARGV"

func TestMain(m *testing.M) {
	cell.MaybeServe() // the bench and cell-backed commands start cells from this binary
	if args := os.Getenv(helperEnv); args != "" {
		os.Exit(Main(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(argvEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// check reads the kv labels of the default data directory: keep the
	// tests off the real one.
	dir, err := os.MkdirTemp("", "littleboxes-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// countSeen counts the distinct messages the chain's c handled: the keys
// of its kv namespace.
func countSeen(t testing.TB, st store.Store) int {
	t.Helper()
	nss, err := capstore.Namespaces(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss {
		if ns.Name == "kv:dur" {
			return ns.Keys
		}
	}
	return 0
}

// TestDurabilityKill runs the chain in a `littleboxes run` subprocess, kills
// it with SIGKILL while messages are moving, restarts it, and counts.
func TestDurabilityKill(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	const n = 1000
	armyFile := filepath.Join("testdata", "chain.yaml")
	data := filepath.Join(t.TempDir(), "data")
	// Queue n messages from a (passive: nothing is delivered yet).
	if code := Main([]string{"run", armyFile, "--data", data, "--once", "a", "--input", fmt.Sprint(n)}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("run --once: exit %d", code)
	}
	prev, stuck := -1, 0
	for round := 0; ; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{"run", armyFile, "--data", data}, "\x1f"))
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() && !strings.Contains(sc.Text(), "running army") {
		}
		go io.Copy(io.Discard, stderr)
		time.Sleep(time.Duration(300+100*round) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		st, err := store.Open(filepath.Join(data, store.FileName), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seen := countSeen(t, st)
		qb, _ := engine.Queued(st, "chain", "b")
		qc, _ := engine.Queued(st, "chain", "c")
		st.Close()
		t.Logf("round %d killed: %d handled, %d queued at b, %d at c", round, seen, qb, qc)
		if qb+qc == 0 {
			if seen != n {
				t.Fatalf("queues empty but %d of %d messages handled", seen, n)
			}
			if round == 0 {
				t.Log("finished before the kill: the kill did not land mid-delivery")
			}
			return
		}
		if seen > n {
			t.Fatalf("%d handled, more than the %d sent", seen, n)
		}
		if seen <= prev {
			stuck++
		} else {
			stuck = 0
		}
		prev = seen
		if stuck > 5 {
			t.Fatal("no progress in 6 rounds")
		}
	}
}
