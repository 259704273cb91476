//go:build linux

package cell

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
)

// envFilterStep makes the test binary, re-executed by
// TestThreadsUnderEveryFilterPrefix, load that many of seccompFilters and
// then create threads.
const envFilterStep = "LITTLEBOXES_TEST_FILTER_STEP"

// TestThreadsUnderEveryFilterPrefix checks that the process can still
// create threads after each step of the seccomp hardening, not only at its
// end: the Go runtime creates threads whenever it needs them (a goroutine
// blocked in a system call, the collector), also while harden is between
// two filters, and in a binary linked with cgo (as this test binary and the
// app are) a thread that pthread_create fails to make aborts the process.
// Each prefix is tried in a fresh process, since a filter cannot be removed.
func TestThreadsUnderEveryFilterPrefix(t *testing.T) {
	if s := os.Getenv(envFilterStep); s != "" {
		k, err := strconv.Atoi(s)
		if err != nil {
			fmt.Printf("bad %s %q\n", envFilterStep, s)
			os.Exit(3)
		}
		os.Exit(threadsAfterFilters(k))
	}
	n := len(seccompFilters())
	if n == 0 {
		t.Fatal("harden loads no seccomp filter")
	}
	for k := 1; k <= n; k++ {
		t.Run(fmt.Sprintf("after %d of %d", k, n), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestThreadsUnderEveryFilterPrefix$", "-test.count=1")
			cmd.Env = append(os.Environ(), envFilterStep+"="+strconv.Itoa(k))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the process died creating threads under the first %d filters (%v):\n%s", k, err, firstLines(out, 6))
			}
			var before, after int
			if _, err := fmt.Sscanf(lastLine(out), "threads %d %d", &before, &after); err != nil {
				t.Fatalf("unexpected output: %q", out)
			}
			if after <= before {
				t.Fatalf("no thread was created under the filters (%d threads before, %d after): the test proves nothing", before, after)
			}
			t.Logf("%d threads before the filters, %d after", before, after)
		})
	}
}

// threadsAfterFilters loads the first k of seccompFilters, then makes the Go
// runtime create threads, and prints the thread count before and after. It
// returns the exit code.
func threadsAfterFilters(k int) int {
	// Opened before the filters, which deny open; read again with pread.
	status, err := os.Open("/proc/self/status")
	if err != nil {
		fmt.Println(err)
		return 3
	}
	before, err := threadCount(status)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	if err := seccomp.SetNoNewPrivs(); err != nil {
		fmt.Println("no_new_privs:", err)
		return 3
	}
	for _, pol := range seccompFilters()[:k] {
		if err := loadFilter(pol); err != nil {
			fmt.Println("seccomp:", err)
			return 3
		}
	}
	// A goroutine locked to its thread and parked keeps that thread, so
	// the runtime needs a new one for each such goroutine beyond the
	// threads it has.
	release := make(chan struct{})
	var ready, done sync.WaitGroup
	for range before + 4 {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	after, err := threadCount(status)
	close(release)
	done.Wait()
	if err != nil {
		fmt.Println(err)
		return 3
	}
	fmt.Printf("threads %d %d\n", before, after)
	return 0
}

// threadCount reads the Threads line of /proc/self/status.
func threadCount(status *os.File) (int, error) {
	buf := make([]byte, 8192)
	n, err := status.ReadAt(buf, 0)
	if n == 0 {
		return 0, fmt.Errorf("reading /proc/self/status: %w", err)
	}
	for _, l := range strings.Split(string(buf[:n]), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no Threads line in /proc/self/status")
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func firstLines(b []byte, n int) string {
	lines := bytes.SplitN(b, []byte("\n"), n+1)
	return string(bytes.Join(lines[:min(n, len(lines))], []byte("\n")))
}
