#!/usr/bin/env bash
# test-e2e.sh BIN — the end-to-end test of the app in headless Chromium.
#
# Runs frontend/e2e/e2e.mjs (node + playwright-core driving /usr/bin/chromium)
# against `BIN serve` with a throwaway data directory. Secrets need a Secret
# Service: run it inside build/with-keyring.sh, as `make test-e2e` does:
#
#   bash build/with-keyring.sh bash build/test-e2e.sh build/bin/littleboxes
#
# Prints one line per check and "e2e: N passed, M failed"; exits non-zero on
# any failure. Screenshots (canvas, editor, approvals, playground, describe)
# go to build/screenshots/ (SCREENSHOTS=DIR to put them elsewhere).
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$SCRIPT_DIR")"

if [ "${1:-}" = "" ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi
BIN="$1"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac

fail() {
	echo "test-e2e: $1" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 1
}
[ -x "$BIN" ] || fail "$BIN is not an executable (build it first: make build)"
command -v node >/dev/null || fail "node not found"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM not found (apt-get install chromium)"
[ -d "$ROOT/frontend/node_modules/playwright-core" ] || fail "frontend/node_modules/playwright-core missing (cd frontend && npm ci)"
# The MCP server the e2e wraps (frontend/e2e/mcp.mjs), pinned by its lockfile.
if [ ! -f "$ROOT/build/testservers/node_modules/@modelcontextprotocol/server-everything/package.json" ]; then
	(cd "$ROOT/build/testservers" && npm ci --no-audit --no-fund >&2) || fail "npm ci in build/testservers failed"
fi

DATA="$(mktemp -d)"
# The page talks to serve, and serve to the data directory's engine: start
# one first, as a person's running engine would be, and stop it at the end
# (serve would otherwise start one itself, left to exit when idle). Any
# engine still serving DATA then (one a front end started) fails the test.
. "$SCRIPT_DIR/engine-lib.sh"
cleanup() {
	local rc=$?
	stop_engine
	stop_leftover_engines "$DATA" || rc=1
	rm -rf "$DATA" "$DATA.engine.log"
	exit "$rc"
}
trap cleanup EXIT
if has_daemon "$BIN"; then
	start_engine "$BIN" "$DATA" "$DATA.engine.log" || { cat "$DATA.engine.log" >&2; fail "the engine did not start"; }
fi
SHOTS="${SCREENSHOTS:-$ROOT/build/screenshots}"
mkdir -p "$SHOTS"
cd "$ROOT/frontend" && CHROMIUM="$CHROMIUM" node e2e/e2e.mjs "$BIN" "$DATA" "$SHOTS"
