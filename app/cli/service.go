package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"littleboxes/app/store"
)

const serviceUsageText = `usage: littleboxes service install [--data DIR]    run the engine from login, without the window
       littleboxes service uninstall [--data DIR]  stop it and remove the user service
       littleboxes service status [--data DIR]     say whether it is installed, enabled and running

The engine runs as 'littleboxes daemon --data DIR' (DIR: default
$XDG_DATA_HOME/littleboxes), started by the user's service manager:
  Linux  a systemd user unit, $XDG_CONFIG_HOME/systemd/user/littleboxes.service,
         enabled with 'systemctl --user enable --now littleboxes.service'
         (stop it for now: systemctl --user stop littleboxes.service)
  macOS  a launchd agent, ~/Library/LaunchAgents/org.littleboxes.daemon.plist
Install and uninstall may be run again: they leave the same state.
`

// serviceUnit is the systemd user unit's file name (and the unit's name).
const serviceUnit = "littleboxes.service"

// launchdLabel is the launchd agent's label (and its plist's name).
const launchdLabel = "org.littleboxes.daemon"

// cmdService installs, removes or reports the user service that runs the
// engine from login.
func cmdService(args []string, std IO) int {
	return service(args, std, runtime.GOOS)
}

// service is cmdService for the service manager of goos ("linux" or
// "darwin"); tests pass either.
func service(args []string, std IO, goos string) int {
	if len(args) == 0 {
		io.WriteString(std.Stderr, serviceUsageText)
		return ExitUsage
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help", "help":
		io.WriteString(std.Stdout, serviceUsageText)
		return ExitOK
	case "install", "uninstall", "status":
	default:
		fmt.Fprintf(std.Stderr, "littleboxes service: unknown subcommand %q\n\n", sub)
		io.WriteString(std.Stderr, serviceUsageText)
		return ExitUsage
	}
	fs := flag.NewFlagSet("littleboxes service "+sub, flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR` the engine runs on (default $XDG_DATA_HOME/littleboxes)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.Stderr, "littleboxes service %s: unexpected argument %q\n", sub, fs.Arg(0))
		return ExitUsage
	}
	h, err := newServiceHost(goos, *data, std)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes service %s: %v\n", sub, err)
		return ExitFailed
	}
	var m serviceManager
	switch goos {
	case "linux":
		m = systemdUser{h}
	case "darwin":
		m = launchdAgent{h}
	default:
		fmt.Fprintf(std.Stderr, "littleboxes service: no user service on %s yet: run 'littleboxes daemon' at login yourself\n", goos)
		return ExitFailed
	}
	switch sub {
	case "install":
		err = m.install()
	case "uninstall":
		err = m.uninstall()
	default:
		err = m.status()
	}
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes service %s: %v\n", sub, err)
		return ExitFailed
	}
	return ExitOK
}

// serviceManager is one OS's user service manager.
type serviceManager interface {
	install() error
	uninstall() error
	status() error
}

// serviceHost is what a service manager needs to know of this machine.
type serviceHost struct {
	exe  string // this binary, absolute, symlinks resolved
	data string // the data dir, absolute
	home string
	out  io.Writer
}

func newServiceHost(goos, dataFlag string, std IO) (serviceHost, error) {
	exe, err := os.Executable()
	if err != nil {
		return serviceHost{}, fmt.Errorf("find this binary: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	data, err := store.DataDirPath(dataFlag)
	if err != nil {
		return serviceHost{}, err
	}
	if data, err = filepath.Abs(data); err != nil {
		return serviceHost{}, fmt.Errorf("data directory: %w", err)
	}
	home, err := os.UserHomeDir()
	if err != nil && goos == "darwin" {
		return serviceHost{}, fmt.Errorf("find the home directory: %w", err)
	}
	return serviceHost{exe: exe, data: data, home: home, out: std.Stdout}, nil
}

// say writes one line for the person.
func (h serviceHost) say(format string, args ...any) { fmt.Fprintf(h.out, format+"\n", args...) }

// warnTemp says so when this binary will not outlive the session (go run).
func (h serviceHost) warnTemp() {
	if strings.HasPrefix(h.exe, filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		h.say("warning: %s is in the temp directory (go run?): the service will fail once it is gone; install a built binary", h.exe)
	}
}

// installFile writes a service's definition: it warns when this binary is
// temporary (warnTemp), writes text to path (writeIfChanged) and says
// whether it wrote the file, updated it or found it as it is.
func (h serviceHost) installFile(path, text string) (changed, existed bool, err error) {
	h.warnTemp()
	changed, existed, err = writeIfChanged(path, text)
	if err != nil {
		return false, existed, err
	}
	switch {
	case changed && existed:
		h.say("updated %s", path)
	case changed:
		h.say("wrote %s", path)
	default:
		h.say("%s is already installed", path)
	}
	return changed, existed, nil
}

// writeIfChanged writes text to path (0644, through a temp file) unless it
// holds it already, and reports whether the file is new or changed, and
// whether it existed.
func writeIfChanged(path, text string) (changed, existed bool, err error) {
	old, err := os.ReadFile(path)
	existed = err == nil
	if existed && bytes.Equal(old, []byte(text)) {
		return false, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, existed, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".littleboxes-*")
	if err != nil {
		return false, existed, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return false, existed, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, existed, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, existed, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, existed, fmt.Errorf("write %s: %w", path, err)
	}
	return true, existed, nil
}

// runTool runs a service manager's command and returns its output, stdout
// and stderr together, trimmed.
func runTool(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err != nil {
		if s == "" {
			s = err.Error()
		}
		return s, fmt.Errorf("%s %s: %s", name, strings.Join(args, " "), s)
	}
	return s, nil
}

// ---- Linux: a systemd user unit ----

type systemdUser struct{ serviceHost }

// unitPath is $XDG_CONFIG_HOME/systemd/user/littleboxes.service.
func (s systemdUser) unitPath() (string, error) {
	dir, err := os.UserConfigDir() // $XDG_CONFIG_HOME, else ~/.config
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w", err)
	}
	return filepath.Join(dir, "systemd", "user", serviceUnit), nil
}

// systemdUnit is the unit that runs exe's engine on data.
func systemdUnit(exe, data string) string {
	return `# Written by 'littleboxes service install'; 'littleboxes service uninstall' removes it.
[Unit]
Description=littleboxes engine: the agent army, running from login

[Service]
Type=simple
ExecStart=` + systemdQuote(exe, true) + ` daemon --data ` + systemdQuote(data, false) + `
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
`
}

// systemdQuote quotes one word of an ExecStart= line: specifiers (%) are
// escaped, and variables ($) in an argument (systemd does not expand them
// in the executable's path), and a word with spaces, quotes or
// backslashes is put in double quotes with C escapes.
func systemdQuote(s string, exe bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !exe {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

// manual is what to run by hand when systemctl cannot reach a user manager.
func (s systemdUser) manual(why error, cmds ...string) {
	s.say("no systemd user manager to ask (%v); run:", why)
	for _, c := range cmds {
		s.say("  %s", c)
	}
}

func (s systemdUser) systemctl(args ...string) (string, error) {
	return runTool("systemctl", append([]string{"--user"}, args...)...)
}

// reachable reports whether systemctl and a user manager are there, by
// reloading the units (which install and uninstall need anyway).
func (s systemdUser) reachable() error {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return errors.New("systemctl not found")
	}
	_, err := s.systemctl("daemon-reload")
	return err
}

func (s systemdUser) install() error {
	path, err := s.unitPath()
	if err != nil {
		return err
	}
	changed, existed, err := s.installFile(path, systemdUnit(s.exe, s.data))
	if err != nil {
		return err
	}
	if err := s.reachable(); err != nil {
		s.manual(err, "systemctl --user daemon-reload", "systemctl --user enable --now "+serviceUnit)
		return nil
	}
	if _, err := s.systemctl("enable", "--now", serviceUnit); err != nil {
		return err
	}
	if changed && existed { // a running engine started from the old unit
		if _, err := s.systemctl("try-restart", serviceUnit); err != nil {
			return err
		}
	}
	s.say("enabled and started %s: the engine runs on %s from login (stop it: systemctl --user stop %s)", serviceUnit, s.data, serviceUnit)
	return nil
}

func (s systemdUser) uninstall() error {
	path, err := s.unitPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) {
		s.say("not installed (no %s)", path)
		return nil
	}
	_, lookErr := exec.LookPath("systemctl")
	if lookErr == nil {
		if _, err := s.systemctl("disable", "--now", serviceUnit); err != nil {
			// No user manager: nothing is running from it here; say so and
			// remove the file all the same.
			s.say("could not disable %s (%v); removing it anyway", serviceUnit, err)
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	s.say("removed %s", path)
	if lookErr != nil {
		s.manual(lookErr, "systemctl --user daemon-reload")
		return nil
	}
	if _, err := s.systemctl("daemon-reload"); err != nil {
		s.manual(err, "systemctl --user daemon-reload")
	}
	return nil
}

func (s systemdUser) status() error {
	path, err := s.unitPath()
	if err != nil {
		return err
	}
	text, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		s.say("installed: no (%s; install it: littleboxes service install)", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s.say("installed: yes (%s)", path)
	for _, line := range strings.Split(string(text), "\n") {
		if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
			s.say("runs:      %s", cmd)
		}
	}
	if string(text) != systemdUnit(s.exe, s.data) {
		s.say("note:      this binary would write another unit (%s on %s): run 'littleboxes service install' again to use it", s.exe, s.data)
	}
	if _, err := exec.LookPath("systemctl"); err != nil {
		s.say("enabled:   unknown (systemctl not found)")
		s.say("active:    unknown (systemctl not found)")
		return nil
	}
	// is-enabled and is-active exit non-zero for "disabled" and
	// "inactive": their first line is the answer either way.
	for _, q := range []struct{ label, verb string }{{"enabled:  ", "is-enabled"}, {"active:   ", "is-active"}} {
		out, err := s.systemctl(q.verb, serviceUnit)
		answer, _, _ := strings.Cut(out, "\n")
		if answer == "" || strings.ContainsAny(answer, " \t") { // not a state: an error
			answer = fmt.Sprintf("unknown (%v)", err)
		}
		s.say("%s %s", q.label, answer)
	}
	return nil
}

// ---- macOS: a launchd agent ----

type launchdAgent struct{ serviceHost }

func (l launchdAgent) plistPath() string {
	return filepath.Join(l.home, "Library", "LaunchAgents", launchdLabel+".plist")
}

// launchdPlist is the agent that runs exe's engine on data, restarted when
// it fails, its output in DATA/daemon.log.
func launchdPlist(exe, data string) string {
	x := func(s string) string {
		var b strings.Builder
		xmlEscape(&b, s)
		return b.String()
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by 'littleboxes service install'; 'littleboxes service uninstall' removes it. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + launchdLabel + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + x(exe) + `</string>
		<string>daemon</string>
		<string>--data</string>
		<string>` + x(data) + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>5</integer>
	<key>StandardOutPath</key>
	<string>` + x(filepath.Join(data, "daemon.log")) + `</string>
	<key>StandardErrorPath</key>
	<string>` + x(filepath.Join(data, "daemon.log")) + `</string>
</dict>
</plist>
`
}

// xmlEscape writes s with XML's special characters escaped.
func xmlEscape(b *strings.Builder, s string) {
	b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s))
}

