#!/usr/bin/env bash
# An example edXML client of the Lienthong hub, as another vendor's QLVB
# adapter would write one from docs/API.md ("edXML"): bash, curl over
# HTTP/2, xmlsec1 to sign and verify XML signatures, xmllint to read the
# packets, openssl and python3's standard library for JSON and base64. No
# Go and no Lienthong code. It speaks for the vendor's agency (VENDOR) to
# a Lienthong clerk's agency (CLERK), in three steps run one after the
# other while the clerk works in between:
#
#   edxml-client.sh send FILE.pdf   writes an edXML document packet carrying
#                                   the PDF, signs it with the agency's key
#                                   (xmlsec1, enveloped, exclusive C14N,
#                                   X509Data with the chain), sends it with
#                                   POST /v1/edxml and checks the answer and
#                                   its receipt; then the errors a vendor
#                                   meets: the same packet again, a packet
#                                   changed after signing, an unsigned one,
#                                   one over the size limit
#   edxml-client.sh status          waits (long polls GET /v1/edxml/statuses)
#                                   for the clerk's 03 about that document,
#                                   verifies every status packet with
#                                   xmlsec1, reads StatusCode and ResponseFor
#                                   and removes them (POST /v1/statuses/ack)
#   edxml-client.sh receive [ID]    waits (GET /v1/edxml/inbox) for a
#                                   document from the clerk (that message,
#                                   if given), fetches it
#                                   (GET /v1/edxml/messages/{id}), verifies
#                                   it with xmlsec1, reads it and
#                                   acknowledges it (POST /v1/messages/{id}/ack)
#
#   HUB=127.0.0.1:4433 PKI=demo/pki STATE=/tmp/edxml docs/examples/edxml-client.sh send some.pdf
#
# HUB is the hub's host:port (HTTP/2 over TLS), PKI the demo PKI made by
# `lienthong-certs demo` (agencies/<code>.crt with its chain and .key in
# the clear, ca.crt the root), STATE a folder the steps keep what they
# share in (the message id and DocumentId sent). WAIT bounds each wait
# in seconds (default 120). Between send and status, the clerk receives
# and registers the document (lienthong-clerk sync, then status DOC 03);
# before receive, it sends one to VENDOR (lienthong-clerk send --to).
# Exit status 0 when every step went as the API says.
#
# Revocation is not checked here (xmlsec1 takes no CRL from the hub's
# GET /v1/pki/crl without more work); a real adapter checks it.
set -euo pipefail

HUB=${HUB:-127.0.0.1:4433}
PKI=${PKI:-demo/pki}
STATE=${STATE:-edxml-client-state}
WAIT=${WAIT:-120}
VENDOR=${VENDOR:-000.00.00.H49}  # UBND tỉnh Quảng Ninh, whose QLVB system this is
CLERK=${CLERK:-000.00.00.H41}    # UBND tỉnh Nghệ An, a Lienthong clerk
RECEIPT_NAME=${RECEIPT_NAME:-lienthong-hub}
NS=http://www.mic.gov.vn/TBT/QCVN_102_2016

for c in curl xmlsec1 xmllint openssl python3; do
	command -v "$c" >/dev/null || { echo "edxml-client.sh: needs $c" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$STATE"

step() { printf 'ok: %s\n' "$*"; }
die() {
	printf 'FAIL: %s\n' "$*" >&2
	[ -s "$work/body" ] && { printf 'last answer: ' >&2; head -c 2000 "$work/body" >&2; echo >&2; }
	exit 1
}

# call METHOD PATH [curl options...]: as VENDOR, over HTTP/2; the answer's
# body goes to $work/body, its headers to $work/headers; prints the status.
call() {
	local method=$1 path=$2
	shift 2
	curl -sS --http2 --cacert "$PKI/ca.crt" --cert "$PKI/agencies/$VENDOR.crt" --key "$PKI/agencies/$VENDOR.key" \
		-X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code} %{http_version}' "$@" "https://$HUB$path" >"$work/status"
	local code version
	read -r code version <"$work/status"
	[ "$version" = 2 ] || die "$method $path: the hub answered HTTP/$version, not HTTP/2"
	echo "$code"
}

# expect STATUS METHOD PATH [curl options...]
expect() {
	local want=$1 got
	shift
	got=$(call "$@")
	[ "$got" = "$want" ] || die "$1 $2: HTTP $got, want $want"
}

# json EXPR [FILE]: a python expression over the JSON in FILE (default the
# last answer) as j; strings are printed bare, the rest as JSON.
json() {
	python3 - "$1" "${2:-$work/body}" <<'PY'
import base64, json, sys
expr, path = sys.argv[1], sys.argv[2]
j = json.load(open(path, encoding="utf-8"))
v = eval(expr, {"j": j, "json": json, "b64": base64.b64decode})
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
PY
}

