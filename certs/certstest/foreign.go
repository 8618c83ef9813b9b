package certstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"lienthong/certs"
)

// oidUID is the LDAP userId attribute (RFC 4519), where Vietnamese CAs put
// "MST:<tax code>" for an organisation and "CCCD:<number>" for a person.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// ForeignCA is a certificate authority outside Lienthong's PKI, shaped
// like the Government's specialised CA or a licensed public CA: a root of
// its own, an issuing CA under it, subjects written the way those CAs
// write them (O, OU, L, a UID attribute), and no urn:lienthong: URI.
type ForeignCA struct {
	Root, Issuing       *x509.Certificate
	rootKey, issuingKey crypto.Signer
}

// NewForeign makes a foreign root and issuing CA named after name (e.g.
// "Ban Cơ yếu Chính phủ").
func NewForeign(t testing.TB, name string) *ForeignCA {
	t.Helper()
	f := &ForeignCA{}
	var err error
	f.rootKey, f.Root = selfSigned(t, pkix.Name{CommonName: name + " Root CA (test)", Organization: []string{name}, Country: []string{"VN"}})
	f.issuingKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f.Issuing = create(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name + " Issuing CA (test)", Organization: []string{name}, Country: []string{"VN"}},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true,
	}, f.Root, f.issuingKey.Public(), f.rootKey)
	return f
}

// Organisation issues an organisation's certificate (the agency's seal and
// TLS identity): O and OU name the agency, UID is "MST:<taxCode>", with
// the signing usages and clientAuth.
func (f *ForeignCA) Organisation(t testing.TB, name, unit, taxCode string) *certs.KeyPair {
	t.Helper()
	return f.Issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name, Organization: []string{name}, OrganizationalUnit: []string{unit},
			Locality: []string{"Hà Nội"}, Country: []string{"VN"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "MST:" + taxCode}}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection},
	})
}

// Person issues a person's signing certificate: CN the full name, O the
// agency, UID "CCCD:<idNumber>", the signing usages and emailProtection.
func (f *ForeignCA) Person(t testing.TB, fullName, agency, idNumber string) *certs.KeyPair {
	t.Helper()
	return f.Issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: fullName, Organization: []string{agency}, Country: []string{"VN"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "CCCD:" + idNumber}}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	})
}

// Issue issues tmpl (subject, usages, names) under the issuing CA with a
// new P-256 key; serial and validity are filled in.
func (f *ForeignCA) Issue(t testing.TB, tmpl *x509.Certificate) *certs.KeyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := create(t, tmpl, f.Issuing, key.Public(), f.issuingKey)
	return &certs.KeyPair{Leaf: leaf, Chain: []*x509.Certificate{f.Issuing}, Key: key}
}

// RootPEM returns the foreign root as PEM, as an operator configures it.
func (f *ForeignCA) RootPEM() []byte { return certs.EncodeCertificatesPEM(f.Root) }

func selfSigned(t testing.TB, name pkix.Name) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{Subject: name, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true}
	return key, create(t, tmpl, nil, key.Public(), key)
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
