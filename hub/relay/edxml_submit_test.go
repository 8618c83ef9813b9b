package relay_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/cms"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// edxEnv is env with a relay that takes edXML into a temporary folder of
// its own, so that a test sees what it leaves there.
type edxEnv struct {
	*env
	r   *relay.Relay
	tmp string
}

const edxMaxPacket = 256 << 10

func newEdXEnv(t *testing.T, edit func(*relay.EdXMLOptions)) *edxEnv {
	t.Helper()
	e := &edxEnv{env: newEnv(t), tmp: t.TempDir()}
	o := relay.EdXMLOptions{MaxPacket: edxMaxPacket, Memory: 8 * 8 * edxMaxPacket, TempDir: e.tmp}
	if edit != nil {
		edit(&o)
	}
	var err error
	e.r, err = relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: notPDF, EdXML: o})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// edxDoc writes an unsigned edXML document packet from from to the
// recipients with the given attachments (PDF bytes); edit may change it.
func edxDoc(t *testing.T, from certs.AgencyCode, number string, files [][]byte, edit func(*edxml.Document), to ...certs.AgencyCode) []byte {
	t.Helper()
	d := &edxml.Document{Metadata: document.Metadata{
		Version:    document.SchemaVersion,
		From:       document.Organ{Code: from, Name: "Cơ quan " + string(from)},
		CodeNumber: number, CodeNotation: "UBND-VP", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
		Subject:      "Về việc thử nghiệm edXML",
		Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
	}}
	for _, code := range to {
		d.Metadata.To = append(d.Metadata.To, document.Recipient{Code: code, Name: "Cơ quan " + string(code)})
	}
	for i, f := range files {
		d.Attachments = append(d.Attachments, edxml.Attachment{ContentID: fmt.Sprint(i + 1), Name: fmt.Sprintf("van-ban-%d.pdf", i+1),
			ContentType: "application/pdf", Included: true, Index: i, Size: int64(len(f)), SHA256: sha256.Sum256(f)})
	}
	if edit != nil {
		edit(d)
	}
	var buf bytes.Buffer
	if err := edxml.WriteDocument(&buf, d, func(i int) (io.Reader, error) { return bytes.NewReader(files[i]), nil }); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edxStatus writes an unsigned edXML status packet.
func edxStatus(t *testing.T, from certs.AgencyCode, doc document.DocumentID, code document.Status) []byte {
	t.Helper()
	var buf bytes.Buffer
	u := document.StatusUpdate{Document: doc, From: from, Code: code, Staff: "Văn thư", Time: time.Now().Truncate(time.Second)}
	if err := edxml.WriteStatus(&buf, &edxml.Status{Update: u}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *edxEnv) xmlSign(by certs.AgencyCode, data []byte) []byte {
	e.t.Helper()
	signed, err := xmlsig.Sign(data, e.keys[by])
	if err != nil {
		e.t.Fatal(err)
	}
	return signed
}

func cmsSign(t *testing.T, kp certs.Signer, data []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(data)
	sig, err := cms.Sign(sum[:], crypto.SHA256, kp)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// sha1Sign signs as the national SDK does: RSA- or ECDSA-SHA1, SHA-1
// digest, inclusive C14N (goxmldsig directly: xmlsig.Sign makes SHA-256
// only).
func sha1Sign(t *testing.T, kp *certs.KeyPair, data []byte) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatal(err)
	}
	var der [][]byte
	for _, c := range kp.Certificates() {
		der = append(der, c.Raw)
	}
	ctx, err := dsig.NewSigningContext(kp, der)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Prefix, ctx.IdAttribute, ctx.Canonicalizer = "ds", "\x00", dsig.MakeC14N10RecCanonicalizer()
	method := dsig.ECDSASHA1SignatureMethod
	if _, ok := kp.Public().(*rsa.PublicKey); ok {
		method = dsig.RSASHA1SignatureMethod
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(doc.Root(), true)
	if err != nil {
		t.Fatal(err)
	}
	sd := etree.NewDocument()
	sd.SetRoot(sig)
	sb, err := sd.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte("</edXML:edXMLHeader>"))
	if at < 0 {
		t.Fatal("no edXMLHeader end")
	}
	return append(append(append([]byte{}, data[:at]...), sb...), data[at:]...)
}

func (e *edxEnv) submit(as certs.AgencyCode, packet, sig []byte) (*relay.EdXMLAccepted, error) {
	return e.r.SubmitEdXML(ctx, as, relay.EdXMLRequest{Packet: packet, Signature: sig})
}

// nothingLeft checks that a refused packet left no message, no packet
// blob and no temporary file.
func (e *edxEnv) nothingLeft(t *testing.T, packet []byte) {
	t.Helper()
	if _, err := e.st.Message(ctx, relay.EdXMLMessageID(packet)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused packet's message: %v, want not found", err)
	}
	sum := sha256.Sum256(packet)
	if info, err := e.st.StatBlob(ctx, hex.EncodeToString(sum[:])); err == nil && info.Present {
		t.Error("a refused packet was stored as a blob")
	}
	if left, _ := os.ReadDir(e.tmp); len(left) > 0 {
		t.Errorf("%d temporary files left", len(left))
	}
}

func TestSubmitEdXMLDocument(t *testing.T) {
	e := newEdXEnv(t, nil)
	second := []byte("%PDF-1.7\n% phụ lục\n%%EOF\n")
	packet := e.xmlSign(quangNinh, edxDoc(t, quangNinh, "101", [][]byte{pdf, second}, nil, vpcp, ngheAn))
	res, err := e.submit(quangNinh, packet, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := relay.EdXMLMessageID(packet)
	if res.Kind != "document" || res.MessageID != id || res.Existed || res.Submitted == nil || len(res.Submitted.Receipt) == 0 {
		t.Fatalf("answer %+v, want a new document %s with its receipt", res, id)
	}
	m, err := e.st.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(packet)
	digest := hex.EncodeToString(sum[:])
	ref, ok := relay.EdXMLRefOf(m.Envelope)
	if !ok || ref.SHA256 != digest || ref.Size != int64(len(packet)) || ref.Signature != nil {
		t.Fatalf("stored envelope %s, want a reference to the packet", m.Envelope)
	}
	if len(m.BlobDigests) != 1 || m.BlobDigests[0] != digest || m.Sender != quangNinh || len(m.Recipients) != 2 || m.LogIndex < 0 {
		t.Fatalf("stored message %+v", m.Submission)
	}
	var reports map[string]json.RawMessage
	if err := json.Unmarshal(m.Report, &reports); err != nil || len(reports) != 2 {
		t.Fatalf("report %s: want one per attachment (%v)", m.Report, err)
	}
	f, err := e.st.OpenBlob(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(kept, packet) {
		t.Fatal("the blob is not the packet's bytes")
	}
	// The receipt and the log name the stored reference, whose bytes any
	// party rebuilds from the packet.
	rec, _, err := receipt.Verify(res.Submitted.Receipt, e.pki.Verifier(t), certs.DefaultReceiptSigner)
	if err != nil {
		t.Fatal(err)
	}
	refSum := sha256.Sum256([]byte(fmt.Sprintf(`{"edxml":{"sha256":"%s","size":%d}}`, digest, len(packet))))
	if rec.Event != receipt.EventAccepted || rec.EnvelopeSHA256 != hex.EncodeToString(refSum[:]) || rec.LogIndex != m.LogIndex || rec.MessageID != id {
		t.Fatalf("receipt %+v, want acceptance of the reference to the packet at log index %d", rec, m.LogIndex)
	}
	recs, err := e.r.Receipts(ctx, vpcp, id)
	if err != nil || len(recs) != 1 || !bytes.Equal(recs[0], res.Submitted.Receipt) {
		t.Fatalf("receipts: %d, %v; want the accepted receipt", len(recs), err)
	}
	items, _, err := e.r.Inbox(ctx, vpcp, 0, 10, 0)
	if err != nil || len(items) != 1 || items[0].MessageID != id {
		t.Fatalf("recipient's inbox: %+v, %v", items, err)
	}
	if r, ok := relay.EdXMLRefOf(items[0].Packet); !ok || r.SHA256 != digest {
		t.Fatal("the inbox item does not name the packet")
	}
	if left, _ := os.ReadDir(e.tmp); len(left) > 0 {
		t.Errorf("%d temporary files left", len(left))
	}

	again, err := e.submit(quangNinh, packet, nil)
	if err != nil || !again.Existed || again.MessageID != id || !bytes.Equal(again.Submitted.Receipt, res.Submitted.Receipt) {
		t.Fatalf("resubmission: %+v, %v; want existed with the first receipt", again, err)
	}
	// Answered as the first even where the checks would refuse it now (the
	// agency's attachment limit lowered since), and to its sender only.
	again, err = e.r.SubmitEdXML(ctx, quangNinh, relay.EdXMLRequest{Packet: packet, MaxAttachment: 1})
	if err != nil || !again.Existed || !bytes.Equal(again.Submitted.Receipt, res.Submitted.Receipt) {
		t.Fatalf("resubmission under a lower limit: %+v, %v; want existed with the first receipt", again, err)
	}
	_, err = e.submit(vpcp, packet, nil)
	wantErr(t, err, relay.ErrSenderMismatch)
	// Different bytes are another message, even with the same fields.
	other := e.xmlSign(quangNinh, edxDoc(t, quangNinh, "102", [][]byte{pdf}, nil, vpcp))
	if res2, err := e.submit(quangNinh, other, nil); err != nil || res2.MessageID == id || res2.Existed {
		t.Fatalf("another packet: %+v, %v", res2, err)
	}
}

func TestSubmitEdXMLDetachedCMS(t *testing.T) {
	e := newEdXEnv(t, nil)
	packet := edxDoc(t, quangNinh, "201", [][]byte{pdf}, nil, vpcp)
	sig := cmsSign(t, e.keys[quangNinh], packet)
	res, err := e.submit(quangNinh, packet, sig)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.st.Message(ctx, res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if ref, ok := relay.EdXMLRefOf(m.Envelope); !ok || !bytes.Equal(ref.Signature, sig) {
		t.Fatal("the detached signature is not kept with the packet")
	}
	// A retry signed afresh (ECDSA differs each time) is the same document.
	again, err := e.submit(quangNinh, packet, cmsSign(t, e.keys[quangNinh], packet))
	if err != nil || !again.Existed || again.MessageID != res.MessageID {
		t.Fatalf("retry with a new signature: %+v, %v", again, err)
	}

	for _, tc := range []struct {
		name   string
		packet []byte
		sig    []byte
		want   error
	}{
		{"SignedByAnotherAgency", edxDoc(t, quangNinh, "202", [][]byte{pdf}, nil, vpcp), nil, relay.ErrSenderMismatch},
		{"Tampered", edxDoc(t, quangNinh, "203", [][]byte{pdf}, nil, vpcp), nil, envelope.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := cmsSign(t, e.keys[ngheAn], tc.packet)
			packet := tc.packet
			if tc.name == "Tampered" {
				sig = cmsSign(t, e.keys[quangNinh], packet)
				packet = bytes.Replace(bytes.Clone(packet), []byte("thử nghiệm"), []byte("thử nghiêm"), 1)
			}
			_, err := e.submit(quangNinh, packet, sig)
			wantErr(t, err, tc.want)
			e.nothingLeft(t, packet)
		})
	}
}

func TestSubmitEdXMLStatus(t *testing.T) {
	e := newEdXEnv(t, func(o *relay.EdXMLOptions) { o.MaxPacket, o.Memory = 4<<20, 8*4<<20 })
	doc := edxDoc(t, quangNinh, "301", [][]byte{pdf}, nil, vpcp)
	res, err := e.submit(quangNinh, e.xmlSign(quangNinh, doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	pkt, err := edxml.Read(bytes.NewReader(doc), edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docID := pkt.Document.Metadata.ID()
	if _, err := e.r.Ack(ctx, vpcp, res.MessageID); err != nil {
		t.Fatal(err)
	}
	// Another agency's status about it: it is not addressed to ngheAn.
	if _, err := e.submit(ngheAn, e.xmlSign(ngheAn, edxStatus(t, ngheAn, docID, document.StatusReceived)), nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a status from an agency the document was not sent to: %v, want not found", err)
	}
	status := e.xmlSign(vpcp, edxStatus(t, vpcp, docID, document.StatusReceived))
	got, err := e.submit(vpcp, status, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "status" || got.MessageID != res.MessageID || got.Existed {
		t.Fatalf("answer %+v", got)
	}
	list, _, err := e.r.Statuses(ctx, quangNinh, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := list[len(list)-1]
	packet, sig, ok := relay.EdXMLStatus(last.Signed)
	if last.Code != document.StatusReceived || !ok || !bytes.Equal(packet, status) || sig != nil {
		t.Fatalf("sender's last status %s: %q, want the edXML packet", last.Code, last.Signed)
	}
	again, err := e.submit(vpcp, status, nil)
	if err != nil || !again.Existed {
		t.Fatalf("the same status again: %+v, %v", again, err)
	}
	// A status packet is kept whole in the sender's queue: no larger than
	// a Lienthong status packet.
	padded := bytes.Replace(edxStatus(t, vpcp, docID, document.StatusAssigned), []byte("<edXML:edXMLHeader>"),
		[]byte("<edXML:edXMLHeader><!--"+strings.Repeat("x", envelope.MaxPacketSize)+"-->"), 1)
	if _, err := e.submit(vpcp, padded, cmsSign(t, e.keys[vpcp], padded)); !errors.Is(err, edxml.ErrTooLarge) || !strings.Contains(err.Error(), "a status packet") {
		t.Fatalf("a status packet over %d bytes: %v", envelope.MaxPacketSize, err)
	}

	// Two messages with the same DocumentId: ?regarding= says which.
	dup := edxDoc(t, quangNinh, "301", [][]byte{pdf}, func(d *edxml.Document) { d.Metadata.Subject = "Gửi lại" }, vpcp)
	res2, err := e.submit(quangNinh, e.xmlSign(quangNinh, dup), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.Ack(ctx, vpcp, res2.MessageID); err != nil {
		t.Fatal(err)
	}
	st2 := e.xmlSign(vpcp, edxStatus(t, vpcp, docID, document.StatusAssigned))
	if _, err := e.submit(vpcp, st2, nil); !errors.Is(err, relay.ErrEdXMLRegarding) {
		t.Fatalf("an ambiguous status: %v, want ErrEdXMLRegarding", err)
	}
	plain := edxStatus(t, vpcp, docID, document.StatusReceived)
	cmsSig := cmsSign(t, e.keys[vpcp], plain)
	got2, err := e.r.SubmitEdXML(ctx, vpcp, relay.EdXMLRequest{Packet: plain, Signature: cmsSig, Regarding: res2.MessageID})
	if err != nil || got2.MessageID != res2.MessageID {
		t.Fatalf("a status with ?regarding=: %+v, %v", got2, err)
	}
	list, _, _ = e.r.Statuses(ctx, quangNinh, 0, 10, 0)
	if p, s, ok := relay.EdXMLStatus(list[len(list)-1].Signed); !ok || !bytes.Equal(p, plain) || !bytes.Equal(s, cmsSig) {
		t.Fatal("a CMS-signed status is not kept with its signature")
	}
	// The log's entry names the kept bytes, which API.md spells out.
	kept := fmt.Sprintf(`{"edxml_status":{"packet":"%s","signature":"%s"}}`, base64.StdEncoding.EncodeToString(plain), base64.StdEncoding.EncodeToString(cmsSig))
	n, err := e.st.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := e.st.LogEntries(ctx, n-1, n)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := auditlog.DecodeEntry(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	keptSum := sha256.Sum256([]byte(kept))
	if entry.MessageID != res2.MessageID || entry.Status != "03" || entry.PacketSHA256 != hex.EncodeToString(keptSum[:]) {
		t.Fatalf("log entry %+v, want the status naming %s", entry, kept)
	}
}

func TestSubmitEdXMLRefusals(t *testing.T) {
	e := newEdXEnv(t, nil)
	other := certstest.New(t).Agency(t, string(quangNinh), "Cơ quan giả")
	good := func(number string) []byte { return edxDoc(t, quangNinh, number, [][]byte{pdf}, nil, vpcp) }
	deep := `<?xml version="1.0"?><edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">` + strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + `</edXML:edXML>`
	tests := []struct {
		name   string
		as     certs.AgencyCode
		packet []byte
		want   error
	}{
		{"Unsigned", quangNinh, good("401"), xmlsig.ErrUnsigned},
		{"Tampered", quangNinh, bytes.Replace(e.xmlSign(quangNinh, good("402")), []byte("thử nghiệm"), []byte("thử nghiêm"), 1), xmlsig.ErrBadSignature},
		{"SignedByAnotherAgency", quangNinh, e.xmlSign(ngheAn, good("403")), relay.ErrSenderMismatch},
		{"FromIsNotTheConnection", ngheAn, e.xmlSign(ngheAn, good("404")), relay.ErrSenderMismatch},
		{"NotUnderOurRoots", quangNinh, func() []byte { p, _ := xmlsig.Sign(good("405"), other); return p }(), envelope.ErrUntrusted},
		{"MalformedXML", quangNinh, []byte(`<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><unclosed>`), edxml.ErrMalformed},
		{"EntityBomb", quangNinh, []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol2;</edXML:edXML>`), edxml.ErrMalformed},
		{"DeepNesting", quangNinh, []byte(deep), edxml.ErrTooLarge},
		{"HugeAttribute", quangNinh, []byte(`<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016" a="` + strings.Repeat("x", 100<<10) + `"/>`), edxml.ErrTooLarge},
		{"WrongNamespace", quangNinh, bytes.ReplaceAll(good("406"), []byte(edxml.Namespace), []byte("urn:not-edxml")), edxml.ErrNotEdXML},
		{"Base64Garbage", quangNinh, bytes.Replace(good("407"), []byte(">JVBER"), []byte(">!!!*"), 1), edxml.ErrAttachment},
		{"OverTheSizeLimit", quangNinh, make([]byte, edxMaxPacket+1), edxml.ErrTooLarge},
		{"NotAPDFNamedPDF", quangNinh, e.xmlSign(quangNinh, edxDoc(t, quangNinh, "408", [][]byte{[]byte("GIF89a, not a document")}, nil, vpcp)), relay.ErrNotPDF},
		{"UnknownRecipient", quangNinh, e.xmlSign(quangNinh, edxDoc(t, quangNinh, "409", [][]byte{pdf}, nil, outsider)), relay.ErrUnknownRecipient},
		{"NoAttachment", quangNinh, e.xmlSign(quangNinh, edxDoc(t, quangNinh, "410", nil, nil, vpcp)), envelope.ErrInvalid},
		{"AttachmentNotCarried", quangNinh, e.xmlSign(quangNinh, edxDoc(t, quangNinh, "413", [][]byte{pdf}, func(d *edxml.Document) {
			d.Attachments = append(d.Attachments, edxml.Attachment{ContentID: "2", Name: "phu-luc.pdf", ContentType: "application/pdf", Index: -1})
		}, vpcp)), envelope.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.submit(tc.as, tc.packet, nil)
			wantErr(t, err, tc.want)
			e.nothingLeft(t, tc.packet)
		})
	}
	t.Run("AttachmentOverTheAgencyLimit", func(t *testing.T) {
		packet := e.xmlSign(quangNinh, good("411"))
		_, err := e.r.SubmitEdXML(ctx, quangNinh, relay.EdXMLRequest{Packet: packet, MaxAttachment: int64(len(pdf) - 1)})
		wantErr(t, err, store.ErrTooLarge)
		e.nothingLeft(t, packet)
	})
	t.Run("ElementNamed", func(t *testing.T) {
		_, err := e.submit(ngheAn, e.xmlSign(ngheAn, good("412")), nil)
		var ee *edxml.Error
		if !errors.As(err, &ee) || !strings.HasSuffix(ee.Path, "MessageHeader/From/OrganId") {
			t.Fatalf("error %v does not name the From element", err)
		}
		_, err = e.submit(quangNinh, tests[len(tests)-1].packet, nil)
		if !errors.As(err, &ee) || ee.Path != "edXMLEnvelope/edXMLBody/edXMLManifest" {
			t.Fatalf("error %v does not name the manifest", err)
		}
	})
}

// TestSubmitEdXMLSHA1: a SHA-1 signature, common in circulation, is taken
// with a warning, or refused when the hub is told to.
func TestSubmitEdXMLSHA1(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprint("refuse=", refuse), func(t *testing.T) {
			e := newEdXEnv(t, func(o *relay.EdXMLOptions) { o.RefuseSHA1 = refuse })
			packet := sha1Sign(t, e.keys[quangNinh], edxDoc(t, quangNinh, "601", [][]byte{pdf}, nil, vpcp))
			res, err := e.submit(quangNinh, packet, nil)
			if refuse {
				wantErr(t, err, xmlsig.ErrWeakAlgorithm)
				e.nothingLeft(t, packet)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(res.Warnings, func(w wire.EdXMLWarning) bool { return w.Kind == string(xmlsig.WarnWeakSignature) }) {
				t.Fatalf("warnings %+v: want %s", res.Warnings, xmlsig.WarnWeakSignature)
			}
		})
	}
}

func TestSubmitEdXMLRevoke(t *testing.T) {
	e := newEdXEnv(t, nil)
	first := edxDoc(t, quangNinh, "501", [][]byte{pdf}, nil, vpcp, ngheAn)
	res, err := e.submit(quangNinh, e.xmlSign(quangNinh, first), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.Ack(ctx, ngheAn, res.MessageID); err != nil {
		t.Fatal(err)
	}
	pkt, _ := edxml.Read(bytes.NewReader(first), edxml.Options{})
	target := pkt.Document.Metadata.ID()
	revoke := func(number string, ref document.DocumentID) []byte {
		return e.xmlSign(quangNinh, edxDoc(t, quangNinh, number, nil, func(d *edxml.Document) {
			d.Metadata.Business = document.Business{Type: document.BusinessRecall, Documents: []document.DocumentRef{ref}, Reason: "Ban hành nhầm"}
		}, vpcp, ngheAn))
	}
	// A DocumentId this agency never sent is refused, naming the element.
	unknown := target
	unknown.Number = "999"
	_, err = e.submit(quangNinh, revoke("502", unknown), nil)
	var ee *edxml.Error
	if !errors.Is(err, envelope.ErrInvalid) || !errors.As(err, &ee) || !strings.Contains(ee.Path, "Bussiness/DocumentId") {
		t.Fatalf("a revocation of an unknown document: %v", err)
	}
	got, err := e.submit(quangNinh, revoke("503", target), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := got.Submitted.Recalls
	if len(rec) != 1 || rec[0].Target != res.MessageID || len(rec[0].Withdrawn) != 1 || rec[0].Withdrawn[0] != vpcp || len(rec[0].AlreadyAcked) != 1 {
		t.Fatalf("recall outcomes %+v", rec)
	}
	items, _, err := e.r.Inbox(ctx, vpcp, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.MessageID == res.MessageID {
			t.Fatal("the revoked document is still in the recipient's inbox")
		}
	}
}

func TestReadEdXML(t *testing.T) {
	e := newEdXEnv(t, func(o *relay.EdXMLOptions) { o.Memory = 8 * 2 * edxMaxPacket })
	if _, _, err := e.r.ReadEdXML(strings.NewReader("x"), edxMaxPacket+1); !errors.Is(err, edxml.ErrTooLarge) {
		t.Fatalf("declared over the limit: %v", err)
	}
	if _, _, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket+1)), -1); !errors.Is(err, edxml.ErrTooLarge) {
		t.Fatalf("undeclared over the limit: %v", err)
	}
	if _, _, err := e.r.ReadEdXML(strings.NewReader("longer"), 3); !errors.Is(err, edxml.ErrTooLarge) {
		t.Fatalf("longer than declared: %v", err)
	}
	// Refusals gave their room back: two packets of the largest size
	// fill the budget.
	_, rel1, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), edxMaxPacket)
	if err != nil {
		t.Fatal(err)
	}
	_, rel2, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket/2)), edxMaxPacket/2)
	if err != nil {
		t.Fatal(err)
	}
	// A quarter of the budget is left: a packet that does not declare its
	// size takes room as its bytes come, so a small one still fits, and
	// one that outgrows what is left is turned away.
	small, rel3, err := e.r.ReadEdXML(strings.NewReader("<edXML/>"), -1)
	if err != nil || string(small) != "<edXML/>" {
		t.Fatalf("%q, %v", small, err)
	}
	if _, _, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), -1); !errors.Is(err, relay.ErrEdXMLBusy) {
		t.Fatalf("an undeclared packet outgrowing the budget: %v, want ErrEdXMLBusy", err)
	}
	if _, _, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), edxMaxPacket); !errors.Is(err, relay.ErrEdXMLBusy) {
		t.Fatalf("over the budget: %v, want ErrEdXMLBusy", err)
	}
	rel1()
	_, rel4, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), -1)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	rel2()
	rel3()
	rel4()
	// Everything was given back: the whole budget is free again.
	_, rel5, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), edxMaxPacket)
	if err != nil {
		t.Fatal(err)
	}
	_, rel6, err := e.r.ReadEdXML(bytes.NewReader(make([]byte, edxMaxPacket)), edxMaxPacket)
	if err != nil {
		t.Fatalf("the budget was not all given back: %v", err)
	}
	rel5()
	rel6()
}

