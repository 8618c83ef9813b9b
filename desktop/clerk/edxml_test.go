package clerk_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/xmlsig"
	"lienthong/shared/xmlsig/xmlsigtest"
)

// xmlsec1Verify runs `xmlsec1 --verify` with the hub's root as the only
// trusted certificate.
func xmlsec1Verify(t *testing.T, h *hubtest.Hub, data []byte) (string, bool) {
	t.Helper()
	return xmlsigtest.Xmlsec1(t, h.PKI.RootPEM(), data)
}

// unsign removes the XML signature of a packet.
func unsign(t *testing.T, data []byte) []byte {
	t.Helper()
	pkt, err := edxml.Read(bytes.NewReader(data), edxml.Options{})
	if err != nil || pkt.Signature == nil {
		t.Fatalf("read the exported packet: %v (signature %v)", err, pkt)
	}
	return append(append([]byte{}, data[:pkt.Signature.Start]...), data[pkt.Signature.End:]...)
}

// snapshot is what must not change when an import is refused.
func snapshot(t *testing.T, c *clerk.Clerk) [32]byte {
	t.Helper()
	var b strings.Builder
	for _, box := range []store.Box{store.Incoming, store.Outgoing} {
		rows, err := c.Store().List(store.Query{Box: box})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			h, err := c.Store().History(r.ID)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(r.ID + string(r.Status) + "\n")
			for _, ch := range h {
				fmt.Fprintf(&b, "%s:%d\n", ch.Copy, len(ch.Entries))
			}
		}
	}
	n, _ := c.Store().OutboxLen()
	fmt.Fprintf(&b, "outbox %d", n)
	return sha256.Sum256([]byte(b.String()))
}

