# engine-lib.sh — sourced by build/test-window.sh, build/test-package.sh and
# build/test-e2e.sh: the private display a window test runs on, the engine a
# test script starts for its throwaway data directory before the front end
# it drives, and the check that nothing is left running for that directory
# when the script ends.
#
#   on_display VAR SCREEN SUMMARY SCRIPT ARGS…
#                           run `bash SCRIPT ARGS…` again on a private X
#                           display (xvfb-run) with VAR=1; returns its status
#   has_daemon BIN          BIN has the `daemon` subcommand
#   start_engine BIN DIR LOG   start `BIN daemon --data DIR` in a session of
#                           its own, wait ≤ 30 s for DIR/littleboxes.sock;
#                           sets ENGINE_PID; fails when it did not listen
#   stop_engine             stop it (TERM to its session, KILL after 5 s)
#   stop_group PID          the same for any process started in a session
#                           of its own (setsid): the app and its helpers
#   engines_of DIR          the pids of every process serving DIR's engine
#                           (holding DIR/littleboxes.sock.lock), whoever
#                           started it: an engine a front end started
#                           when it found none (`--idle-exit 2m0s`) too
#   stop_leftover_engines DIR   stop those, saying so on stderr; fails when
#                           there were any

# on_display VAR SCREEN SUMMARY SCRIPT ARGS…: runs `bash SCRIPT ARGS…` again
# on a private X display of SCREEN (xvfb-run, which stops Xvfb when the
# script ends), with VAR=1 in its environment (the script's second half), and
# returns its exit status. xvfb-run, Xvfb and the second half run in a
# session of their own; a signal to this shell is passed on to all of them.
# Without xvfb-run or xauth it says so on stderr, prints SUMMARY (the
# script's failing result line) and returns 1.
on_display() {
	local var="$1" screen="$2" summary="$3" name tool rc
	shift 3
	name="$(basename "$1" .sh)"
	for tool in xvfb-run xauth; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "$name: $tool not found (apt-get install xvfb xauth)" >&2
			echo "$summary"
			return 1
		}
	done
	env "$var=1" setsid xvfb-run -a -s "-screen 0 $screen -nolisten tcp" bash "$@" &
	XVFB_RUN=$!
	trap 'kill -TERM -- "-$XVFB_RUN" 2>/dev/null' INT TERM HUP
	while :; do
		wait "$XVFB_RUN"
		rc=$?
		kill -0 "$XVFB_RUN" 2>/dev/null || break # else wait was cut short by a signal
	done
	return "$rc"
}

# has_daemon BIN. It reads the whole help before matching: with pipefail,
# `BIN daemon --help | grep -q` lets grep exit at the first match and BIN
# die of SIGPIPE on its next write, and the pipeline then reads as "no
# daemon" (1 run in 6 here): the script started no engine, the front end
# started one itself, and that one outlived the script by two minutes.
has_daemon() {
	local help
	help="$("$1" daemon --help 2>&1)" || true
	[[ "$help" == *idle-exit* ]]
}

ENGINE_PID=""

start_engine() {
	local bin="$1" dir="$2" log="$3"
	setsid "$bin" daemon --data "$dir" >"$log" 2>&1 &
	ENGINE_PID=$!
	for _ in $(seq 1 300); do
		[ -S "$dir/littleboxes.sock" ] && return 0
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$dir/littleboxes.sock" ]
}

stop_group() {
	local pid="$1"
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

stop_engine() {
	stop_group "$ENGINE_PID"
	ENGINE_PID=""
}

engines_of() {
	local lock="$1/littleboxes.sock.lock"
	[ -e "$lock" ] || return 0
	find /proc/[0-9]*/fd -lname "$lock" 2>/dev/null | cut -d/ -f3 | sort -u
}

stop_leftover_engines() {
	local pids pid
	pids="$(engines_of "$1")"
	[ -n "$pids" ] || return 0
	for pid in $pids; do
		echo "leftover: an engine (pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) still ran for $1 after the test; stopping it" >&2
		kill -TERM "$pid" 2>/dev/null
	done
	for _ in $(seq 1 50); do
		[ -n "$(engines_of "$1")" ] || return 1
		sleep 0.1
	done
	for pid in $(engines_of "$1"); do kill -KILL "$pid" 2>/dev/null; done
	return 1
}
