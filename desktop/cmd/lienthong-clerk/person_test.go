//go:build cgo

package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/certs/token/tokentest"
	"lienthong/hub/hubtest"
)

// TestPersonKeyOnToken: the leader signs the main PDF at the clerk's desk
// with a key in a SoftHSM2 token (RSA-2048, then ECDSA P-256) and a
// visible signature image, the clerk seals it, and the recipient's show
// and verify name both signers in their roles. Under refuse, a PDF nobody
// signed is turned down before a number is taken; under warn it is sent
// with the warning on stderr; the seal's key is no person's.
func TestPersonKeyOnToken(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.RSA2048, certs.ECDSAP256} {
		t.Run(string(alg), func(t *testing.T) { testPersonKeyOnToken(t, alg) })
	}
}

func testPersonKeyOnToken(t *testing.T, alg certs.KeyAlgorithm) {
	h := hubtest.Start(t, hubtest.Options{})
	const qn, na = deskQN, deskNA
	leader, err := h.PKI.Issuing.IssuePerson(certs.PersonRequest{FullName: "Nguyễn Văn Hùng", Position: "CHỦ TỊCH",
		Agency: qn, AgencyName: "Ủy ban nhân dân tỉnh Quảng Ninh"}, alg)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokentest.New(t, "Chu tich QN")
	tok.Import(t, leader, "chu-tich", 1, true)
	img := image.NewNRGBA(image.Rect(0, 0, 40, 16))
	for x := range 40 {
		img.Set(x, 8, color.NRGBA{0, 0, 160, 255})
	}
	var sig bytes.Buffer
	if err := png.Encode(&sig, img); err != nil {
		t.Fatal(err)
	}
	sealKey, err := certs.EncodeKeyPEM(h.Agencies[qn].Key.Key)
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, h, map[string][]byte{"pin.txt": []byte(tok.PIN + "\n"), "chu-ky.png": sig.Bytes(),
		"seal-cert.pem": certs.EncodeCertificatesPEM(h.Agencies[qn].Key.Leaf), "seal-key.pem": sealKey})
	at, run, must, home := d.at, d.run, d.must, d.home
	must(append([]string{"sync"}, home("qn")...)...)
	if out := must(append([]string{"settings", "--person-signature", "refuse"}, home("qn")...)...); !strings.Contains(out, "person_signature  refuse") {
		t.Fatalf("settings does not show the policy:\n%s", out)
	}
	send := append([]string{"send", "--json", "--type", "cong_van", "--notation", "UBND-VP", "--subject", "Về việc ký số hai chữ ký",
		"--place", "Hạ Long", "--signer", "Nguyễn Văn Hùng", "--position", "CHỦ TỊCH", "--to", na}, home("qn")...)

	// Nobody signed: refused, no number taken, nothing queued.
	code, _, errs := run(append(send, at("cong-van.pdf"))...)
	if code != 1 || !strings.Contains(errs, "Chưa ban hành") || !strings.Contains(errs, "chưa có chữ ký số của người có thẩm quyền") {
		t.Fatalf("send without the person's signature under refuse: exit %d, stderr %q", code, errs)
	}
	// The seal's key is no person's: refused before anything is signed.
	code, _, errs = run(append(send, "--person-key", at("seal-key.pem"), "--person-cert", at("seal-cert.pem"), at("cong-van.pdf"))...)
	if code != 1 || !strings.Contains(errs, "không phải của một người có thẩm quyền") {
		t.Fatalf("send with the seal as the person's key: exit %d, stderr %q", code, errs)
	}

	out := must(append(send, "--person-key", tok.URI("chu-tich"), "--person-pin-file", at("pin.txt"),
		"--person-image", at("chu-ky.png"), "--person-rect", "350,150,500,210", at("cong-van.pdf"))...)
	var sent struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Sent   bool   `json:"sent"`
	}
	if err := json.Unmarshal([]byte(out), &sent); err != nil || !sent.Sent || sent.Number != "1" {
		t.Fatalf("send with the person's token: %v, %+v; want number 1 (the refusals took none), sent", err, sent)
	}
	must(append([]string{"sync"}, home("na")...)...)
	show := must(append([]string{"show", sent.ID}, home("na")...)...)
	for _, want := range []string{
		"Người có thẩm quyền ký: Nguyễn Văn Hùng (Ủy ban nhân dân tỉnh Quảng Ninh, " + qn + ") — hợp lệ",
		"Chữ ký cơ quan: ",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("the recipient's show lacks %q:\n%s", want, show)
		}
	}
	if !strings.Contains(show, "Chữ ký cơ quan: Ủy ban nhân dân tỉnh Quảng Ninh ("+qn+") — hợp lệ") {
		t.Errorf("the recipient's show lacks the valid seal of %s:\n%s", qn, show)
	}
	if js := must(append([]string{"show", "--json", sent.ID}, home("na")...)...); !strings.Contains(js, `"role": "person"`) || !strings.Contains(js, `"role": "agency"`) {
		t.Errorf("show --json lacks the roles:\n%s", js)
	}
	if own := must(append([]string{"show", sent.ID}, home("qn")...)...); !strings.Contains(own, "Người có thẩm quyền ký: Nguyễn Văn Hùng") {
		t.Errorf("the sender's show lacks the person:\n%s", own)
	}

	// verify names the role too: the person's token signs with sign.
	must("sign", "--key", tok.URI("chu-tich"), "--pin-file", at("pin.txt"), at("cong-van.pdf"), at("signed.pdf"))
	if out := must(append([]string{"verify", at("signed.pdf")}, home("na")...)...); !strings.Contains(out, "Người có thẩm quyền ký: Nguyễn Văn Hùng (Ủy ban nhân dân tỉnh Quảng Ninh, "+qn+") — hợp lệ") {
		t.Errorf("verify does not name the person in the role:\n%s", out)
	}

	// Under warn, an unsigned PDF goes out with the warning on stderr.
	must(append([]string{"settings", "--person-signature", "warn"}, home("qn")...)...)
	if code, _, errs := run(append(send, "--no-sync", at("cong-van.pdf"))...); code != 0 || !strings.Contains(errs, "Cảnh báo: Văn bản chưa có chữ ký số của người có thẩm quyền") {
		t.Errorf("send under warn: exit %d, stderr %q; want 0 and the warning", code, errs)
	}
}
