#!/bin/sh
# make screenshots: runs the real desktop app under Xvfb against a demo hub
# and saves a picture of each main screen in docs/screenshots/.
#
# It builds the binaries, makes a demo PKI, starts a demo hub on loopback,
# creates the stores of three demo agencies with lienthong-clerk, has two of
# them send documents to UBND tỉnh Quảng Ninh (000.00.00.H49) and that one
# answer and issue one, then opens lienthong-desktop for Quảng Ninh once per
# screen (--tab, --screenshot: the app captures its own window and exits).
# Needs Xvfb (packaging/install-deps.sh installs it). Nothing is left running;
# the state lives in a temporary folder (SHOTS_KEEP=1 keeps it).
set -eu
cd "$(dirname "$0")/.."
out=docs/screenshots
state=$(mktemp -d "${TMPDIR:-/tmp}/lienthong-shots.XXXXXX")
bin=$state/bin
pki=$state/pki
port=${SHOTS_PORT:-14433}
ops=${SHOTS_OPS_PORT:-19433}
export LIENTHONG_PASSPHRASE=demo-passphrase-123
export XDG_CONFIG_HOME=$state/config # the app's preferences, not the user's
export LANG=vi_VN.UTF-8
hub=""
cleanup() {
	[ -n "$hub" ] && kill "$hub" 2>/dev/null && wait "$hub" 2>/dev/null
	[ "${SHOTS_KEEP:-}" = 1 ] && echo "screenshots: state kept in $state" || rm -rf "$state"
}
trap cleanup EXIT INT TERM

command -v xvfb-run >/dev/null || { echo "screenshots: xvfb-run missing; run packaging/install-deps.sh" >&2; exit 1; }
mkdir -p "$bin" "$out"
go build -o "$bin/" ./certs/cmd/lienthong-certs ./hub/cmd/lienthong-hub ./desktop/cmd/lienthong-clerk ./desktop/cmd/lienthong-desktop
"$bin/lienthong-certs" demo --out "$pki" >/dev/null
"$bin/lienthong-hub" demo --pki "$pki" --data "$state/hub" --listen "127.0.0.1:$port" --ops "127.0.0.1:$ops" 2>"$state/hub.log" &
hub=$!
i=0
until curl -fsS "http://127.0.0.1:$ops/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $hub 2>/dev/null; then
		cat "$state/hub.log" >&2
		exit 1
	fi
	sleep 0.1
done

clerk() { "$bin/lienthong-clerk" "$@"; }
for a in 000.00.00.H49 000.00.00.G22 000.00.00.H41; do
	clerk init --home "$state/$a" --p12 "$pki/agencies/$a.p12" --p12-passphrase-file "$pki/agencies/$a.pass" \
		--hub "127.0.0.1:$port" --server-name localhost --roots "$pki/ca.crt" >/dev/null
	clerk sync --home "$state/$a" >/dev/null
done
pdf=shared/pades/testdata
[ -f ../shared/testdata/pdf/cong-van.pdf ] && pdf=../shared/testdata/pdf
send() { # agency type notation urgency due subject file
	clerk send --home "$state/$1" --type "$2" --notation "$3" --urgency "$4" ${5:+--due "$5"} --subject "$6" \
		--place "Hà Nội" --position "PHÓ CHỦ NHIỆM" --signer "Nguyễn Văn Thành" --to 000.00.00.H49 "$pdf/$7" >/dev/null
}
# Documents are dated in Vietnam's time, as the clerk dates them: after
# 17:00 UTC it is already tomorrow there.
today=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-%d)
soon=$(TZ=Asia/Ho_Chi_Minh date -d '+2 days' +%Y-%m-%d 2>/dev/null || echo "")
send 000.00.00.G22 cong_van VPCP-KSTT 0 "" "Về việc đẩy mạnh gửi, nhận văn bản điện tử có ký số giữa các cơ quan hành chính nhà nước" cong-van.pdf
send 000.00.00.H41 quyet_dinh QĐ-UBND 3 "$today" "Quyết định ứng phó khẩn cấp với cơn bão số 3 và mưa lũ sau bão" quyet-dinh.pdf
send 000.00.00.G22 bao_cao BC-VPCP 1 "$soon" "Báo cáo tình hình thực hiện Nghị quyết số 30/NQ-CP về cải cách thủ tục hành chính" bao-cao.pdf
send 000.00.00.H41 cong_van UBND-VP 2 "" "Đề nghị phối hợp tổ chức hội nghị chuyển đổi số vùng Bắc Trung Bộ" cong-van.pdf
clerk sync --home "$state/000.00.00.H49" >/dev/null
first=$(clerk inbox --home "$state/000.00.00.H49" --json | jq -r '(if type == "array" then . else .documents end) | map(select(.subject | startswith("Về việc"))) | .[0].id')
clerk status --home "$state/000.00.00.H49" --staff "Lê Thị Hoa" "$first" 03 >/dev/null
clerk status --home "$state/000.00.00.H49" --staff "Lê Thị Hoa" --note "Sở Thông tin và Truyền thông" "$first" 04 >/dev/null
clerk send --home "$state/000.00.00.H49" --type cong_van --notation UBND-TH --urgency 0 --place "Quảng Ninh" \
	--subject "Báo cáo kết quả triển khai hệ thống liên thông văn bản quý IV năm 2026" --position "CHÁNH VĂN PHÒNG" \
	--signer "Trần Minh Đức" --to 000.00.00.G22 --to 000.00.00.H41 "$pdf/bao-cao.pdf" >/dev/null
for a in 000.00.00.G22 000.00.00.H41; do clerk sync --home "$state/$a" >/dev/null; done
sent=$(clerk inbox --home "$state/000.00.00.G22" --json | jq -r '(if type == "array" then . else .documents end) | map(select(.subject | startswith("Báo cáo kết quả"))) | .[0].id')
clerk status --home "$state/000.00.00.G22" --staff "Phạm Văn Nam" "$sent" 03 >/dev/null
clerk sync --home "$state/000.00.00.H49" >/dev/null

shot() { # name tab [flags...]
	name=$1 tab=$2
	shift 2
	xvfb-run -a -s "-screen 0 1280x800x24" "$bin/lienthong-desktop" --home "$state/000.00.00.H49" --tab "$tab" \
		--screenshot "$out/$name.png" "$@" 2>>"$state/desktop.log"
	echo "screenshots: $out/$name.png"
}
shot van-ban-den incoming
shot van-ban-den-chi-tiet incoming --open-first
shot van-ban-di outgoing --open-first
shot soan-van-ban compose
shot so-dang-ky registers
shot cai-dat settings
LANG=en_US.UTF-8 shot incoming-english incoming
LIENTHONG_PASSPHRASE="" xvfb-run -a -s "-screen 0 1280x800x24" "$bin/lienthong-desktop" --home "$state/new-clerk" \
	--screenshot "$out/thiet-lap-lan-dau.png" 2>>"$state/desktop.log"
echo "screenshots: $out/thiet-lap-lan-dau.png"
# The compose screen with and without the competent person's signature:
# made headless by a test (it needs a SoftHSM2 token and the PIN dialog).
LIENTHONG_SCREENSHOTS=$PWD/$out go test ./desktop/ui -run TestComposeScreenshots -count=1 >/dev/null
echo "screenshots: $out/compose-person-signed.png $out/compose-person-missing.png"
