package mail

import (
	"crypto/x509"
	"time"

	"littleboxes/capabilities"
)

// Timing sets the IMAP timeouts and intervals for a test and returns a
// function restoring them.
func Timing(dial, command, idle, poll, backoffMin, backoffMax, authWait time.Duration) (restore func()) {
	old := timing
	timing = imapTiming{dial: dial, command: command, idle: idle, poll: poll, backoffMin: backoffMin, backoffMax: backoffMax, authWait: authWait}
	return func() { timing = old }
}

// Connections returns how many IMAP connections were made.
func Connections() int64 { return connections.Load() }

// FetchedBytes returns how many bytes of message bodies were read over IMAP.
func FetchedBytes() int64 { return fetchedBytes.Load() }

// Dials returns how many times an IMAP mailbox instance tried to connect.
func Dials(inst capabilities.Instance) int64 {
	if p, ok := inst.(*Instance); ok && p.ibox != nil {
		return p.ibox.dials.Load()
	}
	return -1
}

// TrustIMAP makes IMAP connections trust roots instead of the system's
// authorities, and returns a function restoring them.
func TrustIMAP(roots *x509.CertPool) (restore func()) {
	old := imapRoots
	imapRoots = roots
	return func() { imapRoots = old }
}

// WithoutWatched runs f with the cache of the IMAP mailbox instance inst
// hidden from scoped instances, as if f ran in another process.
func WithoutWatched[T any](inst capabilities.Instance, f func() T) T {
	b := inst.(*Instance).ibox
	watched.Lock()
	delete(watched.m, b.acct.key())
	watched.Unlock()
	defer func() {
		watched.Lock()
		watched.m[b.acct.key()] = b
		watched.Unlock()
	}()
	return f()
}
