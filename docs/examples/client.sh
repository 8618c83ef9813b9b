#!/usr/bin/env bash
# An example client of the Lienthong hub's API, written as another vendor
# would write one: bash, curl and openssl, with python3's standard library
# for JSON and base64. No Go. It takes a document from one demo agency to
# another and back: upload, sign, submit, receive, acknowledge, a signed
# status, statuses and receipts (whose signature it checks against the
# hub's receipt identity), the one long poll for documents and statuses,
# a document sent with its PDF in one multipart/form-data request (no
# upload), and the main error cases.
#
#   HUB=127.0.0.1:4433 PKI=demo/pki HTTP=--http2 docs/examples/client.sh some.pdf
#
# HUB is the hub's host:port (TCP; curl speaks HTTP/2 or HTTP/1.1 over TLS
# there, HTTP=--http2 or HTTP=--http1.1), PKI the demo PKI made by
# `lienthong-certs demo` (agencies/<code>.crt with its chain and .key in the
# clear, ca.crt the root). The two agencies are demo agencies of the hub's
# directory. FRONT, when set, is the host:port of the hub's long-poll front,
# where a long poll is held too. Exit status 0 when every step went as the
# API says. With TRACE=FILE every request and answer is appended to FILE as
# well.
set -euo pipefail

HUB=${HUB:-127.0.0.1:4433}
PKI=${PKI:-demo/pki}
HTTP=${HTTP:---http2}
SENDER=${SENDER:-000.00.00.H49}    # UBND tỉnh Quảng Ninh
RECIPIENT=${RECIPIENT:-000.00.00.H41} # UBND tỉnh Nghệ An
RECEIPT_NAME=${RECEIPT_NAME:-lienthong-hub}
PDF=${1:?usage: client.sh FILE.pdf}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf 'ok: %s\n' "$*"; }
die() {
	printf 'FAIL: %s\n' "$*" >&2
	[ -s "$work/body" ] && { printf 'last answer: ' >&2; head -c 2000 "$work/body" >&2; echo >&2; }
	exit 1
}

# call AGENCY METHOD PATH [curl options...]: the answer's body goes to
# $work/body, its headers to $work/headers; prints the HTTP status.
call() {
	local who=$1 method=$2 path=$3
	shift 3
	curl -sS "$HTTP" --cacert "$PKI/ca.crt" --cert "$PKI/agencies/$who.crt" --key "$PKI/agencies/$who.key" \
		-X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code} %{http_version}' "$@" "https://$HUB$path" >"$work/status"
	read -r code version <"$work/status"
	if [ -n "${TRACE:-}" ]; then
		{
			printf '>>> %s %s (as %s)\n' "$method" "$path" "$who"
			local prev=
			for a in "$@"; do
				case "$prev" in
				-H) printf '%s\n' "$a" ;;
				--data-binary) case "$a" in @*) if [ "$method" = PATCH ]; then printf '(%s bytes)\n' "$(wc -c <"${a#@}")"; else cat "${a#@}"; echo; fi ;; *) printf '%s\n' "$a" ;; esac ;;
				-F) printf 'part %s\n' "$a" ;;
				esac
				prev=$a
			done
			printf '<<< %s\n' "$code"
			grep -iE '^(content-type|etag|content-range|content-disposition|retry-after|alt-svc):' "$work/headers" || true
			case "$(grep -i '^content-type:' "$work/headers")" in
			*json* | *yaml*) head -c 65536 "$work/body"; echo ;;
			*) printf '(%s bytes)\n' "$(wc -c <"$work/body")" ;;
			esac
			echo
		} >>"$TRACE"
	fi
	case "$HTTP:$version" in
	--http2:2 | --http1.1:1.1) ;;
	*) die "asked $HTTP, the hub answered HTTP/$version" ;;
	esac
	echo "$code"
}

# expect STATUS AGENCY METHOD PATH [curl options...]
expect() {
	local want=$1
	shift
	local got
	got=$(call "$@")
	[ "$got" = "$want" ] || die "$2 $3: HTTP $got, want $want"
}

# json EXPR [FILE]: evaluates a python expression over the JSON in FILE
# (default the last answer) as j; prints strings bare, the rest as JSON.
json() {
	python3 - "$1" "${2:-$work/body}" <<'PY'
import base64, json, sys
expr, path = sys.argv[1], sys.argv[2]
j = json.load(open(path, encoding="utf-8"))
b64 = lambda s: base64.b64decode(s)
unpack = lambda s: json.loads(b64(json.loads(b64(s))["payload"]))  # a base64 packet's payload
v = eval(expr, {"j": j, "b64": b64, "unpack": unpack, "json": json})
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
PY
}