// TestSubmitEdXMLOfficeAppendix: an edXML packet's attachments follow the
// hub's allow-list as a Lienthong packet's do: a Word appendix is refused
// by default and taken where the operator allows it, with a report that
// says no signature was checked; a macro-enabled one never.
func TestSubmitEdXMLOfficeAppendix(t *testing.T) {
	docx := officetest.DOCX("Phụ lục")
	appendix := func(name, contentType string) func(*edxml.Document) {
		return func(d *edxml.Document) {
			d.Attachments[1].Name, d.Attachments[1].ContentType = name, contentType
		}
	}
	packet := func(e *edxEnv, number string, file []byte, edit func(*edxml.Document)) []byte {
		return e.xmlSign(quangNinh, edxDoc(t, quangNinh, number, [][]byte{pdf, file}, edit, vpcp))
	}

	byDefault := newEdXEnv(t, nil)
	p := packet(byDefault, "501", docx, appendix("phu-luc.docx", envelope.ContentTypeDOCX))
	_, err := byDefault.submit(quangNinh, p, nil)
	wantErr(t, err, envelope.ErrTypeNotAllowed)
	byDefault.nothingLeft(t, p)

	e := newEdXEnv(t, nil)
	policy, err := envelope.NewPolicy([]string{"pdf", "docx"})
	if err != nil {
		t.Fatal(err)
	}
	e.r, err = relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: notPDF,
		AttachmentTypes: policy, EdXML: relay.EdXMLOptions{MaxPacket: edxMaxPacket, Memory: 8 * 8 * edxMaxPacket, TempDir: e.tmp}})
	if err != nil {
		t.Fatal(err)
	}
	p = packet(e, "502", docx, appendix("phu-luc.docx", envelope.ContentTypeDOCX))
	acc, err := e.submit(quangNinh, p, nil)
	if err != nil {
		t.Fatalf("a Word appendix the hub allows: %v", err)
	}
	m, err := e.st.Message(ctx, acc.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(docx)
	var reports map[string]struct {
		SignatureChecked *bool `json:"signature_checked"`
	}
	if err := json.Unmarshal(m.Report, &reports); err != nil {
		t.Fatalf("report %s: %v", m.Report, err)
	}
	if r, ok := reports[hex.EncodeToString(sum[:])]; !ok || r.SignatureChecked == nil || *r.SignatureChecked {
		t.Errorf("the appendix's report does not say that no signature was checked: %s", m.Report)
	}

	for i, tc := range []struct {
		name string
		file []byte
		edit func(*edxml.Document)
		want error
	}{
		{"MacroEnabled", officetest.DOCM(), appendix("phu-luc.docx", envelope.ContentTypeDOCX), relay.ErrNotPDF},
		{"PDFNamedDocx", append(bytes.Clone(pdf), '\n'), appendix("phu-luc.docx", envelope.ContentTypeDOCX), relay.ErrNotPDF},
		{"WordAsMainDocument", docx, func(d *edxml.Document) {
			d.Attachments[0].Name, d.Attachments[0].ContentType = "van-ban.docx", envelope.ContentTypeDOCX
			d.Attachments[1].Name = "phu-luc.pdf"
		}, envelope.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := [][]byte{pdf, tc.file}
			if tc.name == "WordAsMainDocument" {
				files = [][]byte{tc.file, pdf}
			}
			p := e.xmlSign(quangNinh, edxDoc(t, quangNinh, fmt.Sprint(510+i), files, tc.edit, vpcp))
			_, err := e.submit(quangNinh, p, nil)
			wantErr(t, err, tc.want)
			e.nothingLeft(t, p)
		})
	}
}
