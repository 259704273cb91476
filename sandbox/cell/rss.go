package cell

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// RSS returns the resident set size in bytes of process pid (os.Getpid()
// for this one), or 0 when it cannot be read (no /proc, or no such process).
func RSS(pid int) int64 {
	s, err := openStatm(pid)
	if err != nil {
		return 0
	}
	defer s.close()
	n, _ := s.rss()
	return n
}

// statm reads one process's resident set size from its /proc/PID/statm,
// opened once and read again from offset 0 each time: the memory watcher
// reads every cell every WatchInterval, and opening the file each time was
// most of what that cost. The open file stays tied to the process it was
// opened for: once that one is gone, reads fail rather than read a process
// that reused its pid.
type statm struct {
	f   *os.File
	buf [128]byte
}

func openStatm(pid int) (*statm, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return nil, fmt.Errorf("cell: reading the rss of %d: %w", pid, err)
	}
	return &statm{f: f}, nil
}

func (s *statm) close() { _ = s.f.Close() }

// rss reads the file afresh and returns its second field, resident pages,
// in bytes.
func (s *statm) rss() (int64, error) {
	n, err := s.f.ReadAt(s.buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("cell: reading %s: %w", s.f.Name(), err)
	}
	pages, ok := statmResident(s.buf[:n])
	if !ok {
		return 0, fmt.Errorf("cell: %s: no resident field in %q", s.f.Name(), s.buf[:n])
	}
	return pages * int64(os.Getpagesize()), nil
}

// statmResident parses the second space-separated field of a statm line
// (size resident shared text lib data dt), without allocating.
func statmResident(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && b[i] != ' ' {
		i++
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	var v int64
	digits := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if digits >= 18 {
			return 0, false
		}
		v = v*10 + int64(b[i]-'0')
		digits++
	}
	if digits == 0 || (i < len(b) && b[i] != ' ' && b[i] != '\n') {
		return 0, false
	}
	return v, true
}
