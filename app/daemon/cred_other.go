//go:build !linux && !darwin

package daemon

import "errors"

// sockCred cannot read a peer's credentials here: every connection is
// refused.
func sockCred(fd int) (cred, error) {
	return cred{}, errors.New("peer credentials are not supported on this system")
}