// TestEdXMLRoundTrip: a document issued by one clerk, exported as edXML,
// verifies with xmlsec1 and imports into another clerk's store equal to
// the original, registered, with no item for the hub; the 03 travels back
// as an edXML status packet.
func TestEdXMLRoundTrip(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	gov, na := newClerk(t, h, vpcp), newClerk(t, h, ngheAn)
	id, err := gov.Issue(ctx, draft(t, "quyet-dinh.pdf", ngheAn, quangNinh))
	if err != nil {
		t.Fatal(err)
	}
	var packet bytes.Buffer
	if err := gov.ExportEdXML(id, &packet); err != nil {
		t.Fatal(err)
	}
	if out, ok := xmlsec1Verify(t, h, packet.Bytes()); !ok {
		t.Fatalf("xmlsec1 refuses the exported packet:\n%s", out)
	}

	before := snapshot(t, na)
	in, err := na.ImportEdXML(ctx, packet.Bytes(), clerk.ImportOptions{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !in.Check.Verified || in.Arrival != 1 || len(in.Reports) != 1 || in.Reports[0] == nil {
		t.Errorf("imported: %+v", in)
	}
	if snapshot(t, na) == before {
		t.Error("the store did not change")
	}
	sent, err := gov.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := na.Document(in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Doc.Payload.Metadata, sent.Doc.Payload.Metadata) {
		t.Errorf("imported metadata\n%+v\nwant\n%+v", got.Doc.Payload.Metadata, sent.Doc.Payload.Metadata)
	}
	if !reflect.DeepEqual(got.Doc.Payload.Attachments, sent.Doc.Payload.Attachments) {
		t.Errorf("imported attachments %+v, want %+v", got.Doc.Payload.Attachments, sent.Doc.Payload.Attachments)
	}
	if got.Doc.Box != store.Incoming || got.Doc.Arrival.Number != "1" {
		t.Errorf("filed in box %v with arrival %+v", got.Doc.Box, got.Doc.Arrival)
	}
	if codes := codesOf(got.Statuses); !reflect.DeepEqual(codes, []document.Status{document.StatusArrived, document.StatusReceived}) {
		t.Errorf("statuses %v, want 01 03", codes)
	}
	if got.Report == nil || !got.Report.Valid() {
		t.Errorf("the PDF's signature report: %+v", got.Report)
	}
	if p, err := na.Store().Packet(in.ID); err != nil || !bytes.Equal(p, packet.Bytes()) {
		t.Errorf("the packet kept is not the one received (%v)", err)
	}
	if ch, ok := na.EdXMLCheckOf(in.ID); !ok || !ch.Verified || ch.Trust != string(xmlsig.TrustVerified) {
		t.Errorf("kept check %+v, %v", ch, ok)
	}
	if n := na.OutboxLen(); n != 0 {
		t.Errorf("%d outbox items for a document the hub does not hold", n)
	}
	// Later statuses are recorded, not queued for the hub either.
	if err := na.Process(in.ID, "Lê Văn Xử", "Đang xử lý"); err != nil {
		t.Fatal(err)
	}
	if n := na.OutboxLen(); n != 0 {
		t.Errorf("%d outbox items after 05", n)
	}

	// The same packet again is a duplicate, and nothing changes.
	before = snapshot(t, na)
	if _, err := na.ImportEdXML(ctx, packet.Bytes(), clerk.ImportOptions{}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("second import: %v, want a duplicate", err)
	}
	if snapshot(t, na) != before {
		t.Error("a duplicate changed the store")
	}

	// Re-exported, the received document carries the sender's trace too.
	var again bytes.Buffer
	if err := na.ExportEdXML(in.ID, &again); err != nil {
		t.Fatal(err)
	}
	pkt, err := edxml.Read(bytes.NewReader(again.Bytes()), edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt.Document.Trace) != 2 || pkt.Document.Trace[0].Organ != vpcp || pkt.Document.Trace[1].Organ != ngheAn {
		t.Errorf("trace of the re-export: %+v", pkt.Document.Trace)
	}

	// The 03 goes back to the sender as a signed status packet.
	var status bytes.Buffer
	if err := na.ExportEdXMLStatus(in.ID, document.StatusReceived, "", &status); err != nil {
		t.Fatal(err)
	}
	if out, ok := xmlsec1Verify(t, h, status.Bytes()); !ok {
		t.Fatalf("xmlsec1 refuses the exported status:\n%s", out)
	}
	st, err := gov.ImportEdXML(ctx, status.Bytes(), clerk.ImportOptions{})
	if err != nil {
		t.Fatalf("import the status: %v", err)
	}
	if st.ID != id || st.Status == nil || st.Status.Code != document.StatusReceived {
		t.Errorf("imported status %+v", st)
	}
	if codes := recipientCodes(t, gov, id)[ngheAn]; !reflect.DeepEqual(codes, []document.Status{document.StatusArrived, document.StatusReceived}) {
		t.Errorf("the sender's history of Nghệ An's copy: %v", codes)
	}
	// A status from an agency the document was not sent to is refused.
	if _, err := na.ImportEdXML(ctx, status.Bytes(), clerk.ImportOptions{}); !errors.Is(err, clerk.ErrEdXMLNotForUs) {
		t.Errorf("a status about a document this agency did not send: %v", err)
	}
}

// TestEdXMLImportRefused: each bad packet is refused with its error, one
// a clerk reads in both languages, and nothing is stored.
func TestEdXMLImportRefused(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	gov, na := newClerk(t, h, vpcp), newClerk(t, h, ngheAn)
	export := func(t *testing.T, d *clerk.Draft) []byte {
		t.Helper()
		id, err := gov.Issue(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := gov.ExportEdXML(id, &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	good := export(t, draft(t, "quyet-dinh.pdf", ngheAn))
	notOurs := export(t, draft(t, "bao-cao.pdf", quangNinh))
	unsigned := unsign(t, good)
	otherSigner, err := xmlsig.Sign(unsigned, h.Agencies[quangNinh].Key)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(good, []byte("quy chế"), []byte("quy chê"), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("nothing to tamper with")
	}
	i := bytes.Index(unsigned, []byte("ContentTransferEncoded>")) + len("ContentTransferEncoded>")
	garbage := append(append(append([]byte{}, unsigned[:i]...), "!!!không phải base64***"...), unsigned[i:]...)

	// A first import fetches the CRLs, so that the refusals below change
	// nothing at all; it goes to another clerk's store.
	if _, err := newClerk(t, h, quangNinh).ImportEdXML(ctx, notOurs, clerk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		packet []byte
		opts   clerk.ImportOptions
		want   error
		key    i18n.Key
	}{
		{"tampered", tampered, clerk.ImportOptions{}, xmlsig.ErrBadSignature, i18n.ErrEdXMLTampered},
		{"another agency's", notOurs, clerk.ImportOptions{}, clerk.ErrEdXMLNotForUs, i18n.ErrEdXMLNotForUs},
		{"signed by another agency", otherSigner, clerk.ImportOptions{}, clerk.ErrEdXMLSigner, i18n.ErrEdXMLSigner},
		{"unsigned", unsigned, clerk.ImportOptions{}, clerk.ErrEdXMLUnsigned, i18n.ErrEdXMLUnsigned},
		{"base64 garbage", garbage, clerk.ImportOptions{UnsignedOK: true}, edxml.ErrAttachment, i18n.ErrEdXMLUnreadable},
		{"over the size limit", good, clerk.ImportOptions{Limits: edxml.Limits{MaxPacketSize: int64(len(good)) - 1}}, edxml.ErrTooLarge, i18n.ErrEdXMLTooLarge},
		{"not XML", []byte("<edXML><oops"), clerk.ImportOptions{UnsignedOK: true}, edxml.ErrMalformed, i18n.ErrEdXMLUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, na)
			_, err := na.ImportEdXML(ctx, tc.packet, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("import: %v, want %v", err, tc.want)
			}
			if ue := clerk.Explain(err); ue.Key != tc.key {
				t.Errorf("explained as %s, want %s (%v)", ue.Key, tc.key, err)
			}
			if snapshot(t, na) != before {
				t.Error("a refused packet changed the store")
			}
		})
	}

	// An attachment over the clerk's own limit stops the read.
	home := filepath.Join(t.TempDir(), "small")
	initClerk(t, h, ngheAn, home)
	small, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), MaxAttachment: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { small.Close() })
	before := snapshot(t, small)
	if _, err := small.ImportEdXML(ctx, good, clerk.ImportOptions{}); !errors.Is(err, clerk.ErrEdXMLAttachment) || clerk.Explain(err).Key != i18n.ErrEdXMLAttachment {
		t.Errorf("an attachment over the limit: %v", err)
	}
	if snapshot(t, small) != before {
		t.Error("a refused packet changed the store")
	}

	// With --unsigned-ok an unsigned packet is filed, recorded as not
	// verified; the PDF's own signature is still checked and reported.
	in, err := na.ImportEdXML(ctx, unsigned, clerk.ImportOptions{UnsignedOK: true})
	if err != nil {
		t.Fatal(err)
	}
	if in.Check.Verified || in.Check.Trust != "unsigned" || len(in.Reports) != 1 || in.Reports[0] == nil || !in.Reports[0].Valid() {
		t.Errorf("unsigned import: %+v", in)
	}
	if ch, ok := na.EdXMLCheckOf(in.ID); !ok || ch.Verified {
		t.Errorf("kept check %+v, %v", ch, ok)
	}
}

// TestEdXMLExtrasKept: elements of a packet that have no field in the
// model (here Content and TypeDetail) are kept with the filed document and
// written back when it is exported again.
func TestEdXMLExtrasKept(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	signed := vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Về việc triển khai Trục liên thông văn bản quốc gia")
	in, err := na.ImportEdXML(ctx, signed, clerk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := na.ExportEdXML(in.ID, &out); err != nil {
		t.Fatal(err)
	}
	pkt, err := edxml.Read(bytes.NewReader(out.Bytes()), edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range pkt.Document.Extras {
		kept = append(kept, e.Name)
	}
	if !strings.Contains(out.String(), "<edXML:Content>Toàn văn trích yếu của quyết định</edXML:Content>") {
		t.Errorf("the re-export lost Content; extras %v", kept)
	}
	if out, ok := xmlsec1Verify(t, h, out.Bytes()); !ok {
		t.Fatalf("xmlsec1 refuses the re-export:\n%s", out)
	}
}
