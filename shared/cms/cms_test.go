package cms_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"testing"

	"lienthong/shared/cms"
)

func digestOf(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

func TestSignParseVerify(t *testing.T) {
	p := mustPKI(t)
	content := []byte("Công văn số 1234/STTTT-CNTT về việc triển khai liên thông văn bản")
	for _, name := range []string{"ecdsa-p256", "ecdsa-p384", "rsa-2048"} {
		t.Run(name, func(t *testing.T) {
			s := p.signers[name]
			digest := digestOf(s.hash, content)
			der, err := cms.Sign(digest, s.hash, s.signer())
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if sd.Signer == nil || !sd.Signer.Equal(s.chain[0]) {
				t.Fatalf("Signer = %v, want the leaf", sd.Signer)
			}
			if len(sd.Certificates) != 3 {
				t.Fatalf("%d certificates, want 3", len(sd.Certificates))
			}
			for i, c := range sd.Certificates {
				if !c.Equal(s.chain[i]) {
					t.Errorf("certificate %d is %q, want %q (chain order)", i, c.Subject.CommonName, s.chain[i].Subject.CommonName)
				}
			}
			if sd.Hash != s.hash {
				t.Errorf("Hash = %v, want %v", sd.Hash, s.hash)
			}
			if !sd.ContentType.Equal(cms.OIDData) || sd.Content != nil {
				t.Errorf("content type %v, content %d bytes: want detached id-data", sd.ContentType, len(sd.Content))
			}
			if !sd.HasSigningCertV2 || !sd.SigningCertV2Matches {
				t.Errorf("signing-certificate-v2 present %v, matches %v", sd.HasSigningCertV2, sd.SigningCertV2Matches)
			}
			if sd.HasSigningTime || sd.HasSigningCertV1 {
				t.Errorf("forbidden attributes: signing-time %v, signing-certificate v1 %v", sd.HasSigningTime, sd.HasSigningCertV1)
			}
			if !bytes.Equal(sd.MessageDigest, digest) {
				t.Errorf("MessageDigest %x, want %x", sd.MessageDigest, digest)
			}
			if sd.TimestampToken != nil {
				t.Error("unexpected timestamp token")
			}
			if err := sd.Verify(digest); err != nil {
				t.Fatalf("Verify: %v", err)
			}

			other := digestOf(s.hash, append(content, ' '))
			if err := sd.Verify(other); !errors.Is(err, cms.ErrDigestMismatch) {
				t.Errorf("Verify(other content) = %v, want ErrDigestMismatch", err)
			}
			if err := sd.Verify(other[:10]); !errors.Is(err, cms.ErrDigestMismatch) {
				t.Errorf("Verify(short digest) = %v, want ErrDigestMismatch", err)
			}

			// Flip one bit of the signature value inside the container.
			bad := bytes.Clone(der)
			sig := sd.Signature
			i := bytes.Index(bad, sig)
			if i < 0 {
				t.Fatal("signature not found in container")
			}
			bad[i+len(sig)-1] ^= 1
			sd2, err := cms.Parse(bad)
			if err != nil {
				t.Fatalf("Parse(bad signature): %v", err)
			}
			if err := sd2.Verify(digest); !errors.Is(err, cms.ErrBadSignature) {
				t.Errorf("Verify(flipped signature) = %v, want ErrBadSignature", err)
			}

			sv, err := cms.SignatureValue(der)
			if err != nil || !bytes.Equal(sv, sd.Signature) {
				t.Errorf("SignatureValue = %x, %v", sv, err)
			}
		})
	}
}

// TestSignedAttributes checks that exactly content-type, message-digest and
// signing-certificate-v2 are signed, as a DER SET sorted by encoding, and that
// the SET is what the signature covers.
func TestSignedAttributes(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("x"))
	b, err := cms.NewBuilder(digest, crypto.SHA256, s.chain)
	if err != nil {
		t.Fatal(err)
	}
	attrsDER := b.SignedAttributes()
	var attrs []struct {
		Type   asn1.ObjectIdentifier
		Values asn1.RawValue
	}
	rest, err := asn1.UnmarshalWithParams(attrsDER, &attrs, "set")
	if err != nil || len(rest) != 0 {
		t.Fatalf("signed attributes are not a DER SET OF Attribute: %v", err)
	}
	want := map[string]bool{
		cms.OIDAttrContentType.String():   true,
		cms.OIDAttrMessageDigest.String(): true,
		cms.OIDAttrSigningCertV2.String(): true,
	}
	if len(attrs) != len(want) {
		t.Fatalf("%d signed attributes, want %d", len(attrs), len(want))
	}
	var prev []byte
	for _, a := range attrs {
		if !want[a.Type.String()] {
			t.Errorf("unexpected signed attribute %v", a.Type)
		}
		enc, _ := asn1.Marshal(a)
		if prev != nil && bytes.Compare(prev, enc) > 0 {
			t.Errorf("attributes not in DER order: %x before %x", prev, enc)
		}
		prev = enc
	}
	if !bytes.Equal(b.DigestToSign(), digestOf(crypto.SHA256, attrsDER)) {
		t.Error("DigestToSign is not the SHA-256 of SignedAttributes")
	}
}

