package cell

import (
	"strings"
	"testing"
)

// TestTailSuffixNamesCause feeds tailSuffix what dying cells wrote and
// checks that the suffix leads with the line that names the cause.
func TestTailSuffixNamesCause(t *testing.T) {
	for _, tc := range []struct {
		name, stderr, want string
	}{
		{
			// A cell that runtime/cgo aborted: the cause comes a line before
			// the runtime's "SIGABRT" (as written by a real cell, PCs shortened).
			name: "pthread_create failed",
			stderr: "runtime/cgo: pthread_create failed: Operation not permitted\nSIGABRT: abort\nPC=0x7f27af6fbeec m=2 sigcode=18446744073709551610\n\n" +
				"goroutine 0 gp=0xb4e4fa42b40 m=2 mp=0xb4e4fa9c808 [idle]:\nruntime: g 0 gp=0xb4e4fa42b40: unknown pc 0x7f27af6fbeec\n",
			want: ": runtime/cgo: pthread_create failed: Operation not permitted | SIGABRT: abort | PC=",
		},
		{
			name:   "glibc",
			stderr: "Fatal glibc error: pthread_mutex_lock.c:94 (___pthread_mutex_lock): assertion failed: mutex->__data.__owner == 0\nSIGABRT: abort\n",
			want:   ": Fatal glibc error: pthread_mutex_lock.c:94",
		},
		{
			name:   "go panic",
			stderr: "starting\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n",
			want:   ": panic: boom |  | goroutine 1 [running]:",
		},
		{
			name:   "no cause: the last lines",
			stderr: "one\ntwo\nthree\nfour\n",
			want:   ": two | three | four",
		},
		{name: "nothing", stderr: "", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &proc{}
			c.readStderr(strings.NewReader(tc.stderr))
			got := c.tailSuffix()
			if !strings.HasPrefix(got, tc.want) || (tc.want == "" && got != "") {
				t.Errorf("tailSuffix() = %q, want it to start with %q", got, tc.want)
			}
		})
	}
}
