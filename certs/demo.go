package certs

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// DemoAgency is an agency of the demo PKI. The codes have the national
// directory's shape but are examples, not looked up in the directory.
type DemoAgency struct {
	Code   AgencyCode
	Name   string
	Signer DemoPerson // the competent person who signs its documents
}

// DemoPerson is a demo signer.
type DemoPerson struct{ FullName, Position string }

// DemoAgencies are the agencies `lienthong-certs demo` creates: the
// Government Office, a ministry, two provincial People's Committees and a
// department under each.
var DemoAgencies = []DemoAgency{
	{"000.00.00.G22", "Văn phòng Chính phủ", DemoPerson{"Trần Văn Sơn", "Bộ trưởng, Chủ nhiệm"}},
	{"000.00.00.G09", "Bộ Nội vụ", DemoPerson{"Phạm Thị Thanh Trà", "Bộ trưởng"}},
	{"000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh", DemoPerson{"Nguyễn Văn Hùng", "Phó Chủ tịch"}},
	{"000.00.12.H49", "Sở Khoa học và Công nghệ tỉnh Quảng Ninh", DemoPerson{"Lê Thị Hồng Nhung", "Giám đốc"}},
	{"000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", DemoPerson{"Hoàng Đức Thắng", "Chủ tịch"}},
	{"000.00.12.H41", "Sở Khoa học và Công nghệ tỉnh Nghệ An", DemoPerson{"Đặng Quốc Việt", "Phó Giám đốc"}},
}

// Demo names of the CAs.
var (
	DemoRootName    = CAName{CommonName: "Lienthong Demo Root CA", Organization: "Lienthong (bản trình diễn)"}
	DemoIssuingName = CAName{CommonName: "Lienthong Demo Issuing CA", Organization: "Lienthong (bản trình diễn)"}
)

// DemoCRLURL is the CRL distribution point of demo certificates: the
// path where the demo hub publishes the CRL (wire.PathCRL).
const DemoCRLURL = "https://localhost:4433/v1/pki/crl"

// Demo creates a complete demo PKI in dir, keys in the clear:
//
//	ca.crt, issuing-ca.crt, ca.crl, private/, issued/, state.json   the PKI (see InitPKI)
//	hub.crt, hub.key                    the hub's TLS certificate for localhost and 127.0.0.1
//	tsa.crt, tsa.key                    the hub's timestamping certificate
//	receipt.crt, receipt.key            the hub's receipt-signing identity, named DefaultReceiptSigner
//	agencies/<code>.crt, .key           each agency's certificate (chain included) and key
//	agencies/<code>.p12, .pass          the same as PKCS#12, and its passphrase
//	people/<code>.crt, .key, .p12, .pass the agency's competent signer
//	log.key, log.pub                    the note key that signs the hub's log checkpoints, and its verifier key
//	WARNING-DEMO-KEYS.txt               says that the keys are in the clear (never inside a key file)
func Demo(dir string, alg KeyAlgorithm) error {
	p, err := InitPKI(dir, InitOptions{Root: DemoRootName, Issuing: DemoIssuingName, KeyAlgorithm: alg, CRLURL: DemoCRLURL, Demo: true})
	if err != nil {
		return err
	}
	hub, err := p.Issuing.IssueHub(HubRequest{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}, alg)
	if err != nil {
		return err
	}
	if err := p.writeDemoPair(filepath.Join(dir, "hub"), hub, false); err != nil {
		return err
	}
	tsa, err := p.Issuing.IssueTimestamping(TimestampingRequest{CommonName: "Lienthong Demo Timestamping Authority"}, alg)
	if err != nil {
		return err
	}
	if err := p.writeDemoPair(filepath.Join(dir, "tsa"), tsa, false); err != nil {
		return err
	}
	receipts, err := p.Issuing.IssueReceipt(ReceiptRequest{Name: DefaultReceiptSigner}, alg)
	if err != nil {
		return err
	}
	if err := p.writeDemoPair(filepath.Join(dir, "receipt"), receipts, false); err != nil {
		return err
	}
	if err := WriteNewFile(filepath.Join(dir, DemoWarningFile), []byte(DemoKeyWarning), 0o644); err != nil {
		return err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "localhost")
	if err != nil {
		return err
	}
	if err := WriteNewFile(filepath.Join(dir, "log.key"), []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	if err := WriteNewFile(filepath.Join(dir, "log.pub"), []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	for _, a := range DemoAgencies {
		kp, err := p.Issuing.IssueAgency(AgencyRequest{Code: a.Code, Name: a.Name}, alg)
		if err != nil {
			return err
		}
		if err := p.writeDemoPair(filepath.Join(dir, "agencies", string(a.Code)), kp, true); err != nil {
			return err
		}
		person, err := p.Issuing.IssuePerson(PersonRequest{FullName: a.Signer.FullName, Position: a.Signer.Position, Agency: a.Code, AgencyName: a.Name}, alg)
		if err != nil {
			return err
		}
		if err := p.writeDemoPair(filepath.Join(dir, "people", string(a.Code)), person, true); err != nil {
			return err
		}
	}
	return nil
}

// writeDemoPair writes prefix.crt (leaf and chain) and prefix.key, and with
// p12 also prefix.p12 under a random passphrase kept in prefix.pass.
func (p *PKI) writeDemoPair(prefix string, kp *KeyPair, p12 bool) error {
	if err := p.Record(kp.Leaf); err != nil {
		return err
	}
	if err := WriteNewFile(prefix+".crt", kp.CertificatePEM(), 0o644); err != nil {
		return err
	}
	keyPEM, err := demoKeyPEM(kp.Key)
	if err != nil {
		return err
	}
	if err := WriteNewFile(prefix+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if !p12 {
		return nil
	}
	pass, err := NewPassphrase()
	if err != nil {
		return err
	}
	data, err := EncodePKCS12(kp, pass)
	if err != nil {
		return err
	}
	if err := WriteNewFile(prefix+".p12", data, 0o600); err != nil {
		return err
	}
	return WriteNewFile(prefix+".pass", []byte(pass+"\n"), 0o600)
}

// NewPassphrase returns a random passphrase of 20 letters and digits in
// groups of five (100 bits), easy to read out and type.
func NewPassphrase() (string, error) {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("passphrase: %w", err)
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
	return s[:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:], nil
}
