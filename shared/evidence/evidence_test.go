package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
)

const (
	origin    = "hub.test/log"
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

// world is everything a real exchange leaves behind: a PKI, a signed PDF,
// the sender's packet, the hub's receipts and its log.
type world struct {
	pki      *certstest.PKI
	verifier *certs.Verifier
	logKey   string
	signer   note.Signer
	bundle   *Bundle
}

func signPDF(t testing.TB, kp *certs.KeyPair) []byte {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "signed.pdf")
	if err := pades.SignFile(context.Background(), "testdata/cong-van.pdf", out, pades.Options{Signer: kp}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{pki: certstest.New(t)}
	qn := w.pki.Agency(t, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	na := w.pki.Agency(t, ngheAn, "Ủy ban nhân dân tỉnh Nghệ An")
	hub := w.pki.Receipts(t)
	w.verifier = w.pki.Verifier(t)
	skey, vkey, err := note.GenerateKey(rand.Reader, "hub.test")
	if err != nil {
		t.Fatal(err)
	}
	w.logKey = vkey
	w.signer, _ = note.NewSigner(skey)

	pdf := signPDF(t, qn)
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	// A Word appendix, which carries no signature of its own: the
	// packet's signature over its digest binds it.
	docx := officetest.DOCX("Phụ lục")
	sum = sha256.Sum256(docx)
	docxDigest := hex.EncodeToString(sum[:])
	doc := &envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{
			Version: document.SchemaVersion, From: document.Organ{Code: quangNinh, Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
			CodeNumber: "12", CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject:      "Về việc kiểm tra chứng cứ", Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To: []document.Recipient{{Code: ngheAn, Name: "Ủy ban nhân dân tỉnh Nghệ An"}},
		},
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest},
			{Name: "phu-luc.docx", ContentType: envelope.ContentTypeDOCX, Size: int64(len(docx)), SHA256: docxDigest}},
	}
	payload, _ := json.Marshal(doc)
	packet, err := envelope.Seal(payload, qn)
	if err != nil {
		t.Fatal(err)
	}
	packetHash := receipt.EnvelopeHash(packet)
	at := time.Now()
	accepted, err := receipt.Sign(&receipt.Receipt{Event: receipt.EventAccepted, MessageID: doc.MessageID, EnvelopeSHA256: packetHash,
		Sender: quangNinh, Recipients: []string{ngheAn}, At: at, Hub: "localhost"}, hub)
	if err != nil {
		t.Fatal(err)
	}
	delivered, err := receipt.Sign(&receipt.Receipt{Event: receipt.EventDelivered, MessageID: doc.MessageID, EnvelopeSHA256: packetHash,
		Sender: quangNinh, Recipients: []string{ngheAn}, At: at.Add(time.Second), Hub: "localhost"}, hub)
	if err != nil {
		t.Fatal(err)
	}
	st := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: doc.MessageID, Update: document.StatusUpdate{
		Document: doc.Metadata.ID(), From: ngheAn, Code: document.StatusReceived, Staff: "Văn thư", Time: at.Add(2 * time.Second)}}
	stPayload, _ := json.Marshal(st)
	status, err := envelope.Seal(stPayload, na)
	if err != nil {
		t.Fatal(err)
	}

	// The hub's log: other documents' events around ours.
	log := &auditlog.Memory{}
	other := func(i int) {
		e := auditlog.Entry{Kind: auditlog.KindAccepted, At: at, MessageID: envelope.NewMessageID(), EnvelopeSHA256: strings.Repeat("0", 64), Sender: ngheAn, Recipients: []string{quangNinh}}
		if _, err := log.Append(e.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		other(i)
	}
	b := &Bundle{
		Manifest: Manifest{Version: 1, MessageID: doc.MessageID, Exported: at, By: ngheAn, LogOrigin: origin, LogKey: vkey},
		Packet:   packet, Attachments: map[string][]byte{digest: pdf, docxDigest: docx}, Receipts: [][]byte{accepted, delivered}, Statuses: [][]byte{status},
		Entries: map[int64][]byte{}, Proofs: map[int64]auditlog.InclusionProof{},
	}
	ours := []auditlog.Entry{
		{Kind: auditlog.KindAccepted, At: at, MessageID: doc.MessageID, EnvelopeSHA256: packetHash, Business: "new", Sender: quangNinh, Recipients: []string{ngheAn}},
		{Kind: auditlog.KindDelivered, At: at.Add(time.Second), MessageID: doc.MessageID, EnvelopeSHA256: packetHash, Agency: ngheAn},
	}
	var idx []int64
	for _, e := range ours {
		i, err := log.Append(e.Encode())
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
		other(int(i))
	}
	head, _ := auditlog.Head(origin, log.Size(), log)
	b.Checkpoint, _ = head.Sign(w.signer)
	for _, i := range idx {
		p, err := auditlog.ProveInclusion(i, log.Size(), log)
		if err != nil {
			t.Fatal(err)
		}
		b.Entries[i], b.Proofs[i] = log.Entry(i), p
	}
	w.bundle = b
	return w
}

