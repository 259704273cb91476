#!/usr/bin/env bash
# test-window.sh BIN — the test of "make run opens the window".
#
# Starts the production binary BIN in a real window on a private Xvfb display,
# and checks three things:
#   1. renders  the window appears (≤ 60 s) and shows a page, not a blank
#               surface (many colours, not all white): the Army view, which
#               the app opens on;
#   2. verdicts the Army view shows the flow analysis' verdicts: green "safe"
#               and amber "approval" badges (the built-in inbox army has both);
#   3. run      a click on the Playground tab, then on the Run button, changes
#               the result panel.
# It prints one line per check and a final "window: N passed, M failed", and
# exits non-zero when any check fails. A binary built without the Wails tags
# (desktop,production) prints a message and exits at once: the window never
# appears, so check 1 fails.
#
# Screenshots go to build/bin/test-window/. With UPDATE_SCREENSHOT=1 (or when
# they are missing) the Army view taken at start is copied to
# build/screenshots/window.png, the committed picture for the README, and the
# playground after Run to build/screenshots/playground.png.
#
# Needs: xvfb-run (xvfb, xauth), xdotool, ImageMagick (import, identify,
# convert, compare). Layout facts used here come from the frontend, all relative
# to the window's top-left corner:
#   - the Playground tab is centred at (width / 2 + 58, 26): two 112 px tabs
#     centred in the 52 px title bar (TitleBar.tsx, .tabs in styles.css);
#   - the Run button, shown in the playground only, is centred 64 px from the
#     window's right edge and 26 px from its top (TitleBar.tsx);
#   - the result panel fills the right column, 440 px wide, from 316 px down
#     (styles.css).
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCREEN="1280x900x24"

if [ "${1:-}" = "" ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi

# Run the whole script on one private display, so the app, xdotool and
# import share DISPLAY. xvfb-run stops Xvfb when the script ends.
if [ -z "${LB_TEST_WINDOW_INNER:-}" ]; then
	for tool in xvfb-run xauth; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "test-window: $tool not found (apt-get install xvfb xauth)" >&2
			echo "window: 0 passed, 3 failed"
			exit 1
		}
	done
	# xvfb-run, Xvfb and this script's second half run in a session of their
	# own; a signal to this script is passed on to all of them, and the second
	# half's own trap then stops the app.
	# The app writes the example army into its data directory on launch: give
	# it a throwaway one, so the test never touches the user's own.
	LB_DATA="$(mktemp -d)"
	export XDG_DATA_HOME="$LB_DATA"
	LB_TEST_WINDOW_INNER=1 setsid xvfb-run -a -s "-screen 0 $SCREEN -nolisten tcp" bash "${BASH_SOURCE[0]}" "$@" &
	XVFB_RUN=$!
	trap 'kill -TERM -- "-$XVFB_RUN" 2>/dev/null' INT TERM HUP
	while :; do
		wait "$XVFB_RUN"
		rc=$?
		kill -0 "$XVFB_RUN" 2>/dev/null || break # else wait was cut short by a signal
	done
	rm -rf "$LB_DATA"
	exit "$rc"
fi

BIN="$1"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
OUT="$SCRIPT_DIR/bin/test-window"
SHOT_FOR_README="$SCRIPT_DIR/screenshots/window.png"
SHOT_PLAYGROUND="$SCRIPT_DIR/screenshots/playground.png"
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/app.log

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }
finish() {
	echo "window: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

for tool in xdotool import identify convert compare; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "test-window: $tool not found (apt-get install xdotool imagemagick)" >&2
		fail "renders: missing $tool"
		fail "verdicts: missing $tool"
		fail "run: missing $tool"
		finish
	}
done
if [ ! -x "$BIN" ]; then
	fail "renders: $BIN is not an executable (build it first: make build)"
	fail "verdicts: no window"
	fail "run: no window"
	finish
fi

