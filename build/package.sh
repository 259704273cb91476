#!/usr/bin/env bash
# package.sh [BIN] — littleboxes as an installable package, into build/dist/:
#
#   littleboxes_VERSION_ARCH.deb             for apt/dpkg: /usr/bin/littleboxes,
#                                            the desktop file and the icon;
#                                            Depends on GTK 3 and WebKitGTK 4.1
#   littleboxes-VERSION-linux-ARCH.tar.gz    the same files under one folder
#                                            (bin/, share/): unpack into ~/.local
#   SHA256SUMS
#
# BIN is the production binary (default build/bin/littleboxes: `make build`).
# VERSION is wails.json's productVersion plus the commit ("0.1.0+git20261205.abc1234");
# set VERSION to override it. DEB_COMPRESS (gzip, default: seconds; xz: ~25% smaller,
# about a minute on a busy machine) is the .deb's compression. Files' times are the commit's (SOURCE_DATE_EPOCH),
# so the same commit makes the same package.
#
# Install:  sudo apt install ./build/dist/littleboxes_*.deb
#           or: tar -xzf build/dist/littleboxes-*.tar.gz --strip-components=1 -C ~/.local
# The last two lines printed are "deb: PATH" and "tarball: PATH".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build/bin/littleboxes}"
DIST="$ROOT/build/dist"
DESKTOP="$ROOT/build/linux/littleboxes.desktop"
ICON="$ROOT/build/appicon.png"

die() {
	echo "package: $*" >&2
	exit 1
}
[ -x "$BIN" ] || die "$BIN is not an executable (build it first: make build)"
[ -f "$DESKTOP" ] || die "missing $DESKTOP"
[ -f "$ICON" ] || die "missing $ICON"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (a Debian or Ubuntu machine builds the .deb)"

# The icon's size, from its PNG header (width and height, big-endian, at bytes 16–23).
read -r W H < <(od -An -tu1 -j16 -N8 "$ICON" | awk '{ print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
[ "$(head -c 8 "$ICON" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || die "$ICON is not a PNG"
[ "$W" = "$H" ] || die "$ICON is ${W}x${H}: an app icon is square"
case "$W" in 16 | 22 | 24 | 32 | 48 | 64 | 128 | 256 | 512 | 1024) ;; *) die "$ICON is ${W}x${W}: not a hicolor size" ;; esac

# The desktop file must start the installed binary and name the installed icon.
grep -qx 'Exec=littleboxes' "$DESKTOP" || die "$DESKTOP: Exec= is not 'littleboxes' (the binary installed in /usr/bin)"
grep -qx 'Icon=littleboxes' "$DESKTOP" || die "$DESKTOP: Icon= is not 'littleboxes' (the icon installed in hicolor)"

commit_time() { git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s; }
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(commit_time)}"
if [ -z "${VERSION:-}" ]; then
	base=$(sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' "$ROOT/wails.json")
	[ -n "$base" ] || base=0.0.0
	rev=$(git -C "$ROOT" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
	VERSION="$base+git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$rev"
	if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		VERSION="$VERSION.dirty"
	fi
fi
[[ "$VERSION" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "VERSION $VERSION is not a Debian version (starts with a digit; A-Z a-z 0-9 . + ~ -)"
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
umask 022

# tree DIR PREFIX: the installed files under DIR/PREFIX.
tree() {
	local d="$1/$2"
	install -D -m 0755 "$BIN" "$d/bin/littleboxes"
	install -D -m 0644 "$DESKTOP" "$d/share/applications/littleboxes.desktop"
	install -D -m 0644 "$ICON" "$d/share/icons/hicolor/${W}x${W}/apps/littleboxes.png"
}

# The .deb.
DEB_ROOT="$STAGE/deb"
tree "$DEB_ROOT" usr
mkdir -p "$DEB_ROOT/DEBIAN"
size_kib=$(du -sk --apparent-size "$DEB_ROOT/usr" | cut -f1)
cat >"$DEB_ROOT/DEBIAN/control" <<EOF
Package: littleboxes
Version: $VERSION
Architecture: $ARCH
Maintainer: littleboxes authors <littleboxes@users.noreply.github.com>
Installed-Size: $size_kib
Depends: libgtk-3-0 | libgtk-3-0t64, libwebkit2gtk-4.1-0
Suggests: gnome-keyring
Section: utils
Priority: optional
Description: desktop app for a personal agent army
 littleboxes spawns many small agents, each in its own JavaScript isolate,
 wires each to a few narrow capabilities whose secrets stay in the OS
 keyring, connects them by one-way channels, shows where data can flow,
 and holds every action that could leak for the owner's approval.
EOF
find "$DEB_ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$DIST"
DEB="$DIST/littleboxes_${VERSION}_${ARCH}.deb"
rm -f "$DIST"/littleboxes_*.deb "$DIST"/littleboxes-*.tar.gz "$DIST/SHA256SUMS"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-gzip}" --build "$DEB_ROOT" "$DEB" >/dev/null

# The tarball: the same files, under littleboxes-VERSION-linux-ARCH/.
NAME="littleboxes-$VERSION-linux-$ARCH"
tree "$STAGE/tar" "$NAME"
TARBALL="$DIST/$NAME.tar.gz"
find "$STAGE/tar" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
tar -C "$STAGE/tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	-cf - "$NAME" | gzip -6n >"$TARBALL"

(cd "$DIST" && sha256sum "$(basename "$DEB")" "$(basename "$TARBALL")" >SHA256SUMS)
echo "package: littleboxes $VERSION ($ARCH), $(du -h "$DEB" | cut -f1) .deb, $(du -h "$TARBALL" | cut -f1) tarball"
echo "deb: $DEB"
echo "tarball: $TARBALL"