# error_code: the code of the last answer's Error body.
error_code() { json 'j["code"]'; }

# updates_go_on INBOX_AFTER STATUSES_AFTER: whether each part of the last
# GET /v1/updates answer goes on from the cursor it was asked from: items
# after it only, and next the last item's cursor, or that cursor itself
# when the part holds none.
updates_go_on() {
	[ "$(json "all(all(i['cursor'] > a for i in p['items']) and p['next'] == (p['items'][-1]['cursor'] if p['items'] else a)
	             for p, a in ((j['inbox'], $1), (j['statuses'], $2)))")" = true ]
}

# seal AGENCY PAYLOAD OUT: signs the payload's exact bytes (detached CMS,
# DER, signing-certificate-v2 by -cades, the chain included) and writes the
# packet {"payload", "signature"}.
seal() {
	local who=$1 payload=$2 out=$3
	# The signer's certificate file carries its chain: the leaf signs, the
	# others go into the signature.
	awk 'BEGIN{n=0} /BEGIN CERTIFICATE/{n++} n>1' "$PKI/agencies/$who.crt" >"$work/chain.pem"
	openssl cms -sign -binary -cades -nosmimecap -md sha256 -outform DER \
		-signer "$PKI/agencies/$who.crt" -inkey "$PKI/agencies/$who.key" -certfile "$work/chain.pem" \
		-in "$payload" -out "$work/sig.der"
	python3 - "$payload" "$work/sig.der" >"$out" <<'PY'
import base64, json, sys
p, s = (open(f, "rb").read() for f in sys.argv[1:3])
print(json.dumps({"payload": base64.b64encode(p).decode(), "signature": base64.b64encode(s).decode()}), end="")
PY
}

# verify_packet PACKET_B64 ROOT: checks a packet's signature over its
# payload with openssl and writes the signer's certificate to
# $work/signer.pem and the payload to $work/payload.json.
verify_packet() {
	python3 - "$1" "$work" <<'PY'
import base64, json, sys
packet = json.loads(base64.b64decode(sys.argv[1]))
open(sys.argv[2] + "/payload.json", "wb").write(base64.b64decode(packet["payload"]))
open(sys.argv[2] + "/psig.der", "wb").write(base64.b64decode(packet["signature"]))
PY
	openssl cms -verify -binary -inform DER -in "$work/psig.der" -content "$work/payload.json" \
		-CAfile "$PKI/ca.crt" -purpose any -certsout "$work/certs.pem" -signer "$work/signer.pem" -out /dev/null 2>"$work/verify.log" ||
		die "packet signature: $(cat "$work/verify.log")"
}

# document_payload OUT MESSAGE_ID NUMBER TO_CODE SHA256 SIZE: a document
# packet's payload (package envelope's Document, metadata as in
# shared/document), UTF-8 JSON.
document_payload() {
	python3 - "$@" "$SENDER" <<'PY'
import json, sys
from datetime import datetime, timedelta, timezone
out, mid, number, to, sha, size, sender = sys.argv[1:8]
vn = timezone(timedelta(hours=7))  # Vietnam: dates are Vietnam's calendar days
now = datetime.now(timezone.utc)
payload = {
    "kind": "document",
    "message_id": mid,
    "created": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    "metadata": {
        "version": 1,
        "from": {"code": sender, "name": "Ủy ban nhân dân tỉnh Quảng Ninh"},
        "code_number": number,
        "code_notation": "UBND-VP",
        "promulgation": {"place": "Hạ Long", "date": now.astimezone(vn).date().isoformat()},
        "type": "cong_van",
        "subject": "Về việc thử nghiệm kết nối Trục liên thông văn bản",
        "signer": {"competence": "TM. ỦY BAN NHÂN DÂN", "position": "CHỦ TỊCH", "full_name": "Nguyễn Văn Hùng"},
        "to": [{"code": to, "name": "Ủy ban nhân dân tỉnh Nghệ An"}],
        "priority": 0,
        "secrecy": 0,
        "steering_type": 0,
        "page_amount": 1,
        "promulgation_amount": 1,
        "business": {"type": 0},
    },
    "attachments": [{"name": "cong-van.pdf", "content_type": "application/pdf", "size": int(size), "sha256": sha}],
}
open(out, "w", encoding="utf-8").write(json.dumps(payload, ensure_ascii=False))
PY
}

