package cell

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func TestStatmResident(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"linux line", "12345 678 90 1 0 2 0\n", 678, true},
		{"no newline", "1 2", 2, true},
		{"extra spaces", "1   42 3", 42, true},
		{"one field", "12345\n", 0, false},
		{"empty", "", 0, false},
		{"not a number", "1 x2 3", 0, false},
		{"number then junk", "1 2x 3", 0, false},
		{"too long", "1 1234567890123456789 3", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := statmResident([]byte(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Fatalf("statmResident(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestStatmRereads checks that the open statm sees memory this process
// touches after it was opened, and that RSS agrees with it.
func TestStatmRereads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	s, err := openStatm(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	before, err := s.rss()
	if err != nil || before <= 0 {
		t.Fatalf("rss() = %d, %v", before, err)
	}
	const grow = 64 << 20
	b := make([]byte, grow)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	after, err := s.rss()
	if err != nil {
		t.Fatal(err)
	}
	if after-before < grow/2 {
		t.Fatalf("rss went %d → %d after touching %d bytes: the file was not read afresh", before, after, grow)
	}
	if r := RSS(os.Getpid()); r < after-grow/4 {
		t.Fatalf("RSS = %d, the open statm read %d", r, after)
	}
	runtime.KeepAlive(b)
}

// TestStatmOfDeadProcess checks that a statm opened for a process that
// exited fails to read instead of reading whatever reuses the pid.
func TestStatmOfDeadProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	s, err := openStatm(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.rss(); err != nil {
		t.Fatalf("live process: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if n, err := s.rss(); err == nil && n != 0 {
		t.Fatalf("reaped process: rss() = %d, nil; want an error or 0", n)
	}
	if r := RSS(cmd.Process.Pid); r != 0 {
		t.Logf("pid %d reused already (RSS %d)", cmd.Process.Pid, r)
	}
}

// BenchmarkRSS is one read of a process's RSS: opening statm each time
// (RSS, what the watcher did per cell per tick) against re-reading the open
// file (what it does now).
func BenchmarkRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("/proc is Linux's")
	}
	pid := os.Getpid()
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if RSS(pid) <= 0 {
				b.Fatal("no rss")
			}
		}
	})
	b.Run("reread", func(b *testing.B) {
		s, err := openStatm(pid)
		if err != nil {
			b.Fatal(err)
		}
		defer s.close()
		b.ReportAllocs()
		for b.Loop() {
			if n, err := s.rss(); err != nil || n <= 0 {
				b.Fatal(n, err)
			}
		}
	})
}
