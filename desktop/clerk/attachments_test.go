package clerk_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	hubstore "lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
)

// polyglotPath is an HTML application with a valid PDF after its first 10
// bytes (issue #14, finding 2).
const polyglotPath = "../../shared/pades/testdata/polyglot.hta"

// plant puts a document from agency from straight into the hub's store,
// past the hub's checks, as a hub of an earlier version (or a hostile
// one) would deliver it: the receiving clerk must make its own.
func plant(t *testing.T, h *hubtest.Hub, from, to, name string, file []byte) string {
	t.Helper()
	ctx := ctxT(t)
	sum := sha256.Sum256(file)
	digest := hex.EncodeToString(sum[:])
	d := &envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{
			Version:    document.SchemaVersion,
			From:       document.Organ{Code: certs.AgencyCode(from), Name: agencyName(from)},
			CodeNumber: "77", CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject:      "Về việc kiểm tra tệp đính kèm",
			Signer:       document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           []document.Recipient{{Code: certs.AgencyCode(to), Name: agencyName(to)}},
		},
		Attachments: []envelope.Attachment{{Name: name, ContentType: envelope.ContentTypePDF, Size: int64(len(file)), SHA256: digest}},
	}
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	packet, err := envelope.Seal(payload, h.Agencies[from].Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.PutBlob(ctx, certs.AgencyCode(from), digest, bytes.NewReader(file), time.Now()); err != nil {
		t.Fatal(err)
	}
	envSum := sha256.Sum256(packet)
	_, _, err = h.Store.Accept(ctx, &hubstore.Submission{
		MessageID: d.MessageID, Sender: certs.AgencyCode(from), Recipients: []certs.AgencyCode{certs.AgencyCode(to)},
		EnvelopeSHA256: hex.EncodeToString(envSum[:]), Envelope: packet, BlobDigests: []string{digest},
		DocumentID: d.Metadata.ID().String(), Kind: document.BusinessNew, Received: time.Now().UTC(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d.MessageID
}

// TestReceiveHostileAttachments: a clerk does not take the polyglot of
// issue #14, under either name, even from a hub that let it through: it
// sets the document aside as refused, with the cause, and stores nothing.
func TestReceiveHostileAttachments(t *testing.T) {
	// The test plants in the store what the hub itself would refuse, so
	// the hub's answers are not the API's.
	h := hubtest.Start(t, hubtest.Options{Agencies: fiveAgencies, Unchecked: true})
	polyglot, err := os.ReadFile(polyglotPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		to, name string
		cause    store.RefusalCause
	}{
		{ngheAn, "Cong-van.pdf.hta", store.CauseInvalid},
		{caoBang, "Cong-van.pdf", store.CauseInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClerk(t, h, tt.to)
			id := plant(t, h, quangNinh, tt.to, tt.name, polyglot)
			mustSync(t, ctxT(t), c)
			refused, err := c.Refusals()
			if err != nil {
				t.Fatal(err)
			}
			if len(refused) != 1 || refused[0].MessageID != id || refused[0].Cause != tt.cause {
				t.Errorf("refusals %+v, want %s set aside for %q", refused, id, tt.cause)
			}
			for _, s := range inbox(t, c) {
				if s.ID == id {
					t.Fatalf("the clerk stored the polyglot named %q", tt.name)
				}
			}
		})
	}
}

// TestSendHostileAttachments: the sending clerk refuses the polyglot
// (not a PDF) and files whose names would be refused, before signing.
func TestSendHostileAttachments(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	mustSync(t, ctxT(t), c)
	dir := t.TempDir()
	polyglot, err := os.ReadFile(polyglotPath)
	if err != nil {
		t.Fatal(err)
	}
	poly := filepath.Join(dir, "Cong-van.pdf.hta")
	if err := os.WriteFile(poly, polyglot, 0o600); err != nil {
		t.Fatal(err)
	}
	d := draft(t, "cong-van.pdf", ngheAn)
	d.Files = []string{poly}
	if _, err := c.Issue(ctxT(t), d); !errors.Is(err, pades.ErrNotPDF) {
		t.Errorf("issuing the polyglot: err = %v, want pades.ErrNotPDF", err)
	}
	good, err := os.ReadFile(pdf("cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Cong-van\u202Efdp.pdf", "CON.pdf", "Cong-van\x1b[2J.pdf"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, good, 0o600); err != nil {
			t.Fatal(err)
		}
		d := draft(t, "cong-van.pdf", ngheAn)
		d.Files = []string{pdf("cong-van.pdf"), p}
		var ve *document.ValidationError
		if err := c.Validate(d); !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "files[1]" {
			t.Errorf("file %q: Validate = %v, want one problem on files[1]", name, err)
		}
	}
	if c.OutboxLen() != 0 {
		t.Error("a refused document was queued")
	}
}

// TestSecretDocumentRefusedBeforeSending: a document marked Mật or above
// is refused by the clerk's own validation, before a number is taken or
// anything signed, unless the clerk is set up for a hub that takes them.
func TestSecretDocumentRefusedBeforeSending(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	mustSync(t, ctxT(t), c)
	n, _ := c.NextNumber("mat")
	d := draft(t, "cong-van.pdf", ngheAn)
	d.Metadata.Secrecy, d.Series = document.SecrecySecret, "mat"
	_, err := c.Issue(ctxT(t), d)
	var ve *document.ValidationError
	if !errors.As(err, &ve) || !ve.Has("secrecy", document.ProblemNotAllowed) {
		t.Fatalf("Issue = %v, want a not_allowed problem on secrecy", err)
	}
	if m, _ := c.NextNumber("mat"); m != n || c.OutboxLen() != 0 {
		t.Error("a refused secret document took a number or was queued")
	}
	if ue := clerk.Explain(err); len(ue.Problems) != 1 || !strings.Contains(ue.Problems[0].MessageVI, "mật") {
		t.Errorf("the clerk reads %+v", ue)
	}

	home := filepath.Join(t.TempDir(), "allowing")
	initClerk(t, h, quangNinh, home)
	allowing, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), AllowSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	defer allowing.Close()
	mustSync(t, ctxT(t), allowing)
	if err := allowing.Validate(d); err != nil {
		t.Errorf("a clerk allowed to send secret documents: %v", err)
	}
}

func TestAttachmentFileName(t *testing.T) {
	pdfAtt := envelope.Attachment{Name: "Cong-van.pdf.hta", ContentType: envelope.ContentTypePDF}
	tests := []struct {
		number, notation string
		i                int
		a                envelope.Attachment
		want             string
	}{
		{"567", "QĐ-UBND", 0, pdfAtt, "567-QĐ-UBND-1.pdf"},
		{"12", "UBND-VP", 2, pdfAtt, "12-UBND-VP-3.pdf"},
		{"1234", "STTTT/CNTT", 0, pdfAtt, "1234-STTTT-CNTT-1.pdf"},
		// Not what validation lets through, but the name stays a plain
		// file name whatever the metadata holds.
		{"9", "../..\\CON\u202E.hta", 0, pdfAtt, "9-CON-hta-1.pdf"},
		{"", "", 0, pdfAtt, "van-ban-1.pdf"},
		{"5", "X", 0, envelope.Attachment{Name: "a.hta", ContentType: "text/html"}, "5-X-1.bin"},
	}
	for _, tt := range tests {
		m := &document.Metadata{CodeNumber: tt.number, CodeNotation: tt.notation}
		if got := clerk.AttachmentFileName(m, tt.i, tt.a); got != tt.want {
			t.Errorf("AttachmentFileName(%q, %q, %d) = %q, want %q", tt.number, tt.notation, tt.i, got, tt.want)
		}
	}

	// On screen: the sender's name when it passes today's rule, else the
	// chosen one (a document stored before the rule existed).
	m := &document.Metadata{CodeNumber: "567", CodeNotation: "QĐ-UBND"}
	for name, want := range map[string]string{
		"Công văn 567.pdf":      "Công văn 567.pdf",
		"Cong-van.pdf.hta":      "567-QĐ-UBND-2.pdf",
		"Cong-van\u202Efdp.hta": "567-QĐ-UBND-2.pdf",
	} {
		if got := clerk.AttachmentLabel(m, 1, envelope.Attachment{Name: name, ContentType: envelope.ContentTypePDF}); got != want {
			t.Errorf("AttachmentLabel(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestOpenAttachmentChecksContent: the bytes the viewer gets are the
// stored file whole, after its header was checked.
func TestOpenAttachmentChecksContent(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	mustSync(t, ctxT(t), c)
	id, err := c.Issue(ctxT(t), draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	rc, a, err := c.OpenAttachment(id, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("opened %d bytes, want the stored %d", len(b), a.Size)
	}
}
