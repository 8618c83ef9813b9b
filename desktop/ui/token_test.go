//go:build cgo

package ui

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/certs/token/tokentest"
	"lienthong/hub/hubtest"
)

// askInBackground asks the PIN as signing work does, on a goroutine of
// its own, and returns where its answer arrives.
func askInBackground(ctx context.Context, a *App, label string) <-chan pinAnswer {
	out := make(chan pinAnswer, 1)
	go func() {
		pin, err := a.PINPrompt(ctx).PIN(label)
		out <- pinAnswer{pin, err}
	}()
	return out
}

func waitPIN(t *testing.T, a *App) *PINDialog {
	t.Helper()
	eventually(t, "the PIN dialog", func() bool { return a.PIN != nil })
	return a.PIN
}

// TestPINDialog answers, cancels and abandons the PIN dialog as signing
// work on another goroutine asks it: the PIN typed reaches the signer and
// leaves the entry, cancelling answers a PINCancelledError, and the
// work's context ending closes the dialog.
func TestPINDialog(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, w := startApp(t, initHome(t, h, quangNinh), Options{})

	t.Run("answer", func(t *testing.T) {
		got := askInBackground(context.Background(), a, "Con dấu UBND")
		d := waitPIN(t, a)
		if !d.Entry.Password || d.Prompt.Text != "Nhập mã PIN của thiết bị ký số «Con dấu UBND»" || d.Error.Visible() {
			t.Fatalf("dialog: password %v, prompt %q, error shown %v", d.Entry.Password, d.Prompt.Text, d.Error.Visible())
		}
		if ok := findButton(w, "Đồng ý"); ok == nil || findButton(w, "Hủy") == nil {
			t.Fatal("no OK and Hủy buttons in the dialog")
		}
		test.Type(d.Entry, "123456")
		test.Tap(findButton(w, "Đồng ý"))
		r := <-got
		if r.err != nil || string(r.pin) != "123456" {
			t.Fatalf("answer %q, %v", r.pin, r.err)
		}
		if d.Entry.Text != "" || a.PIN != nil {
			t.Fatalf("after OK: entry %q, dialog still there %v", d.Entry.Text, a.PIN != nil)
		}
	})
	t.Run("enter", func(t *testing.T) {
		got := askInBackground(context.Background(), a, "x")
		d := waitPIN(t, a)
		test.Type(d.Entry, "24680")
		d.Entry.OnSubmitted(d.Entry.Text)
		if r := <-got; r.err != nil || string(r.pin) != "24680" || d.Entry.Text != "" {
			t.Fatalf("answer %q, %v, entry %q", r.pin, r.err, d.Entry.Text)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		got := askInBackground(context.Background(), a, "Con dấu UBND")
		d := waitPIN(t, a)
		test.Type(d.Entry, "999")
		test.Tap(findButton(w, "Hủy"))
		r := <-got
		var ce *PINCancelledError
		if !errors.As(r.err, &ce) || ce.Token != "Con dấu UBND" || !errors.Is(r.err, context.Canceled) || r.pin != nil {
			t.Fatalf("cancel answered %q, %v", r.pin, r.err)
		}
		if d.Entry.Text != "" || a.PIN != nil {
			t.Fatalf("after Hủy: entry %q, dialog still there %v", d.Entry.Text, a.PIN != nil)
		}
		if msg := a.message("test", r.err); msg != "Thao tác đã bị hủy." {
			t.Errorf("the clerk reads %q", msg)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		got := askInBackground(ctx, a, "t")
		d := waitPIN(t, a)
		test.Type(d.Entry, "12")
		cancel()
		r := <-got
		if !errors.As(r.err, new(*PINCancelledError)) {
			t.Fatalf("answer after the context ended: %v", r.err)
		}
		eventually(t, "the dialog to close", func() bool { return a.PIN == nil })
		if d.Entry.Text != "" {
			t.Fatalf("entry %q after the context ended", d.Entry.Text)
		}
		if findButton(w, "Hủy") != nil {
			t.Fatal("the dialog still shows")
		}
	})
	t.Run("error shown", func(t *testing.T) {
		got := make(chan pinAnswer, 1)
		go func() {
			pin, err := a.askPIN(context.Background(), "t", "Sai mã PIN")
			got <- pinAnswer{pin, err}
		}()
		d := waitPIN(t, a)
		if !d.Error.Visible() || d.Error.Text != "Sai mã PIN" {
			t.Fatalf("error line: shown %v, %q", d.Error.Visible(), d.Error.Text)
		}
		d.Cancel()
		<-got
	})
}

// sealToken makes a SoftHSM2 token holding two seals of agency code (the
// hub's ECDSA key and a new RSA one, each with its chain) and, when
// other is set, a seal of another agency.
func sealToken(t *testing.T, h *hubtest.Hub, code, other string) (*tokentest.Token, map[string]*certs.KeyPair) {
	t.Helper()
	rsaSeal, err := h.PKI.Issuing.IssueAgency(certs.AgencyRequest{Code: certs.AgencyCode(code), Name: h.Agencies[code].Name}, certs.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokentest.New(t, "Con dau UBND")
	keys := map[string]*certs.KeyPair{"dau-ecdsa": h.Agencies[code].Key, "dau-rsa": rsaSeal}
	tok.Import(t, keys["dau-ecdsa"], "dau-ecdsa", 1, true)
	tok.Import(t, keys["dau-rsa"], "dau-rsa", 2, true)
	if other != "" {
		keys["dau-khac"] = h.Agencies[other].Key
		tok.Import(t, keys["dau-khac"], "dau-khac", 3, true)
	}
	return tok, keys
}

func option(t *testing.T, options []string, want string) string {
	t.Helper()
	for _, o := range options {
		if strings.Contains(o, want) {
			return o
		}
	}
	t.Fatalf("no option with %q in %q", want, options)
	return ""
}

// TestChooseSealOnToken reads a SoftHSM2 token in Cài đặt as a clerk
// would: both of the agency's keys (RSA and ECDSA) are offered with their
// certificates, choosing one keeps the URI naming it and its chain,
// another agency's seal is refused, and the store's key can be chosen
// back.
func TestChooseSealOnToken(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	tok, keys := sealToken(t, h, quangNinh, vpcp)
	a, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	s := a.Settings.Seal
	p := a.fyne.Preferences()
	if s.Source.Selected != "Khóa trong kho dữ liệu (tệp .p12 đã nạp)" || s.TokenKeys.Object().Visible() || s.InUse.Text != "Đang dùng: khóa trong kho dữ liệu" {
		t.Fatalf("at first: source %q, token part shown %v, current %q", s.Source.Selected, s.TokenKeys.Object().Visible(), s.InUse.Text)
	}
	s.Source.SetSelected("Khóa trên thiết bị ký số (USB token)")
	if !s.TokenKeys.Object().Visible() || p.String(PrefSeal) != "" {
		t.Fatalf("token source: part shown %v, seal kept %q", s.TokenKeys.Object().Visible(), p.String(PrefSeal))
	}
	s.Module.SetText(tok.Module)
	test.Tap(s.Read)
	settle(t, a)
	if len(s.Keys.Options) != 3 {
		t.Fatalf("keys offered: %q (message %q)", s.Keys.Options, s.Message.Text)
	}
	for _, label := range []string{"dau-ecdsa", "dau-rsa"} {
		o := option(t, s.Keys.Options, "khóa «"+label+"»")
		if !strings.Contains(o, "«Con dau UBND»") || !strings.Contains(o, h.Agencies[quangNinh].Name) {
			t.Errorf("option %q does not name the token and the agency", o)
		}
	}

	s.Keys.SetSelected(option(t, s.Keys.Options, "khóa «dau-khac»"))
	if p.String(PrefSeal) != "" || !strings.Contains(s.Message.Text, "không phải con dấu của cơ quan "+quangNinh) {
		t.Fatalf("another agency's seal: kept %q, message %q", p.String(PrefSeal), s.Message.Text)
	}

	s.Keys.SetSelected(option(t, s.Keys.Options, "khóa «dau-rsa»"))
	uri := p.String(PrefSeal)
	if !strings.HasPrefix(uri, "pkcs11:") || !strings.Contains(s.Message.Text, "Đã chọn con dấu trên thiết bị ký số") {
		t.Fatalf("chosen: uri %q, message %q", uri, s.Message.Text)
	}
	chain, err := certs.ParseCertificatesPEM([]byte(p.String(PrefSealCert)))
	if err != nil || len(chain) != 1+len(keys["dau-rsa"].Chain) || !chain[0].Equal(keys["dau-rsa"].Leaf) {
		t.Fatalf("chain kept: %d certificates, %v", len(chain), err)
	}
	kp, err := token.Open(uri, token.Options{PIN: token.PINFunc(func(string) ([]byte, error) { return []byte(tok.PIN), nil })})
	if err != nil {
		t.Fatalf("the URI kept does not open: %v", err)
	}
	kp.Key.(*token.Key).Close()
	if !kp.Leaf.Equal(keys["dau-rsa"].Leaf) {
		t.Fatalf("the URI kept opens %q", kp.Leaf.Subject)
	}

	// Read again after the PIN: the same keys (the token hides none that
	// has a certificate), the chosen one still selected.
	s.WithPIN.SetChecked(true)
	test.Tap(s.Read)
	d := waitPIN(t, a)
	test.Type(d.Entry, tok.PIN)
	d.OK()
	settle(t, a)
	if len(s.Keys.Options) != 3 || !strings.Contains(s.Keys.Selected, "khóa «dau-rsa»") {
		t.Fatalf("read with the PIN: %q, selected %q (message %q)", s.Keys.Options, s.Keys.Selected, s.Message.Text)
	}

	s.Source.SetSelected("Khóa trong kho dữ liệu (tệp .p12 đã nạp)")
	if p.String(PrefSeal) != "" || p.String(PrefSealCert) != "" || !strings.Contains(s.Message.Text, "khóa trong kho dữ liệu") {
		t.Fatalf("back to the store's key: kept %q, message %q", p.String(PrefSeal), s.Message.Text)
	}
}

// TestIssueWithSealOnToken signs and sends through the app with the seal
// on a SoftHSM2 token: the PIN dialog shows when the clerk sends;
// cancelled, nothing is signed and no number taken; a wrong PIN asks
// again with the reason; the right one signs, and the recipient finds
// the token's key's signature valid. A second document signs without
// asking again.
func TestIssueWithSealOnToken(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	tok, keys := sealToken(t, h, quangNinh, "")
	seal := keys["dau-rsa"]
	var uri string
	for _, sl := range must(token.List(tok.Module, nil)) {
		for _, k := range sl.Keys {
			if k.Certificate.Equal(seal.Leaf) {
				uri = k.URI
			}
		}
	}
	sender, w := startAppWith(t, initHome(t, h, quangNinh), Options{}, func(fa fyne.App) {
		fa.Preferences().SetString(PrefSeal, uri)
		fa.Preferences().SetString(PrefSealCert, string(seal.CertificatePEM()))
	})
	receiver, _ := startApp(t, initHome(t, h, vpcp), Options{})
	if !strings.Contains(sender.Settings.Seal.InUse.Text, "thiết bị ký số") {
		t.Fatalf("settings say %q", sender.Settings.Seal.InUse.Text)
	}
	syncNow(t, sender.Clerk())
	sender.Compose = NewComposeTab(sender) // with the directory synced
	w.SetContent(sender.Compose.Object())
	ct := sender.Compose
	compose(t, sender, testdata("cong-van.pdf"), "Về việc ký bằng thiết bị", 0, "van phong chinh phu")
	number := ct.NextNumber.Text

	ct.Issue()
	d := waitPIN(t, sender)
	if d.Prompt.Text != "Nhập mã PIN của thiết bị ký số «Con dau UBND»" {
		t.Fatalf("prompt %q", d.Prompt.Text)
	}
	test.Type(d.Entry, tok.PIN)
	test.Tap(findButton(w, "Hủy"))
	settle(t, sender)
	if ct.LastIssued != "" || sender.Clerk().OutboxLen() != 0 || ct.NextNumber.Text != number || !strings.Contains(ct.Problems.Text, "đã bị hủy") {
		t.Fatalf("cancelled: issued %q, outbox %d, number %q (was %q), problems %q", ct.LastIssued, sender.Clerk().OutboxLen(), ct.NextNumber.Text, number, ct.Problems.Text)
	}

	ct.Issue()
	d = waitPIN(t, sender)
	test.Type(d.Entry, "000000")
	test.Tap(findButton(w, "Đồng ý"))
	eventually(t, "the PIN asked again", func() bool { return sender.PIN != nil && sender.PIN != d })
	d = sender.PIN
	if !d.Error.Visible() || !strings.Contains(d.Error.Text, "Sai mã PIN") || d.Entry.Text != "" {
		t.Fatalf("after a wrong PIN: error %q shown %v, entry %q", d.Error.Text, d.Error.Visible(), d.Entry.Text)
	}
	test.Type(d.Entry, tok.PIN)
	test.Tap(findButton(w, "Đồng ý"))
	settle(t, sender)
	id := ct.LastIssued
	if id == "" {
		t.Fatalf("not issued: %q", ct.Problems.Text)
	}

	compose(t, sender, testdata("cong-van.pdf"), "Văn bản thứ hai", 0, "van phong chinh phu")
	ct.Issue()
	eventually(t, "the second document", func() bool {
		return sender.PIN != nil || ct.LastIssued != id || strings.Contains(ct.Problems.Text, "Không ký và gửi được")
	})
	if sender.PIN != nil {
		t.Fatal("the PIN was asked again while the token stayed open")
	}
	settle(t, sender)
	if ct.LastIssued == id || ct.LastIssued == "" {
		t.Fatalf("second document: %q", ct.Problems.Text)
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
	if r := v.Reports[0].Signatures[0]; !r.Valid() || r.Serial != hex.EncodeToString(seal.Leaf.SerialNumber.Bytes()) {
		t.Fatalf("the sealed signature: serial %s (want the token's %x), problems %v", r.Serial, seal.Leaf.SerialNumber.Bytes(), r.Problems)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSealRefusedAtUnlock opens the store with the store's key, and says
// why, when the seal kept in the preferences is another agency's (a store
// made again for another agency on the same desk): the clerk is not
// locked out of the app that would let them choose the seal again.
func TestSealRefusedAtUnlock(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, w := startAppWith(t, initHome(t, h, quangNinh), Options{}, func(fa fyne.App) {
		fa.Preferences().SetString(PrefSeal, "pkcs11:token=Con%20dau;id=%01")
		fa.Preferences().SetString(PrefSealCert, string(h.Agencies[vpcp].Key.CertificatePEM()))
	})
	if a.seal != nil || a.Settings.Seal.InUse.Text != "Đang dùng: khóa trong kho dữ liệu" {
		t.Fatalf("seal in use %v, settings say %q", a.seal != nil, a.Settings.Seal.InUse.Text)
	}
	want := "Không dùng được con dấu đã chọn trong Cài đặt: Chứng thư số trên thiết bị ký số không phải của cơ quan này"
	if text := overlayText(w); !strings.Contains(text, want) || !strings.Contains(a.Settings.Seal.Message.Text, want) {
		t.Fatalf("the clerk is not told: dialog %q, settings %q", text, a.Settings.Seal.Message.Text)
	}
}

// TestSealKeyChanged refuses to sign when the token's key named by the
// seal's URI is not the certificate chosen (the token replaced, the
// certificate renewed): the clerk reads why, and nothing is issued.
func TestSealKeyChanged(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	tok, keys := sealToken(t, h, quangNinh, "")
	var ecURI string
	for _, sl := range must(token.List(tok.Module, nil)) {
		for _, k := range sl.Keys {
			if k.Certificate.Equal(keys["dau-ecdsa"].Leaf) {
				ecURI = k.URI
			}
		}
	}
	sender, w := startAppWith(t, initHome(t, h, quangNinh), Options{}, func(fa fyne.App) {
		fa.Preferences().SetString(PrefSeal, ecURI)
		fa.Preferences().SetString(PrefSealCert, string(keys["dau-rsa"].CertificatePEM()))
	})
	ct := composeReady(t, sender, w, testdata("cong-van.pdf"), "Về việc con dấu đã đổi")
	ct.Issue()
	d := waitPIN(t, sender)
	test.Type(d.Entry, tok.PIN)
	d.OK()
	settle(t, sender)
	if ct.LastIssued != "" || sender.Clerk().OutboxLen() != 0 || !strings.Contains(ct.Problems.Text, "Chứng thư số không khớp với khóa trên thiết bị ký số") {
		t.Fatalf("issued %q, outbox %d, problems %q", ct.LastIssued, sender.Clerk().OutboxLen(), ct.Problems.Text)
	}
}

// TestPINFaults answers the PIN dialog while the token fails as SoftHSM2
// cannot: pulled out during the login (the dialog asks again and says
// so), then a PIN locked by the last try (said in a dialog, and returned).
func TestPINFaults(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, w := startApp(t, initHome(t, h, quangNinh), Options{})
	faults := []error{
		&token.Error{Op: "login", Err: token.ErrTokenRemoved},
		&token.Error{Op: "login", Err: token.ErrPINLocked},
	}
	var pins []string
	old := tokenOpen
	tokenOpen = func(uri string, o token.Options) (*certs.KeyPair, error) {
		pin, err := o.PIN.PIN("Con dau")
		if err != nil {
			return nil, err
		}
		pins = append(pins, string(pin))
		err, faults = faults[0], faults[1:]
		return nil, err
	}
	t.Cleanup(func() { tokenOpen = old })

	got := make(chan error, 1)
	go func() {
		_, err := a.openToken(context.Background(), "pkcs11:token=Con%20dau")
		got <- err
	}()
	d := waitPIN(t, a)
	test.Type(d.Entry, "1111")
	d.OK()
	eventually(t, "the PIN asked again", func() bool { return a.PIN != nil && a.PIN != d })
	d = a.PIN
	if !d.Error.Visible() || !strings.Contains(d.Error.Text, "Thiết bị ký số đã bị rút ra") || d.Entry.Text != "" {
		t.Fatalf("after the token was pulled out: error %q shown %v, entry %q", d.Error.Text, d.Error.Visible(), d.Entry.Text)
	}
	test.Type(d.Entry, "2222")
	d.OK()
	err := <-got
	mainQueue.drain()
	if !errors.Is(err, token.ErrPINLocked) || strings.Join(pins, ",") != "1111,2222" {
		t.Fatalf("openToken: %v, PINs given %q", err, pins)
	}
	if text := overlayText(w); !strings.Contains(text, "Mã PIN của thiết bị ký số đã bị khóa") {
		t.Fatalf("the locked PIN is not said: %q", text)
	}
}
