package cli

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"littleboxes/capabilities/captest"
)

// fakeSystemctl is a systemctl that records its arguments (one line per
// call) and keeps the unit's enabled and active states in files, as a user
// manager would. With FAKE_NOBUS set it fails as systemctl does with no
// user manager to talk to.
const fakeSystemctl = `#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> "$FAKE_LOG"
if [ -n "$FAKE_NOBUS" ]; then
	echo "Failed to connect to bus: No medium found" >&2
	exit 1
fi
[ "$1" = --user ] || { echo "not --user: $*" >&2; exit 1; }
st="$FAKE_STATE"
case "$2" in
daemon-reload|try-restart) ;;
enable) [ "$3" = --now ] && touch "$st.active"; touch "$st.enabled" ;;
disable) [ "$3" = --now ] && rm -f "$st.active"; rm -f "$st.enabled" ;;
is-enabled) if [ -e "$st.enabled" ]; then echo enabled; else echo disabled; exit 1; fi ;;
is-active) if [ -e "$st.active" ]; then echo active; else echo inactive; exit 3; fi ;;
*) echo "fake systemctl: unknown verb $2" >&2; exit 1 ;;
esac
`

// fakeLaunchctl is the same for launchd: bootstrap loads, bootout unloads,
// print answers while loaded.
const fakeLaunchctl = `#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> "$FAKE_LOG"
st="$FAKE_STATE"
case "$1" in
bootstrap) [ -e "$st.loaded" ] && { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }; touch "$st.loaded" ;;
bootout) [ -e "$st.loaded" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }; rm -f "$st.loaded" ;;
print) [ -e "$st.loaded" ] || { echo "Could not find service" >&2; exit 113; }; printf '%s = {\n\tstate = running\n\tpid = 42\n}\n' "$2" ;;
*) echo "fake launchctl: unknown verb $1" >&2; exit 1 ;;
esac
`

// serviceEnv is a home, config dir and data dir in a temp dir, and PATH
// holding only the fake tool (when tool is not empty).
type serviceEnv struct {
	t                     *testing.T
	home, data, log, unit string
	goos                  string
}

func newServiceEnv(t *testing.T, goos, tool, script string) *serviceEnv {
	t.Helper()
	dir := t.TempDir()
	e := &serviceEnv{t: t, goos: goos, home: filepath.Join(dir, "home"), data: filepath.Join(dir, "data dir"),
		log: filepath.Join(dir, "calls.log")}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{e.home, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if tool != "" {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin) // nothing else: the real systemctl is never run
	t.Setenv("HOME", e.home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(e.home, "config"))
	t.Setenv("FAKE_LOG", e.log)
	t.Setenv("FAKE_STATE", filepath.Join(dir, "state"))
	t.Setenv("FAKE_NOBUS", "")
	e.unit = filepath.Join(e.home, "config", "systemd", "user", "littleboxes.service")
	if goos == "darwin" {
		e.unit = filepath.Join(e.home, "Library", "LaunchAgents", "org.littleboxes.daemon.plist")
	}
	return e
}

// run runs `littleboxes service ARGS --data DATA` and returns its exit
// code, its output and the tool calls it made.
func (e *serviceEnv) run(args ...string) (int, string, []string) {
	e.t.Helper()
	os.Remove(e.log)
	var out, errOut bytes.Buffer
	code := service(append(args, "--data", e.data), IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}, e.goos)
	calls, _ := os.ReadFile(e.log)
	var lines []string
	if s := strings.TrimSpace(string(calls)); s != "" {
		lines = strings.Split(s, "\n")
	}
	return code, out.String() + errOut.String(), lines
}

func thisExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return exe
}

func TestSystemdUnitGolden(t *testing.T) {
	captest.Golden(t, filepath.Join("testdata", "service.unit"), []byte(systemdUnit("/usr/bin/littleboxes", "/home/ann/.local/share/littleboxes")))
}

func TestSystemdQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/littleboxes":     "/usr/bin/littleboxes",
		"/opt/my apps/littleboxes": `"/opt/my apps/littleboxes"`,
		"/home/a/100%/$HOME":       "/home/a/100%%/$$HOME",
		"/home/a/a b $c":           `"/home/a/a b $$c"`,
		`/x/"q"\b`:                 `"/x/\"q\"\\b"`,
		"/x/semi;colon":            `"/x/semi;colon"`,
		"":                         `""`,
	} {
		if got := systemdQuote(in, false); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
		// The executable's path is not expanded: a $ stays one.
		want = strings.ReplaceAll(want, "$$", "$")
		if got := systemdQuote(in, true); got != want {
			t.Errorf("systemdQuote(%q, exe) = %s, want %s", in, got, want)
		}
	}
}

