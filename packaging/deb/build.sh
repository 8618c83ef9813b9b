#!/bin/sh
# Builds the Debian/Ubuntu packages with dpkg-deb:
#   lienthong-hub_VERSION_amd64.deb      the hub (static, CGO_ENABLED=0), its
#       hardened systemd units, the hub's and its long-poll front's (installed,
#       neither enabled nor started), the
#       lienthong system user, /etc/lienthong/hub.json (a conffile, which
#       the first install makes readable by that user only: every
#       default written out; the fields are documented in
#       /usr/share/doc/lienthong-hub/hub.json.txt) and /var/lib/lienthong-hub
#   lienthong-desktop_VERSION_amd64.deb  the clerk's app (Fyne, cgo), the
#       lienthong-clerk (cgo, for PKCS#11 tokens) and lienthong-verify
#       (static) commands, menu entry and icon
# Usage: build.sh OUTDIR. VERSION overrides the version (default: the
# FyneApp.toml version + the last commit's time and hash, so a later commit
# is a later version); BINDIR is where the binaries are built, or taken
# from when they are there already (the tests build them once and package
# them twice); COMPRESS is dpkg-deb's compressor (xz by default; the tests
# take gzip, several times faster).
set -eu
out=${1:?usage: build.sh OUTDIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$top"

if [ -z "${VERSION:-}" ]; then
	base=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' desktop/cmd/lienthong-desktop/FyneApp.toml)
	VERSION="$base+git$(TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd).$(git rev-parse --short HEAD)"
fi
arch=amd64

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
BINDIR=${BINDIR:-$work/bin}
if [ ! -x "$BINDIR/lienthong-hub" ]; then
	CGO_ENABLED=0 go build -ldflags=-s -o "$BINDIR/" ./hub/cmd/lienthong-hub ./desktop/cmd/lienthong-verify
	go build -ldflags=-s -o "$BINDIR/" ./desktop/cmd/lienthong-desktop ./desktop/cmd/lienthong-clerk
fi

# doc PKG ROOT SUMMARY: the copyright file and changelog every package carries.
doc() {
	d=$2/usr/share/doc/$1
	install -d -m 0755 "$d"
	install -m 0644 packaging/deb/copyright "$d/copyright"
	install -D -m 0644 "packaging/deb/$1/lintian-overrides" "$2/usr/share/lintian/overrides/$1"
	printf '%s (%s) unstable; urgency=medium\n\n  * %s\n\n -- Lienthong <lienthong@example.gov.vn>  %s\n' \
		"$1" "$VERSION" "$3" "$(date -R -u -d @"$(git log -1 --format=%ct)")" | gzip -9n >"$d/changelog.gz"
}

# control PKG ROOT: DEBIAN/control from packaging/deb/PKG/control, and
# the maintainer scripts and conffiles beside it.
control() {
	install -d -m 0755 "$2/DEBIAN"
	size=$(du -sk --exclude=DEBIAN "$2" | cut -f1)
	sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "packaging/deb/$1/control" >"$2/DEBIAN/control"
	for f in conffiles postinst prerm postrm; do
		[ -f "packaging/deb/$1/$f" ] || continue
		mode=0755
		[ "$f" = conffiles ] && mode=0644
		install -m "$mode" "packaging/deb/$1/$f" "$2/DEBIAN/$f"
	done
	(cd "$2" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$2/DEBIAN/md5sums"
	chmod 0644 "$2/DEBIAN/md5sums"
	dpkg-deb --root-owner-group -Z"${COMPRESS:-xz}" --build "$2" "$out/$1_${VERSION}_$arch.deb" >/dev/null
	echo "$out/$1_${VERSION}_$arch.deb"
}

umask 022
r=$work/hub
install -D -m 0755 "$BINDIR/lienthong-hub" "$r/usr/bin/lienthong-hub"
install -D -m 0644 packaging/systemd/lienthong-hub.service "$r/usr/lib/systemd/system/lienthong-hub.service"
install -D -m 0644 packaging/systemd/lienthong-hub-front.service "$r/usr/lib/systemd/system/lienthong-hub-front.service"
install -D -m 0644 packaging/deb/hub.json "$r/etc/lienthong/hub.json"
doc lienthong-hub "$r" "The hub, its systemd units (the hub, its long-poll front) and configuration."
go doc -all ./hub/config >"$r/usr/share/doc/lienthong-hub/hub.json.txt"
chmod 0644 "$r/usr/share/doc/lienthong-hub/hub.json.txt"
control lienthong-hub "$r"

r=$work/desktop
for b in lienthong-desktop lienthong-clerk lienthong-verify; do
	install -D -m 0755 "$BINDIR/$b" "$r/usr/bin/$b"
done
install -D -m 0644 packaging/desktop/vn.gov.lienthong.desktop.desktop "$r/usr/share/applications/vn.gov.lienthong.desktop.desktop"
install -D -m 0644 desktop/cmd/lienthong-desktop/Icon.png "$r/usr/share/icons/hicolor/256x256/apps/vn.gov.lienthong.desktop.png"
doc lienthong-desktop "$r" "The clerk's app and commands."
control lienthong-desktop "$r"
