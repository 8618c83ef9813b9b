package xmlsig

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
)

// pki is a demo PKI made once per key algorithm for the package's tests.
type pki struct {
	dir      string
	signer   *certs.KeyPair
	verifier *certs.Verifier
}

var (
	pkiMu   sync.Mutex
	pkiDirs = map[certs.KeyAlgorithm]*pki{}
)

func demoPKI(t testing.TB, alg certs.KeyAlgorithm) *pki {
	t.Helper()
	pkiMu.Lock()
	defer pkiMu.Unlock()
	if p := pkiDirs[alg]; p != nil {
		return p
	}
	dir, err := os.MkdirTemp("", "xmlsig-pki-")
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.Demo(dir, alg); err != nil {
		t.Fatal(err)
	}
	kp, err := certs.LoadKeyPair(filepath.Join(dir, "agencies", "000.00.00.H49.crt"), filepath.Join(dir, "agencies", "000.00.00.H49.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := certs.ReadCertificates(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: dir, signer: kp, verifier: v}
	pkiDirs[alg] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range pkiDirs {
		os.RemoveAll(p.dir)
	}
	os.Exit(code)
}

func date(y, m, d int) document.Date { return document.NewDate(y, time.Month(m), d) }

// documentPacket is an unsigned document packet with Vietnamese text and
// an attachment.
func documentPacket(t testing.TB) []byte {
	t.Helper()
	doc := &edxml.Document{
		Metadata: document.Metadata{
			Version:      document.SchemaVersion,
			From:         document.Organ{Code: "000.00.00.H49", Name: "UBND tỉnh Quảng Ninh"},
			CodeNumber:   "1234",
			CodeNotation: "UBND-VX",
			Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date(2026, 11, 30)},
			Type:         document.TypeCongVan,
			Subject:      "V/v triển khai <thí điểm> & \"liên thông\"",
			Signer:       document.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn A"},
			To:           []document.Recipient{{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"}},
		},
		Trace:       []edxml.Hop{{Organ: "000.00.00.H49", Time: time.Date(2026, 11, 30, 9, 15, 0, 0, document.VietnamTime)}},
		Attachments: []edxml.Attachment{{ContentID: "a1", Name: "1234-UBND-VX.pdf", ContentType: "application/pdf", Included: true}},
	}
	var out bytes.Buffer
	err := edxml.WriteDocument(&out, doc, func(int) (io.Reader, error) {
		return strings.NewReader("%PDF-1.7 văn bản thử\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// statusPacket is an unsigned status packet (03, received).
func statusPacket(t testing.TB) []byte {
	t.Helper()
	st := &edxml.Status{Update: document.StatusUpdate{
		Document: document.DocumentRef{Organ: "000.00.00.H49", Date: date(2026, 11, 30), Number: "1234", Notation: "UBND-VX"},
		From:     "000.00.00.G22",
		Code:     document.StatusReceived,
		Staff:    "Phan Thị Giang",
		Time:     time.Date(2026, 12, 1, 8, 30, 0, 0, document.VietnamTime),
	}}
	var out bytes.Buffer
	if err := edxml.WriteStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSignVerify(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.RSA2048, certs.ECDSAP256} {
		p := demoPKI(t, alg)
		for name, packet := range map[string][]byte{"document": documentPacket(t), "status": statusPacket(t)} {
			t.Run(string(alg)+"/"+name, func(t *testing.T) {
				signed, err := Sign(packet, p.signer)
				if err != nil {
					t.Fatal(err)
				}
				// Every byte of the packet is kept: only the Signature is added.
				i := bytes.Index(signed, []byte("<ds:Signature"))
				j := bytes.Index(signed, []byte("</ds:Signature>")) + len("</ds:Signature>")
				if i < 0 || j < i || !bytes.Equal(append(signed[:i:i], signed[j:]...), packet) {
					t.Fatal("signing changed the packet's bytes")
				}
				res, err := Verify(signed, Options{Verifier: p.verifier})
				if err != nil {
					t.Fatal(err)
				}
				if res.Trust != TrustVerified || len(res.Chain) < 2 || !res.Signer.Equal(p.signer.Leaf) {
					t.Fatalf("trust %s (%s), chain %d", res.Trust, res.TrustDetail, len(res.Chain))
				}
				if len(res.Warnings) != 0 {
					t.Fatalf("warnings %v", res.Warnings)
				}
				if res.Canonicalization != "http://www.w3.org/2001/10/xml-exc-c14n#" || res.DigestMethod != "http://www.w3.org/2001/04/xmlenc#sha256" {
					t.Fatalf("algorithms %s %s", res.Canonicalization, res.DigestMethod)
				}
				if res.Packet.Signature == nil {
					t.Fatal("edxml does not see the signature")
				}
				// Not checked without a verifier.
				if res, err := Verify(signed, Options{}); err != nil || res.Trust != TrustNotChecked {
					t.Fatalf("without verifier: %v %v", res, err)
				}
				// Signing twice is refused.
				if _, err := Sign(signed, p.signer); !errors.Is(err, ErrAlreadySigned) {
					t.Fatalf("sign twice: %v", err)
				}
			})
		}
	}
}

func TestECDSAValueIsRS(t *testing.T) {
	p := demoPKI(t, certs.ECDSAP256)
	signed, err := Sign(documentPacket(t), p.signer)
	if err != nil {
		t.Fatal(err)
	}
	v := between(t, signed, "<ds:SignatureValue>", "</ds:SignatureValue>")
	raw, err := base64Decode(v)
	if err != nil || len(raw) != 64 {
		t.Fatalf("ECDSA P-256 value is %d bytes, want r||s of 64 (%v)", len(raw), err)
	}
}

func TestNotUnderRoots(t *testing.T) {
	other := demoPKI(t, certs.RSA2048)
	ours := demoPKI(t, certs.ECDSAP256) // another demo PKI: other roots
	signed, err := Sign(documentPacket(t), other.signer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(signed, Options{Verifier: ours.verifier})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trust != TrustNotUnderRoots || res.Chain != nil || res.TrustDetail == "" {
		t.Fatalf("trust %s (%s)", res.Trust, res.TrustDetail)
	}
	// Expired at the time asked: under our roots, but invalid.
	res, err = Verify(signed, Options{Verifier: other.verifier, Now: func() time.Time { return other.signer.Leaf.NotAfter.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trust != TrustInvalid || !strings.Contains(res.TrustDetail, "valid from") {
		t.Fatalf("trust %s (%s)", res.Trust, res.TrustDetail)
	}
}

func TestUnsigned(t *testing.T) {
	if _, err := Verify(documentPacket(t), Options{}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("got %v", err)
	}
}

func TestTooLargeBeforeParsing(t *testing.T) {
	data := append([]byte("<not xml at all"), bytes.Repeat([]byte{'x'}, 2000)...)
	_, err := Verify(data, Options{Limits: edxml.Limits{MaxPacketSize: 1000}})
	if !errors.Is(err, edxml.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestDoctypeRefused(t *testing.T) {
	p := demoPKI(t, certs.RSA2048)
	signed, err := Sign(statusPacket(t), p.signer)
	if err != nil {
		t.Fatal(err)
	}
	bomb := `<!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`
	i := bytes.Index(signed, []byte("<edXML:edXML"))
	data := append(append(append([]byte{}, signed[:i]...), bomb...), signed[i:]...)
	if _, err := Verify(data, Options{}); !errors.Is(err, edxml.ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

func between(t testing.TB, data []byte, open, close string) string {
	t.Helper()
	i := bytes.Index(data, []byte(open))
	j := bytes.Index(data, []byte(close))
	if i < 0 || j < i {
		t.Fatalf("no %s in packet", open)
	}
	return string(data[i+len(open) : j])
}

func TestRevokedSigner(t *testing.T) {
	ca := certstest.New(t)
	signer := ca.Agency(t, "000.00.00.H49", "UBND tỉnh Quảng Ninh")
	signed, err := Sign(statusPacket(t), signer)
	if err != nil {
		t.Fatal(err)
	}
	ca.Revoke(signer.Leaf)
	res, err := Verify(signed, Options{Verifier: ca.Verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trust != TrustInvalid || !strings.Contains(res.TrustDetail, "revoked") {
		t.Fatalf("trust %s (%s)", res.Trust, res.TrustDetail)
	}
}

// The signature is not kept as an extra of the packet: a re-exported
// packet carries its own.
func TestSignatureNotAnExtra(t *testing.T) {
	p := demoPKI(t, certs.ECDSAP256)
	signed, err := Sign(documentPacket(t), p.signer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Packet.Document.Extras {
		if strings.Contains(e.Path, "Signature") || strings.Contains(e.XML, "Signature") {
			t.Fatalf("signature kept as an extra: %+v", e)
		}
	}
	var out bytes.Buffer
	if err := edxml.WriteDocument(&out, res.Packet.Document, func(int) (io.Reader, error) {
		return strings.NewReader("%PDF-1.7 văn bản thử\n"), nil
	}); err != nil {
		t.Fatalf("re-export of a signed packet: %v", err)
	}
}
