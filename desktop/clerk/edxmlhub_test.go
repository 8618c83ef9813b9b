package clerk_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/cms"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// vendor is another agency's document system speaking edXML to the hub
// with plain HTTP/2 and its agency certificate: no Lienthong client code.
type vendor struct {
	t    *testing.T
	base string
	http *http.Client
}

func newVendor(t *testing.T, h *hubtest.Hub, code string) *vendor {
	conf := certs.ClientTLS(h.Agencies[code].Key, h.Verifier(), "localhost")
	conf.NextProtos = []string{"h2"}
	tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &vendor{t: t, base: "https://" + h.Addr, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// call sends a request and decodes a JSON answer into out, failing the
// test on any status but 200.
func (v *vendor) call(method, path string, body []byte, contentType string, out any) {
	v.t.Helper()
	req, err := http.NewRequest(method, v.base+path, bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		v.t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			v.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// post sends an edXML packet.
func (v *vendor) post(packet []byte, regarding string) wire.EdXMLAccepted {
	v.t.Helper()
	path := wire.PathEdXML
	if regarding != "" {
		path += "?regarding=" + url.QueryEscape(regarding)
	}
	var a wire.EdXMLAccepted
	v.call(http.MethodPost, path, packet, wire.ContentEdXML, &a)
	return a
}

// postSigned sends an edXML packet with a detached CMS signature over
// its bytes.
func (v *vendor) postSigned(packet, sig []byte) wire.EdXMLAccepted {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.base+wire.PathEdXML, bytes.NewReader(packet))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", wire.ContentEdXML)
	req.Header.Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a wire.EdXMLAccepted
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &a) != nil {
		v.t.Fatalf("POST %s: %s %s", wire.PathEdXML, resp.Status, b)
	}
	return a
}

// statuses lists the statuses about the vendor's documents.
func (v *vendor) statuses() []wire.StatusItem {
	v.t.Helper()
	var s wire.Statuses
	v.call(http.MethodGet, wire.PathStatuses+"?after=0&wait=0", nil, "", &s)
	return s.Items
}

// vendorPacket is a document of the Government Office's system to Nghệ
// An as that system writes it: an edXML packet with an element Lienthong
// has no field for (Content), signed with XML-DSig under the test PKI.
func vendorPacket(t *testing.T, h *hubtest.Hub, ctx context.Context, file, subject string) []byte {
	t.Helper()
	gov := newClerk(t, h, vpcp) // writes the packet; never synced
	d := draft(t, file, ngheAn)
	d.Metadata.Subject = subject
	id, err := gov.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gov.ExportEdXML(id, &b); err != nil {
		t.Fatal(err)
	}
	withExtras := strings.Replace(string(unsign(t, b.Bytes())), "</edXML:Subject>",
		"</edXML:Subject><edXML:Content>Toàn văn trích yếu của quyết định</edXML:Content>", 1)
	signed, err := xmlsig.Sign([]byte(withExtras), h.Agencies[vpcp].Key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// smallPacket is a document packet of the Government Office's system to
// Nghệ An small enough for a refusal to keep it whole: its attachment is
// the PDF as it was before the clerk signed it.
func smallPacket(t *testing.T, h *hubtest.Hub, ctx context.Context, subject string) []byte {
	t.Helper()
	gov := newClerk(t, h, vpcp) // gives the metadata; never synced
	d := draft(t, "bao-cao.pdf", ngheAn)
	d.Metadata.Subject = subject
	id, err := gov.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	v, err := gov.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	pdfBytes, err := os.ReadFile(pdf("bao-cao.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	a := edxml.Attachment{ContentID: "1", Name: "bao-cao.pdf", ContentType: "application/pdf", Included: true,
		Size: int64(len(pdfBytes)), SHA256: sha256.Sum256(pdfBytes)}
	var b bytes.Buffer
	err = edxml.WriteDocument(&b, &edxml.Document{Metadata: *v.Doc.Payload.Metadata, Attachments: []edxml.Attachment{a}},
		func(int) (io.Reader, error) { return bytes.NewReader(pdfBytes), nil })
	if err != nil {
		t.Fatal(err)
	}
	signed, err := xmlsig.Sign(b.Bytes(), h.Agencies[vpcp].Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(signed) > store.MaxRefusalPacket {
		t.Fatalf("the small packet has %d bytes", len(signed))
	}
	return signed
}

// edxmlStatusOf finds the status with code among items and checks that it
// came as an edXML status packet that verifies, with our code and with
// xmlsec1, as signed by Nghệ An.
func edxmlStatusOf(t *testing.T, h *hubtest.Hub, items []wire.StatusItem, code document.Status) document.StatusUpdate {
	t.Helper()
	for _, it := range items {
		if it.Code != string(code) {
			continue
		}
		if it.Format != wire.FormatEdXML || it.From != ngheAn {
			t.Fatalf("status %s: format %q from %s", code, it.Format, it.From)
		}
		res, err := xmlsig.Verify(it.Packet, xmlsig.Options{Verifier: h.Verifier()})
		if err != nil || res.Trust != xmlsig.TrustVerified {
			t.Fatalf("status %s does not verify: %v %+v", code, err, res)
		}
		if a, _ := certs.AgencyOf(res.Signer); a != ngheAn {
			t.Fatalf("status %s signed by %s", code, a)
		}
		if out, ok := xmlsec1Verify(t, h, it.Packet); !ok {
			t.Fatalf("xmlsec1 refuses status %s:\n%s", code, out)
		}
		pkt, err := edxml.Read(bytes.NewReader(it.Packet), edxml.Options{})
		if err != nil || pkt.Status == nil {
			t.Fatalf("status %s: %v", code, err)
		}
		return pkt.Status.Update
	}
	t.Fatalf("no status %s among %+v", code, items)
	return document.StatusUpdate{}
}

// TestEdXMLThroughHub: a document system sends an edXML document through
// the hub; the clerk receives it, verifies the sender's own signature,
// files it with the elements Lienthong has no field for, and registers
// it; the 03 goes back as an edXML status packet signed by the clerk's
// agency, which the system reads from the hub and verifies itself (and
// with xmlsec1). Later statuses go the same way.
func TestEdXMLThroughHub(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	sys := newVendor(t, h, vpcp)
	packet := vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Quyết định gửi qua trục bằng edXML")
	acc := sys.post(packet, "")
	if acc.Kind != "document" || acc.MessageID == "" {
		t.Fatalf("accepted %+v", acc)
	}

	mustSync(t, ctx, na)
	v, err := na.Document(acc.MessageID)
	if err != nil {
		t.Fatalf("the document is not filed under the hub's id: %v", err)
	}
	if v.EdXML == nil || !v.EdXML.Verified || v.EdXML.Method != "xmldsig" {
		t.Errorf("check %+v", v.EdXML)
	}
	if len(v.Reports) != 1 || v.Reports[0] == nil || !v.Reports[0].Valid() {
		t.Errorf("the PDF's signature report: %+v", v.Reports)
	}
	if stored, _ := na.Store().Packet(acc.MessageID); !bytes.Equal(stored, packet) {
		t.Error("the sender's packet is not kept as received")
	}
	var again bytes.Buffer
	if err := na.ExportEdXML(acc.MessageID, &again); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.String(), "<edXML:Content>Toàn văn trích yếu của quyết định</edXML:Content>") {
		t.Error("the element without a field (Content) was not kept")
	}

	if _, err := na.Register(acc.MessageID, "Văn thư"); err != nil {
		t.Fatal(err)
	}
	if err := na.Process(acc.MessageID, "Văn thư", "Đang xử lý"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, na)
	if n := na.OutboxLen(); n != 0 {
		t.Fatalf("%d outbox items left", n)
	}
	items := sys.statuses()
	u := edxmlStatusOf(t, h, items, document.StatusReceived)
	if u.From != ngheAn || u.Document != v.Doc.Payload.Metadata.ID() {
		t.Errorf("the 03 reads %+v", u)
	}
	edxmlStatusOf(t, h, items, document.StatusProcessing)
	var delivered bool
	for _, it := range items {
		delivered = delivered || (it.Code == string(document.StatusArrived) && it.Format == "")
	}
	if !delivered {
		t.Errorf("no 01 (the hub's delivered receipt) among %+v", items)
	}
	// The edXML view of the statuses hands out the clerk's own packet.
	var ev wire.EdXMLStatuses
	sys.call(http.MethodGet, wire.PathEdXMLStatuses+"?after=0&wait=0", nil, "", &ev)
	var found bool
	for _, it := range ev.Items {
		if it.Code == string(document.StatusReceived) {
			found = true
			if it.Origin != wire.OriginSender {
				t.Errorf("the 03's origin is %q", it.Origin)
			}
			if out, ok := xmlsec1Verify(t, h, it.EdXML); !ok {
				t.Errorf("xmlsec1 refuses the 03 of the edXML view:\n%s", out)
			}
		}
	}
	if !found {
		t.Errorf("no 03 in the edXML view: %+v", ev.Items)
	}
}

// TestEdXMLTamperedAtHub: a packet changed after its sender signed it,
// that reaches the clerk through the hub under a detached signature over
// the changed bytes, is refused through the hub (the sender sees 02 with
// the reason) and nothing is filed; a packet without an XML signature
// under its sender's detached signature is taken.
func TestEdXMLTamperedAtHub(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	sys := newVendor(t, h, vpcp)
	packet := smallPacket(t, h, ctx, "Báo cáo bị sửa sau khi ký")
	tampered := bytes.Replace(packet, []byte("bị sửa"), []byte("bị xóa"), 1)
	sys.postSigned(tampered, cmsSign(t, h, vpcp, tampered))

	mustSync(t, ctx, na)
	if got := inbox(t, na); len(got) != 0 {
		t.Fatalf("filed %d documents", len(got))
	}
	refused, err := na.Refusals()
	if err != nil || len(refused) != 1 || refused[0].Cause != store.CauseSignature {
		t.Fatalf("refusals %+v, %v", refused, err)
	}
	if !bytes.Equal(refused[0].Packet, tampered) {
		t.Error("the refused packet is not kept with the refusal")
	}
	var two *wire.StatusItem
	for _, it := range sys.statuses() {
		if it.Code == string(document.StatusRefused) {
			two = &it
		}
	}
	if two == nil || two.From != ngheAn || !strings.Contains(two.Reason, "chữ ký số") {
		t.Fatalf("the sender was not told: %+v", two)
	}

	plain := unsign(t, vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Quyết định ký rời bằng CMS"))
	acc := sys.postSigned(plain, cmsSign(t, h, vpcp, plain))
	mustSync(t, ctx, na)
	v, err := na.Document(acc.MessageID)
	if err != nil {
		t.Fatalf("the packet under a detached signature was not filed: %v", err)
	}
	if v.EdXML == nil || !v.EdXML.Verified || v.EdXML.Method != "cms" || len(v.EdXML.Signature) == 0 {
		t.Errorf("check %+v", v.EdXML)
	}
}

// cmsSign is a detached CMS signature over data by an agency of h, as
// POST /v1/edxml takes it.
func cmsSign(t *testing.T, h *hubtest.Hub, code string, data []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(data)
	sig, err := cms.Sign(sum[:], crypto.SHA256, h.Agencies[code].Key)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestEdXMLImportThenDelivered: a paper imported from an edXML file and
// later delivered by the hub keeps its one số đến: the delivery is
// acknowledged, not filed again, the clerk is told, and the statuses
// recorded on the imported document go to the sender through the hub.
func TestEdXMLImportThenDelivered(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	events, cancel := na.Subscribe()
	defer cancel()
	sys := newVendor(t, h, vpcp)
	packet := vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Quyết định đến bằng tệp rồi qua trục")
	in, err := na.ImportEdXML(ctx, packet, clerk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Arrival != 1 {
		t.Fatalf("số đến %d", in.Arrival)
	}
	acc := sys.post(packet, "")
	mustSync(t, ctx, na)
	mustSync(t, ctx, na) // the link's statuses, queued by the first
	if got := inbox(t, na); len(got) != 1 || got[0].ID != in.ID {
		t.Fatalf("incoming box %+v, want only %s", got, in.ID)
	}
	if _, err := na.Document(acc.MessageID); err == nil {
		t.Fatal("the delivery was filed a second time")
	}
	var told bool
	for len(events) > 0 {
		if d, ok := (<-events).(clerk.DocumentDuplicate); ok && d.Existing == in.ID && d.Message == acc.MessageID {
			told = true
		}
	}
	if !told {
		t.Error("the clerk was not told of the duplicate delivery")
	}
	items := sys.statuses()
	edxmlStatusOf(t, h, items, document.StatusReceived)
	if err := na.Complete(in.ID, "Văn thư", "Xong"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, na)
	edxmlStatusOf(t, h, sys.statuses(), document.StatusCompleted)

	// The other way round, the file after the hub's delivery, is the
	// import's duplicate.
	if _, err := na.ImportEdXML(ctx, packet, clerk.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("a second import: %v", err)
	}
}

// TestEdXMLStatusFromSystem: a document system answers a document the
// clerk sent with edXML status packets; the clerk verifies each and
// records it in the recipient's history like a native status, and skips
// one that does not verify (acknowledged to the hub like a bad native
// status, so that the statuses after it still come).
func TestEdXMLStatusFromSystem(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	sys := newVendor(t, h, vpcp)
	id, err := na.Issue(ctx, draft(t, "cong-van.pdf", vpcp))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, na)
	var in wire.Inbox
	sys.call(http.MethodGet, wire.PathInbox+"?after=0&wait=0", nil, "", &in)
	if len(in.Items) != 1 || in.Items[0].MessageID != id {
		t.Fatalf("the system's inbox: %+v", in.Items)
	}
	sys.call(http.MethodPost, strings.Replace(wire.PathAck, "{id}", id, 1), nil, "", nil)
	doc, err := na.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	status := func(code document.Status, staff string) []byte {
		var b bytes.Buffer
		u := document.StatusUpdate{Document: doc.Doc.Payload.Metadata.ID(), From: vpcp, Code: code,
			Staff: staff, Time: time.Now().Truncate(time.Second)}
		if err := edxml.WriteStatus(&b, &edxml.Status{Update: u}); err != nil {
			t.Fatal(err)
		}
		signed, err := xmlsig.Sign(b.Bytes(), h.Agencies[vpcp].Key)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	history := func() []string {
		t.Helper()
		v, err := na.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, e := range v.Recipients[0].History {
			codes = append(codes, string(e.Update.Code))
		}
		return codes
	}
	received := status(document.StatusReceived, "Văn thư VPCP")
	sys.post(received, id)
	// A 05 changed after it was signed, under a detached signature over
	// the changed bytes: the hub takes it, the clerk does not record it,
	// and the statuses after it still come.
	bad := bytes.Replace(status(document.StatusProcessing, "Chuyên viên A"), []byte("Chuyên viên A"), []byte("Chuyên viên B"), 1)
	sys.postSigned(bad, cmsSign(t, h, vpcp, bad))
	mustSync(t, ctx, na)
	if got := fmt.Sprint(history()); got != "[01 03]" {
		t.Fatalf("the system's history at the clerk: %v", got)
	}
	v, err := na.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Recipients[0].History[1].Packet; !bytes.Equal(got, received) {
		t.Error("the 03 is not kept with the system's signed packet")
	}
	left, err := h.Client(t, ngheAn, true).Statuses(ctx, 0, 0)
	if err != nil || len(left.Items) != 0 {
		t.Fatalf("statuses left at the hub: %+v, %v", left, err)
	}
	// A good 05 without an XML signature, under a detached one: recorded,
	// and kept with its signature.
	plain := unsign(t, status(document.StatusProcessing, "Chuyên viên A"))
	sig := cmsSign(t, h, vpcp, plain)
	sys.postSigned(plain, sig)
	mustSync(t, ctx, na)
	if got := fmt.Sprint(history()); got != "[01 03 05]" {
		t.Fatalf("after a good 05: %v", got)
	}
	if v, err = na.Document(id); err != nil {
		t.Fatal(err)
	}
	var kept struct {
		EdXML struct{ Packet, Signature []byte } `json:"edxml_status"`
	}
	if err := json.Unmarshal(v.Recipients[0].History[2].Packet, &kept); err != nil ||
		!bytes.Equal(kept.EdXML.Packet, plain) || !bytes.Equal(kept.EdXML.Signature, sig) {
		t.Errorf("the 05 is not kept with its detached signature: %v", err)
	}
}

// TestEdXMLImportThenDeliveredNative: a paper a Lienthong clerk handed
// over as an edXML file, then sent through the hub as its own packet, is
// filed once at the recipient; the delivery is acknowledged and the
// recipient's statuses, the 03 of the import among them, reach the sender
// as its native statuses.
func TestEdXMLImportThenDeliveredNative(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	gov, na := newClerk(t, h, vpcp), newClerk(t, h, ngheAn)
	id, err := gov.Issue(ctx, draft(t, "quyet-dinh.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gov.ExportEdXML(id, &b); err != nil {
		t.Fatal(err)
	}
	in, err := na.ImportEdXML(ctx, b.Bytes(), clerk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := na.Subscribe()
	defer cancel()
	mustSync(t, ctx, gov, na, na, gov)
	if got := inbox(t, na); len(got) != 1 || got[0].ID != in.ID {
		t.Fatalf("incoming box %+v, want only %s", got, in.ID)
	}
	var told bool
	for len(events) > 0 {
		if d, ok := (<-events).(clerk.DocumentDuplicate); ok && d.Existing == in.ID && d.Message == id {
			told = true
		}
	}
	if !told {
		t.Error("the clerk was not told of the duplicate delivery")
	}
	if err := na.Process(in.ID, "Văn thư", "Đang xử lý"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, na, gov)
	v, err := gov.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, e := range v.Recipients[0].History {
		codes = append(codes, string(e.Update.Code))
	}
	if fmt.Sprint(codes) != "[01 03 05]" {
		t.Fatalf("the sender sees %v", codes)
	}
}

// TestEdXMLRefusalCauses: why a packet from the hub fails decides the
// cause the sender is told.
func TestEdXMLRefusalCauses(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	signed := vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Quyết định để thử lý do từ chối")
	plain := unsign(t, signed)
	other := certstest.New(t) // a CA this clerk does not trust
	foreign, err := xmlsig.Sign(plain, other.Agency(t, vpcp, "Văn phòng Chính phủ"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(signed, []byte("để thử"), []byte("để xem"), 1)
	for _, tc := range []struct {
		name      string
		data, sig []byte
		want      store.RefusalCause
	}{
		{"signed", signed, nil, ""},
		{"detached signature", plain, cmsSign(t, h, vpcp, plain), ""},
		{"unsigned", plain, nil, store.CauseSignature},
		{"tampered", tampered, nil, store.CauseSignature},
		{"tampered under a detached signature", tampered, cmsSign(t, h, vpcp, tampered), store.CauseSignature},
		{"detached signature over other bytes", plain, cmsSign(t, h, vpcp, signed), store.CauseSignature},
		{"signer not under the roots", foreign, nil, store.CauseSigner},
		{"not XML", []byte("<không phải edXML"), nil, store.CauseInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := na.EdXMLCause(ctx, tc.data, tc.sig)
			if err != nil || got != tc.want {
				t.Errorf("cause %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestEdXMLOverClerkLimit: a document whose edXML packet is over the
// clerk's limit is refused through the hub, the sender told why, instead
// of being fetched again on every sync.
func TestEdXMLOverClerkLimit(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	home := t.TempDir()
	initClerk(t, h, ngheAn, home)
	packet := smallPacket(t, h, ctx, "Báo cáo lớn hơn giới hạn của bên nhận")
	na, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), PollWait: 2 * time.Second,
		MaxBackoff: 500 * time.Millisecond, MaxEdXMLPacket: int64(len(packet) - 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { na.Close() })
	sys := newVendor(t, h, vpcp)
	acc := sys.post(packet, "")

	mustSync(t, ctx, na)
	refused, err := na.Refusals()
	if err != nil || len(refused) != 1 || refused[0].MessageID != acc.MessageID || refused[0].Cause != store.CauseTooLarge {
		t.Fatalf("refusals %+v, %v", refused, err)
	}
	var two *wire.StatusItem
	for _, it := range sys.statuses() {
		if it.Code == string(document.StatusRefused) {
			two = &it
		}
	}
	if two == nil || !strings.Contains(two.Reason, "gói tin edXML") || !strings.Contains(two.Reason, "vượt quá giới hạn") {
		t.Fatalf("the sender was not told why: %+v", two)
	}
}