new_id() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
sha256() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
number() { python3 -c 'import secrets; print(secrets.randbelow(10**6) + 1)'; }

# upload AGENCY FILE: POST then PATCH the whole file at offset 0.
upload() {
	local who=$1 file=$2 sha size
	sha=$(sha256 "$file")
	size=$(wc -c <"$file" | tr -d ' ')
	expect 200 "$who" POST "/v1/uploads/$sha?size=$size"
	local offset
	offset=$(json 'j["offset"]')
	if [ "$(json 'j["done"]')" != true ]; then
		expect 200 "$who" PATCH "/v1/uploads/$sha?size=$size&offset=$offset" \
			-H 'Content-Type: application/octet-stream' --data-binary @"$file"
	fi
}

# --- who am I, and the document itself ---------------------------------
expect 200 "$SENDER" GET /v1/hello
[ "$(json 'j["agency"]')" = "$SENDER" ] || die "hello names another agency"
# max_inline: the attachment bytes a submission may carry with its packet
# (multipart/form-data); absent from a hub that takes the packet alone.
max_inline=$(json 'j.get("max_inline", 0)')
[ "$max_inline" -ge 1 ] || die "hello without max_inline: this hub takes the packet alone"
step "hello: the hub knows us as $SENDER ($HTTP), takes $max_inline bytes of attachments with a packet"
expect 200 "$SENDER" GET /v1/openapi.yaml
head -n 20 "$work/body" | grep -q '^openapi: 3\.1' || die "the OpenAPI document"
step "the hub serves its OpenAPI document"

sha=$(sha256 "$PDF")
size=$(wc -c <"$PDF" | tr -d ' ')
expect 200 "$SENDER" POST "/v1/uploads/$sha?size=$size"
[ "$(json 'j["offset"]')" = 0 ] || [ "$(json 'j["done"]')" = true ] || die "a new upload starts at 0"
expect 200 "$SENDER" PATCH "/v1/uploads/$sha?size=$size&offset=0" -H 'Content-Type: application/octet-stream' --data-binary @"$PDF"
[ "$(json 'j["done"]')" = true ] || die "upload not done"
step "uploaded $size bytes, sha256 $sha"

id=$(new_id)
num=$(number)
document_payload "$work/doc.json" "$id" "$num" "$RECIPIENT" "$sha" "$size"
seal "$SENDER" "$work/doc.json" "$work/doc.packet"
expect 200 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/doc.packet"
[ "$(json 'j["existed"]')" = false ] || die "a new document existed"
receipt=$(json 'j["receipt"]')
[ "$(json 'unpack(j["receipt"])["event"]')" = accepted ] || die "no accepted receipt"
step "submitted $id, receipt: accepted at log index $(json 'unpack(j["receipt"])["log_index"]')"

# --- retries and the main errors ---------------------------------------
expect 200 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/doc.packet"
[ "$(json 'j["existed"]')" = true ] && [ "$(json 'j["receipt"]')" = "$receipt" ] || die "a byte-identical retry"
step "the same packet again: existed, the same receipt"

seal "$SENDER" "$work/doc.json" "$work/resigned.packet" # a new signature: other bytes
cmp -s "$work/doc.packet" "$work/resigned.packet" && die "openssl signed twice to the same bytes"
expect 409 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/resigned.packet"
[ "$(error_code)" = conflict ] || die "re-signed retry: $(error_code)"
step "the same payload signed anew under the same message id: conflict"

python3 - "$work/doc.packet" "$work/tampered.packet" <<'PY'
import base64, json, sys
p = json.load(open(sys.argv[1]))
payload = json.loads(base64.b64decode(p["payload"]))
payload["metadata"]["subject"] += " (sửa sau khi ký)"
p["payload"] = base64.b64encode(json.dumps(payload, ensure_ascii=False).encode()).decode()
open(sys.argv[2], "w").write(json.dumps(p))
PY
expect 422 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/tampered.packet"
[ "$(error_code)" = bad_signature ] || die "tampered payload: $(error_code)"
step "a payload changed after signing: bad_signature"

