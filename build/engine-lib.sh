# engine-lib.sh — sourced by build/test-window.sh and build/test-e2e.sh: the
# engine a test script starts for its throwaway data directory before the
# front end it drives, and the check that nothing is left running for that
# directory when the script ends.
#
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
