package daemon

import "golang.org/x/sys/unix"

// sockCred reads the peer's credentials of the socket fd (SO_PEERCRED).
func sockCred(fd int) (cred, error) {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return cred{}, err
	}
	return cred{pid: int(u.Pid), uid: int(u.Uid)}, nil
}
