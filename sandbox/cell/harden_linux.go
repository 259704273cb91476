//go:build linux

package cell

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/sys/unix"
)

// harden confines the cell before it serves: Landlock (no filesystem access
// at all, no TCP bind or connect, no signals or abstract sockets outside the
// cell) where the kernel has it, then no_new_privs and a seccomp filter that
// allows only what the Go runtime, goja and the pipe need. Everything else,
// notably socket, connect, execve, execveat, open, openat, fork and clone of
// a new process, fails with EPERM. A failure to apply a layer is reported in
// the returned Hardening, not fatal: the main process decides what to accept.
func harden() Hardening {
	var h Hardening
	var problems []string
	abi, err := landlock()
	if err != nil {
		problems = append(problems, "landlock: "+err.Error())
	}
	h.Landlock = abi
	if err := seccomp.SetNoNewPrivs(); err != nil {
		problems = append(problems, "no_new_privs: "+err.Error())
	} else if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err == nil && v == 1 {
		h.NoNewPrivs = true
	}
	h.Seccomp = true
	for _, pol := range seccompFilters() {
		if err := loadFilter(pol); err != nil {
			problems = append(problems, "seccomp: "+err.Error())
			h.Seccomp = false
			break
		}
	}
	h.Problems = strings.Join(problems, "; ")
	return h
}

// seccompFilters returns the seccomp policies harden loads, in order: one
// making clone3 fail with ENOSYS, so that glibc (in a binary linked with
// cgo) falls back to clone, whose flags a filter can check; then the
// allowlist, which lets clone3 through to that answer (an errno takes
// precedence over allow, whichever filter gives it).
//
// The process must be able to create threads after each filter, not only
// after the last: the Go runtime creates threads whenever it needs them,
// also while harden is between two filters, and in a binary linked with cgo
// a failed pthread_create aborts the process with SIGABRT. Loaded the other
// way round, the allowlist alone made clone3 fail with EPERM, on which glibc
// does not fall back, and cells under load died before their hello. (One
// filter cannot hold both rules: in go-seccomp-bpf a policy's first group
// returns the default action for every call it does not name, so a second
// group is never reached.)
func seccompFilters() []seccomp.Policy { return []seccomp.Policy{clone3Policy(), allowPolicy()} }

// loadFilter loads one seccomp policy on every thread of the process.
func loadFilter(pol seccomp.Policy) error {
	return seccomp.LoadFilter(seccomp.Filter{NoNewPrivs: false, Flag: seccomp.FilterFlagTSync, Policy: pol})
}

// allowed lists the system calls a hardened cell may make (linux/amd64 and
// arm64 names; names a kernel table lacks are dropped). It was derived from
// strace of cells under the package's tests, plus the Go runtime's rarer
// paths (signals, profiling timers, thread exit).
var allowed = []string{
	// I/O on descriptors the cell already holds (the pipe, the netpoller)
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fstat", "lseek", "fcntl",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2", "pipe2", "ppoll", "poll",
	// memory
	"mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "mincore",
	// threads, scheduling, time
	// clone3 is answered with ENOSYS by the filter loaded before this one
	// (see seccompFilters)
	"clone3",
	"futex", "sched_yield", "sched_getaffinity", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres",
	"gettimeofday", "getpid", "gettid", "getppid", "set_robust_list", "rseq", "restart_syscall",
	"exit", "exit_group", "getrandom", "getrlimit", "prlimit64", "uname", "sysinfo",
	"getuid", "geteuid", "getgid", "getegid", "membarrier",
	// signals (preemption, crash reports)
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "tgkill", "tkill", "rt_sigqueueinfo",
	"setitimer", "timer_create", "timer_settime", "timer_delete",
	"arch_prctl",
}

func allowPolicy() seccomp.Policy {
	names := make([]string, 0, len(allowed))
	info := seccompArch()
	for _, n := range allowed {
		if info == nil || info[n] {
			names = append(names, n)
		}
	}
	return seccomp.Policy{
		DefaultAction: seccomp.ActionErrno, // EPERM
		Syscalls: []seccomp.SyscallGroup{{
			Action: seccomp.ActionAllow,
			Names:  names,
			// clone only for new threads of this process, never a new
			// process (the Go runtime always sets CLONE_THREAD).
			NamesWithCondtions: []seccomp.NameWithConditions{{
				Name:       "clone",
				Conditions: []seccomp.Condition{{Argument: 0, Operation: seccomp.BitsSet, Value: unix.CLONE_THREAD}},
			}},
		}},
	}
}

// clone3Policy makes clone3, whose flags are in memory a filter cannot
// read, fail with ENOSYS, and allows everything else (the allowlist loaded
// after it judges that).
func clone3Policy() seccomp.Policy {
	const enosys = seccomp.Action(unix.ENOSYS)
	return seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls:      []seccomp.SyscallGroup{{Action: seccomp.ActionErrno | enosys, Names: []string{"clone3"}}},
	}
}