document_payload "$work/unknown.json" "$(new_id)" "$(number)" "000.00.00.H99" "$sha" "$size"
seal "$SENDER" "$work/unknown.json" "$work/unknown.packet"
expect 422 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/unknown.packet"
[ "$(error_code)" = unknown_recipient ] || die "unknown recipient: $(error_code)"
step "a recipient not in the directory: unknown_recipient"

printf 'Đây không phải tệp PDF %s\n' "$(new_id)" >"$work/not.pdf"
code=0
upload "$SENDER" "$work/not.pdf" || code=$?
if [ "$code" = 0 ]; then
	document_payload "$work/notpdf.json" "$(new_id)" "$(number)" "$RECIPIENT" "$(sha256 "$work/not.pdf")" "$(wc -c <"$work/not.pdf" | tr -d ' ')"
	seal "$SENDER" "$work/notpdf.json" "$work/notpdf.packet"
	expect 422 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/notpdf.packet"
fi
[ "$(error_code)" = not_pdf ] || die "not a PDF: $(error_code)"
step "an attachment that is not a PDF: not_pdf"

python3 - "$work/doc.json" "$work/invalid.json" "$(new_id)" <<'PY'
import json, sys
p = json.load(open(sys.argv[1], encoding="utf-8"))
p["message_id"] = sys.argv[3]
p["metadata"]["type"] = "quyet_dinh"  # a Quyết định's notation must open with QĐ-
p["metadata"]["subject"] = ""
open(sys.argv[2], "w", encoding="utf-8").write(json.dumps(p, ensure_ascii=False))
PY
seal "$SENDER" "$work/invalid.json" "$work/invalid.packet"
expect 422 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/invalid.packet"
[ "$(error_code)" = invalid_document ] || die "invalid metadata: $(error_code)"
problems=$(json '" ".join(p["field"] + ":" + p["code"] for p in j["details"])')
step "invalid metadata: invalid_document, problems $problems"

# --- the recipient -----------------------------------------------------
after=0
found=
for _ in 1 2 3 4 5; do
	expect 200 "$RECIPIENT" GET "/v1/inbox?after=$after&wait=5"
	found=$(json "[i for i in j['items'] if i['message_id'] == '$id']")
	[ "$found" != "[]" ] && break
	after=$(json 'j["next"]')
done
[ "$found" != "[]" ] || die "the document never reached the inbox"
inbox_next=$(json 'j["next"]')
item_packet=$(json "[i for i in j['items'] if i['message_id'] == '$id'][0]['packet']")
[ "$(json "[i for i in j['items'] if i['message_id'] == '$id'][0]['sender']")" = "$SENDER" ] || die "inbox sender"
verify_packet "$item_packet"
openssl x509 -in "$work/signer.pem" -noout -ext subjectAltName | grep -q "urn:lienthong:agency:$SENDER" || die "the packet's signer is not $SENDER"
cmp -s "$work/payload.json" "$work/doc.json" || die "the payload received differs from the one sent"
step "inbox: $id from $SENDER, its signature verified with openssl, report for $(json "list([i for i in j['items'] if i['message_id'] == '$id'][0]['report'])")"

expect 200 "$RECIPIENT" GET "/v1/messages/$id"
python3 -c 'import base64,json,sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())' "$item_packet" >"$work/inbox.packet"
cmp -s "$work/body" "$work/inbox.packet" || die "GET /v1/messages/{id} differs from the inbox's packet"
step "the message's packet, byte for byte"

expect 200 "$RECIPIENT" GET "/v1/messages/$id/attachments/$sha"
[ "$(sha256 "$work/body")" = "$sha" ] || die "downloaded attachment digest"
grep -qi "^content-disposition: attachment; filename=\"$sha.pdf\"" "$work/headers" || die "Content-Disposition"
expect 206 "$RECIPIENT" GET "/v1/messages/$id/attachments/$sha" -H 'Range: bytes=100-'
tail -c +101 "$PDF" | cmp -s - "$work/body" || die "the range from byte 100"
step "downloaded the attachment, and its tail with Range"

# With inline=1 a small document's attachments come in its inbox item: the
# same bytes, no download.
expect 200 "$RECIPIENT" GET "/v1/inbox?after=$after&inline=1"
[ "$(json "[a['sha256'] for i in j['items'] if i['message_id'] == '$id' for a in i['inline']]")" = "[\"$sha\"]" ] ||
	die "inline=1: the item does not carry its attachment alone"
