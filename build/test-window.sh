#!/usr/bin/env bash
# test-window.sh BIN — the test of "make run opens the window".
#
# Starts the production binary BIN in a real window on a private Xvfb display,
# and checks three things:
#   1. renders  the window appears (≤ 60 s) and shows a page, not a blank
#               surface (many colours, not all white);
#   2. canvas   the canvas shows the example army the app opens on (the
#               built-in inbox army): agent nodes (found by the colour of
#               their glyph), and edges coloured by verdict — amber for the
#               flagged reply to a thread, green for the safe report;
#   3. select   an xdotool click on an agent node opens its editor in the
#               side panel (the panel's region of the window changes);
#   4. attached (when BIN has the `daemon` subcommand) the window is a client
#               of an engine this script started on the throwaway data
#               directory before it, as a person's running engine would be.
# The window is found by its title, "littleboxes" or, with approvals
# pending, "littleboxes (N)".
# It prints one line per check and a final "window: N passed, M failed", and
# exits non-zero when any check fails. A binary built without the Wails tags
# (desktop,production) prints a message and exits at once: the window never
# appears, so check 1 fails.
#
# Screenshots go to build/bin/test-window/. With UPDATE_SCREENSHOT=1 (or when
# it is missing) the canvas taken at start is copied to
# build/screenshots/window.png, the committed picture for the README.
#
# Needs: xvfb-run (xvfb, xauth), xdotool, ImageMagick (import, identify,
# convert, compare). Layout facts used here come from the frontend
# (frontend/src/styles.css), all relative to the window's top-left corner:
#   - the title bar is 52 px high; the palette is 196 px wide at the left;
#     the runs dock is at most 210 px high at the bottom: the canvas is what
#     is between them;
#   - an agent node's glyph is a 14 px square of #8b7bff (.agent-glyph), a
#     colour nothing else on the canvas has (the palette's Agent item has
#     one too, outside the canvas);
#   - the selected node's editor opens in a side panel at the right, 520 px
#     wide (440 px below 1180 px of width), over what was canvas.
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCREEN="1280x900x24"
# on_display, and the engine this script starts (when BIN has one).
. "$SCRIPT_DIR/engine-lib.sh"

if [ "${1:-}" = "" ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi

# Run the whole script on one private display, so the app, xdotool and
# import share DISPLAY (on_display: build/engine-lib.sh); a signal to this
# script reaches the second half, whose own trap then stops the app.
if [ -z "${LB_TEST_WINDOW_INNER:-}" ]; then
	# The app writes the example army into its data directory on launch: give
	# it a throwaway one, so the test never touches the user's own.
	LB_DATA="$(mktemp -d)"
	export XDG_DATA_HOME="$LB_DATA"
	on_display LB_TEST_WINDOW_INNER "$SCREEN" "window: 0 passed, 3 failed" "${BASH_SOURCE[0]}" "$@"
	rc=$?
	rm -rf "$LB_DATA"
	exit "$rc"
fi

BIN="$1"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
OUT="$SCRIPT_DIR/bin/test-window"
SHOT_FOR_README="$SCRIPT_DIR/screenshots/window.png"
SHOT_EDITOR="$SCRIPT_DIR/screenshots/window-editor.png"
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
		fail "canvas: missing $tool"
		fail "select: missing $tool"
		finish
	}
done
if [ ! -x "$BIN" ]; then
	fail "renders: $BIN is not an executable (build it first: make build)"
	fail "canvas: no window"
	fail "select: no window"
	finish
fi

# The app runs in its own process group (setsid), so it and its WebKit
# helper processes are stopped together on every way out of this script.
APP_PID=""
stop_app() {
	stop_group "$APP_PID" # build/engine-lib.sh
	APP_PID=""
}
ENGINE_DIR="$XDG_DATA_HOME/littleboxes"
# stop_all stops the app, then the engine; an engine still serving the data
# directory after that (one the window started) fails the test.
stop_all() {
	stop_app
	stop_engine
	stop_leftover_engines "$ENGINE_DIR"
}
cleanup() {
	local rc=$?
	stop_all || rc=1
	exit "$rc"
}
trap cleanup EXIT
trap 'stop_all; trap - EXIT; echo "test-window: interrupted" >&2; exit 130' INT TERM HUP

# An engine first, when BIN has one: the window must attach to it. (A
# binary without `daemon` says so and exits; the window then runs the army
# in its own process, and check 4 is not made.)
if has_daemon "$BIN"; then
	start_engine "$BIN" "$ENGINE_DIR" "$OUT/engine.log"
fi

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
	WID=$(xdotool search --onlyvisible --name '^littleboxes( \([0-9]+\))?$' 2>/dev/null | head -n 1)
	[ -n "$WID" ] && break
	if ! kill -0 "$APP_PID" 2>/dev/null; then
		wait "$APP_PID"
		code=$?
		APP_PID=""
		show_log
		fail "renders: $BIN exited with code $code before opening a window (built without -tags desktop,production?)"
		fail "canvas: no window"
		fail "select: no window"
		finish
	fi
	sleep 0.5
