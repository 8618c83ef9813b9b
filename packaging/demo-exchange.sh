#!/bin/sh
# The demo's exchange, shared by make demo (packaging/demo.sh) and make
# demo-cluster (packaging/demo-cluster.sh): two clerks, Quảng Ninh's
# sending and Nghệ An's receiving, then an auditor's offline check of the
# evidence. Run from the repository's root with the binaries built:
#   DEMO_BIN    the binaries' folder (bin)
#   DEMO_STATE  folder of the clerks' homes and the demo's files (demo)
#   DEMO_PKI    the demo PKI (demo/pki)
#   DEMO_SENDER_HUB, DEMO_RECIPIENT_HUB  the hub (node) each clerk uses
#     (127.0.0.1:4433); a clerk made before keeps the hub it was made with.
set -eu
bin=${DEMO_BIN:-bin}
state=${DEMO_STATE:-demo}
pki=${DEMO_PKI:-$state/pki}
sender_hub=${DEMO_SENDER_HUB:-127.0.0.1:4433}
recipient_hub=${DEMO_RECIPIENT_HUB:-$sender_hub}

pdf=$(ls ../shared/testdata/pdf/cong-van.pdf 2>/dev/null || ls shared/pades/testdata/cong-van.pdf)
pass=$state/clerk.pass
[ -f "$pass" ] || printf 'mật khẩu văn thư demo\n' >"$pass"
clerk() { "$bin/lienthong-clerk" "$@" --passphrase-file "$pass"; }

# Two clerks: UBND tỉnh Quảng Ninh (000.00.00.H49) and UBND tỉnh Nghệ An (000.00.00.H41).
for code in 000.00.00.H49 000.00.00.H41; do
	home=$state/clerks/$code
	hub=$sender_hub
	[ "$code" = 000.00.00.H49 ] || hub=$recipient_hub
	if [ ! -d "$home" ]; then
		clerk init --home "$home" --p12 "$pki/agencies/$code.p12" --p12-passphrase-file "$pki/agencies/$code.pass" \
			--hub "$hub" --server-name localhost --roots "$pki/ca.crt" --receipt-signer lienthong-hub >/dev/null
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
	"$bin/lienthong-verify" evidence --roots "$pki/ca.crt" --crl "$pki/ca.crl" --receipt-signer lienthong-hub --log-key "$pki/log.pub" "$state/evidence.zip" || true
fi
