package server_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/cms"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// edxHub is a hub taking edXML packets of at most 1 MiB, with a memory
// budget of one such packet.
func edxHub(t testing.TB) *hubtest.Hub {
	return hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.RequestsPerSecond, c.Burst = 1e6, 1<<20
		c.EdXML = config.EdXML{MaxPacketMB: 1, MemoryMB: 8}
	}})
}

// call serves one request as agency, in process, and returns the answer.
func call(t testing.TB, h *hubtest.Hub, agency, method, path string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.TLS = &tls.ConnectionState{PeerCertificates: h.Agencies[agency].Key.Certificates()}
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.Server.ServeHTTP(w, req)
	return w
}

// postEdXML sends an edXML packet, with a detached CMS signature when sig
// is set.
func postEdXML(t testing.TB, h *hubtest.Hub, agency string, packet, sig []byte, query string) *httptest.ResponseRecorder {
	t.Helper()
	header := http.Header{"Content-Type": {wire.ContentEdXML}}
	if sig != nil {
		header.Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	}
	return call(t, h, agency, http.MethodPost, wire.PathEdXML+query, bytes.NewReader(packet), header)
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder, status int) T {
	t.Helper()
	var v T
	if w.Code != status {
		t.Fatalf("answer %d %s, want %d", w.Code, w.Body.String(), status)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %s: %v", w.Body.String(), err)
	}
	return v
}

