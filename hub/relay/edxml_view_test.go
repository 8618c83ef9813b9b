package relay_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
	"lienthong/shared/xmlsig/xmlsigtest"
)

// edxmlEnv is env with the relay's receipt identity at hand, and edXML
// options.
type edxmlEnv struct {
	*env
	identity *certs.KeyPair
}

func newEdXMLEnv(t *testing.T, opts relay.EdXMLOptions) *edxmlEnv {
	t.Helper()
	return newEdXMLEnvKey(t, opts, certs.ECDSAP256)
}

// newEdXMLEnvKey is newEdXMLEnv with a receipt identity of the key
// algorithm alg.
func newEdXMLEnvKey(t *testing.T, opts relay.EdXMLOptions, alg certs.KeyAlgorithm) *edxmlEnv {
	t.Helper()
	e := newEnv(t)
	id, err := e.pki.Issuing.IssueReceipt(certs.ReceiptRequest{Name: certs.DefaultReceiptSigner}, alg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: id, CheckAttachment: notPDF, EdXML: opts})
	if err != nil {
		t.Fatal(err)
	}
	e.relay = r
	return &edxmlEnv{env: e, identity: id}
}

// edxmlDoc is a document sent as an edXML packet, stored as SubmitEdXML
// stores one: the packet a blob of the message, the envelope a reference.
type edxmlDoc struct {
	id        string
	meta      document.Metadata
	packet    []byte
	signature []byte
}

// storeEdXML stores a document packet from from to the recipients, signed
// with XML-DSig by from's key, or unsigned with a detached signature when
// detached is set (the hub hands it on as given).
func (e *edxmlEnv) storeEdXML(from certs.AgencyCode, number string, detached []byte, to ...certs.AgencyCode) *edxmlDoc {
	e.t.Helper()
	d := e.compose(from, number, pdf, nil, to...)
	sum := sha256.Sum256(pdf)
	ed := &edxml.Document{Metadata: *d.meta, Attachments: []edxml.Attachment{{ContentID: "1", Name: "cong-van.pdf",
		ContentType: "application/pdf", Included: true, Size: int64(len(pdf)), SHA256: sum}}}
	var buf bytes.Buffer
	if err := edxml.WriteDocument(&buf, ed, func(int) (io.Reader, error) { return bytes.NewReader(pdf), nil }); err != nil {
		e.t.Fatal(err)
	}
	packet := buf.Bytes()
	if detached == nil {
		var err error
		if packet, err = xmlsig.Sign(packet, e.keys[from]); err != nil {
			e.t.Fatal(err)
		}
	}
	psum := sha256.Sum256(packet)
	digest := hex.EncodeToString(psum[:])
	if _, err := e.st.PutBlob(ctx, from, digest, bytes.NewReader(packet), time.Now()); err != nil {
		e.t.Fatal(err)
	}
	ref, err := json.Marshal(struct {
		EdXML wire.EdXMLRef `json:"edxml"`
	}{wire.EdXMLRef{SHA256: digest, Size: int64(len(packet)), Signature: detached}})
	if err != nil {
		e.t.Fatal(err)
	}
	esum := sha256.Sum256(ref)
	id := digest[:32]
	if _, _, err := e.st.Accept(ctx, &store.Submission{MessageID: id, Sender: from, Recipients: to,
		EnvelopeSHA256: hex.EncodeToString(esum[:]), Envelope: ref, BlobDigests: []string{digest},
		DocumentID: d.meta.ID().String(), Kind: document.BusinessNew, Received: time.Now()}, nil); err != nil {
		e.t.Fatal(err)
	}
	e.relay.Wake(to...)
	return &edxmlDoc{id: id, meta: *d.meta, packet: packet, signature: detached}
}

