package ui

import (
	"strings"
	"testing"

	"lienthong/hub/hubtest"
	"lienthong/shared/stamp"
)

// TestComposeWithSealImage chooses the seal-image stamp as a clerk would:
// without an image the send button stays off and says why; a file that is
// not a PNG is refused; with the seal the document goes out, and the
// recipient sees the agency's visible signature valid.
func TestComposeWithSealImage(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	sender, sw := startApp(t, initHome(t, h, quangNinh), Options{})
	receiver, _ := startApp(t, initHome(t, h, vpcp), Options{})
	syncNow(t, sender.Clerk())
	sender.Compose = NewComposeTab(sender)
	sw.SetContent(sender.Compose.Object())
	ct := sender.Compose
	compose(t, sender, testdata("cong-van.pdf"), "Về việc đóng dấu bằng ảnh con dấu", 0, "van phong chinh phu")

	ct.Stamp.SetSelected("Ảnh con dấu")
	if !ct.Send.Disabled() || !strings.Contains(ct.Problems.Text, "Chưa chọn ảnh con dấu") {
		t.Fatalf("seal stamp without an image: send enabled %v, problems %q", !ct.Send.Disabled(), ct.Problems.Text)
	}
	if err := ct.SetSeal("con-dau.jpg", []byte("not a PNG")); err == nil {
		t.Fatal("a file that is not a PNG was taken as the seal")
	}
	if err := ct.SetSeal("con-dau.png", stamp.DemoSeal("ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH", 400)); err != nil {
		t.Fatal(err)
	}
	if ct.Send.Disabled() || ct.SealLabel.Text != "Đã chọn ảnh con dấu con-dau.png" {
		t.Fatalf("with the seal: send disabled %v, problems %q, label %q", ct.Send.Disabled(), ct.Problems.Text, ct.SealLabel.Text)
	}
	ct.Issue()
	settle(t, sender)
	id := ct.LastIssued
	if id == "" {
		t.Fatalf("not issued: %q", ct.Problems.Text)
	}
	syncNow(t, sender.Clerk())
	syncNow(t, receiver.Clerk())
	v, err := receiver.Clerk().Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Reports) != 1 || !v.Reports[0].Valid() || len(v.Reports[0].Signatures) != 1 {
		t.Fatalf("signature report: %+v", v.Reports)
	}
	if r := v.Reports[0].Signatures[0]; !r.Valid() {
		t.Fatalf("the sealed signature: %+v", r.Problems)
	}
}