# The app runs in its own process group (setsid), so it and its WebKit
# helper processes are stopped together on every way out of this script.
APP_PID=""
stop_app() {
	[ -n "$APP_PID" ] || return 0
	if kill -0 "$APP_PID" 2>/dev/null; then
		kill -TERM -- "-$APP_PID" 2>/dev/null || kill -TERM "$APP_PID" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$APP_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$APP_PID" 2>/dev/null
	fi
	wait "$APP_PID" 2>/dev/null
	APP_PID=""
}
trap stop_app EXIT
trap 'stop_app; trap - EXIT; echo "test-window: interrupted" >&2; exit 130' INT TERM HUP

setsid "$BIN" >"$OUT/app.log" 2>&1 &
APP_PID=$!

show_log() {
	echo "----- app output (last 20 lines) -----"
	tail -n 20 "$OUT/app.log"
	echo "--------------------------------------"
}

# snap FILE: a screenshot of the whole display.
snap() { import -window root "$1" 2>/dev/null; }
# colours FILE: how many distinct colours it has.
colours() { identify -format '%k' "$1" 2>/dev/null || echo 0; }
# mean FILE: mean brightness, 0 (black) … 1 (white).
mean() { convert "$1" -colorspace Gray -format '%[fx:mean]' info: 2>/dev/null || echo 1; }
# diff_in A B GEOMETRY: how many pixels differ between A and B inside GEOMETRY.
diff_in() {
	local n
	convert "$1" -crop "$3" +repage "$OUT/crop-a.png" && convert "$2" -crop "$3" +repage "$OUT/crop-b.png" || {
		echo 0
		return
	}
	n=$(compare -metric AE "$OUT/crop-a.png" "$OUT/crop-b.png" null: 2>&1 >/dev/null)
	n="${n%% *}"
	[[ "$n" =~ ^[0-9.e+]+$ ]] || n=0
	printf '%.0f' "$n"
}

# 1. The window appears and renders the page.
WID=""
for _ in $(seq 1 120); do # ≤ 60 s
	WID=$(xdotool search --onlyvisible --name '^littleboxes$' 2>/dev/null | head -n 1)
	[ -n "$WID" ] && break
	if ! kill -0 "$APP_PID" 2>/dev/null; then
		wait "$APP_PID"
		code=$?
		APP_PID=""
		show_log
		fail "renders: $BIN exited with code $code before opening a window (built without -tags desktop,production?)"
		fail "verdicts: no window"
		fail "run: no window"
		finish
	fi
	sleep 0.5
done
if [ -z "$WID" ]; then
	show_log
	fail "renders: no visible window named littleboxes within 60 s"
	fail "verdicts: no window"
	fail "run: no window"
	finish
fi

eval "$(xdotool getwindowgeometry --shell "$WID")" # X Y WIDTH HEIGHT SCREEN WINDOW
echo "      window $WID at ${X},${Y}, ${WIDTH}x${HEIGHT}"

START="$OUT/window-1-start.png"
rendered=""
for _ in $(seq 1 60); do # ≤ 30 s for the page to load and paint
	snap "$START"
	if [ "$(colours "$START")" -gt 200 ]; then
		rendered=1
		break
	fi
	sleep 0.5
done
if [ -n "$rendered" ]; then
	sleep 2 # let fonts load and the backend connect
	snap "$START"
fi
ncol=$(colours "$START")
bright=$(mean "$START")
if [ -n "$rendered" ] && awk -v m="$bright" 'BEGIN { exit !(m < 0.95) }'; then
	pass "renders: $ncol colours, mean brightness $bright ($START)"
else
	show_log
	fail "renders: the window looks blank: $ncol colours, mean brightness $bright ($START)"
	fail "verdicts: the page did not render"
	fail "run: the page did not render"
	finish
fi

# window_shot SRC DST: the window's part of a screenshot of the display.
window_shot() {
	mkdir -p "$(dirname "$2")"
	convert "$1" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -strip "$2"
}
# pixels_like FILE COLOUR: how many pixels of the window are close to COLOUR.
pixels_like() {
	convert "$1" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -alpha off -fuzz 12% \
		-fill white -opaque "$2" -fill black +opaque white \
		-format '%[fx:round(mean*w*h)]' info: 2>/dev/null || echo 0
}