// roundTrip writes and reads the bundle as the auditor receives it.
func roundTrip(t *testing.T, b *Bundle) *Bundle {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func failed(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.What+": "+c.Detail)
		}
	}
	return out
}

func TestVerify(t *testing.T) {
	w := newWorld(t)
	good := roundTrip(t, w.bundle)
	if r := Verify(good, Options{Verifier: w.verifier, LogKey: w.logKey}); !r.OK() {
		t.Fatalf("a genuine bundle failed: %v", failed(r))
	}
	otherKey := func() string {
		_, v, _ := note.GenerateKey(rand.Reader, "hub.test")
		return v
	}()
	tests := []struct {
		name   string
		change func(b *Bundle) Options
		want   string // a failed check containing this
	}{
		{"a byte of the PDF changed", func(b *Bundle) Options {
			for k, v := range b.Attachments {
				v = bytes.Clone(v)
				v[len(v)/2] ^= 1
				b.Attachments[k] = v
			}
			return Options{Verifier: w.verifier, LogKey: w.logKey}
		}, "matches the digest the sender signed"},
		{"the delivery left out of the log", func(b *Bundle) Options {
			for i, e := range b.Entries {
				if strings.Contains(string(e), `"delivered"`) {
					delete(b.Entries, i)
				}
			}
			return Options{Verifier: w.verifier, LogKey: w.logKey}
		}, "the delivered receipt is recorded in the log"},
		{"a log entry altered", func(b *Bundle) Options {
			for i, e := range b.Entries {
				b.Entries[i] = bytes.Replace(e, []byte(ngheAn), []byte("000.00.00.G22"), 1)
			}
			return Options{Verifier: w.verifier, LogKey: w.logKey}
		}, "is in the log"},
		{"checkpoint of another hub key", func(b *Bundle) Options {
			return Options{Verifier: w.verifier, LogKey: otherKey}
		}, "checkpoint is signed by the hub's log key"},
		{"no log key given", func(b *Bundle) Options { return Options{Verifier: w.verifier} }, "a log key to trust was given"},
		{"a receipt forged by an agency", func(b *Bundle) Options {
			qn := w.pki.Agency(t, quangNinh, "UBND")
			var rc receipt.Receipt
			var p envelope.Packet
			_ = json.Unmarshal(b.Receipts[0], &p)
			_ = json.Unmarshal(p.Payload, &rc)
			forged, _ := receipt.Sign(&rc, qn)
			b.Receipts[0] = forged
			return Options{Verifier: w.verifier, LogKey: w.logKey}
		}, "receipt 1"},
		{"a receipt signed by a hub node's TLS key", func(b *Bundle) Options {
			var rc receipt.Receipt
			var p envelope.Packet
			_ = json.Unmarshal(b.Receipts[0], &p)
			_ = json.Unmarshal(p.Payload, &rc)
			forged, _ := receipt.Sign(&rc, w.pki.Hub(t))
			b.Receipts[0] = forged
			return Options{Verifier: w.verifier, LogKey: w.logKey}
		}, "receipt 1"},
		{"receipts of another receipt identity than the configured one", func(b *Bundle) Options {
			return Options{Verifier: w.verifier, LogKey: w.logKey, ReceiptSigner: "another-hub"}
		}, "receipt 1"},
		{"roots of another PKI", func(b *Bundle) Options {
			return Options{Verifier: certstest.New(t).Verifier(t), LogKey: w.logKey}
		}, "the sender's signature on the document packet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := roundTrip(t, w.bundle)
			opts := tt.change(b)
			r := Verify(roundTrip(t, b), opts)
			if r.OK() {
				t.Fatal("a tampered bundle passed")
			}
			found := false
			for _, f := range failed(r) {
				found = found || strings.Contains(f, tt.want)
			}
			if !found {
				t.Fatalf("no failed check mentions %q: %v", tt.want, failed(r))
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	w := newWorld(f)
	var buf bytes.Buffer
	if err := w.bundle.Write(&buf); err == nil {
		f.Add(buf.Bytes())
	}
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Read(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			Verify(b, Options{Verifier: w.verifier, LogKey: w.logKey})
		}
	})
}

// TestReadOnePacket: a bundle carries the sender's document as exactly
// one of a signed packet and an edXML packet.
func TestReadOnePacket(t *testing.T) {
	w := newWorld(t)
	for name, change := range map[string]func(b *Bundle){
		"both":    func(b *Bundle) { b.EdXML = []byte("<edXML/>") },
		"neither": func(b *Bundle) { b.Packet = nil },
	} {
		b := *w.bundle
		change(&b)
		var buf bytes.Buffer
		if err := b.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	b := *w.bundle
	b.Packet, b.EdXML, b.EdXMLSignature, b.EdXMLRef = nil, []byte("<edXML/>"), []byte{0x30}, []byte(`{"edxml":{}}`)
	got := roundTrip(t, &b)
	if !bytes.Equal(got.EdXML, b.EdXML) || !bytes.Equal(got.EdXMLSignature, b.EdXMLSignature) || !bytes.Equal(got.EdXMLRef, b.EdXMLRef) {
		t.Errorf("the edXML files did not round-trip: %+v", got)
	}
}
