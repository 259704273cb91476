package mcp

import "time"

// SetDownWait sets how long a call waits for a server being restarted, and
// returns a function restoring it.
func SetDownWait(d time.Duration) (restore func()) {
	old := downWait
	downWait = d
	return func() { downWait = old }
}

// LegacyNamespace is where pins were kept before they were per army.
var LegacyNamespace = legacyNamespace
