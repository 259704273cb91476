#!/usr/bin/env bash
# test-package.sh [BIN] — the test of "make package makes something that
# installs like an app".
#
# Builds the packages from BIN (default build/bin/littleboxes, the production
# binary: make build) with build/package.sh, then checks:
#   1. control  the .deb's control file: name, architecture, Depends on GTK 3
#               and WebKitGTK 4.1, each dependency a package this machine
#               has installed (so the names are real);
#   2. install  dpkg installs it into a clean root (dpkg --root, a temp dir with
#               an empty package database: the real system is never touched),
#               and records its files;
#   3. files    the binary (an ELF whose GTK and WebKit libraries resolve, and
#               belong to the packages it Depends on), the desktop file (Exec=
#               and Icon= name what is installed) and the icon (a PNG in
#               hicolor);
#   4. tarball  the tarball holds the same files;
#   5. window   the desktop file's Exec line, with the clean root's /usr/bin
#               first on PATH, starts the installed binary, whose window
#               (found by title as build/test-window.sh does) appears under
#               Xvfb, renders a page, and has the WM_CLASS the desktop file's
#               StartupWMClass names;
#   6. close    asked to close as a window manager asks (WM_DELETE_WINDOW),
#               the app exits with code 0;
#   7. remove   dpkg removes it from the clean root, leaving no file behind.
# It prints one line per check and "package: N passed, M failed", and exits
# non-zero when any check fails.
#
# Needs: dpkg, dpkg-deb, xvfb-run (xvfb, xauth), xdotool, ImageMagick
# (import, identify), a C compiler and Xlib headers (build-essential,
# libx11-dev: a 20-line helper sends WM_DELETE_WINDOW; without them the app
# is stopped with SIGTERM and check 6 says so). Run as root or not (dpkg gets
# --force-not-root). About 30 s once the binary is built.
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCREEN="1280x900x24"
# on_display and stop_group.
. "$SCRIPT_DIR/engine-lib.sh"

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	echo "usage: $0 [BIN]" >&2
	exit 2
fi

# The whole script runs on one private display (as test-window.sh does).
if [ -z "${LB_TEST_PACKAGE_INNER:-}" ]; then
	on_display LB_TEST_PACKAGE_INNER "$SCREEN" "package: 0 passed, 1 failed" "${BASH_SOURCE[0]}" "$@"
	exit $?
fi

START_TIME=$(date +%s)
BIN="${1:-$SCRIPT_DIR/bin/littleboxes}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
OUT="$SCRIPT_DIR/bin/test-package"
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.log

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }

TMP="$(mktemp -d)"
ROOT="$TMP/root"          # the clean root dpkg installs into
INSTALLED="$ROOT/usr/bin/littleboxes"
APP_PID=""

# stop_app stops the app's process group, and any other process running the
# installed binary (an engine the window started, detached): they are this
# test's own, told apart by the temp root their executable lives in.
stop_app() {
	stop_group "$APP_PID"
	APP_PID=""
	local p
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/exe" 2>/dev/null)" = "$INSTALLED" ]; then
			kill -KILL "${p#/proc/}" 2>/dev/null
		fi
	done
}
finish() {
	stop_app
	rm -rf "$TMP"
	echo "package: $passed passed, $failed failed ($(($(date +%s) - START_TIME)) s)"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}
trap finish EXIT
trap 'echo "test-package: interrupted" >&2; exit 130' INT TERM HUP

for tool in dpkg dpkg-deb xdotool import identify; do
	command -v "$tool" >/dev/null 2>&1 || {
		fail "tools: $tool not found (apt-get install dpkg xdotool imagemagick)"
		exit
	}
done

# Build the packages.
if ! bash "$SCRIPT_DIR/package.sh" "$BIN" >"$OUT/package.log" 2>&1; then
	cat "$OUT/package.log"
	fail "build: build/package.sh $BIN failed"
	exit
fi
DEB=$(sed -n 's/^deb: //p' "$OUT/package.log")
TARBALL=$(sed -n 's/^tarball: //p' "$OUT/package.log")
echo "      $(head -n 1 "$OUT/package.log")"

