#!/usr/bin/env bash
# Runs a command with a real Secret Service: a private D-Bus session bus and an
# unlocked gnome-keyring-daemon, as go-keyring finds them on a desktop. The
# keyring files and littleboxes' data live in a throwaway XDG_DATA_HOME, so
# tests never touch the user's own. LITTLEBOXES_REQUIRE_KEYRING=1 is exported:
# keyring tests fail instead of skipping when the Secret Service is missing.
set -euo pipefail
for c in dbus-run-session gnome-keyring-daemon; do
	command -v "$c" >/dev/null || { echo "with-keyring: $c missing (run build/deps.sh)" >&2; exit 1; }
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/data" "$TMP/run" && chmod 700 "$TMP/run"
export XDG_DATA_HOME="$TMP/data" XDG_RUNTIME_DIR="$TMP/run" LITTLEBOXES_REQUIRE_KEYRING=1
dbus-run-session -- bash -c '
	eval "$(printf %s littleboxes-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
	"$@"' with-keyring "$@"