func readAll(t *testing.T, p *relay.EdXMLPacket) []byte {
	t.Helper()
	defer p.Body.Close()
	b, err := io.ReadAll(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != p.Size {
		t.Fatalf("read %d bytes, the packet says %d", len(b), p.Size)
	}
	return b
}

// TestEdXMLSenderPacket: a document sent as edXML is handed out as the
// sender's own bytes with its detached signature, to its parties only.
func TestEdXMLSenderPacket(t *testing.T) {
	e := newEdXMLEnv(t, relay.EdXMLOptions{})
	signed := e.storeEdXML(quangNinh, "11", nil, vpcp, ngheAn)
	detached := e.storeEdXML(quangNinh, "12", []byte("a detached CMS signature"), vpcp)
	for _, d := range []*edxmlDoc{signed, detached} {
		for _, who := range []certs.AgencyCode{vpcp, quangNinh} {
			p, err := e.relay.EdXMLMessage(ctx, who, d.id)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(d.packet)
			if got := readAll(t, p); !bytes.Equal(got, d.packet) || p.Origin != wire.OriginSender ||
				!bytes.Equal(p.Signature, d.signature) || p.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s reads %s: origin %s, signature %q, sha256 %s; bytes equal %v", who, d.id, p.Origin, p.Signature, p.SHA256, bytes.Equal(got, d.packet))
			}
		}
	}
	if _, err := e.relay.EdXMLMessage(ctx, outsider, signed.id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an outsider: %v", err)
	}
	if _, err := e.relay.EdXMLMessage(ctx, ngheAn, detached.id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an agency the document is not addressed to: %v", err)
	}
	items, next, err := e.relay.EdXMLInbox(ctx, vpcp, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || next != items[1].Cursor {
		t.Fatalf("inbox: %+v, next %d", items, next)
	}
	for i, d := range []*edxmlDoc{signed, detached} {
		it := items[i]
		sum := sha256.Sum256(d.packet)
		if it.MessageID != d.id || it.Origin != wire.OriginSender || it.Sender != quangNinh || it.Packet != nil ||
			it.Ref.SHA256 != hex.EncodeToString(sum[:]) || it.Ref.Size != int64(len(d.packet)) || !bytes.Equal(it.Ref.Signature, d.signature) {
			t.Fatalf("item %d: %+v", i, it)
		}
	}
}

// TestEdXMLRendition: a Lienthong document comes out as an edXML packet
// that reads back with its metadata and attachments, signed by the hub's
// receipt identity (RSA or ECDSA) so that our verifier and xmlsec1 both
// accept it.
func TestEdXMLRendition(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.ECDSAP256, certs.RSA2048} {
		t.Run(string(alg), func(t *testing.T) { testEdXMLRendition(t, alg) })
	}
}

