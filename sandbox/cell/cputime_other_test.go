//go:build !linux

package cell

import "time"

// cpuTime is not measured on this system.
func cpuTime(pid int) (self, other time.Duration, ok bool) { return 0, 0, false }
