//go:build cgo

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/certs/token/tokentest"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
)

// TestSealOnToken: a clerk whose seal is an RSA-2048 key in a SoftHSM2
// token sends a document through a real hub (sync keeps the store's own
// key for TLS, no PIN); the recipient verifies it and finds the token's
// certificate on the PDF. sign with a token key writes a valid PDF; with a
// wrong PIN it writes nothing and says so in Vietnamese.
func TestSealOnToken(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	const qn, na = deskQN, deskNA
	seal, err := h.PKI.Issuing.IssueAgency(certs.AgencyRequest{Code: qn, Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokentest.New(t, "Con dau QN")
	tok.Import(t, seal, "con-dau", 1, true)
	sealNA, err := h.PKI.Issuing.IssueAgency(certs.AgencyRequest{Code: na, Name: "Ủy ban nhân dân tỉnh Nghệ An"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	tok.Import(t, sealNA, "con-dau-na", 2, true)
	d := newDesk(t, h, map[string][]byte{"pin.txt": []byte(tok.PIN + "\n"), "wrong-pin.txt": []byte("000000\n")})
	at, run, must, home := d.at, d.run, d.must, d.home
	sealFlags := []string{"--seal", tok.URI("con-dau"), "--pin-file", at("pin.txt")} // qn's seal
	must(append([]string{"sync"}, home("qn")...)...)                                 // the directory, without the token

	// A wrong PIN: nothing is queued or sent.
	send := append(append([]string{"send", "--json", "--type", "cong_van", "--notation", "UBND-VP", "--subject", "Về việc thử thiết bị ký số",
		"--place", "Hạ Long", "--signer", "Nguyễn Văn Hùng", "--position", "CHỦ TỊCH", "--to", na}, home("qn")...), "--seal", tok.URI("con-dau"))
	code, _, errs := run(append(send, "--pin-file", at("wrong-pin.txt"), at("cong-van.pdf"))...)
	if code != 1 || !strings.Contains(errs, "Sai mã PIN") {
		t.Fatalf("send with a wrong PIN: exit %d, stderr %q; want 1 and the Vietnamese message", code, errs)
	}
	if out := must(append([]string{"outbox"}, home("qn")...)...); !strings.Contains(out, "0 waiting") || strings.Contains(out, "UBND-VP") {
		t.Errorf("a refused PIN left something in the outbox:\n%s", out)
	}

	var sent struct {
		ID   string `json:"id"`
		Sent bool   `json:"sent"`
	}
	if err := json.Unmarshal([]byte(must(append(send, "--pin-file", at("pin.txt"), at("cong-van.pdf"))...)), &sent); err != nil || !sent.Sent {
		t.Fatalf("send with the seal on the token: %v, sent %v", err, sent.Sent)
	}
	// Sync and the status packet: sync needs no token, the status is sealed on it.
	must(append([]string{"sync"}, home("na")...)...)
	if out := must(append([]string{"show", "--json", sent.ID}, home("na")...)...); !strings.Contains(out, `"signatures_valid": true`) {
		t.Fatalf("the recipient does not find the document valid:\n%s", out)
	}
	c, err := clerk.Open(at("na"), []byte("mật khẩu"), clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	view, err := c.Document(sent.ID)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	sigs := view.Report.Signatures
	if want := hex.EncodeToString(seal.Leaf.SerialNumber.Bytes()); len(sigs) == 0 || sigs[len(sigs)-1].Serial != want {
		t.Fatalf("the PDF's seal is not the token's certificate (serial %s): %+v", want, sigs)
	}
	// The recipient's status packet, sealed with its ECDSA P-256 key on the token.
	must(append(append([]string{"status", sent.ID, "03", "--staff", "Lê Thị Thư"}, home("na")...), "--seal", tok.URI("con-dau-na"), "--pin-file", at("pin.txt"))...)
	must(append([]string{"sync"}, home("na")...)...)
	must(append([]string{"sync"}, home("qn")...)...)
	if out := must(append([]string{"show", "--json", sent.ID}, home("qn")...)...); !strings.Contains(out, `"code": "03"`) {
		t.Errorf("the sender did not get the status sealed on the token:\n%s", out)
	}
	// An edXML export sealed on the token: the token's certificate signs it,
	// and it verifies.
	must(append(append([]string{"edxml", "export", sent.ID, "--out", at("cong-van.edxml")}, home("qn")...), sealFlags...)...)
	packet, err := os.ReadFile(at("cong-van.edxml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(packet, []byte(base64.StdEncoding.EncodeToString(seal.Leaf.Raw))) {
		t.Error("the edXML export is not signed with the token's certificate")
	}
	if out := must("edxml", "show", "--json", "--roots", at("roots.pem"), at("cong-van.edxml")); !strings.Contains(out, `"trust": "verified"`) {
		t.Errorf("the edXML export sealed on the token does not verify:\n%s", out)
	}

	// A seal of another agency is refused before anything is signed.
	code, _, errs = run(append(append([]string{"status", sent.ID, "04"}, home("na")...), sealFlags...)...)
	if code != 1 || !strings.Contains(errs, "không phải của cơ quan này") {
		t.Errorf("status with another agency's seal: exit %d, stderr %q", code, errs)
	}

	// sign: a PDF signed with the token's key; a wrong PIN writes nothing.
	signed := at("signed.pdf")
	must("sign", "--key", tok.URI("con-dau"), "--pin-file", at("pin.txt"), "--roots", at("roots.pem"), at("cong-van.pdf"), signed)
	// verify exits 1 unless every signature is valid and trusted.
	if out := must(append([]string{"verify", "--json", signed}, home("na")...)...); !strings.Contains(out, `"serial": "`+hex.EncodeToString(seal.Leaf.SerialNumber.Bytes())+`"`) {
		t.Errorf("the PDF is not signed with the token's key:\n%s", out)
	}
	code, _, errs = run("sign", "--key", tok.URI("con-dau"), "--pin-file", at("wrong-pin.txt"), at("cong-van.pdf"), at("not-signed.pdf"))
	if code != 1 || !strings.Contains(errs, "Sai mã PIN") {
		t.Errorf("sign with a wrong PIN: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(at("not-signed.pdf")); !os.IsNotExist(err) {
		t.Errorf("sign with a wrong PIN wrote a file: %v", err)
	}
}