# b64file B64 OUT: decodes base64 into a file.
b64file() { python3 -c 'import base64,sys; open(sys.argv[2], "wb").write(base64.b64decode(sys.argv[1]))' "$1" "$2"; }

# xpath FILE PATH: the text at a path of edXML elements under any prefix
# ("Status/StatusCode" is //edXML:Status/edXML:StatusCode).
xpath() {
	local expr="" e
	IFS=/ read -ra parts <<<"$2"
	for e in "${parts[@]}"; do expr="$expr/*[local-name()='$e' and namespace-uri()='$NS']"; done
	xmllint --xpath "string(/${expr})" "$1" 2>/dev/null || true
}

sha256() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# check_signed FILE URI: verifies the packet's enveloped XML signature with
# xmlsec1 under the root, and that its signer (the certificate of
# KeyInfo/X509Data that is not a CA) carries URI (urn:lienthong:…).
check_signed() {
	local file=$1 uri=$2 n i leaf=
	xmlsec1 --verify --trusted-pem "$PKI/ca.crt" "$file" >"$work/xmlsec.log" 2>&1 ||
		die "xmlsec1 --verify $file: $(tr '\n' ' ' <"$work/xmlsec.log")"
	n=$(xmllint --xpath "count(//*[local-name()='X509Certificate'])" "$file")
	for ((i = 1; i <= n; i++)); do
		xmllint --xpath "string((//*[local-name()='X509Certificate'])[$i])" "$file" | tr -d ' \n\r\t' |
			openssl base64 -d -A | openssl x509 -inform DER -out "$work/cert.pem"
		if ! openssl x509 -in "$work/cert.pem" -noout -ext basicConstraints | grep -q 'CA:TRUE'; then
			[ -z "$leaf" ] || die "$file: two end-entity certificates in X509Data"
			leaf=$work/signer.pem
			cp "$work/cert.pem" "$leaf"
		fi
	done
	[ -n "$leaf" ] || die "$file: no signer certificate in X509Data"
	openssl x509 -in "$leaf" -noout -ext subjectAltName | grep -qE "URI:${uri//./\\.}(,|\$)" || die "$file: signed by another than $uri"
}

# check_packet B64 URI: verifies a Lienthong signed packet ({payload,
# signature}, base64, detached CMS over the payload) with openssl under the
# root, signed by the certificate carrying URI; the payload goes to
# $work/payload.json.
check_packet() {
	python3 - "$1" "$work" <<'PY'
import base64, json, sys
packet = json.loads(base64.b64decode(sys.argv[1]))
open(sys.argv[2] + "/payload.json", "wb").write(base64.b64decode(packet["payload"]))
open(sys.argv[2] + "/payload.der", "wb").write(base64.b64decode(packet["signature"]))
PY
	openssl cms -verify -binary -inform DER -in "$work/payload.der" -content "$work/payload.json" \
		-CAfile "$PKI/ca.crt" -purpose any -signer "$work/psigner.pem" -out /dev/null 2>"$work/verify.log" ||
		die "packet signature: $(cat "$work/verify.log")"
	openssl x509 -in "$work/psigner.pem" -noout -ext subjectAltName | grep -qE "URI:${2//./\\.}(,|\$)" ||
		die "the packet is not signed by $2"
}

# check_receipt B64 EVENT MESSAGE_ID: a receipt signed by the hub's receipt
# identity, for that event and message.
check_receipt() {
	check_packet "$1" "urn:lienthong:receipts:$RECEIPT_NAME"
	[ "$(json 'j["event"]' "$work/payload.json")" = "$2" ] || die "receipt event $(json 'j["event"]' "$work/payload.json"), want $2"
	[ "$(json 'j["message_id"]' "$work/payload.json")" = "$3" ] || die "the receipt names another message"
}

# sigalg: the XML-DSig signature method for VENDOR's key: ecdsa-sha256
# (the demo's keys) or rsa-sha256.
sigalg() {
	if openssl pkey -in "$PKI/agencies/$VENDOR.key" -noout -text | grep -q '^Private-Key: .*RSA\|^modulus:'; then
		echo rsa-sha256
	else
		echo ecdsa-sha256
	fi
}

