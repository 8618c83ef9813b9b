//go:build cgo

package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lienthong/certs/token/tokentest"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/stamp"
)

// overlayText is the text of the dialogs showing in w.
func overlayText(w fyne.Window) string {
	var all []string
	for _, o := range w.Canvas().Overlays().List() {
		all = append(all, texts(o)...)
	}
	return strings.Join(all, "\n")
}

// composeReady is a sender's compose screen after the directory sync,
// with a document to one recipient typed in.
func composeReady(t *testing.T, a *App, w fyne.Window, file, subject string) *ComposeTab {
	t.Helper()
	syncNow(t, a.Clerk())
	a.Compose = NewComposeTab(a)
	w.SetContent(a.Compose.Object())
	compose(t, a, file, subject, 0, "van phong chinh phu")
	settle(t, a)
	return a.Compose
}

// TestPersonRefuseAndSignHere refuses to send, under the refuse setting,
// a main PDF the competent person has not signed (the send button off,
// the reason said); the leader then signs it at the desk with a SoftHSM2
// token (key chosen from the list, the PIN dialog, a signature image),
// the check finds the signature, the document goes out, and both the
// recipient's and the sender's views name both signers in their roles.
func TestPersonRefuseAndSignHere(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	leader := h.PKI.Person(t, "Nguyễn Văn Hùng", "Phó Chủ tịch", quangNinh)
	tok := tokentest.New(t, "Lanh dao")
	tok.Import(t, leader, "chu-ky", 7, true)
	sender, w := startApp(t, initHome(t, h, quangNinh), Options{})
	receiver, _ := startApp(t, initHome(t, h, vpcp), Options{})

	sender.Settings.PersonPolicy.SetSelected("Không cho gửi")
	settle(t, sender)
	if p := sender.Clerk().PersonPolicy(); p != "refuse" {
		t.Fatalf("the setting kept %q", p)
	}
	original := testdata("cong-van.pdf")
	ct := composeReady(t, sender, w, original, "Về việc lãnh đạo ký tại bàn văn thư")
	missing := "Văn bản chưa có chữ ký số của người có thẩm quyền"
	if !ct.Send.Disabled() || !strings.Contains(ct.Problems.Text, "Chưa gửi được: "+missing) || !strings.Contains(ct.Person.Text, missing) {
		t.Fatalf("unsigned under refuse: send enabled %v, problems %q, person %q", !ct.Send.Disabled(), ct.Problems.Text, ct.Person.Text)
	}

	test.Tap(ct.SignHere)
	s := ct.Signing
	if s == nil || !strings.Contains(overlayText(w), "Người có thẩm quyền ký văn bản chính") {
		t.Fatalf("no signing dialog: %q", overlayText(w))
	}
	s.Keys.Module.SetText(tok.Module)
	test.Tap(s.Keys.Read)
	settle(t, sender)
	if len(s.Keys.Keys.Options) != 1 || !strings.Contains(s.Keys.Keys.Options[0], "Nguyễn Văn Hùng") {
		t.Fatalf("the leader's token: %q (%q)", s.Keys.Keys.Options, s.Keys.Message.Text)
	}
	s.Keys.Keys.SetSelected(s.Keys.Keys.Options[0])
	if err := s.SetImage("chu-ky.png", stamp.DemoSeal("Nguyễn Văn Hùng", 200)); err != nil {
		t.Fatal(err)
	}
	test.Tap(s.Sign)
	d := waitPIN(t, sender)
	if d.Prompt.Text != "Nhập mã PIN của thiết bị ký số «Lanh dao»" {
		t.Fatalf("prompt %q", d.Prompt.Text)
	}
	test.Type(d.Entry, tok.PIN)
	d.OK()
	settle(t, sender)
	signed := strings.Split(ct.Files.Text, "\n")[0]
	if signed == original || filepath.Base(signed) != "cong-van.pdf" || ct.Signing != nil {
		t.Fatalf("after signing: main file %q, dialog open %v, problems %q", signed, ct.Signing != nil, ct.Problems.Text)
	}
	settle(t, sender) // the check of the signed file
	if ct.Send.Disabled() || !strings.Contains(ct.Person.Text, "Văn bản đã có chữ ký hợp lệ của người có thẩm quyền: Nguyễn Văn Hùng") {
		t.Fatalf("signed: send enabled %v, problems %q, person %q", !ct.Send.Disabled(), ct.Problems.Text, ct.Person.Text)
	}
	ct.Issue()
	settle(t, sender)
	id := ct.LastIssued
	if id == "" {
		t.Fatalf("not issued: %q", ct.Problems.Text)
	}
	if _, err := os.Stat(filepath.Dir(signed)); !os.IsNotExist(err) {
		t.Errorf("the signed copy's folder is still there once sent: %v", err)
	}

	syncNow(t, sender.Clerk())
	syncNow(t, receiver.Clerk())
	for _, a := range []*App{receiver, sender} {
		v := NewDocView(a)
		v.Show(id)
		settle(t, a)
		lines := strings.Split(v.Signers.Text, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "Người có thẩm quyền ký: Nguyễn Văn Hùng") || !strings.Contains(lines[0], "hợp lệ") ||
			!strings.HasPrefix(lines[1], "Chữ ký cơ quan: ") || !strings.Contains(lines[1], "hợp lệ") || strings.Contains(v.Signers.Text, "KHÔNG") {
			t.Errorf("%s's view of the signers:\n%s", a.opts.Home, v.Signers.Text)
		}
	}
}