func testEdXMLRendition(t *testing.T, alg certs.KeyAlgorithm) {
	e := newEdXMLEnvKey(t, relay.EdXMLOptions{}, alg)
	d := e.send(quangNinh, "21", vpcp, ngheAn)
	p, err := e.relay.EdXMLMessage(ctx, vpcp, d.id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Origin != wire.OriginHub || p.Signature != nil {
		t.Fatalf("origin %s, signature %q", p.Origin, p.Signature)
	}
	packet := readAll(t, p)
	var got bytes.Buffer
	pkt, err := edxml.Read(bytes.NewReader(packet), edxml.Options{Attachment: func(int) (io.Writer, error) { return &got, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if pkt.Document == nil || len(pkt.Warnings) != 0 {
		t.Fatalf("read back: %+v", pkt)
	}
	want := *d.meta
	want.Normalize()
	if !reflect.DeepEqual(pkt.Document.Metadata, want) {
		t.Fatalf("metadata read back:\n%+v\nwant\n%+v", pkt.Document.Metadata, want)
	}
	a := pkt.Document.Attachments
	if len(a) != 1 || a[0].SHA256 != sha256.Sum256(pdf) || a[0].Name != "cong-van.pdf" || a[0].ContentType != "application/pdf" || !bytes.Equal(got.Bytes(), pdf) {
		t.Fatalf("attachments: %+v", a)
	}
	res, err := xmlsig.Verify(packet, xmlsig.Options{Verifier: e.pki.Verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Signer.Equal(e.identity.Leaf) || res.Trust == xmlsig.TrustNotUnderRoots {
		t.Fatalf("signed by %s, trust %s (%s)", res.Signer.Subject, res.Trust, res.TrustDetail)
	}
	xmlsec1Verify(t, e.pki.RootPEM(), packet)
	// Not cached, and built the same each time: the same bytes again but
	// for an ECDSA SignatureValue.
	again, err := e.relay.EdXMLMessage(ctx, vpcp, d.id)
	if err != nil {
		t.Fatal(err)
	}
	second := readAll(t, again)
	if !bytes.Equal(withoutSignatureValue(t, packet), withoutSignatureValue(t, second)) || (alg == certs.RSA2048) != bytes.Equal(packet, second) {
		t.Fatal("a second rendition differs beyond an ECDSA SignatureValue")
	}
	tampered := bytes.Replace(packet, []byte("Về việc thử nghiệm"), []byte("Về việc thử nghiệm khác"), 1)
	if _, err := xmlsig.Verify(tampered, xmlsig.Options{}); !errors.Is(err, xmlsig.ErrBadSignature) {
		t.Fatalf("a changed rendition: %v", err)
	}
	if _, err := e.relay.EdXMLMessage(ctx, outsider, d.id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an outsider: %v", err)
	}
	items, _, err := e.relay.EdXMLInbox(ctx, vpcp, 0, 10, 0)
	if err != nil || len(items) != 1 || items[0].Origin != wire.OriginHub || !bytes.Equal(items[0].Packet, d.packet) || items[0].Ref.SHA256 != "" {
		t.Fatalf("inbox: %+v, %v", items, err)
	}
}

// withoutSignatureValue blanks a packet's ds:SignatureValue.
func withoutSignatureValue(t *testing.T, packet []byte) []byte {
	t.Helper()
	start := bytes.Index(packet, []byte("<ds:SignatureValue>"))
	end := bytes.Index(packet, []byte("</ds:SignatureValue>"))
	if start < 0 || end < start {
		t.Fatal("no ds:SignatureValue")
	}
	return append(bytes.Clone(packet[:start]), packet[end:]...)
}

// xmlsec1Verify runs `xmlsec1 --verify` on packet with root as the one
// trusted certificate, and fails the test when it refuses.
func xmlsec1Verify(t *testing.T, root, packet []byte) {
	t.Helper()
	xmlsigtest.MustVerify(t, root, packet)
}

// TestEdXMLRenditionRefusals: a withdrawn recipient reads nothing, a
// rendition over the size limit is refused before it is built, and a
// secret document has no edXML form.
func TestEdXMLRenditionRefusals(t *testing.T) {
	e := newEdXMLEnv(t, relay.EdXMLOptions{MaxPacket: 256 << 10, Memory: 8 * 256 << 10})
	d := e.send(quangNinh, "31", vpcp)
	recall := e.compose(quangNinh, "32", pdf, func(x *envelope.Document) {
		x.Metadata.Business = document.Business{Type: document.BusinessRecall, Reason: "Ban hành nhầm", Documents: []document.DocumentRef{d.meta.ID()}}
		x.Attachments, x.Targets = nil, []string{d.id}
	}, vpcp)
	if _, err := e.relay.Submit(ctx, quangNinh, recall.packet, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.EdXMLMessage(ctx, vpcp, d.id); !errors.Is(err, store.ErrWithdrawn) {
		t.Fatalf("a withdrawn recipient: %v", err)
	}
	if p, err := e.relay.EdXMLMessage(ctx, quangNinh, d.id); err != nil {
		t.Fatalf("its sender: %v", err)
	} else {
		p.Body.Close()
	}

	big := append(bytes.Clone(pdf), bytes.Repeat([]byte("% padding\n"), 20<<10)...) // 200 KiB: over 256 KiB as base64
	large := e.compose(quangNinh, "33", big, nil, vpcp)
	e.upload(quangNinh, large)
	_, err := e.relay.Submit(ctx, quangNinh, large.packet, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.relay.EdXMLMessage(ctx, vpcp, large.id)
	if !errors.Is(err, relay.ErrRenditionTooLarge) || !strings.Contains(err.Error(), "GET /v1/messages/{id}") {
		t.Fatalf("an over-size rendition: %v", err)
	}

	// edXML has no element for độ mật: a secret document (on a hub that
	// carries them) is fetched with the Lienthong calls.
	secretHub, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.identity, AllowSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	secret := e.compose(quangNinh, "35", pdf, func(x *envelope.Document) { x.Metadata.Secrecy = document.SecrecyConfidential }, vpcp)
	e.upload(quangNinh, secret)
	if _, err := secretHub.Submit(ctx, quangNinh, secret.packet, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.EdXMLMessage(ctx, vpcp, secret.id); !errors.Is(err, relay.ErrSecretNotAllowed) {
		t.Fatalf("a secret document: %v", err)
	}

	// The budget is held while a rendition is read, and given back when
	// it is closed.
	small := e.send(quangNinh, "34", vpcp)
	var held []*relay.EdXMLPacket
	for {
		p, err := e.relay.EdXMLMessage(ctx, vpcp, small.id)
		if errors.Is(err, relay.ErrEdXMLBusy) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if held = append(held, p); len(held) > 100 {
			t.Fatal("renditions held without limit")
		}
	}
	for _, p := range held {
		p.Body.Close()
	}
	if p, err := e.relay.EdXMLMessage(ctx, vpcp, small.id); err != nil {
		t.Fatalf("after the renditions were closed: %v", err)
	} else {
		p.Body.Close()
	}
}

// TestEdXMLSharedQueues: the edXML inbox and statuses are the ordinary
// queues: the same cursors, and what is acknowledged through the ordinary
// calls leaves both views.
func TestEdXMLSharedQueues(t *testing.T) {
	e := newEdXMLEnv(t, relay.EdXMLOptions{})
	a := e.send(quangNinh, "41", vpcp)
	b := e.storeEdXML(quangNinh, "42", nil, vpcp)
	c := e.send(quangNinh, "43", vpcp)
	plain, next, err := e.relay.Inbox(ctx, vpcp, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	items, enext, err := e.relay.EdXMLInbox(ctx, vpcp, 0, 10, 0)
	if err != nil || len(items) != 3 || len(plain) != 3 || next != enext {
		t.Fatalf("inbox %d items (next %d), edXML inbox %d (next %d), %v", len(plain), next, len(items), enext, err)
	}
	for i, id := range []string{a.id, b.id, c.id} {
		if items[i].MessageID != id || plain[i].MessageID != id || items[i].Cursor != plain[i].Cursor {
			t.Fatalf("item %d: %+v / %+v", i, items[i], plain[i])
		}
	}
	if later, _, _ := e.relay.EdXMLInbox(ctx, vpcp, items[0].Cursor, 10, 0); len(later) != 2 || later[0].MessageID != b.id {
		t.Fatalf("after the first cursor: %+v", later)
	}
	if _, err := e.relay.Ack(ctx, vpcp, a.id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.Refuse(ctx, vpcp, b.id, "Không thuộc thẩm quyền"); err != nil {
		t.Fatal(err)
	}
	items, _, _ = e.relay.EdXMLInbox(ctx, vpcp, 0, 10, 0)
	plain, _, _ = e.relay.Inbox(ctx, vpcp, 0, 10, 0)
	if len(items) != 1 || len(plain) != 1 || items[0].MessageID != c.id || plain[0].MessageID != c.id {
		t.Fatalf("after ack and refusal: %+v / %+v", items, plain)
	}

	// The byte bound: each answer holds at most MaxInboxBytes of packets.
	small, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.identity, MaxInboxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.send(quangNinh, "44", vpcp)
	if one, next, err := small.EdXMLInbox(ctx, vpcp, 0, 10, 0); err != nil || len(one) != 1 || next != one[0].Cursor {
		t.Fatalf("a bounded inbox: %d items, %v", len(one), err)
	}

	sts, snext, err := e.relay.Statuses(ctx, quangNinh, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	ests, enext, err := e.relay.EdXMLStatuses(ctx, quangNinh, 0, 10, 0)
	if err != nil || len(sts) != 2 || len(ests) != 2 || snext != enext || ests[0].Cursor != sts[0].Cursor || ests[1].Cursor != sts[1].Cursor {
		t.Fatalf("statuses %d (next %d), edXML statuses %d (next %d), %v", len(sts), snext, len(ests), enext, err)
	}
	if one, _, err := small.EdXMLStatuses(ctx, quangNinh, 0, 10, 0); err != nil || len(one) != 1 {
		t.Fatalf("bounded statuses: %d, %v", len(one), err)
	}
	if err := e.relay.AckStatuses(ctx, quangNinh, []uint64{sts[0].Cursor}); err != nil {
		t.Fatal(err)
	}
	ests, _, _ = e.relay.EdXMLStatuses(ctx, quangNinh, 0, 10, 0)
	if len(ests) != 1 || ests[0].Cursor != sts[1].Cursor {
		t.Fatalf("after the ordinary ack: %+v", ests)
	}
}

// TestEdXMLStatuses: 01 (the hub's delivered receipt), a refusal's 02
// and a 03 sent as a Lienthong packet come out as status packets the hub
// built and signed; a status posted as edXML comes out as it was posted.
func TestEdXMLStatuses(t *testing.T) {
	e := newEdXMLEnv(t, relay.EdXMLOptions{})
	d := e.send(quangNinh, "51", vpcp, ngheAn)
	if _, err := e.relay.Ack(ctx, vpcp, d.id); err != nil {
		t.Fatal(err)
	}
	received := e.status(vpcp, d, document.StatusReceived, func(s *envelope.Status) { s.Update.Description = "Đã vào sổ" })
	if _, err := e.relay.PostStatus(ctx, vpcp, received); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.Refuse(ctx, ngheAn, d.id, "Gửi nhầm cơ quan"); err != nil {
		t.Fatal(err)
	}
	// A status posted as edXML (as POST /v1/edxml stores one), signed
	// with XML-DSig, and another with a detached signature.
	e2 := e.storeEdXML(quangNinh, "52", nil, vpcp, ngheAn)
	native := func(from certs.AgencyCode, code document.Status) []byte {
		var buf bytes.Buffer
		u := document.StatusUpdate{Document: e2.meta.ID(), From: from, Code: code, Staff: "Văn thư", Time: time.Now().Truncate(time.Second)}
		if err := edxml.WriteStatus(&buf, &edxml.Status{Update: u}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	signedNative, err := xmlsig.Sign(native(vpcp, document.StatusArrived), e.keys[vpcp])
	if err != nil {
		t.Fatal(err)
	}
	detachedNative := native(ngheAn, document.StatusArrived)
	signedStored, err := json.Marshal(map[string]any{"edxml_status": map[string][]byte{"packet": signedNative}})
	if err != nil {
		t.Fatal(err)
	}
	detachedStored, err := json.Marshal(map[string]any{"edxml_status": map[string][]byte{"packet": detachedNative, "signature": []byte("cms")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*store.StatusUpdate{
		{MessageID: e2.id, From: vpcp, Code: document.StatusArrived, Document: e2.meta.ID().String(), At: time.Now(), Signed: signedStored},
		{MessageID: e2.id, From: ngheAn, Code: document.StatusArrived, Document: e2.meta.ID().String(), At: time.Now(), Signed: detachedStored},
	} {
		if _, _, err := e.st.AppendStatus(ctx, st); err != nil {
			t.Fatal(err)
		}
	}

	items, _, err := e.relay.EdXMLStatuses(ctx, quangNinh, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		from   certs.AgencyCode
		code   document.Status
		about  document.DocumentRef
		origin string
	}
	wants := []want{
		{vpcp, document.StatusArrived, d.meta.ID(), wire.OriginHub},
		{vpcp, document.StatusReceived, d.meta.ID(), wire.OriginHub},
		{ngheAn, document.StatusRefused, d.meta.ID(), wire.OriginHub},
		{vpcp, document.StatusArrived, e2.meta.ID(), wire.OriginSender},
		{ngheAn, document.StatusArrived, e2.meta.ID(), wire.OriginSender},
	}
	if len(items) != len(wants) {
		t.Fatalf("%d statuses, want %d", len(items), len(wants))
	}
	for i, w := range wants {
		it := items[i]
		pkt, err := edxml.Read(bytes.NewReader(it.EdXML), edxml.Options{})
		if err != nil {
			t.Fatalf("status %d: %v", i, err)
		}
		u := pkt.Status.Update
		if it.Origin != w.origin || it.From != w.from || it.Code != w.code || u.From != w.from || u.Code != w.code || u.Document != w.about {
			t.Fatalf("status %d: %+v read as %+v, want %+v", i, it, u, w)
		}
		if w.origin == wire.OriginSender {
			continue
		}
		res, err := xmlsig.Verify(it.EdXML, xmlsig.Options{})
		if err != nil || !res.Signer.Equal(e.identity.Leaf) {
			t.Fatalf("status %d: signature %v", i, err)
		}
		if len(it.Packet) == 0 || it.Signature != nil {
			t.Fatalf("status %d: packet %d bytes, signature %q", i, len(it.Packet), it.Signature)
		}
	}
	if items[1].EdXML == nil || !strings.Contains(string(items[1].EdXML), "Đã vào sổ") {
		t.Fatal("the 03's description is not in its edXML packet")
	}
	if u := mustStatus(t, items[2].EdXML); u.Reason != "Gửi nhầm cơ quan" {
		t.Fatalf("the refusal's reason: %+v", u)
	}
	if !bytes.Equal(items[1].Packet, received) {
		t.Fatal("the 03 does not come with the recipient's signed packet")
	}
	if !bytes.Equal(items[3].EdXML, signedNative) || items[3].Signature != nil || items[3].Packet != nil {
		t.Fatalf("the XML-signed status is not handed out as posted: %+v", items[3])
	}
	if !bytes.Equal(items[4].EdXML, detachedNative) || string(items[4].Signature) != "cms" {
		t.Fatalf("the detached-signed status is not handed out as posted: %+v", items[4])
	}
	xmlsec1Verify(t, e.pki.RootPEM(), items[0].EdXML)
}

func mustStatus(t *testing.T, packet []byte) document.StatusUpdate {
	t.Helper()
	pkt, err := edxml.Read(bytes.NewReader(packet), edxml.Options{})
	if err != nil || pkt.Status == nil {
		t.Fatalf("status packet: %v", err)
	}
	return pkt.Status.Update
}

// TestEdXMLLongPoll: a waiting edXML inbox is woken by a new document,
// long before its wait ends.
func TestEdXMLLongPoll(t *testing.T) {
	e := newEdXMLEnv(t, relay.EdXMLOptions{})
	st := lookedStore{Store: e.st, empty: make(chan struct{}, 1)}
	r, err := relay.New(relay.Options{Store: st, Verifier: e.pki.Verifier(t), Identity: e.identity, CheckAttachment: notPDF})
	if err != nil {
		t.Fatal(err)
	}
	e.relay = r
	type answer struct {
		items []relay.EdXMLInboxItem
		err   error
		d     time.Duration
	}
	got := make(chan answer, 1)
	go func() {
		start := time.Now()
		items, _, err := r.EdXMLInbox(ctx, vpcp, 0, 10, 20*time.Second)
		got <- answer{items, err, time.Since(start)}
	}()
	<-st.empty // the poll found nothing and waits
	d := e.send(quangNinh, "61", vpcp)
	a := <-got
	if a.err != nil || len(a.items) != 1 || a.items[0].MessageID != d.id {
		t.Fatalf("edXML inbox: %+v, %v", a.items, a.err)
	}
	if a.d > 10*time.Second {
		t.Fatalf("the poll returned after %v, at the end of its wait", a.d)
	}
}
