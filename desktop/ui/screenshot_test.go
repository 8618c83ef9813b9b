//go:build cgo

package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs/token/tokentest"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
)

// TestComposeScreenshots is the generator of docs/screenshots'
// compose-person-signed.png (the main PDF signed by the leader at the
// desk, through the app, with a key on a SoftHSM2 token) and
// compose-person-missing.png (an unsigned main PDF: the warning). It
// renders both with App.Screenshot in every run, and checks the screen
// says what the picture is for; with LIENTHONG_SCREENSHOTS set to a
// folder it writes them there:
//
//	LIENTHONG_SCREENSHOTS=$PWD/docs/screenshots go test ./desktop/ui -run TestComposeScreenshots
//
// The stores live under a fixed folder (their paths show on screen), the
// window is 1280 × 800 and the data are fixed; only the signing time
// shown is the run's.
func TestComposeScreenshots(t *testing.T) {
	out := os.Getenv("LIENTHONG_SCREENSHOTS")
	if out == "" {
		out = t.TempDir()
	}
	root := filepath.Join(os.TempDir(), "lienthong-anh-chup")
	os.RemoveAll(root)
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(testdata("cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(root, "cong-van.pdf")
	if err := os.WriteFile(main, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Start(t, hubtest.Options{})
	tok := tokentest.New(t, "Lanh dao UBND tinh")
	tok.Import(t, h.PKI.Person(t, "Nguyễn Văn Hùng", "Phó Chủ tịch", quangNinh), "chu-ky-lanh-dao", 1, true)

	for _, shot := range []struct {
		name, home, want string
		signed           bool
	}{
		{"compose-person-signed.png", "van-thu-1", "Văn bản đã có chữ ký hợp lệ của người có thẩm quyền: Nguyễn Văn Hùng", true},
		{"compose-person-missing.png", "van-thu-2", "Văn bản chưa có chữ ký số của người có thẩm quyền", false},
	} {
		t.Run(shot.name, func(t *testing.T) {
			home := initHomeAt(t, h, quangNinh, filepath.Join(root, shot.home))
			c, err := clerk.Open(home, testPass, clerk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Sync(context.Background()) // the directory, for the recipients
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			a, w := startApp(t, home, Options{Tab: TabCompose})
			a.fyne.Preferences().SetString(PrefStaff, "Lê Thị Hoa")
			ct := a.Compose
			// Typed with SetText, not test.Type: a typed entry keeps
			// its caret in the picture.
			ct.Files.SetText(main)
			ct.Type.SetSelected("Công văn")
			for e, text := range map[*widget.Entry]string{ct.Notation: "UBND-VP", ct.Date: "2026-12-05", ct.Place: "Quảng Ninh",
				ct.Subject: "Về việc triển khai ký số văn bản điện tử theo Nghị định 30/2020/NĐ-CP", ct.Competence: "KT. CHỦ TỊCH",
				ct.Position: "PHÓ CHỦ TỊCH", ct.Signer: "Nguyễn Văn Hùng"} {
				e.SetText(text)
			}
			ct.Picker.Pick(vpcp)
			settle(t, a)
			if shot.signed {
				test.Tap(ct.SignHere)
				s := ct.Signing
				s.Keys.Module.SetText(tok.Module)
				test.Tap(s.Keys.Read)
				settle(t, a)
				s.Keys.Keys.SetSelected(s.Keys.Keys.Options[0])
				test.Tap(s.Sign)
				d := waitPIN(t, a)
				test.Type(d.Entry, tok.PIN)
				d.OK()
				settle(t, a)
				settle(t, a)
			}
			if !strings.Contains(ct.Person.Text, shot.want) {
				t.Fatalf("the screen says %q, want %q", ct.Person.Text, shot.want)
			}
			a.Status.SetOnline(true, "") // the hub is up: the directory came from it
			w.Canvas().Unfocus()
			path := filepath.Join(out, shot.name)
			if err := a.Screenshot(path); err != nil {
				t.Fatal(err)
			}
			w.SetContent(ct.Object()) // Screenshot took the content away
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 800 {
				t.Fatalf("%s is %v", shot.name, b)
			}
		})
	}
}
