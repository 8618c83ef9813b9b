#!/bin/sh
# make demo: the main job on the embedded defaults, no external service.
# Creates the demo PKI under demo/ if absent, starts a hub on localhost,
# runs what is built of the clerk's side against it, and keeps the hub
# running until Ctrl+C (DEMO_EXIT=1 stops it after the scripted part).
set -eu
cd "$(dirname "$0")/.."
state=demo
pki=$state/pki
listen=127.0.0.1:4433
ops=127.0.0.1:9433

if [ ! -f "$pki/ca.crt" ]; then
	bin/lienthong-certs demo --out "$pki"
else
	echo "demo: using the demo PKI in $pki"
fi

echo
echo "demo: the demo agencies, checked against the root and the CRL:"
for crt in "$pki"/agencies/*.crt; do
	bin/lienthong-certs verify --roots "$pki/ca.crt" --crl "$pki/ca.crl" "$crt" | sed -n '1p;4p' | paste -sd' ' -
done

mkdir -p "$state"
bin/lienthong-hub demo --pki "$pki" --data "$state/hub" --listen "$listen" --ops "$ops" 2>"$state/hub.log" &
hub=$!
trap 'kill $hub 2>/dev/null; wait $hub 2>/dev/null || true' EXIT INT TERM
i=0
until curl -fsS "http://$ops/readyz" >/dev/null 2>&1 || wget -qO- "http://$ops/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 $hub 2>/dev/null; then
		echo "demo: the hub did not start; its log:" >&2
		cat "$state/hub.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo
echo "demo: hub running on $listen (HTTP/3 over QUIC, HTTP/2 over TCP); log in $state/hub.log"
echo "demo: operator endpoints on http://$ops/healthz, /readyz and /metrics"

if [ -x bin/lienthong-clerk ] && [ -x bin/lienthong-verify ]; then
	out=$state/cong-van-signed.pdf
	rm -f "$out"
	in=$(ls ../shared/testdata/pdf/cong-van.pdf 2>/dev/null || ls shared/pades/testdata/cong-van.pdf)
	echo
	echo "demo: UBND tỉnh Quảng Ninh signs a công văn with its seal (the text stamp of ND30):"
	bin/lienthong-clerk sign --cert "$pki/agencies/000.00.00.H49.crt" --key "$pki/agencies/000.00.00.H49.key" \
		--visible agency-stamp --number 101 --notation UBND-VP "$in" "$out"
	echo "demo: an auditor verifies it:"
	bin/lienthong-verify --roots "$pki/ca.crt" --crl "$pki/ca.crl" "$out" || true
fi

cat <<'MSG'

demo: coming next, each started here once it is built:
  - lienthong-clerk send/sync: a scripted exchange between two demo agencies through this hub
  - lienthong-desktop: the clerk's app for a demo agency, with documents in its inbox
MSG
if [ "${DEMO_EXIT:-0}" = 1 ]; then
	exit 0
fi
echo "demo: the hub keeps running; press Ctrl+C to stop it."
wait $hub
