package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"lienthong/certs"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, to Verify,
// SignatureValue and the re-encoding AddTimestamp uses. Seeds: this
// package's own output (ECDSA, RSA, with a timestamp) and the vectors from
// OpenSSL and NSS under testdata.
func FuzzParse(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	cert := selfSigned(f, key, 3)
	digest := sha256.Sum256([]byte("seed"))
	der, err := Sign(digest[:], crypto.SHA256, &certs.KeyPair{Leaf: cert, Key: key})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	tb, err := NewEncapsulatedBuilder(OIDTSTInfo, []byte{0x30, 0}, crypto.SHA256, []*x509.Certificate{cert})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := tb.SignWith(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	withTS, err := AddTimestamp(der, tok)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withTS)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.p7s"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := Parse(data)
		if err != nil {
			if sd != nil {
				t.Fatal("Parse returned a value with an error")
			}
			return
		}
		_ = sd.Verify(make([]byte, sd.Hash.Size()))
		_ = sd.Verify(sd.MessageDigest)
		sv, err := SignatureValue(data)
		if err != nil || !bytes.Equal(sv, sd.Signature) {
			t.Fatalf("SignatureValue disagrees with Parse: %v", err)
		}
		out, err := sd.raw.marshal()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		sd2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded container does not parse: %v", err)
		}
		if !bytes.Equal(sd2.Signature, sd.Signature) || !bytes.Equal(sd2.SignedAttributes, sd.SignedAttributes) ||
			!bytes.Equal(sd2.Content, sd.Content) || len(sd2.Certificates) != len(sd.Certificates) {
			t.Fatal("re-encoded container differs")
		}
	})
}
