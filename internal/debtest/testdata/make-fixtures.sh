#!/bin/sh
# Remakes the stores in this folder with the code of an older commit: the
# hub's bbolt store and a clerk's store as `make demo` (DEMO_EXIT=1) left
# them at that commit, the demo PKI's root and log key, and the clerk's
# passphrase. Run from anywhere inside the repository:
#
#	internal/debtest/testdata/make-fixtures.sh [COMMIT]
#
# COMMIT defaults to b27ade3, the last commit before the hub's schema 2
# (d77fd79) and the clerk's schema 3 (30e004a). The hub's data folder
# (hub.db and the attachments) and the clerk's home are written as
# tarballs, gzipped (a bbolt file is mostly free pages).
set -eu
commit=${1:-b27ade3}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$repo" archive "$commit" | tar -x -C "$tmp"
cd "$tmp"
# The demo uses the hub, the certificate tool, the clerk's CLI and the
# auditor's verifier; the app (Fyne, cgo) is not needed.
CGO_ENABLED=0 go build -o bin/ ./hub/cmd/lienthong-hub ./certs/cmd/lienthong-certs \
	./desktop/cmd/lienthong-clerk ./desktop/cmd/lienthong-verify
DEMO_EXIT=1 sh packaging/demo.sh >demo.out 2>&1 || { cat demo.out >&2; exit 1; }
tarball() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - "$2" | gzip -9n >"$3"; }
tarball demo hub "$here/hub-$commit.tar.gz"
tarball demo/clerks 000.00.00.H41 "$here/clerk-$commit.tar.gz"
cp demo/pki/ca.crt "$here/ca-$commit.crt"
cp demo/clerk.pass "$here/clerk-$commit.pass"
echo "wrote the fixtures of $commit into $here"
