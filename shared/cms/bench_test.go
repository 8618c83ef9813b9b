package cms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"testing"

	"lienthong/shared/cms"
)

// BenchmarkSign measures a whole detached signature with ECDSA P-256 over a
// precomputed digest: attributes, signature, self-check and encoding.
func BenchmarkSign(b *testing.B) {
	p := mustPKI(b)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("benchmark"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cms.Sign(digest, crypto.SHA256, s.signer()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkECDSASignP256 is the bare signature, for comparison with
// BenchmarkSign.
func BenchmarkECDSASignP256(b *testing.B) {
	p := mustPKI(b)
	key := p.signers["ecdsa-p256"].key.(*ecdsa.PrivateKey)
	digest := digestOf(crypto.SHA256, []byte("benchmark"))
	for b.Loop() {
		if _, err := key.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerify(b *testing.B) {
	p := mustPKI(b)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("benchmark"))
	der, err := cms.Sign(digest, crypto.SHA256, s.signer())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sd, err := cms.Parse(der)
		if err != nil {
			b.Fatal(err)
		}
		if err := sd.Verify(digest); err != nil {
			b.Fatal(err)
		}
	}
}
