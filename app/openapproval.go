package app

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"littleboxes/app/events"
)

// EventOpenApproval is the type of the event that asks the window to show
// an approval (ID): the window comes to the front and the page opens its
// approvals on that one. The engine publishes it when the person clicks a
// notification (every attached window and page gets it); a window started
// with --approval ID publishes it on its own hub once its page listens.
const EventOpenApproval = "window.approval"

// ReadyEvent is the Wails event the page emits once it listens to
// EventName; a window started on an approval answers it with
// EventOpenApproval.
const ReadyEvent = "lb:ready"

// windowLockFile is the file in the data directory every open window holds
// a shared lock on, for its life: the engine tells by it whether a click
// on a notification has a window to go to or must start one.
const windowLockFile = "window.lock"

// windowLocks are the window locks this process holds: referenced here, so
// the files are not closed (and the locks released) by the garbage
// collector.
var windowLocks = struct {
	sync.Mutex
	held map[*os.File]bool
}{held: map[*os.File]bool{}}

// holdWindowLock takes a shared lock on dir's window lock for as long as
// this process runs, or until release.
func holdWindowLock(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, windowLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("the window lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("the window lock: %w", err)
	}
	windowLocks.Lock()
	windowLocks.held[f] = true
	windowLocks.Unlock()
	return func() {
		windowLocks.Lock()
		defer windowLocks.Unlock()
		if windowLocks.held[f] {
			delete(windowLocks.held, f)
			f.Close() // releases the lock
		}
	}, nil
}

// windowOpen reports whether a window holds dir's window lock.
func windowOpen(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, windowLockFile), os.O_RDWR, 0)
	if err != nil {
		return false // never created: no window ever opened here
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// openApproval is what a click on a notification does in the engine of
// dir: every window attached to it (and every page of serve) is asked to
// show the approval id, and when no window is open one is started on it.
func openApproval(hub *events.Hub, dir, id string, logf func(string, ...any)) {
	hub.Publish(events.Event{Type: EventOpenApproval, ID: id})
	if !windowOpen(dir) {
		startWindow(dir, id, logf)
	}
}

// startWindow starts a window on dir's engine, showing the approval id
// ("" for none): this binary with no subcommand, detached. It attaches to
// the engine. A variable, so tests see what would be started.
var startWindow = func(dir, id string, logf func(string, ...any)) {
	exe, err := os.Executable()
	if err == nil {
		cmd := exec.Command(exe, windowArgs(dir, id)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err = cmd.Start(); err == nil {
			go cmd.Wait() // reaped when the window closes; owned by nothing else
			return
		}
	}
	if logf != nil {
		logf("opening the window: %v", err)
	}
}

// windowArgs are the arguments of a window on dir showing the approval id.
func windowArgs(dir, id string) []string {
	args := []string{"--data", dir}
	if id != "" {
		args = append(args, "--approval", id)
	}
	return args
}

// toWindow hands ev to the page (emit); an EventOpenApproval brings the
// window to the front first (focus).
func toWindow(ev Event, emit func(Event), focus func()) {
	if ev.Type == EventOpenApproval {
		focus()
	}
	emit(ev)
}
