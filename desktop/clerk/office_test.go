package clerk_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
)

// TestOfficeAppendix sends a document with a Word appendix through a real
// hub that allows office appendices, to a clerk that takes them and to
// one that keeps the default (PDF only). The first stores it, shows it
// under a name of its own with .docx, hands it out to be saved byte for
// byte, and never to the system's viewer; the second sets the document
// aside and refuses it through the hub, saying which type it does not
// take.
func TestOfficeAppendix(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Agencies: fiveAgencies, Configure: func(c *config.Config) {
		c.AttachmentTypes = []string{"pdf", "docx", "xlsx", "odt"}
	}})
	ctx := ctxT(t)
	qn, na, cb := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn), newClerk(t, h, caoBang)
	if got := strings.Join(na.AttachmentTypes().Names(), ","); got != "pdf" {
		t.Errorf("a new clerk takes %s, want pdf", got)
	}
	if err := na.SetAttachmentTypes([]string{"pdf", "docx"}); err != nil {
		t.Fatal(err)
	}
	if err := na.SetAttachmentTypes([]string{"pdf", "doc"}); err == nil {
		t.Error("a clerk was set to take legacy .doc files")
	}
	if got := strings.Join(na.AttachmentTypes().Names(), ","); got != "pdf,docx" {
		t.Errorf("the clerk takes %s, want pdf,docx", got)
	}
	mustSync(t, ctx, qn, na, cb)

	docx := officetest.DOCX("Phụ lục kèm theo công văn")
	appendix := filepath.Join(t.TempDir(), "Phụ lục 1.docx")
	if err := os.WriteFile(appendix, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	d := draft(t, "cong-van.pdf", ngheAn, caoBang)
	d.Files = append(d.Files, appendix)
	id, err := qn.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na, cb)

	doc, err := na.Store().Get(id)
	if err != nil {
		t.Fatalf("the clerk that takes .docx did not store the document: %v", err)
	}
	a := doc.Payload.Attachments[1]
	if a.ContentType != envelope.ContentTypeDOCX || a.Name != "Phụ lục 1.docx" {
		t.Errorf("appendix %+v", a)
	}
	if name := clerk.AttachmentFileName(doc.Payload.Metadata, 1, a); !strings.HasSuffix(name, "-2.docx") {
		t.Errorf("file name %q", name)
	}
	if clerk.Viewable(a) || !clerk.Viewable(doc.Payload.Attachments[0]) {
		t.Error("Viewable")
	}
	if _, _, err := na.OpenForViewer(id, 1); !errors.Is(err, clerk.ErrNotViewable) {
		t.Errorf("the docx went to the viewer: %v", err)
	}
	rc, _, err := na.OpenForViewer(id, 0)
	if err != nil {
		t.Fatalf("the main PDF: %v", err)
	}
	rc.Close()
	rc, _, err = na.OpenAttachment(id, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, docx) {
		t.Errorf("the saved copy differs from the docx sent (%v)", err)
	}

	refused, err := cb.Refusals()
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[0].MessageID != id || refused[0].Cause != store.CauseType || !strings.Contains(refused[0].Reason, ".docx") {
		t.Fatalf("refusals %+v, want %s refused for its .docx", refused, id)
	}
	for _, s := range inbox(t, cb) {
		if s.ID == id {
			t.Fatal("the clerk that takes PDF only stored the document")
		}
	}
}

// TestSendOfficeAppendix: the sending clerk checks an office appendix by
// its content before anything is signed, and keeps the main document a PDF.
func TestSendOfficeAppendix(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	docm := write("Phu-luc.docx", officetest.DOCM())
	main := write("Chinh.docx", officetest.DOCX("x"))

	d := draft(t, "cong-van.pdf", ngheAn)
	d.Files = append(d.Files, docm)
	if _, err := c.Issue(ctxT(t), d); !errors.Is(err, envelope.ErrActiveContent) {
		t.Errorf("a docm named .docx: %v", err)
	}
	d = draft(t, "cong-van.pdf", ngheAn)
	d.Files = []string{main}
	if _, err := c.Issue(ctxT(t), d); err == nil || !strings.Contains(err.Error(), "must be a PDF") {
		t.Errorf("a docx as the main document: %v", err)
	}
}

// TestEdXMLOfficeAppendix: an edXML packet with a Word appendix follows the
// clerk's policy of attachment types on import, as the sync does: refused
// (nothing stored) by a clerk that takes PDF only, filed by one that takes
// .docx.
func TestEdXMLOfficeAppendix(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	gov, na := newClerk(t, h, vpcp), newClerk(t, h, ngheAn)
	appendix := filepath.Join(t.TempDir(), "Phu-luc.docx")
	if err := os.WriteFile(appendix, officetest.DOCX("Phụ lục"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := draft(t, "quyet-dinh.pdf", ngheAn)
	d.Files = append(d.Files, appendix)
	id, err := gov.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gov.ExportEdXML(id, &b); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, na)
	if _, err := na.ImportEdXML(ctx, b.Bytes(), clerk.ImportOptions{}); !errors.Is(err, clerk.ErrEdXMLAttachment) {
		t.Fatalf("a docx appendix imported by a clerk that takes PDF only: %v", err)
	}
	if snapshot(t, na) != before {
		t.Error("a refused packet changed the store")
	}
	if err := na.SetAttachmentTypes([]string{"pdf", "docx"}); err != nil {
		t.Fatal(err)
	}
	in, err := na.ImportEdXML(ctx, b.Bytes(), clerk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := na.Store().Get(in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Payload.Attachments) != 2 || doc.Payload.Attachments[1].ContentType != envelope.ContentTypeDOCX || len(in.Reports) != 2 || in.Reports[1] != nil {
		t.Errorf("imported %+v, reports %v", doc.Payload.Attachments, in.Reports)
	}
	if _, _, err := na.OpenForViewer(in.ID, 1); !errors.Is(err, clerk.ErrNotViewable) {
		t.Errorf("the docx went to the viewer: %v", err)
	}
}
