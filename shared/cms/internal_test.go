package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"lienthong/certs"
)

func selfSigned(t testing.TB, key *ecdsa.PrivateKey, serial int64) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "Văn thư"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSigningCertSubstitution builds a signature whose signing-certificate-v2
// names one certificate while the signer identifier names another for the
// same key (the substitution the attribute exists to stop).
func TestSigningCertSubstitution(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	certA := selfSigned(t, key, 1)
	certB := selfSigned(t, key, 2)
	digest := sha256.Sum256([]byte("x"))
	b, err := NewBuilder(digest[:], crypto.SHA256, []*x509.Certificate{certA})
	if err != nil {
		t.Fatal(err)
	}
	b.chain = []*x509.Certificate{certB} // sid and certificates now name B
	der, err := b.SignWith(key)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if !sd.Signer.Equal(certB) || !sd.HasSigningCertV2 || sd.SigningCertV2Matches {
		t.Fatalf("signer %v, scv2 %v matches %v", sd.Signer.SerialNumber, sd.HasSigningCertV2, sd.SigningCertV2Matches)
	}
	if err := sd.Verify(digest[:]); !errors.Is(err, ErrSigningCertMismatch) {
		t.Errorf("Verify = %v, want ErrSigningCertMismatch", err)
	}
	if err := sd.UseSigner(certA); !errors.Is(err, ErrNoSignerCertificate) {
		t.Errorf("UseSigner(A) = %v, want ErrNoSignerCertificate", err)
	}
}

// TestRemarshal checks that re-encoding a parsed DER container gives back the
// same bytes, which AddTimestamp relies on.
func TestRemarshal(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := selfSigned(t, key, 7)
	digest := sha256.Sum256([]byte("y"))
	der, err := Sign(digest[:], crypto.SHA256, &certs.KeyPair{Leaf: cert, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sd.raw.marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(der) {
		t.Errorf("re-encoding differs:\n%x\n%x", out, der)
	}
}
