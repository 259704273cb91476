// Package keyring keeps littleboxes' secrets in the OS keyring: it
// implements vault.Secrets over github.com/zalando/go-keyring (the only
// package of littleboxes that imports it), under the service name
// "littleboxes", one keyring item per secret name.
//
// On Linux that is the freedesktop Secret Service on the D-Bus session bus:
// gnome-keyring, or KeePassXC with its Secret Service integration. When
// neither the bus nor a Secret Service can be reached, every method fails
// with an error wrapping vault.ErrUnavailable and the cause, that says what
// to install or start. Unlike go-keyring's D-Bus library, this package never
// autolaunches a session bus of its own (that would leave a stray dbus-daemon
// and a locked keyring behind).
//
// go-keyring cannot list a service's items, so a Keyring keeps the names of
// the secrets it stores in a [Names] index (in littleboxes, a store.NameSet in
// the store file). Names only: values never leave the keyring but through Get.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"

	"littleboxes/vault"
)

// Service is the keyring service name littleboxes' items are stored under.
const Service = "littleboxes"

// Names is the persistent index of the secret names a Keyring holds.
// Implementations are safe for concurrent use; Add of a present name and
// Remove of a missing one are not errors.
type Names interface {
	// Add records name.
	Add(ctx context.Context, name string) error
	// Remove forgets name.
	Remove(ctx context.Context, name string) error
	// List returns the recorded names, sorted.
	List(ctx context.Context) ([]string, error)
}

// Keyring is a vault.Secrets in the OS keyring. It is safe for concurrent
// use. go-keyring calls cannot be cancelled: ctx is checked before each
// call, and a call that waits on the user (an unlock prompt) waits.
type Keyring struct {
	names   Names
	service string
	mu      sync.Mutex // orders writes, so the index follows the keyring
}

// New returns a Keyring keeping its names in names. names may be nil for a
// Keyring that only reads (Get).
func New(names Names) *Keyring {
	return &Keyring{names: names, service: Service}
}

// Get implements vault.Secrets. It reads the keyring whether or not the
// index knows the name.
func (k *Keyring) Get(ctx context.Context, name string) (string, error) {
	if err := check(ctx, "get", name); err != nil {
		return "", err
	}
	if err := busReady(); err != nil {
		return "", failed("get", name, err)
	}
	v, err := gokeyring.Get(k.service, name)
	if err != nil {
		return "", failed("get", name, err)
	}
	return v, nil
}

// Set implements vault.Secrets. The name is in the index before the value
// is in the keyring, and taken out again if storing the value fails.
func (k *Keyring) Set(ctx context.Context, name, value string) error {
	if err := check(ctx, "set", name); err != nil {
		return err
	}
	if err := vault.ValidateValue(value); err != nil {
		return fmt.Errorf("keyring set %q: %w", name, err)
	}
	if err := busReady(); err != nil {
		return failed("set", name, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	had, err := k.indexed(ctx, name)
	if err != nil {
		return fmt.Errorf("keyring set %q: %w", name, err)
	}
	if !had {
		if err := k.names.Add(ctx, name); err != nil {
			return fmt.Errorf("keyring set %q: record the name: %w", name, err)
		}
	}
	if err := gokeyring.Set(k.service, name, value); err != nil {
		if !had {
			if rerr := k.names.Remove(context.WithoutCancel(ctx), name); rerr != nil {
				err = errors.Join(err, fmt.Errorf("and unrecording the name: %w", rerr))
			}
		}
		return failed("set", name, err)
	}
	return nil
}

// Delete implements vault.Secrets. A name the index holds but the keyring
// no longer does (deleted with another tool) is taken out of the index
// without error.
func (k *Keyring) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	if err := busReady(); err != nil {
		return failed("delete", name, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	err := gokeyring.Delete(k.service, name)
	if errors.Is(err, gokeyring.ErrNotFound) {
		had, ierr := k.indexed(ctx, name)
		if ierr != nil {
			return fmt.Errorf("keyring delete %q: %w", name, ierr)
		}
		if !had {
			return failed("delete", name, err)
		}
	} else if err != nil {
		return failed("delete", name, err)
	}
	if err := k.names.Remove(context.WithoutCancel(ctx), name); err != nil {
		return fmt.Errorf("keyring delete %q: unrecord the name: %w", name, err)
	}
	return nil
}

// List implements vault.Secrets: the names in the index, sorted.
func (k *Keyring) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyring list: %w", err)
	}
	names, err := k.names.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring list: %w", err)
	}
	names = slices.Clone(names)
	slices.Sort(names)
	return names, nil
}

func (k *Keyring) indexed(ctx context.Context, name string) (bool, error) {
	names, err := k.names.List(ctx)
	if err != nil {
		return false, fmt.Errorf("names index: %w", err)
	}
	return slices.Contains(names, name), nil
}

