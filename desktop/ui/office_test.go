package ui

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope/officetest"
)

// TestOfficeAttachmentNeverOpened: a Word appendix received by a clerk who
// takes them is listed with a "save a copy" button and a note that it is
// not signed nor checked like a PDF, and no "open" button; the viewer's
// path refuses it; saving it writes its bytes under the name the app
// chose, with .docx. The settings screen shows the types the clerk takes.
func TestOfficeAttachmentNeverOpened(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) { c.AttachmentTypes = []string{"pdf", "docx"} }})
	sender, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	receiver, _ := startApp(t, initHome(t, h, vpcp), Options{})
	if err := receiver.Clerk().SetAttachmentTypes([]string{"pdf", "docx"}); err != nil {
		t.Fatal(err)
	}
	settings := NewSettingsTab(receiver)
	if !slices.Equal(settings.Types.Selected, []string{".docx"}) {
		t.Errorf("settings show %v taken besides PDF", settings.Types.Selected)
	}

	docx := officetest.DOCX("Phụ lục")
	appendix := filepath.Join(t.TempDir(), "Phu-luc.docx")
	if err := os.WriteFile(appendix, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	// Dropped on the compose screen, a PDF and an office file are taken,
	// any other file is not.
	sender.Compose.Files.SetText("")
	sender.Compose.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(testdata("cong-van.pdf")), storage.NewFileURI(appendix),
		storage.NewFileURI("/tmp/Cong-van.pdf.hta"), storage.NewFileURI("/tmp/Phu-luc.docm")})
	if got := strings.Split(sender.Compose.Files.Text, "\n"); !slices.Equal(got, []string{testdata("cong-van.pdf"), appendix}) {
		t.Errorf("dropped files taken: %q", got)
	}
	syncNow(t, sender.Clerk())
	d := &clerk.Draft{Metadata: document.Metadata{
		CodeNotation: "UBND-VP", Type: document.TypeCongVan, Promulgation: document.Promulgation{Place: "Quảng Ninh"},
		Subject: "Về việc gửi phụ lục số liệu", Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		To: []document.Recipient{{Code: certs.AgencyCode(vpcp), Name: "Văn phòng Chính phủ"}},
	}, Files: []string{testdata("cong-van.pdf"), appendix}}
	id, err := sender.Clerk().Issue(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, sender.Clerk())
	syncNow(t, receiver.Clerk())
	settle(t, receiver)

	receiver.Incoming.Table().Select(tableCell(0))
	settle(t, receiver)
	v := receiver.Incoming.View
	if v.ID != id {
		t.Fatalf("the view shows %q, want %s", v.ID, id)
	}
	files := texts(v.Files)
	count := func(s string) int {
		n := 0
		for _, x := range files {
			if x == s {
				n++
			}
		}
		return n
	}
	if count("Mở") != 1 || count("Lưu bản sao…") != 2 {
		t.Errorf("attachment buttons %q: want one Open (the PDF) and two Save", files)
	}
	if !containsText(files, "Tệp .docx không phải PDF: tệp không được ký số và không được kiểm tra như tệp PDF") {
		t.Errorf("no note beside the docx: %q", files)
	}
	if _, err := tempCopy(receiver.Clerk(), v.View.Doc.Payload.Metadata, id, 1); !errors.Is(err, clerk.ErrNotViewable) {
		t.Errorf("the viewer's path took the docx: %v", err)
	}
	name := clerk.AttachmentFileName(v.View.Doc.Payload.Metadata, 1, v.View.Doc.Payload.Attachments[1])
	if !strings.HasSuffix(name, ".docx") {
		t.Errorf("save-as name %q", name)
	}
	saved := filepath.Join(t.TempDir(), name)
	v.SaveAttachmentTo(1, saved)
	eventually(t, "the saved copy", func() bool { return strings.HasPrefix(v.Message.Text, "Đã lưu bản sao tệp") })
	if b, err := os.ReadFile(saved); err != nil || !bytes.Equal(b, docx) {
		t.Errorf("the saved copy differs from the docx sent (%v)", err)
	}
}
