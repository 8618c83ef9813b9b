package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
	"lienthong/shared/xmlsig/xmlsigtest"
)

// storeEdXMLDoc stores a document as POST /v1/edxml does: the packet, with
// a detached signature, as a blob of the message, and the message's
// envelope a reference to it. It returns the message id and the packet.
func storeEdXMLDoc(t *testing.T, h *hubtest.Hub, from, to string, signature []byte) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	pdf := readPDF(t, "cong-van.pdf")
	sum := sha256.Sum256(pdf)
	meta := document.Metadata{
		Version:    document.SchemaVersion,
		From:       document.Organ{Code: certs.AgencyCode(from), Name: h.Agencies[from].Name},
		To:         []document.Recipient{{Code: certs.AgencyCode(to), Name: h.Agencies[to].Name}},
		CodeNumber: "77", CodeNotation: "UBND-VP", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
		Subject:      "Về việc gửi văn bản bằng edXML",
		Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
	}
	var buf bytes.Buffer
	err := edxml.WriteDocument(&buf, &edxml.Document{Metadata: meta, Attachments: []edxml.Attachment{{ContentID: "1", Name: "cong-van.pdf",
		ContentType: "application/pdf", Included: true, Size: int64(len(pdf)), SHA256: sum}}},
		func(int) (io.Reader, error) { return bytes.NewReader(pdf), nil })
	if err != nil {
		t.Fatal(err)
	}
	packet := buf.Bytes()
	psum := sha256.Sum256(packet)
	digest := hex.EncodeToString(psum[:])
	if _, err := h.Store.PutBlob(ctx, certs.AgencyCode(from), digest, bytes.NewReader(packet), time.Now()); err != nil {
		t.Fatal(err)
	}
	ref, _ := json.Marshal(struct {
		EdXML wire.EdXMLRef `json:"edxml"`
	}{wire.EdXMLRef{SHA256: digest, Size: int64(len(packet)), Signature: signature}})
	esum := sha256.Sum256(ref)
	id := digest[:32]
	if _, _, err := h.Store.Accept(ctx, &store.Submission{MessageID: id, Sender: certs.AgencyCode(from), Recipients: []certs.AgencyCode{certs.AgencyCode(to)},
		EnvelopeSHA256: hex.EncodeToString(esum[:]), Envelope: ref, BlobDigests: []string{digest},
		DocumentID: meta.ID().String(), Kind: document.BusinessNew, Received: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	h.Server.Relay().Wake(certs.AgencyCode(to))
	return id, packet
}

// getJSON GETs path as the client and decodes a JSON answer into v.
func getJSON(t *testing.T, ctx context.Context, c *http.Client, h *hubtest.Hub, path string, v any) {
	t.Helper()
	if err := fetchJSON(ctx, c, h, path, v); err != nil {
		t.Fatal(err)
	}
}

func fetchJSON(ctx context.Context, c *http.Client, h *hubtest.Hub, path string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+path, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != wire.ContentJSON {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// getPacket GETs a document as edXML and returns the answer with its body.
func getPacket(t *testing.T, ctx context.Context, c *http.Client, h *hubtest.Hub, id string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+strings.Replace(wire.PathEdXMLMessage, "{id}", id, 1), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestEdXMLView: an agency's system reads its inbox, its documents and
// their statuses as edXML over plain HTTP, and acknowledges through the
// ordinary calls.
func TestEdXMLView(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	qn, vp := h.Client(t, quangNinh, false), h.Client(t, vpcp, false)
	raw := rawClient(t, h, vpcp, true)

	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "101", vpcp)
	doc.send(t, ctx, qn)
	edID, edPacket := storeEdXMLDoc(t, h, quangNinh, vpcp, []byte("a detached CMS signature"))

	var in wire.EdXMLInbox
	getJSON(t, ctx, raw, h, wire.PathEdXMLInbox, &in)
	psum := sha256.Sum256(edPacket)
	if len(in.Items) != 2 || in.Next != in.Items[1].Cursor ||
		in.Items[0].MessageID != doc.id || in.Items[0].Origin != wire.OriginHub || !bytes.Equal(in.Items[0].Packet, doc.packet) ||
		in.Items[1].MessageID != edID || in.Items[1].Origin != wire.OriginSender || in.Items[1].SHA256 != hex.EncodeToString(psum[:]) ||
		in.Items[1].Size != int64(len(edPacket)) || string(in.Items[1].Signature) != "a detached CMS signature" || in.Items[1].Packet != nil {
		t.Fatalf("edXML inbox: %+v", in)
	}

	// The sender's own packet, byte for byte, with its signature.
	resp, body := getPacket(t, ctx, raw, h, edID)
	sig, _ := base64.StdEncoding.DecodeString(resp.Header.Get(wire.HeaderSignature))
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, edPacket) || resp.Header.Get("Content-Type") != wire.ContentEdXML ||
		resp.Header.Get(wire.HeaderOrigin) != wire.OriginSender || string(sig) != "a detached CMS signature" ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(edPacket)) ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="`+edID+`.edxml"` {
		t.Fatalf("the sender's packet: %d %v", resp.StatusCode, resp.Header)
	}

	// The hub's rendition of a Lienthong document, signed by its receipt
	// identity: our verifier and xmlsec1 accept it.
	resp, body = getPacket(t, ctx, raw, h, doc.id)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(wire.HeaderOrigin) != wire.OriginHub || resp.Header.Get(wire.HeaderSignature) != "" ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("the hub's packet: %d %v", resp.StatusCode, resp.Header)
	}
	res, err := xmlsig.Verify(body, xmlsig.Options{Verifier: h.Verifier()})
	if err != nil || !res.Signer.Equal(h.Receipts.Leaf) || res.Packet.Document == nil ||
		len(res.Packet.Document.Attachments) != 1 || hex.EncodeToString(res.Packet.Document.Attachments[0].SHA256[:]) != doc.digest {
		t.Fatalf("the hub's packet: %v %+v", err, res)
	}
	xmlsec1Check(t, h, body)

	// Not a party: no such message.
	other := rawClient(t, h, ngheAn, true)
	for _, id := range []string{doc.id, edID} {
		if resp, body := getPacket(t, ctx, other, h, id); resp.StatusCode != wire.CodeNotFound.HTTPStatus() || !bytes.Contains(body, []byte(`"not_found"`)) {
			t.Fatalf("a non-party reads %s: %d %s", id, resp.StatusCode, body)
		}
	}

	// Acknowledged through the ordinary call, it leaves both inboxes; the
	// sender's edXML statuses hold the hub's 01, then the recipient's 03.
	if _, err := vp.Ack(ctx, doc.id); err != nil {
		t.Fatal(err)
	}
	if _, err := vp.PostStatus(ctx, statusPacket(t, h, vpcp, doc, document.StatusReceived, "")); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ctx, raw, h, wire.PathEdXMLInbox, &in)
	plain, err := vp.Inbox(ctx, 0, 0)
	if err != nil || len(in.Items) != 1 || in.Items[0].MessageID != edID || len(plain.Items) != 1 || plain.Items[0].MessageID != edID {
		t.Fatalf("after the ack: edXML inbox %+v, inbox %+v, %v", in.Items, plain, err)
	}
	var sts wire.EdXMLStatuses
	getJSON(t, ctx, rawClient(t, h, quangNinh, false), h, wire.PathEdXMLStatuses+"?wait=5", &sts)
	if len(sts.Items) != 2 {
		t.Fatalf("edXML statuses: %+v", sts)
	}
	for i, code := range []document.Status{document.StatusArrived, document.StatusReceived} {
		it := sts.Items[i]
		pkt, err := edxml.Read(bytes.NewReader(it.EdXML), edxml.Options{})
		if err != nil || pkt.Status == nil {
			t.Fatalf("status %d: %v", i, err)
		}
		u := pkt.Status.Update
		if it.Code != string(code) || it.Origin != wire.OriginHub || it.MessageID != doc.id || it.From != vpcp || len(it.Packet) == 0 ||
			u.Code != code || u.From != vpcp || u.Document.Number != "101" {
			t.Fatalf("status %d: %+v read as %+v", i, it, u)
		}
	}
	if err := qn.AckStatuses(ctx, []uint64{sts.Items[0].Cursor, sts.Items[1].Cursor}); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ctx, rawClient(t, h, quangNinh, true), h, wire.PathEdXMLStatuses, &sts)
	if len(sts.Items) != 0 || sts.Next != 0 {
		t.Fatalf("after the ordinary ack: %+v", sts)
	}

	// A status posted as edXML (stored as POST /v1/edxml stores one, with
	// a detached signature) is the recipient's own packet.
	var stBuf bytes.Buffer
	edDoc, err := edxml.Read(bytes.NewReader(edPacket), edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := edxml.WriteStatus(&stBuf, &edxml.Status{Update: document.StatusUpdate{Document: edDoc.Document.Metadata.ID(), From: vpcp,
		Code: document.StatusArrived, Time: time.Now().Truncate(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(map[string]any{"edxml_status": map[string][]byte{"packet": stBuf.Bytes(), "signature": []byte("cms")}})
	if _, _, err := h.Store.AppendStatus(ctx, &store.StatusUpdate{MessageID: edID, From: vpcp, Code: document.StatusArrived,
		Document: edDoc.Document.Metadata.ID().String(), At: time.Now(), Signed: stored}); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ctx, rawClient(t, h, quangNinh, true), h, wire.PathEdXMLStatuses, &sts)
	if len(sts.Items) != 1 || sts.Items[0].Origin != wire.OriginSender || !bytes.Equal(sts.Items[0].EdXML, stBuf.Bytes()) ||
		string(sts.Items[0].Signature) != "cms" || sts.Items[0].Packet != nil {
		t.Fatalf("an edXML status in the edXML view: %+v", sts.Items)
	}

	// A waiting edXML inbox is answered when a document arrives.
	type answer struct {
		in  wire.EdXMLInbox
		err error
	}
	got := make(chan answer, 1)
	start := time.Now()
	go func() {
		var a answer
		a.err = fetchJSON(ctx, raw, h, wire.PathEdXMLInbox+"?wait=25&after="+strconv.FormatUint(in.Next, 10), &a.in)
		got <- a
	}()
	time.Sleep(300 * time.Millisecond) // let the poll start waiting
	next := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "102", vpcp)
	next.send(t, ctx, qn)
	a := <-got
	if a.err != nil || len(a.in.Items) != 1 || a.in.Items[0].MessageID != next.id {
		t.Fatalf("the long poll: %+v, %v", a.in, a.err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("the long poll returned after %v, not when the document arrived", d)
	}
}

// xmlsec1Check runs `xmlsec1 --verify` on packet with the hub's root as
// the one trusted certificate, as a vendor would.
func xmlsec1Check(t *testing.T, h *hubtest.Hub, packet []byte) {
	t.Helper()
	xmlsigtest.MustVerify(t, h.PKI.RootPEM(), packet)
}