func TestTwoStep(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("tờ trình"))
	b, err := cms.NewBuilder(digest, crypto.SHA256, s.chain)
	if err != nil {
		t.Fatal(err)
	}
	// The "remote" signer signs only the digest it is handed.
	sig, err := s.key.Sign(rand.Reader, b.DigestToSign(), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong key", func(t *testing.T) {
		other := p.signers["ecdsa-p384"].key
		bad, err := other.Sign(rand.Reader, b.DigestToSign(), crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Finish(bad); !errors.Is(err, cms.ErrBadSignature) {
			t.Errorf("Finish(signature by another key) = %v, want ErrBadSignature", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		if _, err := b.Finish([]byte{1, 2, 3}); err == nil {
			t.Error("Finish(garbage) succeeded")
		}
	})
	t.Run("good", func(t *testing.T) {
		der, err := b.Finish(sig)
		if err != nil {
			t.Fatalf("Finish: %v", err)
		}
		sd, err := cms.Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := sd.Verify(digest); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
}

func TestSignErrors(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	d256 := digestOf(crypto.SHA256, nil)
	tests := []struct {
		name   string
		digest []byte
		hash   crypto.Hash
		key    crypto.Signer
		chain  []*x509.Certificate
		want   error
	}{
		{"key of another certificate", d256, crypto.SHA256, p.signers["rsa-2048"].key, s.chain, nil},
		{"sha-1", digestOf(crypto.SHA1, nil), crypto.SHA1, s.key, s.chain, cms.ErrUnsupportedAlgorithm},
		{"digest length", d256[:20], crypto.SHA256, s.key, s.chain, nil},
		{"empty chain", d256, crypto.SHA256, s.key, nil, nil},
		{"nil leaf", d256, crypto.SHA256, s.key, []*x509.Certificate{nil}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cms.Sign(tt.digest, tt.hash, withChain{tt.key, tt.chain})
			if err == nil {
				t.Fatal("Sign succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncapsulated(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	content := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	b, err := cms.NewEncapsulatedBuilder(cms.OIDTSTInfo, content, crypto.SHA256, s.chain)
	if err != nil {
		t.Fatal(err)
	}
	der, err := b.WithoutCertificates().SignWith(s.key)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if !sd.ContentType.Equal(cms.OIDTSTInfo) || !bytes.Equal(sd.Content, content) {
		t.Fatalf("content type %v content %x", sd.ContentType, sd.Content)
	}
	if len(sd.Certificates) != 0 || sd.Signer != nil {
		t.Fatalf("certificates were included")
	}
	if err := sd.Verify(digestOf(crypto.SHA256, content)); !errors.Is(err, cms.ErrNoSignerCertificate) {
		t.Errorf("Verify without signer = %v, want ErrNoSignerCertificate", err)
	}
	if err := sd.UseSigner(s.chain[1]); !errors.Is(err, cms.ErrNoSignerCertificate) {
		t.Errorf("UseSigner(wrong cert) = %v", err)
	}
	if err := sd.UseSigner(s.chain[0]); err != nil {
		t.Fatal(err)
	}
	if !sd.SigningCertV2Matches {
		t.Error("signing-certificate-v2 does not match after UseSigner")
	}
	if err := sd.Verify(digestOf(crypto.SHA256, content)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// fakeToken returns a SignedData over a TSTInfo-typed content: enough for
// AddTimestamp, which checks the shape but not the meaning.
func fakeToken(t *testing.T, s testSigner) []byte {
	t.Helper()
	b, err := cms.NewEncapsulatedBuilder(cms.OIDTSTInfo, []byte{0x30, 0x00}, crypto.SHA256, s.chain[:1])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.SignWith(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAddTimestamp(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("quyết định"))
	der, err := cms.Sign(digest, crypto.SHA256, s.signer())
	if err != nil {
		t.Fatal(err)
	}
	tok := fakeToken(t, p.signers["ecdsa-p384"])
	withTS, err := cms.AddTimestamp(append(bytes.Clone(der), 0, 0, 0), tok)
	if err != nil {
		t.Fatalf("AddTimestamp: %v", err)
	}
	sd, err := cms.Parse(withTS)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.TimestampToken, tok) {
		t.Error("TimestampToken differs from the token added")
	}
	if err := sd.Verify(digest); err != nil {
		t.Errorf("Verify after AddTimestamp: %v", err)
	}
	orig, _ := cms.SignatureValue(der)
	if !bytes.Equal(sd.Signature, orig) {
		t.Error("signature value changed")
	}
	t.Run("twice", func(t *testing.T) {
		if _, err := cms.AddTimestamp(withTS, tok); err == nil {
			t.Error("second AddTimestamp succeeded")
		}
	})
	t.Run("not a timestamp token", func(t *testing.T) {
		if _, err := cms.AddTimestamp(der, der); err == nil {
			t.Error("AddTimestamp accepted a document signature as token")
		}
		if _, err := cms.AddTimestamp(der, []byte("junk")); err == nil {
			t.Error("AddTimestamp accepted junk")
		}
	})
}