// Check reports whether the OS keyring can be reached, with the same
// errors the Keyring's methods give (wrapping vault.ErrUnavailable when it
// cannot). It reads one item that does not exist.
func Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyring check: %w", err)
	}
	if err := busReady(); err != nil {
		return failed("check", "", err)
	}
	_, err := gokeyring.Get(Service, ".littleboxes-probe")
	if err == nil || errors.Is(err, gokeyring.ErrNotFound) {
		return nil
	}
	return failed("check", "", err)
}

func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyring %s %q: %w", op, name, err)
	}
	if err := vault.ValidateName(name); err != nil {
		return fmt.Errorf("keyring %s: %w", op, err)
	}
	return nil
}

// busReady returns an error if no session bus can be found without
// autolaunching one. The D-Bus library, asked for the session bus with no
// address in the environment and none at /run/user/UID, runs dbus-launch:
// that starts a bus and a locked keyring nobody will ever unlock, and leaves
// them running. A set DBUS_SESSION_BUS_ADDRESS (even "autolaunch:") is the
// user's choice and is used as it is.
func busReady() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return &noBusError{err}
	}
	// Discovery set DBUS_SESSION_BUS_ADDRESS for go-keyring's connection.
	_ = conn.Close()
	return nil
}

// noBusError marks a failure to find or connect to the session bus.
type noBusError struct{ err error }

func (e *noBusError) Error() string { return e.err.Error() }
func (e *noBusError) Unwrap() error { return e.err }

// What to do, by what failed.
const (
	hintHeadless = "on a headless machine, run littleboxes inside a session bus with an unlocked keyring: " +
		"dbus-run-session -- sh -c 'printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets; littleboxes ...'"
	hintNoBus = "cannot reach the D-Bus session bus, where the OS keyring (the Secret Service) lives. " +
		"Log in to a desktop session, or install dbus and gnome-keyring (Debian: apt install dbus gnome-keyring) and, " + hintHeadless
	hintNoService = "no Secret Service is running on the D-Bus session bus. Install and start one: " +
		"gnome-keyring (Debian: apt install gnome-keyring; a desktop session starts it), or KeePassXC with " +
		"Tools > Settings > Secret Service Integration enabled; " + hintHeadless
	hintLocked = "the OS keyring is locked and could not be unlocked (no one answered the unlock prompt). " +
		"Unlock it in your desktop's keyring app (Seahorse, KeePassXC), or, " + hintHeadless
)

// failed wraps a go-keyring or D-Bus error for op on name, mapping it to the
// vault's sentinels.
func failed(op, name string, err error) error {
	where := fmt.Sprintf("keyring %s %q", op, name)
	if name == "" {
		where = "keyring " + op
	}
	switch {
	case errors.Is(err, gokeyring.ErrNotFound):
		return fmt.Errorf("%s: %w", where, vault.ErrNotFound)
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("%s: %w: %w", where, vault.ErrInvalidValue, err)
	}
	if hint := unavailable(err); hint != "" {
		return fmt.Errorf("%s: %w (%w): %s", where, vault.ErrUnavailable, err, hint)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// unavailable returns what to do if err says the keyring cannot be reached,
// or "" if it says something else. It goes by the error's type: the D-Bus
// error name, or a failure to connect.
func unavailable(err error) string {
	var nb *noBusError
	if errors.As(err, &nb) {
		return hintNoBus
	}
	var name string
	var de dbus.Error
	var dep *dbus.Error
	switch {
	case errors.As(err, &de):
		name = de.Name
	case errors.As(err, &dep):
		name = dep.Name
	}
	switch {
	case name == "org.freedesktop.DBus.Error.ServiceUnknown",
		name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		name == "org.freedesktop.DBus.Error.NoReply",
		name == "org.freedesktop.DBus.Error.TimedOut",
		strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn."):
		return hintNoService
	case name == "org.freedesktop.Secret.Error.IsLocked":
		return hintLocked
	case name != "":
		return ""
	}
	var opErr *net.OpError
	var execErr *exec.Error
	var exitErr *exec.ExitError
	if errors.As(err, &opErr) || errors.As(err, &execErr) || errors.As(err, &exitErr) ||
		errors.Is(err, dbus.ErrClosed) ||
		// The D-Bus library's own errors, all about reaching the bus:
		// "dbus: couldn't determine address of session bus",
		// "dbus: authentication failed", "dbus: invalid bus address"...
		strings.HasPrefix(err.Error(), "dbus: ") {
		return hintNoBus
	}
	// go-keyring's own error when the collection stays locked.
	if strings.HasPrefix(err.Error(), "failed to unlock correct collection") {
		return hintLocked
	}
	return ""
}

var _ vault.Secrets = (*Keyring)(nil)