// systemd itself reads the unit (for an awkward path too) and finds
// nothing wrong, when systemd-analyze is there.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := filepath.Join(t.TempDir(), "a dir with 100% of $it")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "littleboxes")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "littleboxes.service")
	if err := os.WriteFile(unit, []byte(systemdUnit(exe, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestServiceSystemd(t *testing.T) {
	e := newServiceEnv(t, "linux", "systemctl", fakeSystemctl)
	exe := thisExe(t)

	code, out, calls := e.run("install")
	if code != ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	text, err := os.ReadFile(e.unit)
	if err != nil {
		t.Fatalf("install wrote no unit: %v\n%s", err, out)
	}
	if want := systemdUnit(exe, e.data); string(text) != want {
		t.Errorf("unit:\n%s\nwant:\n%s", text, want)
	}
	if !strings.Contains(string(text), `ExecStart=`+exe+` daemon --data "`+e.data+`"`) {
		t.Errorf("unit does not run this binary's daemon on the data dir:\n%s", text)
	}
	if want := []string{"--user daemon-reload", "--user enable --now littleboxes.service"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("install ran systemctl %q, want %q", calls, want)
	}
	if !strings.Contains(out, "wrote "+e.unit) || !strings.Contains(out, "enabled and started") {
		t.Errorf("install said:\n%s", out)
	}
	if !strings.Contains(out, "warning: ") { // the test binary is in the temp dir
		t.Errorf("no warning about a binary in the temp dir:\n%s", out)
	}

	// Idempotent: the same unit, enabled again, not restarted.
	code, out, calls = e.run("install")
	if code != ExitOK || !strings.Contains(out, "already installed") {
		t.Errorf("install again: exit %d\n%s", code, out)
	}
	if want := []string{"--user daemon-reload", "--user enable --now littleboxes.service"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("install again ran systemctl %q, want %q", calls, want)
	}
	if again, _ := os.ReadFile(e.unit); !bytes.Equal(again, text) {
		t.Errorf("install again changed the unit")
	}

	code, out, calls = e.run("status")
	if code != ExitOK {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	for _, want := range []string{"installed: yes (" + e.unit + ")", "runs:      " + exe + " daemon --data", "enabled:   enabled", "active:    active"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "note:") {
		t.Errorf("status notes a difference for the unit this binary wrote:\n%s", out)
	}
	if want := []string{"--user is-enabled littleboxes.service", "--user is-active littleboxes.service"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("status ran systemctl %q, want %q", calls, want)
	}

	code, out, calls = e.run("uninstall")
	if code != ExitOK {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(e.unit); !os.IsNotExist(err) {
		t.Errorf("uninstall left the unit: %v", err)
	}
	if want := []string{"--user disable --now littleboxes.service", "--user daemon-reload"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("uninstall ran systemctl %q, want %q", calls, want)
	}

	// Idempotent: nothing to remove, nothing run.
	code, out, calls = e.run("uninstall")
	if code != ExitOK || !strings.Contains(out, "not installed") || len(calls) != 0 {
		t.Errorf("uninstall again: exit %d, systemctl %q\n%s", code, calls, out)
	}
	code, out, _ = e.run("status")
	if code != ExitOK || !strings.Contains(out, "installed: no") {
		t.Errorf("status after uninstall: exit %d\n%s", code, out)
	}
}

// Installing for another data dir rewrites the unit and restarts an engine
// running from the old one; status notices a unit this binary would not
// write.
func TestServiceSystemdUpdate(t *testing.T) {
	e := newServiceEnv(t, "linux", "systemctl", fakeSystemctl)
	if code, out, _ := e.run("install"); code != ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	old := e.data
	e.data = filepath.Join(t.TempDir(), "other")
	code, out, _ := e.run("status")
	if code != ExitOK || !strings.Contains(out, "note:      this binary would write another unit") {
		t.Errorf("status for another data dir: exit %d\n%s", code, out)
	}
	code, out, calls := e.run("install")
	if code != ExitOK || !strings.Contains(out, "updated "+e.unit) {
		t.Errorf("install for another data dir: exit %d\n%s", code, out)
	}
	if want := []string{"--user daemon-reload", "--user enable --now littleboxes.service", "--user try-restart littleboxes.service"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("update ran systemctl %q, want %q", calls, want)
	}
	text, _ := os.ReadFile(e.unit)
	if !strings.Contains(string(text), "--data "+e.data+"\n") || strings.Contains(string(text), old) {
		t.Errorf("updated unit:\n%s", text)
	}
}

// With no user manager to talk to (a container, ssh without lingering) or
// no systemctl at all, install writes the unit and says what to run.
func TestServiceSystemdNoManager(t *testing.T) {
	for _, c := range []struct {
		name string
		tool string
		env  string
		says string
	}{
		{"no user manager", "systemctl", "1", "Failed to connect to bus"},
		{"no systemctl", "", "", "systemctl not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newServiceEnv(t, "linux", c.tool, fakeSystemctl)
			t.Setenv("FAKE_NOBUS", c.env)
			code, out, _ := e.run("install")
			if code != ExitOK {
				t.Fatalf("install: exit %d\n%s", code, out)
			}
			if _, err := os.Stat(e.unit); err != nil {
				t.Errorf("no unit written: %v", err)
			}
			for _, want := range []string{c.says, "run:", "  systemctl --user daemon-reload", "  systemctl --user enable --now littleboxes.service"} {
				if !strings.Contains(out, want) {
					t.Errorf("install lacks %q:\n%s", want, out)
				}
			}
			code, out, _ = e.run("status")
			if code != ExitOK || !strings.Contains(out, "installed: yes") || !strings.Contains(out, "enabled:   unknown") {
				t.Errorf("status: exit %d\n%s", code, out)
			}
			code, out, _ = e.run("uninstall")
			if _, err := os.Stat(e.unit); code != ExitOK || !os.IsNotExist(err) {
				t.Errorf("uninstall: exit %d, unit: %v\n%s", code, err, out)
			}
		})
	}
}

func TestServiceUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{nil, ExitUsage},
		{[]string{"start"}, ExitUsage},
		{[]string{"install", "extra"}, ExitUsage},
		{[]string{"install", "--bogus"}, ExitUsage},
		{[]string{"--help"}, ExitOK},
	} {
		var out bytes.Buffer
		if code := service(c.args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}, "linux"); code != c.code {
			t.Errorf("service %q: exit %d, want %d\n%s", c.args, code, c.code, out.String())
		}
	}
	var out bytes.Buffer
	if code := service([]string{"status"}, IO{Stdout: &out, Stderr: &out}, "windows"); code != ExitFailed {
		t.Errorf("service status on windows: exit %d\n%s", code, out.String())
	}
}

func TestLaunchdPlistGolden(t *testing.T) {
	text := launchdPlist("/Applications/littleboxes.app/Contents/MacOS/littleboxes", "/Users/ann/Library/Application Support/littleboxes & co")
	captest.Golden(t, filepath.Join("testdata", "service.plist"), []byte(text))
	// Well-formed XML whose ProgramArguments are the daemon's command line.
	var p struct {
		Dict struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"dict"`
	}
	if err := xml.NewDecoder(strings.NewReader(text)).Decode(&p); err != nil && err != io.EOF {
		t.Fatalf("plist is not well-formed XML: %v", err)
	}
	var args struct {
		Strings []string `xml:"array>string"`
	}
	if err := xml.Unmarshal([]byte("<d>"+string(p.Dict.Inner)+"</d>"), &args); err != nil {
		t.Fatal(err)
	}
	want := []string{"/Applications/littleboxes.app/Contents/MacOS/littleboxes", "daemon", "--data", "/Users/ann/Library/Application Support/littleboxes & co"}
	if strings.Join(args.Strings, "|") != strings.Join(want, "|") {
		t.Errorf("ProgramArguments = %q, want %q", args.Strings, want)
	}
}

func TestServiceLaunchd(t *testing.T) {
	e := newServiceEnv(t, "darwin", "launchctl", fakeLaunchctl)
	domain := "gui/" + strconv.Itoa(os.Getuid())

	code, out, calls := e.run("install")
	if code != ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	if text, err := os.ReadFile(e.unit); err != nil || string(text) != launchdPlist(thisExe(t), e.data) {
		t.Errorf("plist: %v\n%s", err, text)
	}
	if want := []string{"print " + domain + "/org.littleboxes.daemon", "bootstrap " + domain + " " + e.unit}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("install ran launchctl %q, want %q", calls, want)
	}
	code, out, calls = e.run("install")
	if code != ExitOK || len(calls) != 1 || !strings.Contains(out, "already installed") {
		t.Errorf("install again: exit %d, launchctl %q\n%s", code, calls, out)
	}
	code, out, _ = e.run("status")
	if code != ExitOK || !strings.Contains(out, "loaded:    yes") || !strings.Contains(out, "active:    running") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	code, out, calls = e.run("uninstall")
	if _, err := os.Stat(e.unit); code != ExitOK || !os.IsNotExist(err) {
		t.Errorf("uninstall: exit %d, plist: %v\n%s", code, err, out)
	}
	if want := []string{"print " + domain + "/org.littleboxes.daemon", "bootout " + domain + "/org.littleboxes.daemon"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("uninstall ran launchctl %q, want %q", calls, want)
	}
	code, out, calls = e.run("uninstall")
	if code != ExitOK || len(calls) != 0 || !strings.Contains(out, "not installed") {
		t.Errorf("uninstall again: exit %d, launchctl %q\n%s", code, calls, out)
	}
}
