package ui

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/evidence"
)

func syncNow(t *testing.T, c *clerk.Clerk) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// compose fills the compose screen as a clerk would.
func compose(t *testing.T, a *App, file, subject string, urgency int, to ...string) {
	t.Helper()
	ct := a.Compose
	test.Type(ct.Files, file)
	ct.Type.SetSelected("Công văn")
	test.Type(ct.Notation, "UBND-VP")
	test.Type(ct.Place, "Quảng Ninh")
	test.Type(ct.Subject, subject)
	test.Type(ct.Position, "PHÓ CHỦ TỊCH")
	test.Type(ct.Signer, "Nguyễn Văn Hùng")
	ct.Urgency.SetSelectedIndex(urgency)
	for _, q := range to {
		ct.Picker.Search.SetText("")
		test.Type(ct.Picker.Search, q)
		m := ct.Picker.Matches()
		if len(m) == 0 {
			t.Fatalf("the agency tree finds nothing for %q", q)
		}
		var code string
		for c, n := range ct.Picker.all {
			if n.a.Name == m[len(m)-1] {
				code = string(c)
			}
		}
		ct.Picker.Pick(certsCode(code))
	}
}

func TestComposeSendReceiveProcess(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	// The sender's directory comes from the hub: sync once before
	// composing, as the running app does at start.
	senderHome := initHome(t, h, quangNinh)
	receiverHome := initHome(t, h, vpcp)
	sender, sw := startApp(t, senderHome, Options{})
	receiver, _ := startApp(t, receiverHome, Options{})
	syncNow(t, sender.Clerk())
	// The compose screen loads the directory when built: build it again.
	sender.Compose = NewComposeTab(sender)
	sw.SetContent(sender.Compose.Object())

	ct := sender.Compose
	t.Run("validation as you type", func(t *testing.T) {
		if !ct.Send.Disabled() {
			t.Error("send enabled on an empty form")
		}
		for _, want := range []string{"Chưa chọn tệp PDF"} {
			if !strings.Contains(ct.Problems.Text, want) {
				t.Errorf("problems %q lack %q", ct.Problems.Text, want)
			}
		}
		test.Type(ct.Due, "2026-13-45")
		if !strings.Contains(ct.Problems.Text, "Ngày không đúng dạng") {
			t.Errorf("a bad date is not reported: %q", ct.Problems.Text)
		}
		ct.Due.SetText("")
	})

	subject := "Về việc triển khai liên thông văn bản điện tử năm 2026"
	compose(t, sender, testdata("cong-van.pdf"), subject, int(document.UrgencyFlash), "van phong chinh phu")
	t.Run("picker without diacritics", func(t *testing.T) {
		if got := ct.RecipientNames(); len(got) != 1 || got[0] != "Văn phòng Chính phủ" {
			t.Fatalf("recipients %q", got)
		}
	})
	t.Run("a document marked Mật is not sent, and the clerk reads why", func(t *testing.T) {
		ct.Secrecy.SetSelectedIndex(int(document.SecrecyConfidential))
		if !ct.Send.Disabled() || !strings.Contains(ct.Problems.Text, "Không gửi văn bản mật") {
			t.Errorf("send enabled %v, problems %q", !ct.Send.Disabled(), ct.Problems.Text)
		}
		ct.Secrecy.SetSelectedIndex(int(document.SecrecyNone))
	})
	if ct.Send.Disabled() {
		t.Fatalf("send disabled on a valid form: %q", ct.Problems.Text)
	}
	if ct.Problems.Text != "Thông tin hợp lệ, có thể ký và gửi" {
		t.Errorf("problems %q", ct.Problems.Text)
	}
	if !strings.Contains(ct.NextNumber.Text, "Số sẽ cấp: 1") {
		t.Errorf("next number %q", ct.NextNumber.Text)
	}

	// Sign and send: confirm in the dialog, in Vietnamese.
	test.Tap(ct.Send)
	ok := findButton(sw, "Đồng ý")
	if ok == nil {
		t.Fatal("no confirmation dialog")
	}
	test.Tap(ok)
	settle(t, sender)
	if !strings.Contains(ct.Problems.Text, "Đã ký và đưa vào hàng gửi") {
		t.Fatalf("after send: %q", ct.Problems.Text)
	}
	out := sender.Outgoing.List
	if out.Total() != 1 {
		t.Fatalf("outgoing has %d documents", out.Total())
	}
	row, _ := out.Row(0)
	if row.Subject != subject || numberNotation(row) != "1/UBND-VP" {
		t.Errorf("outgoing row %+v", row)
	}
	if got := sender.Status.Pending.Text; got == "Chờ gửi: 0" {
		t.Errorf("status bar shows nothing waiting after a send: %q", got)
	}

	syncNow(t, sender.Clerk())
	syncNow(t, receiver.Clerk())

	in := receiver.Incoming.List
	eventually(t, "the document in Văn bản đến", func() bool { return in.Total() == 1 })
	got, _ := in.Row(0)
	t.Run("incoming row", func(t *testing.T) {
		if got.Subject != subject || got.Agency != "Ủy ban nhân dân tỉnh Quảng Ninh" || got.Read {
			t.Errorf("row %+v", got)
		}
		if text, imp := cellText(receiver.cat, got, ColUrgency); text != "Hỏa tốc" || imp != widget.DangerImportance {
			t.Errorf("urgency cell %q %v", text, imp)
		}
		if text, _ := cellText(receiver.cat, got, ColStatus); text != "Đã đến" {
			t.Errorf("status cell %q", text)
		}
	})

	// Open it: metadata, a valid signature, the actions.
	receiver.Incoming.Table().Select(tableCell(0))
	settle(t, receiver)
	v := receiver.Incoming.View
	if v.ID != got.ID {
		t.Fatalf("selecting the row did not open it")
	}
	t.Run("document view", func(t *testing.T) {
		all := texts(v.Object())
		for _, want := range []string{"1/UBND-VP", "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng Chính phủ", "Hỏa tốc", "Chưa vào sổ"} {
			if !containsText(all, want) {
				t.Errorf("view lacks %q", want)
			}
		}
		if !strings.Contains(v.Signatures.Text, "Tất cả chữ ký đều hợp lệ") || !strings.Contains(v.Signatures.Text, "Không có thay đổi nào sau khi ký") ||
			!strings.Contains(v.Signatures.Text, "Hợp lệ — Người ký: Ủy ban nhân dân tỉnh Quảng Ninh\n") {
			t.Errorf("signature report:\n%s", v.Signatures.Text)
		}
		if v.Register.Disabled() || !v.Assign.Disabled() || !v.AcceptRcl.Disabled() {
			t.Errorf("actions: register %v assign %v accept recall %v", !v.Register.Disabled(), !v.Assign.Disabled(), !v.AcceptRcl.Disabled())
		}
		if r, _ := in.Row(0); !r.Read {
			t.Error("opening did not mark the document read")
		}
	})

	t.Run("attachment for the system viewer and preview", func(t *testing.T) {
		m := v.View.Doc.Payload.Metadata
		path, err := tempCopy(receiver.Clerk(), m, v.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		// Named by the clerk, not by the sender: number, notation, place
		// and the extension of the content it checked.
		if want := "-" + m.CodeNumber + "-UBND-VP-1.pdf"; !strings.HasSuffix(path, want) || strings.Contains(filepath.Base(path), "cong-van") {
			t.Errorf("the viewer's copy is %s, want a name ending %s", filepath.Base(path), want)
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/ByteRange")) {
			t.Errorf("the viewer's copy is not the signed PDF (%d bytes, %v)", len(b), err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("the viewer's copy is readable by others: %v", fi.Mode())
		}
		saved := filepath.Join(t.TempDir(), clerk.AttachmentFileName(m, 0, v.View.Doc.Payload.Attachments[0]))
		v.SaveAttachmentTo(0, saved)
		eventually(t, "the saved copy", func() bool { return strings.HasPrefix(v.Message.Text, "Đã lưu bản sao tệp") })
		if c, err := os.ReadFile(saved); err != nil || !bytes.Equal(c, b) {
			t.Errorf("the saved copy differs from the viewer's (%d bytes, %v)", len(c), err)
		}
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			t.Fatal("pdftoppm is needed for the preview: make deps installs poppler-utils")
		}
		eventually(t, "the first page preview", func() bool { return v.PreviewMsg.Text == "Trang đầu" })
		if v.Preview.File == "" {
			t.Error("no preview image")
		}
	})

	t.Run("refuse needs a reason", func(t *testing.T) {
		test.Tap(v.Refuse)
		if v.Message.Text != "Phải nhập lý do" {
			t.Errorf("message %q", v.Message.Text)
		}
	})
	t.Run("register, assign, complete", func(t *testing.T) {
		test.Tap(v.Register)
		settle(t, receiver)
		if v.Message.Text != "Đã tiếp nhận, số đến 1" {
			t.Fatalf("register: %q", v.Message.Text)
		}
		if all := texts(v.Object()); !containsText(all, "1, ngày") {
			t.Errorf("arrival number not shown: %q", all)
		}
		if !v.Register.Disabled() || !v.Refuse.Disabled() || v.Assign.Disabled() {
			t.Error("actions after registering")
		}
		test.Tap(v.Assign)
		if v.Message.Text != "Phải nhập người hoặc đơn vị được giao" {
			t.Errorf("assign without assignee: %q", v.Message.Text)
		}
		test.Type(v.AssignTo, "Phòng Hành chính - Tổ chức")
		test.Tap(v.Assign)
		settle(t, receiver)
		test.Tap(v.Complete)
		settle(t, receiver)
		if !v.Complete.Disabled() {
			t.Error("complete still enabled")
		}
		r, _ := in.Row(0)
		if text, _ := cellText(receiver.cat, r, ColStatus); text != "Hoàn thành" {
			t.Errorf("status column %q", text)
		}
	})

	// The statuses travel back; the sender's timeline shows them.
	syncNow(t, receiver.Clerk())
	syncNow(t, sender.Clerk())
	sender.Outgoing.View.Show(row.ID)
	tl := sender.Outgoing.View.Timeline.Text
	for _, want := range []string{"Văn phòng Chính phủ", "Đã đến", "Đã tiếp nhận", "Phân công", "Hoàn thành"} {
		if !strings.Contains(tl, want) {
			t.Errorf("sender's timeline lacks %q:\n%s", want, tl)
		}
	}

	t.Run("evidence bundle for an auditor", func(t *testing.T) {
		sv := sender.Outgoing.View
		path := filepath.Join(t.TempDir(), "ho-so.zip")
		sv.ExportEvidenceTo(path)
		if !sv.Evidence.Disabled() {
			t.Error("the export button is on while the export runs")
		}
		settle(t, sender)
		if !strings.HasPrefix(sv.Message.Text, "Đã xuất hồ sơ chứng cứ ra "+path) {
			t.Errorf("message %q", sv.Message.Text)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := evidence.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if rep := evidence.Verify(b, evidence.Options{Verifier: h.Verifier(), LogKey: h.LogKey}); !rep.OK() {
			t.Fatalf("the exported bundle does not verify: %+v", rep.Checks)
		}
	})

	t.Run("recall and its answer", func(t *testing.T) {
		sv := sender.Outgoing.View
		test.Tap(sv.Recall)
		if sv.Message.Text != "Phải nhập lý do" {
			t.Errorf("recall without a reason: %q", sv.Message.Text)
		}
		test.Type(sv.Reason, "Sai số liệu tại mục 2")
		test.Tap(sv.Recall)
		settle(t, sender)
		if !strings.HasPrefix(sv.Message.Text, "Đã cập nhật") {
			t.Fatalf("recall: %q", sv.Message.Text)
		}
		syncNow(t, sender.Clerk())
		syncNow(t, receiver.Clerk())
		v.Show(v.ID)
		if v.AcceptRcl.Disabled() || v.Message.Text != "Cơ quan gửi đã thu hồi văn bản này, hãy trả lời" {
			t.Fatalf("recall not offered: accept enabled %v, message %q", !v.AcceptRcl.Disabled(), v.Message.Text)
		}
		test.Tap(v.RejectRcl)
		if v.Message.Text != "Phải nhập lý do" {
			t.Errorf("refusing a recall without a reason: %q", v.Message.Text)
		}
		test.Tap(v.AcceptRcl)
		settle(t, receiver)
		if !v.AcceptRcl.Disabled() || !v.Complete.Disabled() {
			t.Error("actions still enabled after accepting the recall")
		}
		syncNow(t, receiver.Clerk())
		syncNow(t, sender.Clerk())
		sv.Show(row.ID)
		if !strings.Contains(sv.Timeline.Text, "Thu hồi — Sai số liệu tại mục 2") || !strings.Contains(sv.Timeline.Text, "Đồng ý") {
			t.Errorf("sender's timeline after the recall:\n%s", sv.Timeline.Text)
		}
	})
}

func TestUrgentNotificationAndLiveArrival(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	receiverHome := initHome(t, h, vpcp)
	receiver, _ := startApp(t, receiverHome, Options{})
	senderHome := initHome(t, h, ngheAn)
	sc, err := clerk.Open(senderHome, testPass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	syncNow(t, sc)
	ctx := context.Background()
	_, err = sc.Issue(ctx, &clerk.Draft{Files: []string{testdata("quyet-dinh.pdf")}, Stamp: clerk.Stamp{Kind: clerk.StampText},
		Metadata: document.Metadata{Type: document.TypeQuyetDinh, CodeNotation: "QĐ-UBND", Subject: "Quyết định khẩn về phòng chống bão số 3", Promulgation: document.Promulgation{Place: "Nghệ An"},
			Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Trần Thị Lan"}, Priority: document.UrgencyFlash,
			To: []document.Recipient{{Code: vpcp}}}})
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, sc)
	want := fyne.NewNotification("Hỏa tốc: văn bản đến", "Ủy ban nhân dân tỉnh Nghệ An — Quyết định khẩn về phòng chống bão số 3")
	test.AssertNotificationSent(t, want, func() {
		syncNow(t, receiver.Clerk())
		eventually(t, "the arrival in the list", func() bool { return receiver.Incoming.List.Total() == 1 })
	})
	r, _ := receiver.Incoming.List.Row(0)
	if r.Read || r.Urgency != document.UrgencyFlash {
		t.Errorf("row %+v", r)
	}
	if s := receiver.Incoming.List.Count.Text; s != "1 văn bản" {
		t.Errorf("count %q", s)
	}
	_ = store.Incoming
}