// landlock restricts the process with a Landlock ruleset that handles every
// filesystem access right of the kernel's ABI and grants none, denies TCP
// bind and connect (ABI 4+), and scopes abstract sockets and signals (ABI
// 6+). It returns the ABI enforced, or 0.
//
// Before ABI 8 a ruleset binds only the calling thread, so it is applied to
// every thread with syscall.AllThreadsSyscall, which Go refuses in a binary
// linked with cgo: such a cell reports the problem and relies on seccomp,
// which denies opening files in every thread regardless.
func landlock() (int, error) {
	r, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if e != 0 {
		return 0, fmt.Errorf("not available (%v)", e)
	}
	abi := int(r)
	attr := unix.LandlockRulesetAttr{Access_fs: landlockFS(abi)}
	size := unsafe.Sizeof(uint64(0))
	if abi >= 4 {
		attr.Access_net = unix.LANDLOCK_ACCESS_NET_BIND_TCP | unix.LANDLOCK_ACCESS_NET_CONNECT_TCP
		size = 2 * unsafe.Sizeof(uint64(0))
	}
	if abi >= 6 {
		attr.Scoped = unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | unix.LANDLOCK_SCOPE_SIGNAL
		size = 3 * unsafe.Sizeof(uint64(0))
	}
	fd, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if e != 0 {
		return 0, fmt.Errorf("create ruleset: %v", e)
	}
	defer unix.Close(int(fd))
	const restrictSelfTSync = 1 << 3 // LANDLOCK_RESTRICT_SELF_TSYNC, ABI 8
	if abi >= 8 {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return 0, fmt.Errorf("no_new_privs: %w", err)
		}
		if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, restrictSelfTSync, 0); e != 0 {
			return 0, fmt.Errorf("restrict self: %v", e)
		}
		return abi, nil
	}
	if _, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); e != 0 {
		if errors.Is(e, syscall.ENOTSUP) {
			return 0, fmt.Errorf("ABI %d binds one thread at a time and this binary links cgo, so it cannot reach every thread; seccomp still denies opening files", abi)
		}
		return 0, fmt.Errorf("no_new_privs on all threads: %v", e)
	}
	if _, _, e := syscall.AllThreadsSyscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); e != 0 {
		return 0, fmt.Errorf("restrict all threads: %v", e)
	}
	return abi, nil
}

// landlockFS is every filesystem access right the ABI knows.
func landlockFS(abi int) uint64 {
	fs := uint64(unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_READ_FILE |
		unix.LANDLOCK_ACCESS_FS_READ_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE |
		unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_MAKE_REG |
		unix.LANDLOCK_ACCESS_FS_MAKE_SOCK | unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_SYM)
	if abi >= 2 {
		fs |= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if abi >= 3 {
		fs |= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	if abi >= 5 {
		fs |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	return fs
}

// probe tries what a hardened cell must not be able to do and reports each
// attempt's errno ("ok" if it succeeded). It is reachable only when the main
// process started the cell with the probe enabled (tests).
func probe() map[string]any {
	res := map[string]any{}
	errStr := func(e error) string {
		if e == nil {
			return "ok"
		}
		var en syscall.Errno
		if errors.As(e, &en) {
			return unix.ErrnoName(en)
		}
		return e.Error()
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	res["socket_inet"] = errStr(err)
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	res["socket_unix"] = errStr(err)
	if err == nil {
		unix.Close(fd)
	}
	// connect needs a socket; try it on fd 0 as well, which is not one.
	err = unix.Connect(0, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}})
	res["connect"] = errStr(err)
	fd, err = unix.Open("/etc/hostname", unix.O_RDONLY, 0)
	res["open_read"] = errStr(err)
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Openat(unix.AT_FDCWD, "/tmp/littleboxes-cell-probe", unix.O_CREAT|unix.O_WRONLY, 0o600)
	res["open_create"] = errStr(err)
	if err == nil {
		unix.Close(fd)
		unix.Unlink("/tmp/littleboxes-cell-probe")
	}
	err = unix.Exec("/bin/true", []string{"true"}, nil)
	res["execve"] = errStr(err)
	res["fork"] = forked(unix.RawSyscall(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0))
	// A fork through clone3, whose flags the allowlist cannot read.
	args := cloneArgs{exitSignal: uint64(unix.SIGCHLD)}
	res["fork_clone3"] = forked(unix.RawSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args), 0))
	return res
}

// forked reports how a fork attempt went: its errno, or "ok". In the child,
// if the fork went through, it exits at once; it is nosplit so that the
// child, a copy of one thread of a Go process, runs no stack check first.
//
//go:nosplit
func forked(r, _ uintptr, e syscall.Errno) string {
	if e == 0 && r == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
	}
	if e == 0 {
		return "ok"
	}
	return unix.ErrnoName(e)
}

// cloneArgs is the kernel's struct clone_args, first version (64 bytes).
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls uint64
}

// seccompArch returns the system call names the running architecture's
// table knows, or nil if the architecture is unknown to the library.
func seccompArch() map[string]bool {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil
	}
	m := make(map[string]bool, len(info.SyscallNames))
	for n := range info.SyscallNames {
		m[n] = true
	}
	return m
}