# packet OUT NUMBER PDF [signed|unsigned]: an edXML document packet from
# VENDOR to CLERK carrying the PDF; "signed" gives it an enveloped
# ds:Signature template (exclusive C14N, SHA-256, the method for the key)
# for xmlsec1 --sign to fill.
packet() {
	local out=$1 number=$2 pdf=$3 how=${4:-signed} date sig=""
	date=$(date -u -d '+7 hours' +%Y/%m/%d) # Vietnam's calendar day
	if [ "$how" = signed ]; then
		sig='<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#'"$(sigalg)"'"/><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>'
	fi
	{
		cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="$NS">
<edXML:edXMLEnvelope>
<edXML:edXMLHeader>
<edXML:MessageHeader>
<edXML:From><edXML:OrganId>$VENDOR</edXML:OrganId><edXML:OrganName>Ủy ban nhân dân tỉnh Quảng Ninh</edXML:OrganName></edXML:From>
<edXML:To><edXML:OrganId>$CLERK</edXML:OrganId><edXML:OrganName>Ủy ban nhân dân tỉnh Nghệ An</edXML:OrganName></edXML:To>
<edXML:Code><edXML:CodeNumber>$number</edXML:CodeNumber><edXML:CodeNotation>UBND-VP</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Hạ Long</edXML:Place><edXML:PromulgationDate>$date</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>18</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>Về việc thử nghiệm kết nối edXML qua Trục liên thông</edXML:Subject>
<edXML:SignerInfo><edXML:Competence>TM. ỦY BAN NHÂN DÂN</edXML:Competence><edXML:Position>CHỦ TỊCH</edXML:Position><edXML:FullName>Nguyễn Văn Hùng</edXML:FullName></edXML:SignerInfo>
<edXML:OtherInfo><edXML:Priority>0</edXML:Priority></edXML:OtherInfo>
<edXML:SteeringType>0</edXML:SteeringType>
<edXML:DocumentId>$VENDOR,$date,$number/UBND-VP</edXML:DocumentId>
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType></edXML:Bussiness></edXML:TraceHeaderList>
$sig
</edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest><edXML:Reference><edXML:ContentId>1</edXML:ContentId><edXML:AttachmentName>$number-UBND-VP.pdf</edXML:AttachmentName><edXML:ContentType>application/pdf</edXML:ContentType></edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope>
<edXML:AttachmentEncoded>
<edXML:Attachment><edXML:ContentId>1</edXML:ContentId><edXML:AttachmentName>$number-UBND-VP.pdf</edXML:AttachmentName><edXML:ContentType>application/pdf</edXML:ContentType><edXML:ContentTransferEncoded>
EOF
		openssl base64 -in "$pdf" # 64 characters a line: base64 with line breaks, as many systems write it
		cat <<EOF
</edXML:ContentTransferEncoded></edXML:Attachment>
</edXML:AttachmentEncoded>
</edXML:edXML>
EOF
	} >"$out"
}

# sign IN OUT: fills the signature template with VENDOR's key; KeyInfo
# gets the signer's certificate and its issuing CA (the agency's .crt
# file holds the leaf, then its chain up to the root).
sign() {
	local crt=$PKI/agencies/$VENDOR.crt
	awk -v d="$work/chain" '/BEGIN CERTIFICATE/{n++} {print > (d "-" n ".pem")}' "$crt"
	xmlsec1 --sign --privkey-pem "$PKI/agencies/$VENDOR.key,$work/chain-1.pem,$work/chain-2.pem" --output "$2" "$1" \
		>"$work/xmlsec.log" 2>&1 || die "xmlsec1 --sign: $(tr '\n' ' ' <"$work/xmlsec.log")"
}

# post FILE: POST /v1/edxml with the file as the body; prints the status.
post() { call POST /v1/edxml -H 'Content-Type: application/xml' --data-binary @"$1"; }

# refused FILE CODE HTTP WHAT: the packet is refused with that code.
refused() {
	local got
	got=$(post "$1")
	[ "$got" = "$3" ] && [ "$(json 'j["code"]')" = "$2" ] || die "$4: HTTP $got, want $3 $2"
	step "$4: refused $2"
}