python3 -c 'import base64,json,sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
[item] = [i for i in j["items"] if i["message_id"] == sys.argv[2]]
sys.stdout.buffer.write(base64.b64decode(item["inline"][0]["data"]))' "$work/body" "$id" >"$work/inline.pdf"
cmp -s "$PDF" "$work/inline.pdf" || die "inline=1: the bytes differ from the PDF sent"
[ "$(sha256 "$work/inline.pdf")" = "$sha" ] || die "inline=1: the bytes do not hash to $sha"
expect 200 "$RECIPIENT" GET "/v1/inbox?after=$after"
[ "$(json "[i for i in j['items'] if 'inline' in i]")" = "[]" ] || die "inline bytes nobody asked for"
expect 400 "$RECIPIENT" GET "/v1/inbox?after=$after&inline=yes"
step "inbox with inline=1: the attachment's bytes in the item, as sent; none without it; inline=yes is bad_request"

expect 200 "$RECIPIENT" POST "/v1/messages/$id/ack"
[ "$(json 'unpack(j["receipt"])["event"]')" = delivered ] || die "no delivered receipt"
step "acknowledged: delivered receipt"

status_payload() { # OUT CODE: a status about the document, from the recipient
	python3 - "$1" "$2" "$(new_id)" "$id" "$work/doc.json" "$RECIPIENT" <<'PY'
import json, sys
from datetime import datetime, timezone
out, code, mid, regarding, docfile, me = sys.argv[1:7]
m = json.load(open(docfile, encoding="utf-8"))["metadata"]
# The DocumentId: issuing agency, promulgation date yyyy/MM/dd, number/notation.
document = "%s,%s,%s/%s" % (m["from"]["code"], m["promulgation"]["date"].replace("-", "/"), m["code_number"], m["code_notation"])
payload = {"kind": "status", "message_id": mid, "regarding": regarding,
           "update": {"document": document, "from": me, "code": code, "staff": "Trần Thị Lan",
                      "description": "Đã vào sổ văn bản đến",
                      "time": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")}}
open(out, "w", encoding="utf-8").write(json.dumps(payload, ensure_ascii=False))
PY
}
status_payload "$work/status.json" 03
seal "$RECIPIENT" "$work/status.json" "$work/status.packet"
expect 200 "$RECIPIENT" POST /v1/statuses -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/status.packet"
[ "$(json 'j["existed"]')" = false ] || die "a new status existed"
expect 200 "$RECIPIENT" POST /v1/statuses -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/status.packet"
[ "$(json 'j["existed"]')" = true ] || die "the same status packet again"
step "status 03 sent (and again, byte-identical: existed)"

status_payload "$work/status2.json" 03
seal "$RECIPIENT" "$work/status2.json" "$work/status2.packet"
expect 422 "$RECIPIENT" POST /v1/statuses -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/status2.packet"
[ "$(error_code)" = invalid_status ] || die "03 twice: $(error_code)"
step "a second 03 in a new packet: invalid_status"

# --- the sender again --------------------------------------------------
codes=
cursors=
after=0
for _ in 1 2 3 4 5; do
	expect 200 "$SENDER" GET "/v1/statuses?after=$after&wait=5"
	codes="$codes $(json "' '.join(i['code'] for i in j['items'] if i['message_id'] == '$id')")"
	cursors="$cursors $(json "' '.join(str(i['cursor']) for i in j['items'])")"
	after=$(json 'j["next"]')
	case "$codes" in *01*03*) break ;; esac
done
case "$codes" in *01*03*) ;; *) die "statuses for $id: $codes, want 01 then 03" ;; esac
cursors_json=$(python3 -c 'import json,sys; print(json.dumps({"cursors": [int(c) for c in sys.argv[1:]]}))' $cursors)
expect 204 "$SENDER" POST /v1/statuses/ack -H 'Content-Type: application/json' --data-binary "$cursors_json"
step "statuses:$codes; removed with POST /v1/statuses/ack"

expect 200 "$SENDER" GET "/v1/messages/$id/receipts"
events=$(json '" ".join(unpack(r)["event"] for r in j["receipts"])')
[ "$events" = "accepted delivered" ] || die "receipts: $events"
delivered=$(json 'j["receipts"][1]')
verify_packet "$delivered"
openssl x509 -in "$work/signer.pem" -noout -ext subjectAltName | grep -q "urn:lienthong:receipts:$RECEIPT_NAME" ||
	die "the receipt is not signed by the receipt identity $RECEIPT_NAME"
