package envelope

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/cms"
)

var (
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA56 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// craft builds a CMS SignedData over payload by hand, signed by kp, with
// only the content-type and message-digest signed attributes (no
// signing-certificate-v2), and with the payload inside when attached: the
// two shapes cms.Sign never makes.
func craft(t *testing.T, payload []byte, kp *certs.KeyPair, attached bool) []byte {
	t.Helper()
	digest := sha256.Sum256(payload)
	attr := func(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) func(*cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oid)
				b.AddASN1(cbasn1.SET, value)
			})
		}
	}
	attrs := func(b *cryptobyte.Builder) { // DER order: the shorter encoding first
		attr(cms.OIDAttrContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(cms.OIDData) })(b)
		attr(cms.OIDAttrMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) })(b)
	}
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, attrs)
	signedAttrs := set.BytesOrPanic()
	h := sha256.Sum256(signedAttrs)
	sig, err := kp.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	algo := func(oid asn1.ObjectIdentifier) func(*cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
		}
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(cms.OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, algo(oidSHA256))
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(cms.OIDData)
					if attached {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(payload) })
					}
				})
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range kp.Certificates() {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(kp.Leaf.RawIssuer)
							b.AddASN1BigInt(kp.Leaf.SerialNumber)
						})
						algo(oidSHA256)(b)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), attrs)
						algo(oidECDSAWithSHA56)(b)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return out.BytesOrPanic()
}

// TestSignatureProfile: docs/API.md requires a detached signature with the
// signing-certificate-v2 attribute; a packet signed otherwise by the right
// key is refused.
func TestSignatureProfile(t *testing.T) {
	pki := certstest.New(t)
	qn := pki.Agency(t, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	v := pki.Verifier(t)
	payload, err := json.Marshal(sampleDocument())
	if err != nil {
		t.Fatal(err)
	}
	packet := func(sig []byte) []byte {
		b, err := json.Marshal(Packet{Payload: payload, Signature: sig})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The crafted container itself is sound: cms verifies it.
	sd, err := cms.Parse(craft(t, payload, qn, false))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(payload)
	if err := sd.Verify(digest[:]); err != nil || sd.HasSigningCertV2 {
		t.Fatalf("crafted signature: %v, signing-certificate-v2 %v", err, sd.HasSigningCertV2)
	}
	attachedESS, err := func() ([]byte, error) {
		b, err := cms.NewEncapsulatedBuilder(cms.OIDData, payload, crypto.SHA256, qn.Certificates())
		if err != nil {
			return nil, err
		}
		return b.SignWith(qn.Key)
	}()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sig  []byte
		want error
	}{
		{"no signing-certificate-v2", craft(t, payload, qn, false), ErrBadSignature},
		{"attached, no signing-certificate-v2", craft(t, payload, qn, true), ErrMalformed},
		{"attached, with signing-certificate-v2", attachedESS, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := OpenDocument(packet(tt.sig), v, 0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("OpenDocument = %v, want %v", err, tt.want)
			}
		})
	}
	if _, _, err := OpenDocument(seal(t, sampleDocument(), qn), v, 0); err != nil {
		t.Fatalf("a packet sealed as specified: %v", err)
	}
}