cmd_send() {
	local pdf=${1:?usage: edxml-client.sh send FILE.pdf} number id docid
	[ -r "$pdf" ] || die "no PDF $pdf"
	number=$(python3 -c 'import secrets; print(secrets.randbelow(10**6) + 1)')
	packet "$work/doc.xml" "$number" "$pdf"
	sign "$work/doc.xml" "$work/doc.edxml"
	check_signed "$work/doc.edxml" "urn:lienthong:agency:$VENDOR"
	docid=$(xpath "$work/doc.edxml" edXML/edXMLEnvelope/edXMLHeader/MessageHeader/DocumentId)
	step "wrote and signed document $docid ($(wc -c <"$work/doc.edxml" | tr -d ' ') bytes); xmlsec1 verifies it"

	expect 200 POST /v1/edxml -H 'Content-Type: application/xml' --data-binary @"$work/doc.edxml"
	id=$(json 'j["message_id"]')
	[ "$(json 'j["kind"]')" = document ] && [ "$(json 'j["existed"]')" = false ] || die "POST /v1/edxml: not a new document"
	[ "$id" = "$(sha256 "$work/doc.edxml" | cut -c1-32)" ] || die "message id $id is not the packet's SHA-256"
	local receipt
	receipt=$(json 'j["receipt"]')
	check_receipt "$receipt" accepted "$id"
	# The receipt's envelope_sha256 names the stored reference to our packet.
	printf '{"edxml":{"sha256":"%s","size":%s}}' "$(sha256 "$work/doc.edxml")" "$(wc -c <"$work/doc.edxml" | tr -d ' ')" >"$work/ref"
	[ "$(json 'j["envelope_sha256"]' "$work/payload.json")" = "$(sha256 "$work/ref")" ] || die "the receipt's envelope_sha256"
	step "POST /v1/edxml: message $id, its accepted receipt signed by the hub's receipt identity over our packet"

	expect 200 POST /v1/edxml -H 'Content-Type: application/xml' --data-binary @"$work/doc.edxml"
	[ "$(json 'j["existed"]')" = true ] && [ "$(json 'j["message_id"]')" = "$id" ] && [ "$(json 'j["receipt"]')" = "$receipt" ] ||
		die "the same packet again is not the same message with the same receipt"
	step "the same packet again: existed, the same message and receipt"

	# A byte changed after signing (a ministry's copy edited on the way).
	sed 's/thử nghiệm kết nối/thử nghiệm kết nối lại/' "$work/doc.edxml" >"$work/tampered.edxml"
	cmp -s "$work/doc.edxml" "$work/tampered.edxml" && die "the tampering changed nothing"
	refused "$work/tampered.edxml" bad_signature 422 "the packet changed after signing"
	packet "$work/unsigned.edxml" "$((number + 1))" "$pdf" unsigned
	refused "$work/unsigned.edxml" bad_signature 422 "an unsigned packet"
	# Over the 50 MB default: the declared Content-Length is refused before
	# the body is read. A sparse file: nothing is written to the disk.
	truncate -s $((50 * 1024 * 1024 + 1)) "$work/big.edxml"
	# The hub answers before it reads such a body and then resets the stream
	# (RFC 9113 8.1; docs/API.md, "Uploads"), and the reset may overtake the
	# answer's bytes: a client whose answer was cut off sends it again.
	local got try
	for try in 1 2 3; do
		rm -f "$work/body"
		got=$(call POST /v1/edxml -H 'Content-Type: application/xml' -T "$work/big.edxml")
		[ -s "$work/body" ] && break
	done
	[ "$got" = 413 ] && [ "$(json 'j["code"]')" = too_large ] || die "a packet over the limit: HTTP $got, want 413 too_large"
	step "a packet over the size limit: refused too_large"

	printf '%s\n' "$id" >"$STATE/message_id"
	printf '%s\n' "$docid" >"$STATE/document_id"
	echo "sent $id"
}

cmd_status() {
	local id docid after=0 deadline found="" cursors=() n i
	id=$(cat "$STATE/message_id") docid=$(cat "$STATE/document_id")
	deadline=$((SECONDS + WAIT))
	while [ -z "$found" ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "no 03 about $id within $WAIT s"
		expect 200 GET "/v1/edxml/statuses?after=$after&wait=10"
		n=$(json 'len(j["items"])')
		for ((i = 0; i < n; i++)); do
			local item="j['items'][$i]" code origin
			[ "$(json "$item['message_id']")" = "$id" ] || continue # another document's: its own handler's
			cursors+=("$(json "$item['cursor']")")
			code=$(json "$item['code']") origin=$(json "$item['origin']")
			b64file "$(json "$item['edxml']")" "$work/status-$code.edxml"
			case "$origin" in
			sender) check_signed "$work/status-$code.edxml" "urn:lienthong:agency:$CLERK" ;;
			hub) check_signed "$work/status-$code.edxml" "urn:lienthong:receipts:$RECEIPT_NAME" ;;
			*) die "status of origin $origin" ;;
			esac
			local p=edXML/edXMLEnvelope/edXMLHeader/Status
			[ "$(xpath "$work/status-$code.edxml" $p/StatusCode)" = "$code" ] || die "the status packet's StatusCode is not $code"
			[ "$(xpath "$work/status-$code.edxml" $p/ResponseFor/DocumentId)" = "$docid" ] || die "status $code: ResponseFor is not $docid"
			[ "$(xpath "$work/status-$code.edxml" $p/From/OrganId)" = "$CLERK" ] || die "status $code: not from $CLERK"
			step "status $code from $CLERK (origin $origin): xmlsec1 verifies it, ResponseFor $docid"
			[ "$code" = 03 ] && [ "$origin" = sender ] && found=1
		done
		after=$(json 'j["next"]')
	done
	local list
	list=$(IFS=,; echo "${cursors[*]}")
	expect 204 POST /v1/statuses/ack -H 'Content-Type: application/json' --data-binary "{\"cursors\":[$list]}"
	expect 200 GET "/v1/edxml/statuses?after=0&wait=0"
	[ "$(json "[i for i in j['items'] if i['cursor'] in [$list]]")" = "[]" ] || die "acknowledged statuses still listed"
	step "the 03 arrived as an edXML status packet signed by $CLERK; statuses removed with POST /v1/statuses/ack"
	echo "registered $id"
}