openssl x509 -in "$work/signer.pem" -noout -ext extendedKeyUsage | grep -Eq '1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing' ||
	die "the receipt signer lacks documentSigning"
[ "$(json 'j["envelope_sha256"]' "$work/payload.json")" = "$(sha256 "$work/doc.packet")" ] || die "envelope_sha256"
step "receipts: $events; the delivered one signed by urn:lienthong:receipts:$RECEIPT_NAME, envelope_sha256 of our packet"

expect 200 "$SENDER" GET /v1/sent
state=$(json "[r['delivery'] + ' ' + r.get('last_code', '') for i in j['items'] if i['message_id'] == '$id' for r in i['recipients']]")
[ "$state" = '["acked 03"]' ] || die "sent: $state"
step "sent: $RECIPIENT acked, last status 03"

# --- a document the recipient cannot take: refused ---------------------
id2=$(new_id)
document_payload "$work/doc2.json" "$id2" "$(number)" "$RECIPIENT" "$sha" "$size"
seal "$SENDER" "$work/doc2.json" "$work/doc2.packet"
expect 200 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/doc2.packet"
# The recipient waits for documents and statuses at once, one request
# instead of two: the inbox part goes on from its inbox cursor, the statuses
# part (about documents it sent: none here) from 0. Each part is what the
# call of its own would answer.
expect 200 "$RECIPIENT" GET "/v1/updates?inbox_after=$inbox_next&statuses_after=0&wait=5"
cp "$work/body" "$work/updates.json"
[ "$(json "[i['message_id'] for i in j['inbox']['items']]")" = "[\"$id2\"]" ] || die "updates: the inbox part does not hold $id2 alone"
[ "$(json "j['inbox']['items'][0]['sender']")" = "$SENDER" ] || die "updates: inbox sender"
[ "$(json "j['statuses']")" = '{"items": [], "next": 0}' ] || die "updates: the statuses part of an agency that sent nothing"
updates_go_on "$inbox_next" 0 || die "updates: the parts' next cursors"
inbox_part=$(json "j['inbox']")
expect 200 "$RECIPIENT" GET "/v1/inbox?after=$inbox_next"
[ "$(json j)" = "$inbox_part" ] || die "updates: the inbox part differs from GET /v1/inbox?after=$inbox_next"
step "updates (inbox_after=$inbox_next, statuses_after=0): $id2 in the inbox part as GET /v1/inbox lists it, next $(json "j['inbox']['next']" "$work/updates.json"); no statuses, next 0"

reason='Không kiểm tra được chữ ký số của văn bản'
body=$(python3 -c 'import json,sys; print(json.dumps({"reason": sys.argv[1]}, ensure_ascii=False))' "$reason")
expect 200 "$RECIPIENT" POST "/v1/messages/$id2/refuse" -H 'Content-Type: application/json' --data-binary "$body"
[ "$(json 'unpack(j["receipt"])["event"]')" = refused ] && [ "$(json 'unpack(j["receipt"])["reason"]')" = "$reason" ] || die "refused receipt"
expect 409 "$RECIPIENT" POST "/v1/messages/$id2/ack"
[ "$(error_code)" = conflict ] || die "ack after refusal: $(error_code)"
# The sender waits the same way: its statuses part goes on from its
# statuses cursor, its inbox part (documents to it: none here) from 0.
expect 200 "$SENDER" GET "/v1/updates?inbox_after=0&statuses_after=$after&wait=5"
[ "$(json "[i['code'] for i in j['statuses']['items'] if i['message_id'] == '$id2']")" = '["02"]' ] || die "the sender did not see 02"
[ "$(json "[i['reason'] for i in j['statuses']['items'] if i['message_id'] == '$id2'][0]")" = "$reason" ] || die "02 without the reason"
[ "$(json "j['inbox']")" = '{"items": [], "next": 0}' ] || die "updates: the inbox part of an agency no one sent to"
updates_go_on 0 "$after" || die "updates: the parts' next cursors"
step "a second document refused: refused receipt with the reason, ack then conflict, the sender sees 02 (updates, statuses_after=$after)"

