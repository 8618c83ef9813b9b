package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lienthong/hub/hubtest"
)

func TestFirstRunWizard(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	dir := t.TempDir()
	p12, roots := writePKI(t, h, quangNinh, dir)
	home := filepath.Join(dir, "home")

	fa := test.NewTempApp(t)
	w := fa.NewWindow("test")
	w.Resize(fyne.NewSize(1280, 800))
	a := New(fa, w, Options{Home: home, NoSync: true, Dispatch: mainQueue.dispatch})
	t.Cleanup(a.Close)
	a.Start()
	if a.Wizard == nil {
		t.Fatal("first run did not show the wizard")
	}
	wz := a.Wizard
	if !containsText(texts(w.Content()), "Thiết lập lần đầu") {
		t.Errorf("wizard title missing: %q", texts(w.Content()))
	}

	fill := func(p12Path, p12Pass, hub, rootsPath, pass, pass2 string) {
		for _, e := range []struct {
			e interface{ SetText(string) }
			v string
		}{{wz.P12Path, ""}, {wz.P12Pass, ""}, {wz.Hub, ""}, {wz.RootsPath, ""}, {wz.Pass, ""}, {wz.Pass2, ""}} {
			e.e.SetText(e.v)
		}
		test.Type(wz.P12Path, p12Path)
		test.Type(wz.P12Pass, p12Pass)
		test.Type(wz.Hub, hub)
		test.Type(wz.ServerName, "")
		test.Type(wz.RootsPath, rootsPath)
		test.Type(wz.Pass, pass)
		test.Type(wz.Pass2, pass2)
	}
	pass := string(testPass)
	bad := []struct {
		name                                       string
		p12, p12Pass, hub, roots, pass, pass2, msg string
	}{
		{"no p12", "", "p12-pass", h.Addr, roots, pass, pass, "Hãy chọn Tệp chứng thư số (.p12)"},
		{"wrong p12 passphrase", p12, "sai", h.Addr, roots, pass, pass, "Không mở được tệp .p12"},
		{"no hub", p12, "p12-pass", "", roots, pass, pass, "Hãy nhập địa chỉ máy chủ"},
		{"bad hub", p12, "p12-pass", h.Addr + ", truc2.example", roots, pass, pass, "Địa chỉ máy chủ liên thông “truc2.example” không hợp lệ"},
		{"no roots", p12, "p12-pass", h.Addr, filepath.Join(dir, "none.pem"), pass, pass, "Hãy chọn Tệp chứng thư gốc"},
		{"short passphrase", p12, "p12-pass", h.Addr, roots, "ngan", "ngan", "ít nhất 8 ký tự"},
		{"passphrases differ", p12, "p12-pass", h.Addr, roots, pass, pass + "x", "Hai mật khẩu không khớp"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			fill(tc.p12, tc.p12Pass, tc.hub, tc.roots, tc.pass, tc.pass2)
			test.Tap(wz.Finish)
			settle(t, a)
			if got := wz.Message.Text; !strings.Contains(got, tc.msg) {
				t.Errorf("message %q, want it to contain %q", got, tc.msg)
			}
			if a.Clerk() != nil {
				t.Fatal("the store was created from invalid input")
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		fill(p12, "p12-pass", h.Addr, roots, pass, pass)
		test.Type(wz.ServerName, "localhost")
		test.Tap(wz.Finish)
		settle(t, a)
		if !a.Ready() {
			t.Fatalf("no main window: %q", wz.Message.Text)
		}
		if got := wz.Message.Text; !strings.Contains(got, "Kết nối thành công") {
			t.Errorf("connection test: %q", got)
		}
		var tabs []string
		for _, it := range a.Tabs.Items {
			tabs = append(tabs, it.Text)
		}
		if got, want := strings.Join(tabs, "|"), "Văn bản đến|Văn bản đi|Soạn văn bản|Sổ đăng ký|Kiểm tra chữ ký|Cài đặt"; got != want {
			t.Errorf("tabs %q, want %q", got, want)
		}
		if !containsText(texts(w.Content()), "Chờ gửi: 0") {
			t.Errorf("status bar lacks the outbox count")
		}
		code, name := a.Clerk().Agency()
		if string(code) != quangNinh || name == "" {
			t.Errorf("agency %s %q", code, name)
		}
	})
	a.Close()

	t.Run("later start asks only the passphrase", func(t *testing.T) {
		fa := test.NewTempApp(t)
		w := fa.NewWindow("test")
		a := New(fa, w, Options{Home: home, NoSync: true, Dispatch: mainQueue.dispatch})
		t.Cleanup(a.Close)
		a.Start()
		if a.Wizard != nil || a.Unlock == nil {
			t.Fatal("second start did not show the unlock screen")
		}
		test.Type(a.Unlock.Passphrase, "sai mat khau")
		test.Tap(a.Unlock.Button)
		settle(t, a)
		if a.Clerk() != nil || a.Unlock.Message.Text != "Sai mật khẩu, hãy thử lại" {
			t.Fatalf("wrong passphrase: clerk %v, message %q", a.Clerk() != nil, a.Unlock.Message.Text)
		}
		test.Type(a.Unlock.Passphrase, pass)
		test.Tap(a.Unlock.Button)
		settle(t, a)
		if a.Clerk() == nil {
			t.Fatalf("right passphrase refused: %q", a.Unlock.Message.Text)
		}
	})
}
