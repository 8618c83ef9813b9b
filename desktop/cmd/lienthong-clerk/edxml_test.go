package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/internal/scripttest"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/xmlsig"
)

// legacyFixture is edxml's packet in the older e-doc.vn form.
const legacyFixture = "../../../shared/edxml/testdata/legacy-soap-shape.edxml"

// TestEdxmlScript runs the edxml subcommands (testdata/edxml/*.txtar) over
// packets made here: unsigned, signed with RSA and with ECDSA under the
// roots in roots.pem, tampered, malformed, and the older form.
func TestEdxmlScript(t *testing.T) {
	files := edxmlFixtures(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/edxml",
		Setup: func(env *testscript.Env) error {
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o600); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":  scripttest.ExitStatus,
			"jsonget": cmdJSONGet,
		},
	})
}

func edxmlFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	ca, other := certstest.New(t), certstest.New(t)
	rsaAgency, err := ca.Issuing.IssueAgency(certs.AgencyRequest{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	ecAgency := ca.Agency(t, "000.00.00.G22", "Văn phòng Chính phủ")
	foreign := other.Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh")

	date := func(y, m, d int) document.Date { return document.NewDate(y, time.Month(m), d) }
	doc := &edxml.Document{
		Metadata: document.Metadata{
			Version:      document.SchemaVersion,
			From:         document.Organ{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
			CodeNumber:   "1234",
			CodeNotation: "UBND-VX",
			Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date(2026, 11, 30)},
			Type:         document.TypeCongVan,
			Subject:      "V/v triển khai thí điểm liên thông văn bản",
			Signer:       document.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           []document.Recipient{{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"}},
		},
		Trace:       []edxml.Hop{{Organ: "000.00.00.H49", Time: time.Date(2026, 11, 30, 9, 15, 0, 0, document.VietnamTime)}},
		Attachments: []edxml.Attachment{{ContentID: "a1", Name: "1234-UBND-VX.pdf", ContentType: "application/pdf", Included: true}},
	}
	var unsigned bytes.Buffer
	if err := edxml.WriteDocument(&unsigned, doc, func(int) (io.Reader, error) {
		return strings.NewReader("%PDF-1.7 văn bản thử\n"), nil
	}); err != nil {
		t.Fatal(err)
	}
	st := &edxml.Status{Update: document.StatusUpdate{
		Document: document.DocumentRef{Organ: "000.00.00.H49", Date: date(2026, 11, 30), Number: "1234", Notation: "UBND-VX"},
		From:     "000.00.00.G22",
		Code:     document.StatusReceived,
		Staff:    "Phan Thị Giang",
		Time:     time.Date(2026, 12, 1, 8, 30, 0, 0, document.VietnamTime),
	}}
	var status bytes.Buffer
	if err := edxml.WriteStatus(&status, st); err != nil {
		t.Fatal(err)
	}
	sign := func(data []byte, s certs.Signer) []byte {
		out, err := xmlsig.Sign(data, s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	signed := sign(unsigned.Bytes(), rsaAgency)
	legacy, err := os.ReadFile(legacyFixture)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"roots.pem":       ca.RootPEM(),
		"other-roots.pem": other.RootPEM(),
		"unsigned.edxml":  unsigned.Bytes(),
		"signed.edxml":    signed,
		"status.edxml":    sign(status.Bytes(), ecAgency),
		"foreign.edxml":   sign(unsigned.Bytes(), foreign),
		"tampered.edxml":  bytes.Replace(signed, []byte("thí điểm"), []byte("chính thức"), 1),
		"moved.edxml":     moveSignature(t, signed),
		"malformed.edxml": unsigned.Bytes()[:unsigned.Len()/2],
		"legacy.edxml":    legacy,
		"not-edxml.edxml": []byte(`<?xml version="1.0"?><html><body>không phải edXML</body></html>`),
	}
}

// moveSignature moves a packet's signature from edXMLHeader into its
// MessageHeader.
func moveSignature(t *testing.T, signed []byte) []byte {
	t.Helper()
	i := bytes.Index(signed, []byte("<ds:Signature"))
	j := bytes.Index(signed, []byte("</ds:Signature>")) + len("</ds:Signature>")
	if i < 0 || j < i {
		t.Fatal("no signature")
	}
	sig := string(signed[i:j])
	out := append(append([]byte{}, signed[:i]...), signed[j:]...)
	return bytes.Replace(out, []byte("</edXML:MessageHeader>"), []byte(sig+"</edXML:MessageHeader>"), 1)
}
