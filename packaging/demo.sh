#!/bin/sh
# make demo: the main job on the embedded defaults, no external service.
# Creates the demo PKI under demo/ if absent, then runs what is built.
set -eu
cd "$(dirname "$0")/.."
state=demo
pki=$state/pki

if [ ! -f "$pki/ca.crt" ]; then
	bin/lienthong-certs demo --out "$pki"
else
	echo "demo: using the demo PKI in $pki"
fi

echo
echo "demo: the demo agencies and their certificates (checked against the root and the CRL):"
for crt in "$pki"/agencies/*.crt; do
	bin/lienthong-certs verify --roots "$pki/ca.crt" --crl "$pki/ca.crl" "$crt" | sed -n '1p;4p' | paste -sd' ' -
done

if [ ! -x bin/lienthong-hub ]; then
	cat <<'MSG'

demo: the PKI is ready. Coming next, each started here once it is built:
  - lienthong-hub: the relay hub on localhost:4433 (QUIC, with TCP fallback)
  - lienthong-clerk: a scripted exchange between two demo agencies
  - lienthong-desktop: the clerk's app for a demo agency
MSG
	exit 0
fi
