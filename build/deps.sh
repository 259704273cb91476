#!/usr/bin/env bash
# Installs what littleboxes needs to build, run and test on Debian/Ubuntu,
# skipping whatever is already there. Safe to run again.
set -euo pipefail

PKGS=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth
      xdotool imagemagick chromium dbus dbus-x11 gnome-keyring libsecret-tools
      dovecot-imapd)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "deps: $1 not found: $2" >&2; exit 1; }; }
export PATH="$PATH:/usr/local/go/bin"
need go "install Go 1.26 or newer (https://go.dev/dl)"
need node "install Node.js 20.19 or newer"
need npm "install npm"