# Nothing new for either part: the wait ends and each next is the cursor given.
after=$(json "j['statuses']['next']")
expect 200 "$SENDER" GET "/v1/updates?inbox_after=0&statuses_after=$after&wait=1"
[ "$(json j)" = "{\"inbox\": {\"items\": [], \"next\": 0}, \"statuses\": {\"items\": [], \"next\": $after}}" ] ||
	die "updates after a wait with nothing new"
expect 400 "$SENDER" GET "/v1/updates?inbox_after=0&statuses_after=-1"
[ "$(error_code)" = bad_request ] || die "a bad cursor: $(error_code)"
step "updates with nothing new: after its wait, both parts empty at the cursors given; a bad cursor: bad_request"

# --- a document and its PDF in one request: multipart/form-data -------
# A PDF of its own (the test file and a comment after its end, so that
# the hub has never seen these bytes), sent as a part after the packet,
# its filename its SHA-256: no upload.
{ cat "$PDF"; printf '%% %s\n' "$(new_id)"; } >"$work/inline.pdf"
sha3=$(sha256 "$work/inline.pdf")
size3=$(wc -c <"$work/inline.pdf" | tr -d ' ')
[ "$size3" -le "$max_inline" ] || die "the test PDF ($size3 bytes) is over max_inline ($max_inline)"
id3=$(new_id)
document_payload "$work/doc3.json" "$id3" "$(number)" "$RECIPIENT" "$sha3" "$size3"
seal "$SENDER" "$work/doc3.json" "$work/doc3.packet"
packet_part="packet=@$work/doc3.packet;type=application/vnd.lienthong.packet+json"

# What a multipart body may not be; the hub stores nothing of it, and the
# same packet goes through below with the right part.
printf 'Phụ lục không có trong văn bản %s\n' "$(new_id)" >"$work/extra.bin"
expect 422 "$SENDER" POST /v1/messages -F "$packet_part" -F "attachment=@$work/inline.pdf;filename=$sha3" \
	-F "attachment=@$work/extra.bin;filename=$(sha256 "$work/extra.bin")"
[ "$(error_code)" = invalid_document ] || die "a part the packet does not name: $(error_code)"
step "multipart: a part whose SHA-256 the packet does not name: invalid_document"

python3 - "$work/inline.pdf" "$work/changed.pdf" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-2] ^= 1  # a hex digit of the comment: the same length, other bytes
open(sys.argv[2], "wb").write(b)
PY
expect 422 "$SENDER" POST /v1/messages -F "$packet_part" -F "attachment=@$work/changed.pdf;filename=$sha3"
[ "$(error_code)" = hash_mismatch ] || die "a part whose bytes are not its filename's: $(error_code)"
step "multipart: a part whose bytes do not hash to its filename: hash_mismatch"

expect 400 "$SENDER" POST /v1/messages -F "attachment=@$work/inline.pdf;filename=$sha3" -F "$packet_part"
[ "$(error_code)" = bad_request ] || die "the attachment part first: $(error_code)"
step "multipart: an attachment part before the packet: bad_request"

expect 200 "$SENDER" POST /v1/messages -F "$packet_part" -F "attachment=@$work/inline.pdf;filename=$sha3"
[ "$(json 'j["existed"]')" = false ] || die "a new document sent with its PDF existed"
receipt3=$(json 'j["receipt"]')
[ "$(json 'unpack(j["receipt"])["event"]')" = accepted ] || die "no accepted receipt for the multipart submission"
[ "$(json 'unpack(j["receipt"])["envelope_sha256"]')" = "$(sha256 "$work/doc3.packet")" ] ||
	die "the receipt's envelope_sha256 is not the packet part's SHA-256"
verify_packet "$receipt3"
openssl x509 -in "$work/signer.pem" -noout -ext subjectAltName | grep -q "urn:lienthong:receipts:$RECEIPT_NAME" ||
	die "the receipt is not signed by the receipt identity $RECEIPT_NAME"
step "multipart: $id3 submitted with its $size3-byte PDF and no upload; accepted receipt, envelope_sha256 of the packet part"

expect 200 "$SENDER" POST /v1/messages -F "$packet_part" -F "attachment=@$work/inline.pdf;filename=$sha3"
[ "$(json 'j["existed"]')" = true ] && [ "$(json 'j["receipt"]')" = "$receipt3" ] || die "the same multipart body again"
expect 200 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/doc3.packet"
[ "$(json 'j["existed"]')" = true ] && [ "$(json 'j["receipt"]')" = "$receipt3" ] || die "the packet alone after its multipart submission"
step "multipart: the same body again, and the packet alone: existed, the same receipt"