// TestPersonWarn sends, under the warn setting (the default), a main PDF
// without the person's signature only after a confirmation that names
// what is missing; under off, nothing is checked and the usual
// confirmation asks.
func TestPersonWarn(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	sender, w := startApp(t, initHome(t, h, quangNinh), Options{})
	ct := composeReady(t, sender, w, testdata("cong-van.pdf"), "Về việc cảnh báo thiếu chữ ký")
	missing := "Văn bản chưa có chữ ký số của người có thẩm quyền"
	if ct.Send.Disabled() || !strings.Contains(ct.Person.Text, missing) || strings.Contains(ct.Problems.Text, missing) {
		t.Fatalf("unsigned under warn: send enabled %v, problems %q, person %q", !ct.Send.Disabled(), ct.Problems.Text, ct.Person.Text)
	}
	test.Tap(ct.Send)
	if text := overlayText(w); !strings.Contains(text, "Văn bản chính còn thiếu chữ ký: "+missing) || findButton(w, "Vẫn gửi") == nil {
		t.Fatalf("the confirmation does not name what is missing:\n%s", text)
	}
	test.Tap(findButton(w, "Vẫn gửi"))
	settle(t, sender)
	if ct.LastIssued == "" {
		t.Fatalf("not issued after the confirmation: %q", ct.Problems.Text)
	}
	// The engine's warning about the document just confirmed is not
	// shown again; about one sent before the check ended, it is.
	warning := clerk.PersonSignatureWarning{ID: ct.LastIssued, File: testdata("cong-van.pdf"), Check: clerk.PersonCheck{Problem: clerk.PersonUnsigned}}
	sender.onEvent(warning)
	if text := overlayText(w); strings.Contains(text, "Cảnh báo:") {
		t.Fatalf("warned again after the confirmation: %q", text)
	}
	warning.File = "/khac/cong-van.pdf"
	sender.onEvent(warning)
	if text := overlayText(w); !strings.Contains(text, "Cảnh báo: "+missing) {
		t.Fatalf("a document sent before its check ended is not warned about: %q", text)
	}

	sender.Settings.PersonPolicy.SetSelected("Không kiểm tra")
	settle(t, sender)
	compose(t, sender, testdata("cong-van.pdf"), "Không kiểm tra chữ ký", 0, "van phong chinh phu")
	settle(t, sender)
	if ct.Person.Text != "Không kiểm tra (theo Cài đặt)" || ct.Send.Disabled() {
		t.Fatalf("off: person %q, send enabled %v (%q)", ct.Person.Text, !ct.Send.Disabled(), ct.Problems.Text)
	}
	test.Tap(ct.Send)
	if text := overlayText(w); strings.Contains(text, "còn thiếu") || findButton(w, "Vẫn gửi") != nil || findButton(w, "Đồng ý") == nil {
		t.Fatalf("off: the confirmation warns, or none shows:\n%s", text)
	}
}
