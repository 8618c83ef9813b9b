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

pdf=$(ls ../shared/testdata/pdf/cong-van.pdf 2>/dev/null || ls shared/pades/testdata/cong-van.pdf)
pass=$state/clerk.pass
[ -f "$pass" ] || printf 'mật khẩu văn thư demo\n' >"$pass"
clerk() { bin/lienthong-clerk "$@" --passphrase-file "$pass"; }

# Two clerks: UBND tỉnh Quảng Ninh (000.00.00.H49) and UBND tỉnh Nghệ An (000.00.00.H41).
for code in 000.00.00.H49 000.00.00.H41; do
	home=$state/clerks/$code
	if [ ! -d "$home" ]; then
		clerk init --home "$home" --p12 "$pki/agencies/$code.p12" --p12-passphrase-file "$pki/agencies/$code.pass" \
			--hub "$listen" --server-name localhost --roots "$pki/ca.crt" --receipt-signer lienthong-hub >/dev/null
	fi
	clerk sync --home "$home" >/dev/null
done
qn=$state/clerks/000.00.00.H49
na=$state/clerks/000.00.00.H41

echo
echo "demo: Quảng Ninh's clerk issues a công văn to Nghệ An: numbered from the register, sealed, sent:"
clerk send --home "$qn" --type cong_van --notation UBND-VP --subject "Về việc thử nghiệm Trục liên thông văn bản" \
	--place "Hạ Long" --signer "Nguyễn Văn Hùng" --position "CHỦ TỊCH" --urgency 1 --to 000.00.00.H41 "$pdf"
# Two more, so that the app opens on an inbox with a few documents.
pdfdir=$(dirname "$pdf")
clerk send --home "$qn" --type quyet_dinh --notation QĐ-UBND --subject "Quyết định thành lập Tổ công tác chuyển đổi số" \
	--place "Hạ Long" --signer "Nguyễn Văn Hùng" --position "CHỦ TỊCH" --urgency 3 --to 000.00.00.H41 "$pdfdir/quyet-dinh.pdf" >/dev/null
clerk send --home "$qn" --type bao_cao --notation BC-UBND --subject "Báo cáo kết quả triển khai Trục liên thông văn bản" \
	--place "Hạ Long" --signer "Nguyễn Văn Hùng" --position "CHỦ TỊCH" --to 000.00.00.H41 "$pdfdir/bao-cao.pdf" >/dev/null
echo
echo "demo: Nghệ An's clerk receives them (signatures verified before they are acknowledged):"
clerk sync --home "$na"
clerk inbox --home "$na"
id=$(clerk inbox --home "$na" --json --search "thu nghiem truc lien thong" | sed -n 's/.*"id": "\([0-9a-f]\{32\}\)".*/\1/p' | head -1)
if [ -n "$id" ]; then
	echo
	echo "demo: Nghệ An registers it (status 03, with the next số đến); Quảng Ninh sees the statuses:"
	clerk status --home "$na" "$id" 03 --staff "Lê Thị Thư"
	clerk sync --home "$na" >/dev/null
	clerk sync --home "$qn" >/dev/null
	clerk show --home "$qn" "$id"
	echo
	echo "demo: an auditor checks the document's evidence bundle offline (signatures, receipts, log proofs):"
	rm -f "$state/evidence.zip"
	clerk evidence --home "$na" "$id" --out "$state/evidence.zip"
	bin/lienthong-verify evidence --roots "$pki/ca.crt" --crl "$pki/ca.crl" --receipt-signer lienthong-hub --log-key "$pki/log.pub" "$state/evidence.zip" || true
fi

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