found=
after=$inbox_next # $id2 was refused: never listed again
for _ in 1 2 3 4 5; do
	expect 200 "$RECIPIENT" GET "/v1/inbox?after=$after&wait=5"
	found=$(json "[i for i in j['items'] if i['message_id'] == '$id3']")
	[ "$found" != "[]" ] && break
	after=$(json 'j["next"]')
done
[ "$found" != "[]" ] || die "the multipart document never reached the inbox"
item_packet=$(json "[i for i in j['items'] if i['message_id'] == '$id3'][0]['packet']")
[ "$(json "[i for i in j['items'] if i['message_id'] == '$id3'][0]['sender']")" = "$SENDER" ] || die "inbox sender"
[ "$(json "list([i for i in j['items'] if i['message_id'] == '$id3'][0]['report'])")" = "[\"$sha3\"]" ] ||
	die "the inbox item's report does not cover the PDF sent with the packet"
verify_packet "$item_packet"
cmp -s "$work/payload.json" "$work/doc3.json" || die "the payload received differs from the one sent"
expect 200 "$RECIPIENT" GET "/v1/messages/$id3/attachments/$sha3"
cmp -s "$work/body" "$work/inline.pdf" || die "the PDF sent with the packet, downloaded, differs"
expect 200 "$RECIPIENT" POST "/v1/messages/$id3/ack"
[ "$(json 'unpack(j["receipt"])["event"]')" = delivered ] || die "no delivered receipt"
step "multipart: the recipient got $id3, downloaded its PDF byte for byte, acknowledged: delivered receipt"

expect 200 "$SENDER" GET /v1/directory
etag=$(grep -i '^etag:' "$work/headers" | cut -d' ' -f2 | tr -d '\r')
expect 304 "$SENDER" GET /v1/directory -H "If-None-Match: $etag"
step "directory, and 304 with its ETag"

expect 200 "$SENDER" GET /v1/pki/crl
grep -q 'BEGIN X509 CRL' "$work/body" || die "no CRL"
step "the PKI's CRLs"

expect 404 "$SENDER" GET "/v1/messages/$(new_id)"
[ "$(error_code)" = not_found ] || die "unknown message: $(error_code)"
step "a message that does not exist: not_found"
# --- long polls at a front: FRONT=host:port, when the hub gives one ------
if [ -n "${FRONT:-}" ]; then
	expect 200 "$RECIPIENT" GET "/v1/updates?inbox_after=$after&statuses_after=0"
	inbox_after=$(json "j['inbox']['next']")
	hub=$HUB
	HUB=$FRONT
	expect 404 "$SENDER" GET /v1/hello
	[ "$(error_code)" = not_found ] || die "hello at the front: $(error_code)"
	# The recipient's long poll waits at the front, in the background
	# (answers of its own in $work/front), until a document sent to the
	# hub wakes it.
	mkdir "$work/front"
	(
		work=$work/front
		expect 200 "$RECIPIENT" GET "/v1/updates?inbox_after=$inbox_after&statuses_after=0&wait=60"
		json "[i['message_id'] for i in j['inbox']['items']]" >"$work/ids"
	) &
	poll=$!
	sleep 1
	HUB=$hub
	id4=$(new_id)
	document_payload "$work/doc4.json" "$id4" "$(number)" "$RECIPIENT" "$sha" "$size"
	seal "$SENDER" "$work/doc4.json" "$work/doc4.packet"
	start=$(date +%s)
	expect 200 "$SENDER" POST /v1/messages -H 'Content-Type: application/vnd.lienthong.packet+json' --data-binary @"$work/doc4.packet"
	wait "$poll" || die "the long poll at the front"
	[ "$(cat "$work/front/ids")" = "[\"$id4\"]" ] || die "the front's answer holds $(cat "$work/front/ids"), not $id4"
	[ $(($(date +%s) - start)) -lt 30 ] || die "the long poll at the front was not woken"
	expect 200 "$RECIPIENT" GET "/v1/updates?inbox_after=$inbox_after&statuses_after=0"
	cmp -s "$work/body" "$work/front/body" || die "the front's answer differs from the hub's"
	step "a long poll at the front ($FRONT), woken by $id4 sent to the hub, answered byte for byte as the hub answers; hello there: not_found"
fi

echo "all steps passed ($HTTP)"