// edxPacket writes an unsigned edXML document packet from from to the
// recipients, attaching file as a PDF.
func edxPacket(t testing.TB, h *hubtest.Hub, from, number string, file []byte, to ...string) []byte {
	t.Helper()
	d := &edxml.Document{Metadata: document.Metadata{
		Version:    document.SchemaVersion,
		From:       document.Organ{Code: certs.AgencyCode(from), Name: h.Agencies[from].Name},
		CodeNumber: number, CodeNotation: "UBND-VP", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
		Subject:      "Về việc kết nối hệ thống quản lý văn bản",
		Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
	}}
	for _, code := range to {
		name := "Cơ quan ngoài danh bạ"
		if a, ok := h.Agencies[code]; ok {
			name = a.Name
		}
		d.Metadata.To = append(d.Metadata.To, document.Recipient{Code: certs.AgencyCode(code), Name: name})
	}
	d.Attachments = []edxml.Attachment{{ContentID: "1", Name: "cong-van.pdf", ContentType: "application/pdf", Included: true,
		Size: int64(len(file)), SHA256: sha256.Sum256(file)}}
	var buf bytes.Buffer
	if err := edxml.WriteDocument(&buf, d, func(int) (io.Reader, error) { return bytes.NewReader(file), nil }); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xmlSigned(t testing.TB, kp certs.Signer, packet []byte) []byte {
	t.Helper()
	signed, err := xmlsig.Sign(packet, kp)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestEdXMLSubmitted(t *testing.T) {
	h := edxHub(t)
	pdf := readPDF(t, "cong-van.pdf")
	unsigned := edxPacket(t, h, quangNinh, "71", pdf, vpcp)
	packet := xmlSigned(t, h.Agencies[quangNinh].Key, unsigned)
	res := decode[wire.EdXMLAccepted](t, postEdXML(t, h, quangNinh, packet, nil, ""), http.StatusOK)
	sum := sha256.Sum256(packet)
	if res.Kind != "document" || res.Existed || len(res.MessageID) != 32 || res.MessageID != hex.EncodeToString(sum[:16]) || len(res.Receipt) == 0 {
		t.Fatalf("answer %+v", res)
	}
	again := decode[wire.EdXMLAccepted](t, postEdXML(t, h, quangNinh, packet, nil, ""), http.StatusOK)
	if !again.Existed || again.MessageID != res.MessageID || !bytes.Equal(again.Receipt, res.Receipt) {
		t.Fatalf("resubmission %+v: want existed with the first receipt", again)
	}

	// The recipient's native inbox names the packet instead of carrying one.
	inbox := decode[wire.Inbox](t, call(t, h, vpcp, http.MethodGet, wire.PathInbox, nil, nil), http.StatusOK)
	if len(inbox.Items) != 1 || inbox.Items[0].EdXML == nil || inbox.Items[0].Packet != nil ||
		inbox.Items[0].EdXML.SHA256 != hex.EncodeToString(sum[:]) || inbox.Items[0].EdXML.Size != int64(len(packet)) {
		t.Fatalf("inbox %+v: want the edXML reference and no packet", inbox.Items)
	}
	if w := call(t, h, vpcp, http.MethodPost, strings.Replace(wire.PathAck, "{id}", res.MessageID, 1), nil, nil); w.Code != http.StatusOK {
		t.Fatalf("ack: %d %s", w.Code, w.Body.String())
	}

	// The recipient's 03, as an edXML status packet, reaches the sender.
	var st bytes.Buffer
	docID := document.DocumentID{Organ: quangNinh, Date: document.DateOf(time.Now()), Number: "71", Notation: "UBND-VP"}
	u := document.StatusUpdate{Document: docID, From: vpcp, Code: document.StatusReceived, Staff: "Văn thư", Time: time.Now().Truncate(time.Second)}
	if err := edxml.WriteStatus(&st, &edxml.Status{Update: u}); err != nil {
		t.Fatal(err)
	}
	status := xmlSigned(t, h.Agencies[vpcp].Key, st.Bytes())
	sres := decode[wire.EdXMLAccepted](t, postEdXML(t, h, vpcp, status, nil, "?regarding="+res.MessageID), http.StatusOK)
	if sres.Kind != "status" || sres.MessageID != res.MessageID {
		t.Fatalf("status answer %+v", sres)
	}
	statuses := decode[wire.Statuses](t, call(t, h, quangNinh, http.MethodGet, wire.PathStatuses, nil, nil), http.StatusOK)
	last := statuses.Items[len(statuses.Items)-1]
	if last.Code != "03" || last.Format != wire.FormatEdXML || !bytes.Equal(last.Packet, status) || last.Signature != nil {
		t.Fatalf("sender's statuses %+v: want the 03 as the edXML packet", statuses.Items)
	}

	// A packet without an XML signature, with a detached CMS one.
	plain := edxPacket(t, h, quangNinh, "72", pdf, vpcp)
	digest := sha256.Sum256(plain)
	sig, err := cms.Sign(digest[:], crypto.SHA256, h.Agencies[quangNinh].Key)
	if err != nil {
		t.Fatal(err)
	}
	decode[wire.EdXMLAccepted](t, postEdXML(t, h, quangNinh, plain, sig, ""), http.StatusOK)
	inbox = decode[wire.Inbox](t, call(t, h, vpcp, http.MethodGet, wire.PathInbox+"?after=0", nil, nil), http.StatusOK)
	if n := len(inbox.Items); n != 1 || !bytes.Equal(inbox.Items[0].EdXML.Signature, sig) {
		t.Fatalf("inbox %+v: want the CMS-signed packet with its signature", inbox.Items)
	}
}

func TestEdXMLRefusedCodes(t *testing.T) {
	h := edxHub(t)
	pdf := readPDF(t, "cong-van.pdf")
	kp := h.Agencies[quangNinh].Key
	good := func(n string) []byte { return edxPacket(t, h, quangNinh, n, pdf, vpcp) }
	other := certstest.New(t).Agency(t, quangNinh, "Cơ quan giả")
	bomb := `<?xml version="1.0"?><!DOCTYPE z [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">&b;</edXML:edXML>`
	tests := []struct {
		name    string
		as      string
		packet  []byte
		sig     []byte
		want    wire.Code
		element string // the refusal's Details, when it names one
	}{
		{"Unsigned", quangNinh, good("81"), nil, wire.CodeBadSignature, ""},
		{"Tampered", quangNinh, bytes.Replace(xmlSigned(t, kp, good("82")), []byte("kết nối"), []byte("kết nôi"), 1), nil, wire.CodeBadSignature, ""},
		{"SignedByAnotherAgency", quangNinh, xmlSigned(t, h.Agencies[ngheAn].Key, good("83")), nil, wire.CodeSenderMismatch, ""},
		{"FromIsNotTheConnection", ngheAn, xmlSigned(t, h.Agencies[ngheAn].Key, good("84")), nil, wire.CodeSenderMismatch, "edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId"},
		{"NotUnderOurRoots", quangNinh, xmlSigned(t, other, good("85")), nil, wire.CodeUntrustedSigner, ""},
		{"MalformedXML", quangNinh, []byte("<edXML:edXML"), nil, wire.CodeMalformed, ""},
		{"EntityBomb", quangNinh, []byte(bomb), nil, wire.CodeMalformed, ""},
		{"WrongNamespace", quangNinh, bytes.ReplaceAll(good("86"), []byte(edxml.Namespace), []byte("urn:x")), nil, wire.CodeMalformed, ""},
		{"Base64Garbage", quangNinh, bytes.Replace(good("87"), []byte(">JVBER"), []byte(">!!!*"), 1), nil, wire.CodeMalformed, ""},
		{"NotAPDFNamedPDF", quangNinh, xmlSigned(t, kp, edxPacket(t, h, quangNinh, "88", []byte("GIF89a, not a document"), vpcp)), nil, wire.CodeNotPDF, ""},
		{"UnknownRecipient", quangNinh, xmlSigned(t, kp, edxPacket(t, h, quangNinh, "89", pdf, vpcp, "000.00.00.H26")), nil, wire.CodeUnknownRecipient, ""},
		{"CMSOverOtherBytes", quangNinh, good("90"), func() []byte {
			d := sha256.Sum256([]byte("other"))
			s, _ := cms.Sign(d[:], crypto.SHA256, kp)
			return s
		}(), wire.CodeBadSignature, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := decode[wire.Error](t, postEdXML(t, h, tc.as, tc.packet, tc.sig, ""), tc.want.HTTPStatus())
			if e.Code != tc.want {
				t.Fatalf("code %s (%s), want %s", e.Code, e.Message, tc.want)
			}
			if tc.element != "" {
				var d wire.EdXMLRefusal
				b, _ := json.Marshal(e.Details)
				if json.Unmarshal(b, &d) != nil || d.Element != tc.element {
					t.Fatalf("details %s, want the element %s", b, tc.element)
				}
			}
		})
	}
	// Nothing of the refused packets reached anyone.
	inbox := decode[wire.Inbox](t, call(t, h, vpcp, http.MethodGet, wire.PathInbox, nil, nil), http.StatusOK)
	if len(inbox.Items) != 0 {
		t.Fatalf("%d refused documents in the recipient's inbox", len(inbox.Items))
	}

	t.Run("OverTheSizeLimit", func(t *testing.T) {
		big := make([]byte, 1<<20+1)
		e := decode[wire.Error](t, postEdXML(t, h, quangNinh, big, nil, ""), http.StatusRequestEntityTooLarge)
		if e.Code != wire.CodeTooLarge {
			t.Fatal(e)
		}
		// Without a Content-Length: refused while reading.
		req := httptest.NewRequest(http.MethodPost, wire.PathEdXML, io.MultiReader(bytes.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", wire.ContentEdXML)
		req.TLS = &tls.ConnectionState{PeerCertificates: kp.Certificates()}
		w := httptest.NewRecorder()
		h.Server.ServeHTTP(w, req)
		if e := decode[wire.Error](t, w, http.StatusRequestEntityTooLarge); e.Code != wire.CodeTooLarge {
			t.Fatal(e)
		}
	})
	t.Run("NotXML", func(t *testing.T) {
		w := call(t, h, quangNinh, http.MethodPost, wire.PathEdXML, bytes.NewReader(good("91")), http.Header{"Content-Type": {"application/json"}})
		if e := decode[wire.Error](t, w, http.StatusBadRequest); e.Code != wire.CodeBadRequest {
			t.Fatal(e)
		}
	})
	t.Run("SignatureHeaderNotBase64", func(t *testing.T) {
		w := call(t, h, quangNinh, http.MethodPost, wire.PathEdXML, bytes.NewReader(good("92")),
			http.Header{"Content-Type": {wire.ContentEdXML}, wire.HeaderSignature: {"not base64!"}})
		if e := decode[wire.Error](t, w, http.StatusBadRequest); e.Code != wire.CodeBadRequest {
			t.Fatal(e)
		}
	})
	t.Run("MemoryBudgetTaken", func(t *testing.T) {
		_, release, err := h.Server.Relay().ReadEdXML(bytes.NewReader(make([]byte, 1<<20)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		w := postEdXML(t, h, quangNinh, xmlSigned(t, kp, good("93")), nil, "")
		e := decode[wire.Error](t, w, http.StatusServiceUnavailable)
		if e.Code != wire.CodeUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%+v, Retry-After %q", e, w.Header().Get("Retry-After"))
		}
		release()
		decode[wire.EdXMLAccepted](t, postEdXML(t, h, quangNinh, xmlSigned(t, kp, good("93")), nil, ""), http.StatusOK)
	})
}

// FuzzEdXML feeds arbitrary bodies to POST /v1/edxml on a real hub as an
// authenticated agency: every answer is well-formed, never a 500.
func FuzzEdXML(f *testing.F) {
	h := edxHub(f)
	peer := tls.ConnectionState{PeerCertificates: h.Agencies[quangNinh].Key.Certificates()}
	f.Add([]byte(`<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLEnvelope/></edXML:edXML>`), "")
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`), "AA==")
	f.Add(edxPacket(f, h, quangNinh, "1", []byte("%PDF-1.7\n"), vpcp), "")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		req := httptest.NewRequest(http.MethodPost, wire.PathEdXML, bytes.NewReader(body))
		req.Header.Set("Content-Type", wire.ContentEdXML)
		if sig != "" {
			req.Header.Set(wire.HeaderSignature, sig)
		}
		req.TLS = &peer
		w := httptest.NewRecorder()
		h.Server.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("answered %d: %s", w.Code, w.Body.String())
		}
		var e wire.Error
		if w.Code != http.StatusOK && (json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code == "") {
			t.Fatalf("answer %d is not a wire error: %s", w.Code, w.Body.String())
		}
	})
}

// TestEdXMLOverTheNetwork sends packets as a plain HTTP client would, over
// HTTP/2 on TCP and HTTP/3, without a Content-Length: the hub reads the
// body to its end, or refuses it as soon as it passes the limit.
func TestEdXMLOverTheNetwork(t *testing.T) {
	h := edxHub(t)
	pdf := readPDF(t, "cong-van.pdf")
	for i, tcp := range []bool{true, false} {
		c := rawClient(t, h, quangNinh, tcp)
		post := func(body io.Reader) (*http.Response, []byte) {
			t.Helper()
			req, err := http.NewRequest(http.MethodPost, "https://"+h.Addr+wire.PathEdXML, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", wire.ContentEdXML)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, b
		}
		packet := xmlSigned(t, h.Agencies[quangNinh].Key, edxPacket(t, h, quangNinh, fmt.Sprint(700+i), pdf, vpcp))
		// A reader that is not a bytes.Reader: sent without a length.
		resp, body := post(io.MultiReader(bytes.NewReader(packet)))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"kind":"document"`)) {
			t.Fatalf("tcp=%v: %d %s", tcp, resp.StatusCode, body)
		}
		resp, body = post(io.MultiReader(bytes.NewReader(make([]byte, 3<<20))))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(body, []byte(wire.CodeTooLarge)) {
			t.Fatalf("tcp=%v, over the limit: %d %s", tcp, resp.StatusCode, body)
		}
	}
}

// TestEdXMLNativeCalls checks what the native calls answer for a message
// sent as edXML: GET /v1/messages/{id} is the stored reference, whose
// SHA-256 the receipt names (an auditor recomputes envelope_sha256 from
// it), and the packet's blob, under .../attachments/{sha256}, is labelled
// an edXML packet, not a PDF, and can be fetched in ranges.
func TestEdXMLNativeCalls(t *testing.T) {
	h := edxHub(t)
	pdf := readPDF(t, "cong-van.pdf")
	packet := xmlSigned(t, h.Agencies[quangNinh].Key, edxPacket(t, h, quangNinh, "73", pdf, vpcp))
	res := decode[wire.EdXMLAccepted](t, postEdXML(t, h, quangNinh, packet, nil, ""), http.StatusOK)
	rc, _, err := receipt.Verify(res.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(packet)
	path := strings.Replace(wire.PathMessage, "{id}", res.MessageID, 1)
	for _, agency := range []string{quangNinh, vpcp} {
		w := call(t, h, agency, http.MethodGet, path, nil, nil)
		ref := sha256.Sum256(w.Body.Bytes())
		want := fmt.Sprintf(`{"edxml":{"sha256":"%x","size":%d}}`, sum, len(packet))
		if w.Code != http.StatusOK || w.Body.String() != want || hex.EncodeToString(ref[:]) != rc.EnvelopeSHA256 {
			t.Fatalf("%s: GET %s = %d %s: want %s, hashing to the receipt's envelope_sha256", agency, path, w.Code, w.Body.String(), want)
		}
	}

	blob := func(digest, rng string) *httptest.ResponseRecorder {
		var header http.Header
		if rng != "" {
			header = http.Header{"Range": {rng}}
		}
		p := strings.NewReplacer("{id}", res.MessageID, "{sha256}", digest).Replace(wire.PathAttachment)
		return call(t, h, vpcp, http.MethodGet, p, nil, header)
	}
	digest := hex.EncodeToString(sum[:])
	w := blob(digest, "")
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), packet) || w.Header().Get("Content-Type") != wire.ContentEdXML ||
		w.Header().Get("Content-Disposition") != `attachment; filename="`+digest+`.edxml"` {
		t.Fatalf("the packet's blob: %d %v", w.Code, w.Header())
	}
	if w := blob(digest, "bytes=10-19"); w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), packet[10:20]) {
		t.Fatalf("a range of the packet: %d %q", w.Code, w.Body.String())
	}
	pdfSum := sha256.Sum256(pdf)
	if w := blob(hex.EncodeToString(pdfSum[:]), ""); w.Code != http.StatusNotFound {
		t.Fatalf("an attachment inside the packet is no blob of the message: %d", w.Code)
	}
}