# 1. The control file.
field() { dpkg-deb -f "$DEB" "$1"; }
depends=$(field Depends)
problems=()
[ "$(field Package)" = littleboxes ] || problems+=("Package is $(field Package)")
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || problems+=("Architecture $(field Architecture) is not this machine's")
for need in libgtk-3-0 libwebkit2gtk-4.1-0; do
	[[ ",$depends," =~ [,|][[:space:]]*$need[[:space:]]*[,|] ]] || problems+=("Depends lacks $need")
done
# Each dependency (one of its alternatives) is installed here.
IFS=',' read -ra groups <<<"$depends"
for group in "${groups[@]}"; do
	ok=""
	IFS='|' read -ra alts <<<"$group"
	for alt in "${alts[@]}"; do
		alt=$(echo "$alt" | sed 's/(.*)//; s/[[:space:]]//g')
		[ "$(dpkg-query -W -f '${db:Status-Status}' "$alt" 2>/dev/null)" = installed ] && ok=1
	done
	[ -n "$ok" ] || problems+=("no package of '$group' is installed here")
done
if [ ${#problems[@]} -eq 0 ]; then
	pass "control: littleboxes $(field Version) $(field Architecture), Depends: $depends"
else
	fail "control: ${problems[*]}"
fi

# 2. Install into a clean root.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers"
: >"$ROOT/var/lib/dpkg/status"
: >"$ROOT/var/lib/dpkg/available"
DPKG=(dpkg --root="$ROOT" --log=/dev/null)
[ "$(id -u)" = 0 ] || DPKG+=(--force-not-root)
# The clean root has no GTK or WebKit: their presence on this machine was
# checked above, and the app runs with this machine's.
if "${DPKG[@]}" --force-depends -i "$DEB" >"$OUT/dpkg-install.log" 2>&1 &&
	[ "$("${DPKG[@]}" -s littleboxes 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ]; then
	pass "install: dpkg --root $ROOT -i $(basename "$DEB"): installed"
else
	cat "$OUT/dpkg-install.log"
	fail "install: dpkg could not install $(basename "$DEB") into a clean root"
	exit
fi

# 3. The installed files.
problems=()
listed=$("${DPKG[@]}" -L littleboxes)
DESKTOP="$ROOT/usr/share/applications/littleboxes.desktop"
ICONS=("$ROOT"/usr/share/icons/hicolor/*/apps/littleboxes.png)
for f in /usr/bin/littleboxes /usr/share/applications/littleboxes.desktop "${ICONS[0]#"$ROOT"}"; do
	grep -qx "$f" <<<"$listed" || problems+=("dpkg does not list $f")
done
[ -x "$INSTALLED" ] && [ "$(head -c 4 "$INSTALLED" | od -An -c | tr -d ' ')" = '177ELF' ] || problems+=("/usr/bin/littleboxes is not an executable ELF")
cmp -s "$BIN" "$INSTALLED" || problems+=("/usr/bin/littleboxes is not $BIN")
exec_line=$(sed -n 's/^Exec=//p' "$DESKTOP" | head -n 1)
icon_name=$(sed -n 's/^Icon=//p' "$DESKTOP" | head -n 1)
wm_class=$(sed -n 's/^StartupWMClass=//p' "$DESKTOP" | head -n 1)
exec_bin=${exec_line%% *}
[ -x "$ROOT/usr/bin/$exec_bin" ] || problems+=("the desktop file's Exec=$exec_line names no installed /usr/bin program")
compgen -G "$ROOT/usr/share/icons/hicolor/*/apps/$icon_name.png" >/dev/null ||
	problems+=("the desktop file's Icon=$icon_name names no installed hicolor icon")
if [ -f "${ICONS[0]}" ]; then
	size=$(basename "$(dirname "$(dirname "${ICONS[0]}")")")
	geom=$(identify -format '%m %wx%h' "${ICONS[0]}" 2>/dev/null)
	[ "$geom" = "PNG $size" ] || problems+=("the icon in hicolor/$size is '$geom'")
else
	problems+=("no icon in /usr/share/icons/hicolor/*/apps")
fi
if command -v desktop-file-validate >/dev/null 2>&1; then
	v=$(desktop-file-validate "$DESKTOP" 2>&1) || problems+=("desktop-file-validate: $v")
fi
# The libraries the binary links resolve, and GTK's and WebKit's belong to
# packages it Depends on.
libs=$(ldd "$INSTALLED" 2>&1)
grep -q "not found" <<<"$libs" && problems+=("unresolved libraries: $(grep 'not found' <<<"$libs" | tr -s ' \n' ' ')")
for so in libgtk-3.so.0 libwebkit2gtk-4.1.so.0; do
	path=$(awk -v so="$so" '$1 == so { print $3 }' <<<"$libs")
	if [ -z "$path" ]; then
		problems+=("the binary does not link $so (built without the desktop tags?)")
		continue
	fi
	owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | cut -d: -f1 | head -n 1)
	[ -z "$owner" ] && owner=$(dpkg -S "$path" 2>/dev/null | cut -d: -f1 | head -n 1)
	[[ ",$depends," =~ [,|][[:space:]]*${owner}[[:space:]]*[,|] ]] || problems+=("$so is in package '$owner', which Depends does not name")
done
if [ ${#problems[@]} -eq 0 ]; then
	pass "files: /usr/bin/littleboxes, desktop file (Exec=$exec_line, Icon=$icon_name), icon ${ICONS[0]#"$ROOT"} ($geom); GTK and WebKit resolve to the Depends"
else
	fail "files: $(printf '%s; ' "${problems[@]}")"
fi

# 4. The tarball holds the same files.
problems=()
mkdir -p "$TMP/tar"
if tar -xzf "$TARBALL" -C "$TMP/tar" --strip-components=1; then
	cmp -s "$TMP/tar/bin/littleboxes" "$INSTALLED" || problems+=("bin/littleboxes differs from the .deb's")
	cmp -s "$TMP/tar/share/applications/littleboxes.desktop" "$DESKTOP" || problems+=("share/applications/littleboxes.desktop differs")
	cmp -s "$TMP/tar/${ICONS[0]#"$ROOT/usr/"}" "${ICONS[0]}" || problems+=("the icon differs")
	[ -x "$TMP/tar/bin/littleboxes" ] || problems+=("bin/littleboxes is not executable")
else
	problems+=("tar could not unpack it")
fi
if [ ${#problems[@]} -eq 0 ]; then
	pass "tarball: $(basename "$TARBALL") holds the same bin/ and share/ files"
else
	fail "tarball: $(printf '%s; ' "${problems[@]}")"
fi

# 5. The desktop file starts the installed binary, whose window appears.
export XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_DIRS="$ROOT/usr/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
# The Exec line's field codes (%f, %U, …) expand to nothing with no files.
read -ra exec_argv <<<"$(sed 's/%[a-zA-Z]//g' <<<"$exec_line")"
PATH="$ROOT/usr/bin:$PATH" setsid "${exec_argv[@]}" >"$OUT/app.log" 2>&1 &
APP_PID=$!
show_log() {
	echo "----- app output (last 20 lines) -----"
	tail -n 20 "$OUT/app.log"
	echo "--------------------------------------"
}
WID=""
for _ in $(seq 1 120); do # ≤ 60 s
	# The title may carry a count of pending approvals: "littleboxes (2)".
	WID=$(xdotool search --onlyvisible --name '^littleboxes( \([0-9]+\))?$' 2>/dev/null | head -n 1)
	[ -n "$WID" ] && break
	kill -0 "$APP_PID" 2>/dev/null || break
	sleep 0.5
done
running_exe=$(readlink "/proc/$APP_PID/exe" 2>/dev/null)
if [ -z "$WID" ]; then
	show_log
	if kill -0 "$APP_PID" 2>/dev/null; then
		fail "window: no visible window named littleboxes within 60 s"
	else
		wait "$APP_PID"
		fail "window: the installed binary exited with code $? before opening a window"
		APP_PID=""
	fi
	fail "close: no window"
	exit
fi
SHOT="$OUT/package-window.png"
ncol=0
for _ in $(seq 1 60); do # ≤ 30 s for the page to paint
	import -window root "$SHOT" 2>/dev/null
	ncol=$(identify -format '%k' "$SHOT" 2>/dev/null || echo 0)
	[ "$ncol" -gt 200 ] && break
	sleep 0.5
done
problems=()
[ "$running_exe" = "$INSTALLED" ] || problems+=("the process runs '$running_exe', not the installed binary")
[ "$ncol" -gt 200 ] || problems+=("the window looks blank ($ncol colours, $SHOT)")
if [ -n "$wm_class" ] && ! xdotool search --class "^$wm_class\$" 2>/dev/null | grep -qx "$WID"; then
	problems+=("its WM_CLASS is not the desktop file's StartupWMClass=$wm_class")
fi
if [ ${#problems[@]} -eq 0 ]; then
	pass "window: Exec=$exec_line started $INSTALLED; window $WID ($(xdotool getwindowname "$WID")) renders $ncol colours, WM_CLASS $wm_class ($SHOT)"
else
	show_log
	fail "window: $(printf '%s; ' "${problems[@]}")"
fi

# 6. Close it as a window manager would.
how="WM_DELETE_WINDOW"
cat >"$TMP/wmdelete.c" <<'EOF'
/* wmdelete WINDOW: asks an X window to close, as a window manager does when
   the person clicks its close button (a WM_DELETE_WINDOW client message). */
#include <stdio.h>
#include <stdlib.h>
#include <X11/Xlib.h>
int main(int argc, char **argv) {
	if (argc != 2) { fprintf(stderr, "usage: wmdelete WINDOW\n"); return 2; }
	Display *d = XOpenDisplay(NULL);
	if (!d) { fprintf(stderr, "wmdelete: cannot open the display\n"); return 1; }
	XEvent ev = {0};
	ev.xclient.type = ClientMessage;
	ev.xclient.window = (Window)strtoul(argv[1], NULL, 0);
	ev.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = XInternAtom(d, "WM_DELETE_WINDOW", False);
	ev.xclient.data.l[1] = CurrentTime;
	XSendEvent(d, ev.xclient.window, False, NoEventMask, &ev);
	XSync(d, False);
	XCloseDisplay(d);
	return 0;
}
EOF
if cc -O -o "$TMP/wmdelete" "$TMP/wmdelete.c" -lX11 >"$OUT/cc.log" 2>&1; then
	"$TMP/wmdelete" "$WID"
else
	how="SIGTERM (no C compiler or Xlib headers to send WM_DELETE_WINDOW: $(head -n 1 "$OUT/cc.log"))"
	kill -TERM "$APP_PID"
fi
for _ in $(seq 1 60); do # ≤ 15 s
	kill -0 "$APP_PID" 2>/dev/null || break
	sleep 0.25
done
if kill -0 "$APP_PID" 2>/dev/null; then
	show_log
	fail "close: still running 15 s after $how"
else
	wait "$APP_PID"
	code=$?
	APP_PID=""
	if [ "$code" -eq 0 ] || [ "${how%% *}" = SIGTERM ]; then
		pass "close: the app exited (code $code) after $how"
	else
		show_log
		fail "close: the app exited with code $code after $how"
	fi
fi
stop_app

# 7. Remove it.
if "${DPKG[@]}" -r littleboxes >"$OUT/dpkg-remove.log" 2>&1 &&
	left=$(cd "$ROOT" && find . -path ./var/lib/dpkg -prune -o -type f -print) && [ -z "$left" ]; then
	pass "remove: dpkg -r left no file outside its database"
else
	cat "$OUT/dpkg-remove.log"
	fail "remove: dpkg -r failed or left files: ${left:-}"
fi