# 2. The Army view shows verdicts: green "safe" (--ok, #34d399) and amber
# "approval" (--amber, #f5a524) badges. Nothing else on that screen is
# amber, and little is green (the status dot). The army loads after the
# backend connects: wait for the badges (≤ 15 s).
green=0
amber=0
for _ in $(seq 1 30); do
	green=$(pixels_like "$START" "#34d399")
	amber=$(pixels_like "$START" "#f5a524")
	[ "$green" -gt 400 ] && [ "$amber" -gt 100 ] && break
	sleep 0.5
	snap "$START"
done
if [ "$green" -gt 400 ] && [ "$amber" -gt 100 ]; then
	pass "verdicts: the Army view shows $green green and $amber amber pixels ($START)"
	if [ "${UPDATE_SCREENSHOT:-}" = 1 ] || [ ! -f "$SHOT_FOR_README" ]; then
		window_shot "$START" "$SHOT_FOR_README" && echo "      updated $SHOT_FOR_README"
	fi
else
	fail "verdicts: the Army view shows no safe/approval badges: $green green, $amber amber pixels ($START)"
fi

# 3. Clicking the Playground tab, then Run, changes the result panel.
TAB_X=$((WIDTH / 2 + 58))
TAB_Y=26
RUN_X=$((WIDTH - 64))
RUN_Y=26
RESULT="440x$((HEIGHT - 316))+$((X + WIDTH - 440))+$((Y + 316))"
PLAYGROUND="$OUT/window-2-playground.png"
AFTER="$OUT/window-3-after-run.png"
xdotool mousemove --window "$WID" "$TAB_X" "$TAB_Y" click 1
xdotool mousemove --window "$WID" 8 $((HEIGHT - 8))
switched=0
for _ in $(seq 1 20); do # ≤ 10 s
	sleep 0.5
	snap "$PLAYGROUND"
	switched=$(diff_in "$START" "$PLAYGROUND" "$RESULT")
	[ "$switched" -gt 500 ] && break
done
sleep 0.5
snap "$PLAYGROUND" # the result panel before Run
xdotool mousemove --window "$WID" "$RUN_X" "$RUN_Y" click 1
sleep 0.2
xdotool mousemove --window "$WID" 8 $((HEIGHT - 8)) # away, so no tooltip covers the screenshot
changed=0
for _ in $(seq 1 40); do # ≤ 20 s: a run has a 5 s deadline
	sleep 0.5
	snap "$AFTER"
	changed=$(diff_in "$PLAYGROUND" "$AFTER" "$RESULT")
	[ "$changed" -gt 500 ] && break
done
if [ "$switched" -le 500 ]; then
	show_log
	fail "run: clicking the Playground tab at ${TAB_X},${TAB_Y} did not change the screen ($PLAYGROUND)"
elif [ "$changed" -gt 500 ]; then
	sleep 1 # let the run finish painting (a spinner first, then the result)
	snap "$AFTER"
	changed=$(diff_in "$PLAYGROUND" "$AFTER" "$RESULT")
	pass "run: the Playground tab at ${TAB_X},${TAB_Y}, then Run at ${RUN_X},${RUN_Y} changed $changed pixels of the result panel ($AFTER)"
	if [ "${UPDATE_SCREENSHOT:-}" = 1 ] || [ ! -f "$SHOT_PLAYGROUND" ]; then
		window_shot "$AFTER" "$SHOT_PLAYGROUND" && echo "      updated $SHOT_PLAYGROUND"
	fi
else
	show_log
	fail "run: clicking Run at ${RUN_X},${RUN_Y} (after the Playground tab at ${TAB_X},${TAB_Y}) did not change the result panel ($AFTER)"
fi

if ! kill -0 "$APP_PID" 2>/dev/null; then
	show_log
	fail "still running: the app exited during the test"
fi
finish
