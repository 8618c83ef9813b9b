package ui

import (
	"bytes"
	"context"
	"testing"

	"fyne.io/fyne/v2"

	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
)

// notifications records what the app sends as system notifications.
type notifications struct {
	fyne.App
	sent []*fyne.Notification
}

func (n *notifications) SendNotification(x *fyne.Notification) { n.sent = append(n.sent, x) }

// TestDuplicateDeliveryNotice: when the hub delivers a document the clerk
// imported from an edXML file already, the clerk is told that it was not
// registered again.
func TestDuplicateDeliveryNotice(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	receiver, _ := startApp(t, initHome(t, h, vpcp), Options{})
	rec := &notifications{App: receiver.fyne}
	receiver.fyne = rec
	sc, err := clerk.Open(initHome(t, h, ngheAn), testPass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	syncNow(t, sc) // the directory
	ctx := context.Background()
	id, err := sc.Issue(ctx, &clerk.Draft{Files: []string{testdata("quyet-dinh.pdf")}, Stamp: clerk.Stamp{Kind: clerk.StampText},
		Metadata: document.Metadata{Type: document.TypeQuyetDinh, CodeNotation: "QĐ-UBND", Subject: "Quyết định gửi cả bằng tệp edXML",
			Promulgation: document.Promulgation{Place: "Nghệ An"}, Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Trần Thị Lan"},
			To: []document.Recipient{{Code: vpcp}}}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sc.ExportEdXML(id, &b); err != nil {
		t.Fatal(err)
	}
	if _, err := receiver.Clerk().ImportEdXML(ctx, b.Bytes(), clerk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	syncNow(t, sc)
	syncNow(t, receiver.Clerk())
	eventually(t, "the notice of the duplicate", func() bool { return len(rec.sent) > 0 })
	n := rec.sent[len(rec.sent)-1]
	if n.Title != "Văn bản đến đã có trong sổ" ||
		n.Content != "Ủy ban nhân dân tỉnh Nghệ An — Quyết định gửi cả bằng tệp edXML: trục liên thông chuyển lại văn bản đã tiếp nhận; không vào sổ lần nữa, giữ số đến cũ" {
		t.Errorf("notice %q: %q", n.Title, n.Content)
	}
	if total := receiver.Incoming.List.Total(); total != 1 {
		t.Errorf("%d documents in the incoming box, want the one imported", total)
	}
}
