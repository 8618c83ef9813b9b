package pades

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"lienthong/certs"
)

// testPKI is a real two-level PKI made with package certs: a root, an
// issuing CA, a person and an agency.
type testPKI struct {
	root, issuing *certs.Authority
	person        *certs.KeyPair
	agency        *certs.KeyPair
	roots         *x509.CertPool
	// crlServer serves both CAs' (empty) CRLs on loopback at the
	// distribution points written into the certificates, so that
	// validators that fetch CRLs (pdfcpu) can establish revocation status.
	crlServer *httptest.Server
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func getPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		p := &testPKI{}
		crls := map[string]*certs.Authority{}
		p.crlServer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ca, ok := crls[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			der, err := ca.CRL(nil, 1, 0)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/pkix-crl")
			w.Write(der)
		}))
		if p.root, pkiErr = certs.NewRoot(certs.CAName{CommonName: "Lienthong Test Root CA", Organization: "Ban Cơ yếu Chính phủ"}, certs.ECDSAP256, 0); pkiErr != nil {
			return
		}
		p.root.CRLURL = p.crlServer.URL + "/root.crl"
		if p.issuing, pkiErr = p.root.NewIssuing(certs.CAName{CommonName: "Lienthong Test Issuing CA"}, certs.ECDSAP256, 0); pkiErr != nil {
			return
		}
		p.issuing.CRLURL = p.crlServer.URL + "/issuing.crl"
		crls["/root.crl"] = p.root
		crls["/issuing.crl"] = p.issuing
		if p.person, pkiErr = p.issuing.IssuePerson(certs.PersonRequest{FullName: "Nguyễn Văn An", Position: "Phó Chủ tịch", Agency: "000.00.00.H49", AgencyName: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.ECDSAP256); pkiErr != nil {
			return
		}
		if p.agency, pkiErr = p.issuing.IssueAgency(certs.AgencyRequest{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.ECDSAP256); pkiErr != nil {
			return
		}
		p.roots = x509.NewCertPool()
		p.roots.AddCert(p.root.Cert)
		pki = p
	})
	if pkiErr != nil {
		t.Fatalf("test PKI: %v", pkiErr)
	}
	return pki
}

func optsFor(kp *certs.KeyPair) Options {
	return Options{Signer: kp, Reason: "Ký ban hành văn bản", Location: "Hạ Long, Quảng Ninh"}
}

// certless is a signer that names no certificate.
type certless struct{ certs.Signer }

func (certless) Certificates() []*x509.Certificate { return nil }

// signTestFile signs in into dir/out and returns the output path.
func signTestFile(t testing.TB, in, out string, opts Options) string {
	t.Helper()
	if err := SignFile(context.Background(), in, out, opts); err != nil {
		t.Fatalf("SignFile(%s): %v", filepath.Base(in), err)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
