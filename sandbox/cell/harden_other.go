//go:build !linux

package cell

// harden is a no-op off Linux: there a cell's protection is process
// separation, the memory watchdog and the hard deadline.
func harden() Hardening { return Hardening{Problems: "no hardening on this platform"} }

func probe() map[string]any { return map[string]any{"error": "no probe on this platform"} }