done
if [ -z "$WID" ]; then
	show_log
	fail "renders: no visible window named littleboxes within 60 s"
	fail "canvas: no window"
	fail "select: no window"
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
	fail "canvas: the page did not render"
	fail "select: the page did not render"
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

# 2. The canvas shows the example army: agent nodes and coloured verdicts.
# The canvas region, in window coordinates.
CANVAS_X=200
CANVAS_Y=56
CANVAS_W=$((WIDTH - CANVAS_X - 4))
CANVAS_H=$((HEIGHT - CANVAS_Y - 214))
# agent_glyphs FILE: "X Y" window coordinates of each agent glyph on the
# canvas, one per line: the connected components of #8b7bff that are about
# square and 5–40 px across (the glyph is 14 px at zoom 1; node borders of
# that colour are long and thin).
agent_glyphs() {
	convert "$1" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -crop "${CANVAS_W}x${CANVAS_H}+${CANVAS_X}+${CANVAS_Y}" +repage \
		-alpha off -fuzz 6% -fill white -opaque "#8b7bff" -fill black +opaque white -type bilevel \
		-define connected-components:verbose=true -define connected-components:area-threshold=12 \
		-connected-components 8 null: 2>/dev/null |
		awk -v ox="$CANVAS_X" -v oy="$CANVAS_Y" '
			$NF ~ /gray\(255\)|srgb\(255,255,255\)|white/ {
				split($2, g, /[x+]/); w = g[1]; h = g[2]; x = g[3]; y = g[4]
				if (w >= 5 && h >= 5 && w <= 40 && h <= 40 && w / h < 1.6 && h / w < 1.6)
					printf "%d %d\n", ox + x + w / 2, oy + y + h / 2
			}'
}

glyphs=""
green=0
amber=0
for _ in $(seq 1 30); do # ≤ 15 s for the army to load and the view to fit
	glyphs=$(agent_glyphs "$START")
	green=$(pixels_like "$START" "#34d399")
	amber=$(pixels_like "$START" "#f5a524")
	[ "$(printf '%s\n' "$glyphs" | grep -c .)" -ge 2 ] && [ "$amber" -gt 100 ] && [ "$green" -gt 50 ] && break
	sleep 0.5
	snap "$START"
done
nglyphs=$(printf '%s\n' "$glyphs" | grep -c .)
if [ "$nglyphs" -ge 2 ] && [ "$amber" -gt 100 ] && [ "$green" -gt 50 ]; then
	pass "canvas: $nglyphs agent nodes, $amber amber (flagged) and $green green (safe) pixels, $(colours "$START") colours ($START)"
	if [ "${UPDATE_SCREENSHOT:-}" = 1 ] || [ ! -f "$SHOT_FOR_README" ]; then
		window_shot "$START" "$SHOT_FOR_README" && echo "      updated $SHOT_FOR_README"
	fi
else
	show_log
	fail "canvas: expected ≥ 2 agent nodes with amber and green verdict edges; found $nglyphs agent glyphs, $amber amber, $green green pixels ($START)"
fi

# 3. A click on an agent node opens its editor in the side panel.
SIDE_W=520
[ "$WIDTH" -lt 1180 ] && SIDE_W=440
SIDE="$((SIDE_W - 20))x$((CANVAS_H - 40))+$((X + WIDTH - SIDE_W + 10))+$((Y + CANVAS_Y + 20))"
SELECTED="$OUT/window-2-selected.png"
if [ "$nglyphs" -ge 1 ]; then
	read -r GX GY <<<"$(printf '%s\n' "$glyphs" | head -n 1)"
	xdotool mousemove --window "$WID" "$GX" "$GY" click 1
	xdotool mousemove --window "$WID" 8 $((HEIGHT - 8)) # away, so no hover changes the picture
	changed=0
	for _ in $(seq 1 20); do # ≤ 10 s
		sleep 0.5
		snap "$SELECTED"
		changed=$(diff_in "$START" "$SELECTED" "$SIDE")
		[ "$changed" -gt 20000 ] && break
	done
	if [ "$changed" -gt 20000 ]; then
		sleep 1 # let the editor finish painting
		snap "$SELECTED"
		pass "select: a click on the agent node at ${GX},${GY} opened the side panel: $changed pixels changed there ($SELECTED)"
		if [ "${UPDATE_SCREENSHOT:-}" = 1 ] || [ ! -f "$SHOT_EDITOR" ]; then
			window_shot "$SELECTED" "$SHOT_EDITOR" && echo "      updated $SHOT_EDITOR"
		fi
	else
		show_log
		fail "select: a click on the agent node at ${GX},${GY} changed only $changed pixels of the side panel's region ($SELECTED)"
	fi
else
	fail "select: no agent node found to click ($START)"
fi

# 4. The window attached to the engine started before it.
if [ -n "$ENGINE_PID" ]; then
	if grep -q "attached to the engine" "$OUT/app.log" && kill -0 "$ENGINE_PID" 2>/dev/null; then
		pass "attached: the window is a client of the engine (pid $ENGINE_PID) running for its data directory"
	else
		show_log
		fail "attached: the window did not attach to the engine started before it ($OUT/engine.log)"
	fi
fi

if ! kill -0 "$APP_PID" 2>/dev/null; then
	show_log
	fail "still running: the app exited during the test"
fi
finish
