#!/bin/sh
# Installs the Debian/Ubuntu packages Lienthong needs to build and test:
# the X11/GL headers Fyne's cgo build needs, Xvfb for the desktop tests and
# screenshots, poppler-utils, qpdf, openssl and NSS tools to cross-check
# signatures, xmlsec1 to cross-check the XML signatures of edXML packets
# (shared/xmlsig), curl, openssl and python3 for the example API clients that
# hub/apitest runs (docs/examples/client.sh, and edxml-client.sh, which also
# signs and verifies with xmlsec1 and reads packets with xmllint from
# libxml2-utils), lintian, which checks the .deb packages that
# internal/debtest builds and installs, and PostgreSQL, whose server the tests of hub/store/pgstore
# start in a temporary directory (package pgtest; as root it runs the server
# as nobody through runuser, from util-linux). Patroni and etcd (with
# Patroni's Python dependencies, psycopg2 among them, which Debian's patroni
# package pulls in) for packaging/pgcluster.sh, the three-node cluster the
# failure tests of hub/clustertest run on, and procps (pgrep) which its
# power cut uses. tinyproxy is the real HTTP CONNECT proxy the tests of
# shared/hubclient and desktop/clerk reach the hub through
# (internal/proxytest starts it on a loopback port of its own). softhsm2
# for the PKCS#11 token tests (certs/token and the clerk's commands sign
# with keys in throwaway SoftHSM2 tokens). The packages' own services stay
# stopped: etcd and Patroni
# run only as the script starts them, in its folder on ports of its own;
# on a machine with systemd the etcd and tinyproxy services that Debian
# enables on install are stopped and disabled (patroni.service needs
# /etc/patroni/config.yml, which is not written, and Debian's PostgreSQL
# cluster on 5432 is left as it is: nothing here uses it). For the Windows
# build (packaging/windows): Debian's mingw-w64 cross compiler for the Fyne
# app's cgo, msitools' wixl and msiinfo to make and check the MSI, and Wine
# (wine64) to run lienthong-clerk.exe in its test. Idempotent:
# silent when everything is present. Uses sudo when not root. Go itself
# must already be installed.
set -eu

packages="gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
libxi-dev libxxf86vm-dev xvfb xauth poppler-utils qpdf openssl libnss3-tools curl postgresql
patroni etcd-server procps xmlsec1 libxml2-utils python3 tinyproxy softhsm2 lintian gcc-mingw-w64-x86-64 wixl msitools wine wine64"

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
case " $missing " in
*" etcd-server "*)
	if [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now etcd >/dev/null 2>&1 || true
	fi
	;;
esac
case " $missing " in
*" tinyproxy "*)
	if [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now tinyproxy >/dev/null 2>&1 || true
	fi
	;;
esac
