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

if [ -f "$pki/ca.crt" ] && [ ! -f "$pki/receipt.crt" ]; then
	# Made before receipts had their own signing identity: the hub cannot
	# run on it. Keep it aside and start over.
	old=$state.old-$(date +%Y%m%d%H%M%S)
	echo "demo: $pki has no receipt identity (receipt.crt); moving the old demo to $old"
	mv "$state" "$old"
fi
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

DEMO_STATE=$state DEMO_PKI=$pki DEMO_SENDER_HUB=$listen ./packaging/demo-exchange.sh
pass=$state/clerk.pass
na=$state/clerks/000.00.00.H41

if [ -x bin/lienthong-desktop ] && [ -n "${DISPLAY:-}" ] && [ "${DEMO_EXIT:-0}" != 1 ]; then
	echo
	echo "demo: opening the clerk's app for Nghệ An (passphrase: $(cat "$pass"))"
	bin/lienthong-desktop --home "$na" &
fi

if [ "${DEMO_EXIT:-0}" = 1 ]; then
	exit 0
fi
echo "demo: the hub keeps running; press Ctrl+C to stop it."
wait $hub
