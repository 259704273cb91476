//go:build unix

package engine

import (
	"syscall"
	"testing"
	"time"

	"littleboxes/sandbox/cell"
)

// BenchmarkChainCPU is BenchmarkChain reporting the CPU time it took per
// message (user and system, this process): on a shared machine throughput
// swings with the load, CPU per message much less.
func BenchmarkChainCPU(b *testing.B) {
	start := cpuTimes(b)
	benchChain(b, nil)
	b.ReportMetric(float64((cpuTimes(b).self-start.self).Microseconds())/float64(b.N), "cpu-µs/msg")
}

// BenchmarkChainCellsCPU is BenchmarkChainCells reporting the CPU time per
// message of this process (main-µs/msg) and of its cells (cells-µs/msg,
// counted once the pool is closed and they are reaped).
func BenchmarkChainCellsCPU(b *testing.B) {
	start := cpuTimes(b)
	pool, err := cell.NewPool(cell.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchChain(b, pool)
	end := cpuTimes(b)
	main := end.self - start.self
	if err := pool.Close(); err != nil {
		b.Fatal(err)
	}
	cells := cpuTimes(b).children - start.children
	b.ReportMetric(float64(main.Microseconds())/float64(b.N), "main-µs/msg")
	b.ReportMetric(float64(cells.Microseconds())/float64(b.N), "cells-µs/msg")
	b.ReportMetric(float64(end.switches-start.switches)/float64(b.N), "main-switches/msg")
}

type cpu struct {
	self, children time.Duration
	switches       int64 // this process's voluntary context switches
}

// cpuTimes reads the user and system time of this process and of its
// reaped children, and this process's voluntary context switches.
func cpuTimes(b *testing.B) cpu {
	b.Helper()
	var self, kids syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids); err != nil {
		b.Fatal(err)
	}
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return cpu{self: tv(self.Utime) + tv(self.Stime), children: tv(kids.Utime) + tv(kids.Stime), switches: self.Nvcsw}
}
