package cell

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// closeInherited closes the pipes and sockets a cell inherited beyond its
// stdin, stdout and stderr. Go marks its own descriptors close-on-exec, but
// C code in the main process does not always: the window's WebKit and GLib
// keep pipes to their helper processes, and a cell holding copies of them
// keeps the window waiting for an end of file that never comes. The Go
// runtime's own descriptors (epoll, eventfd, cgroup files) are neither
// pipes nor sockets, so they stay.
func closeInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own descriptor, closed meanwhile
		}
		if strings.HasPrefix(target, "pipe:") || strings.HasPrefix(target, "socket:") {
			_ = unix.Close(fd)
		}
	}
}
