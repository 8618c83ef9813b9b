// Package certstest makes real certificate authorities and certificates for
// tests in other packages: a root, an issuing CA, and agency, person, hub,
// receipt and timestamping key pairs issued by the same code production uses.
package certstest

import (
	"crypto/x509"
	"net"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
)

// PKI is a test root and issuing CA.
type PKI struct {
	Root    *certs.Authority
	Issuing *certs.Authority

	mu      sync.Mutex
	revoked []certs.Revocation
}

// New makes a root and an issuing CA with ECDSA P-256 keys.
func New(t testing.TB) *PKI {
	t.Helper()
	root, err := certs.NewRoot(certs.CAName{CommonName: "Test Root CA", Organization: "Lienthong tests"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	issuing, err := root.NewIssuing(certs.CAName{CommonName: "Test Issuing CA", Organization: "Lienthong tests"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &PKI{Root: root, Issuing: issuing}
}

// Agency issues an agency certificate for code, named name.
func (p *PKI) Agency(t testing.TB, code, name string) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssueAgency(certs.AgencyRequest{Code: certs.AgencyCode(code), Name: name}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Person issues a signer's certificate for an agency.
func (p *PKI) Person(t testing.TB, name, position, agency string) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssuePerson(certs.PersonRequest{FullName: name, Position: position, Agency: certs.AgencyCode(agency)}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Hub issues a server certificate for localhost and 127.0.0.1.
func (p *PKI) Hub(t testing.TB) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssueHub(certs.HubRequest{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Receipts issues the hub's receipt-signing certificate, named
// certs.DefaultReceiptSigner.
func (p *PKI) Receipts(t testing.TB) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: certs.DefaultReceiptSigner}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// TSA issues a timestamping certificate.
func (p *PKI) TSA(t testing.TB) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "Test TSA"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Revoke records a revocation, effective a second ago; CRL and Verifier
// include it from then on.
func (p *PKI) Revoke(cert *x509.Certificate) { p.RevokeAt(cert, time.Now().Add(-time.Second)) }

// RevokeAt records a revocation effective at the given time.
func (p *PKI) RevokeAt(cert *x509.Certificate, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = append(p.revoked, certs.Revocation{Serial: cert.SerialNumber, Time: at, Reason: 1})
}

// CRL returns the issuing CA's current CRL.
func (p *PKI) CRL(t testing.TB) *x509.RevocationList {
	t.Helper()
	p.mu.Lock()
	revoked := append([]certs.Revocation(nil), p.revoked...)
	p.mu.Unlock()
	der, err := p.Issuing.CRL(revoked, int64(len(revoked))+1, 0)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

// Verifier trusts the root and knows the current CRL.
func (p *PKI) Verifier(t testing.TB) *certs.Verifier {
	t.Helper()
	v, err := certs.NewVerifier([]*x509.Certificate{p.Root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	v.SetCRLs(p.CRL(t))
	return v
}

// RootPEM returns the root certificate as PEM.
func (p *PKI) RootPEM() []byte { return certs.EncodeCertificatesPEM(p.Root.Cert) }
