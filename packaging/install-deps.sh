#!/bin/sh
# Installs the Debian/Ubuntu packages Lienthong needs to build and test:
# the X11/GL headers Fyne's cgo build needs, Xvfb for the desktop tests and
# screenshots, poppler-utils, qpdf, openssl and NSS tools to cross-check
# signatures, and PostgreSQL, whose server the tests of hub/store/pgstore
# start in a temporary directory (package pgtest; as root it runs the server
# as nobody through runuser, from util-linux). Idempotent: silent when
# everything is present. Uses sudo when not root. Go itself must already be
# installed.
set -eu

packages="gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
libxi-dev libxxf86vm-dev xvfb xauth poppler-utils qpdf openssl libnss3-tools curl postgresql"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages:$missing; install them with your package manager" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo="sudo"
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
