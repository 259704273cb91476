package daemon

import "golang.org/x/sys/unix"

// sockCred reads the peer's credentials of the socket fd (LOCAL_PEERCRED;
// the pid from LOCAL_PEERPID).
func sockCred(fd int) (cred, error) {
	x, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return cred{}, err
	}
	pid, _ := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID)
	return cred{pid: pid, uid: int(x.Uid)}, nil
}
