package cms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
)

// testPKI is a root CA and signer certificates of each key type, made once
// per test binary with crypto/x509 (the certs package's CA is not used here
// so that this package's tests stay self-contained).
type testPKI struct {
	rootKey  crypto.Signer
	root     *x509.Certificate
	interKey crypto.Signer
	inter    *x509.Certificate
	signers  map[string]testSigner
}

type testSigner struct {
	key   crypto.Signer
	chain []*x509.Certificate // leaf, intermediate, root
	hash  crypto.Hash
}

// signer returns s as the signer cms.Sign takes.
func (s testSigner) signer() certs.Signer {
	return &certs.KeyPair{Leaf: s.chain[0], Chain: s.chain[1:], Key: s.key}
}

// withChain is a certs.Signer made of any key and any chain, even a wrong
// one, to test what Sign refuses.
type withChain struct {
	crypto.Signer
	chain []*x509.Certificate
}

func (w withChain) Certificates() []*x509.Certificate { return w.chain }

var (
	pkiOnce sync.Once
	pki     *testPKI
)

// panicTB lets examples, which have no *testing.T, use the helpers.
type panicTB struct{ testing.TB }

func (panicTB) Helper()                           {}
func (panicTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func mustPKI(t testing.TB) *testPKI {
	if t == nil {
		t = panicTB{}
	}
	t.Helper()
	pkiOnce.Do(func() { pki = newTestPKI(t) })
	if pki == nil {
		t.Fatal("test pki failed")
	}
	return pki
}

var serial int64 = 1000

func issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatalf("create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestPKI(t testing.TB) *testPKI {
	p := &testPKI{signers: map[string]testSigner{}}
	p.rootKey = ecKey(t, elliptic.P384())
	p.root = issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Lienthong Test Root", Organization: []string{"Lienthong"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, p.rootKey.Public(), nil, p.rootKey)
	p.interKey = ecKey(t, elliptic.P256())
	p.inter = issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Lienthong Test Agency CA", Organization: []string{"Lienthong"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, p.interKey.Public(), p.root, p.rootKey)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]struct {
		key  crypto.Signer
		hash crypto.Hash
	}{
		"ecdsa-p256": {ecKey(t, elliptic.P256()), crypto.SHA256},
		"ecdsa-p384": {ecKey(t, elliptic.P384()), crypto.SHA384},
		"rsa-2048":   {rsaKey, crypto.SHA256},
	} {
		leaf := issue(t, &x509.Certificate{
			Subject:        pkix.Name{CommonName: "Nguyễn Văn An (" + name + ")", Organization: []string{"UBND tỉnh Quảng Ninh"}},
			KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
			EmailAddresses: []string{"an@quangninh.gov.vn"},
		}, s.key.Public(), p.inter, p.interKey)
		p.signers[name] = testSigner{key: s.key, chain: []*x509.Certificate{leaf, p.inter, p.root}, hash: s.hash}
	}
	return p
}

// writePEM writes certificates (and optionally a key) as PEM into dir.
func writeCertsPEM(t testing.TB, path string, certs ...*x509.Certificate) {
	t.Helper()
	var out []byte
	for _, c := range certs {
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

// pdfDir is the shared directory of real test PDFs.
var pdfDir = filepath.Join("..", "..", "..", "shared", "testdata", "pdf")