func (l launchdAgent) domain() string { return "gui/" + strconv.Itoa(os.Getuid()) }

func (l launchdAgent) install() error {
	path := l.plistPath()
	changed, _, err := l.installFile(path, launchdPlist(l.exe, l.data))
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("launchctl"); err != nil {
		l.say("launchctl not found; run: launchctl bootstrap %s %s", l.domain(), path)
		return nil
	}
	loaded := false
	if _, err := runTool("launchctl", "print", l.domain()+"/"+launchdLabel); err == nil {
		loaded = true
	}
	if loaded && changed { // reload the new definition
		if _, err := runTool("launchctl", "bootout", l.domain()+"/"+launchdLabel); err != nil {
			return err
		}
		loaded = false
	}
	if !loaded {
		if _, err := runTool("launchctl", "bootstrap", l.domain(), path); err != nil {
			return err
		}
	}
	l.say("loaded %s: the engine runs on %s from login (stop it: launchctl bootout %s/%s)", launchdLabel, l.data, l.domain(), launchdLabel)
	return nil
}

func (l launchdAgent) uninstall() error {
	path := l.plistPath()
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) {
		l.say("not installed (no %s)", path)
		return nil
	}
	if _, err := exec.LookPath("launchctl"); err == nil {
		if _, err := runTool("launchctl", "print", l.domain()+"/"+launchdLabel); err == nil {
			if _, err := runTool("launchctl", "bootout", l.domain()+"/"+launchdLabel); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	l.say("removed %s", path)
	return nil
}

func (l launchdAgent) status() error {
	path := l.plistPath()
	text, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		l.say("installed: no (%s; install it: littleboxes service install)", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	l.say("installed: yes (%s)", path)
	if string(text) != launchdPlist(l.exe, l.data) {
		l.say("note:      this binary would write another agent (%s on %s): run 'littleboxes service install' again to use it", l.exe, l.data)
	}
	if _, err := exec.LookPath("launchctl"); err != nil {
		l.say("loaded:    unknown (launchctl not found)")
		return nil
	}
	out, err := runTool("launchctl", "print", l.domain()+"/"+launchdLabel)
	if err != nil {
		l.say("loaded:    no")
		l.say("active:    no")
		return nil
	}
	l.say("loaded:    yes")
	state := "unknown"
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "state = "); ok {
			state = v
			break
		}
	}
	l.say("active:    %s", state)
	return nil
}