cmd_receive() {
	local want=${1:-} deadline id="" origin
	deadline=$((SECONDS + WAIT))
	while [ -z "$id" ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "no document from $CLERK within $WAIT s"
		expect 200 GET "/v1/edxml/inbox?after=0&wait=10"
		id=$(json "next((i['message_id'] for i in j['items'] if i['sender'] == '$CLERK' and '$want' in ('', i['message_id'])), '')")
	done
	origin=$(json "[i for i in j['items'] if i['message_id'] == '$id'][0]['origin']")
	if [ "$origin" = hub ]; then
		# The clerk's own signed packet comes with the hub's edXML: verify
		# the sender itself, not only the hub's conversion.
		check_packet "$(json "[i for i in j['items'] if i['message_id'] == '$id'][0]['packet']")" "urn:lienthong:agency:$CLERK"
		[ "$(json 'j["message_id"]' "$work/payload.json")" = "$id" ] || die "the sender's packet names another message"
		local subject
		subject=$(json 'j["metadata"]["subject"]' "$work/payload.json")
	fi
	expect 200 GET "/v1/edxml/messages/$id"
	cp "$work/body" "$work/in.edxml"
	grep -qi "^lienthong-origin: $origin" "$work/headers" || die "Lienthong-Origin is not $origin"
	case "$origin" in
	hub) check_signed "$work/in.edxml" "urn:lienthong:receipts:$RECEIPT_NAME" ;; # the clerk spoke Lienthong's packets
	sender) check_signed "$work/in.edxml" "urn:lienthong:agency:$CLERK" ;;
	*) die "document of origin $origin" ;;
	esac
	local h=edXML/edXMLEnvelope/edXMLHeader/MessageHeader
	[ "$(xpath "$work/in.edxml" $h/From/OrganId)" = "$CLERK" ] || die "the document is not from $CLERK"
	[ "$(xpath "$work/in.edxml" $h/To/OrganId)" = "$VENDOR" ] || die "the document is not to $VENDOR"
	[ "$origin" != hub ] || [ "$(xpath "$work/in.edxml" $h/Subject)" = "$subject" ] || die "the hub's edXML says another Subject than the sender's packet"
	xmllint --xpath "string((//*[local-name()='ContentTransferEncoded'])[1])" "$work/in.edxml" | tr -d ' \n\r\t' |
		openssl base64 -d -A >"$work/in.pdf"
	[ "$(head -c 5 "$work/in.pdf")" = "%PDF-" ] || die "the first attachment is not a PDF"
	step "document $id ($(xpath "$work/in.edxml" $h/DocumentId)) from $CLERK, origin $origin: xmlsec1 verifies it (and openssl the sender's own packet), its PDF of $(wc -c <"$work/in.pdf" | tr -d ' ') bytes"
	expect 200 POST "/v1/messages/$id/ack"
	[ "$(json 'j["existed"]')" = false ] || die "ack: existed"
	check_receipt "$(json 'j["receipt"]')" delivered "$id"
	expect 200 GET "/v1/edxml/inbox?after=0&wait=0"
	[ "$(json "[i for i in j['items'] if i['message_id'] == '$id']")" = "[]" ] || die "the acknowledged document is still in the inbox"
	step "acknowledged: the delivered receipt signed by the hub's receipt identity; the inbox is empty of it"
	echo "received $id"
}

case "${1:-}" in
send) shift; cmd_send "$@" ;;
status) cmd_status ;;
receive) shift; cmd_receive "$@" ;;
*) echo "usage: edxml-client.sh send FILE.pdf | status | receive [MESSAGE_ID]" >&2; exit 2 ;;
esac
