package cell

import (
	"errors"

	"golang.org/x/sys/unix"
)

// waitExited blocks until process pid has exited (without reaping it, so
// exec.Cmd.Wait still can) and reports true; it reports false when it
// cannot tell.
func waitExited(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		switch {
		case err == nil, errors.Is(err, unix.ECHILD):
			return true // exited (ECHILD: already reaped)
		case errors.Is(err, unix.EINTR):
			continue
		default:
			return false
		}
	}
}
