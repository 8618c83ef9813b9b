package tsa_test

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/tsa"
)

// testPKI is a root and issuing CA from package certs, with TSA certificates
// of each key algorithm and a person certificate (not for timestamping).
type testPKI struct {
	root   *certs.Authority
	issuer *certs.Authority
	tsas   map[certs.KeyAlgorithm]*certs.KeyPair
	person *certs.KeyPair
	roots  *x509.CertPool
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func mustPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = newTestPKI() })
	if pkiErr != nil {
		t.Fatalf("test pki: %v", pkiErr)
	}
	return pki
}

func newTestPKI() (*testPKI, error) {
	root, err := certs.NewRoot(certs.CAName{CommonName: "Lienthong Test Root", Organization: "Lienthong"}, certs.ECDSAP384, 0)
	if err != nil {
		return nil, err
	}
	issuer, err := root.NewIssuing(certs.CAName{CommonName: "Lienthong Test Issuing CA", Organization: "Lienthong"}, certs.ECDSAP256, 0)
	if err != nil {
		return nil, err
	}
	p := &testPKI{root: root, issuer: issuer, tsas: map[certs.KeyAlgorithm]*certs.KeyPair{}, roots: x509.NewCertPool()}
	p.roots.AddCert(root.Cert)
	for _, alg := range []certs.KeyAlgorithm{certs.ECDSAP256, certs.ECDSAP384, certs.RSA2048} {
		kp, err := issuer.IssueTimestamping(certs.TimestampingRequest{CommonName: "Lienthong TSA " + string(alg)}, alg)
		if err != nil {
			return nil, err
		}
		p.tsas[alg] = kp
	}
	p.person, err = issuer.IssuePerson(certs.PersonRequest{
		FullName: "Nguyễn Văn An", Position: "Chánh Văn phòng",
		Agency: "000.00.00.H49", AgencyName: "UBND tỉnh Quảng Ninh",
	}, certs.ECDSAP256)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer returns a TSA for the key pair and a loopback HTTP server
// running it.
func newServer(t testing.TB, kp *certs.KeyPair, now func() time.Time) (*tsa.Server, *httptest.Server) {
	t.Helper()
	s := &tsa.Server{Signer: kp, Now: now, Logger: quietLogger()}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func writeCertsPEM(t testing.TB, path string, cs ...*x509.Certificate) {
	t.Helper()
	var out []byte
	for _, c := range cs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeKeyPEM(t testing.TB, path string, key crypto.Signer) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
