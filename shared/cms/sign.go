package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/certs"
)

// Builder assembles one SignedData in two steps, for signers that sign a
// digest somewhere else: read [Builder.DigestToSign], have it signed, then call
// [Builder.Finish] with the signature.
type Builder struct {
	hash        crypto.Hash
	chain       []*x509.Certificate
	contentType asn1.ObjectIdentifier
	content     []byte // encapsulated content, nil when detached
	signedAttrs []byte // DER SET OF Attribute
	certs       bool
	sigAlg      func(*cryptobyte.Builder)
}

// NewBuilder prepares a detached signature over content of type id-data whose
// digest, computed with hash, is contentDigest. chain[0] is the signer's
// certificate; the whole chain, leaf first, is included in the container.
func NewBuilder(contentDigest []byte, hash crypto.Hash, chain []*x509.Certificate) (*Builder, error) {
	return newBuilder(OIDData, nil, contentDigest, hash, chain)
}

// NewEncapsulatedBuilder prepares a signature that carries its content inside
// the container (eContent), with the given content type; RFC 3161 timestamp
// tokens (content type [OIDTSTInfo]) are built this way. The content is small
// by nature and is hashed here.
func NewEncapsulatedBuilder(contentType asn1.ObjectIdentifier, content []byte, hash crypto.Hash, chain []*x509.Certificate) (*Builder, error) {
	if !hash.Available() {
		return nil, fmt.Errorf("%w: hash %v", ErrUnsupportedAlgorithm, hash)
	}
	h := hash.New()
	h.Write(content)
	return newBuilder(contentType, slices.Clone(content), h.Sum(nil), hash, chain)
}

func newBuilder(contentType asn1.ObjectIdentifier, content, contentDigest []byte, hash crypto.Hash, chain []*x509.Certificate) (*Builder, error) {
	if _, err := oidFromHash(hash); err != nil {
		return nil, err
	}
	if len(contentDigest) != hash.Size() {
		return nil, fmt.Errorf("content digest of %d bytes, want %d for %v", len(contentDigest), hash.Size(), hash)
	}
	if len(chain) == 0 || chain[0] == nil || chain[0].SerialNumber == nil {
		return nil, fmt.Errorf("no signer certificate")
	}
	for i, c := range chain {
		if c == nil || len(c.Raw) == 0 {
			return nil, fmt.Errorf("certificate %d of the chain is empty", i)
		}
	}
	leaf := chain[0]
	sigAlg, _, err := signatureAlgorithmFor(leaf.PublicKey, hash)
	if err != nil {
		return nil, err
	}
	b := &Builder{
		hash:        hash,
		chain:       slices.Clone(chain),
		contentType: contentType,
		content:     content,
		certs:       true,
		sigAlg:      sigAlg,
	}
	b.signedAttrs, err = buildSignedAttributes(contentType, contentDigest, leaf)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// buildSignedAttributes returns the DER SET OF content-type, message-digest
// and signing-certificate-v2, sorted by their encodings as DER requires.
func buildSignedAttributes(contentType asn1.ObjectIdentifier, contentDigest []byte, leaf *x509.Certificate) ([]byte, error) {
	certHash := crypto.SHA256.New()
	certHash.Write(leaf.Raw)
	attrs := make([][]byte, 0, 3)
	for _, f := range []func(*cryptobyte.Builder){
		func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(OIDAttrContentType)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(contentType) })
		},
		func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(OIDAttrMessageDigest)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(contentDigest) })
		},
		func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(OIDAttrSigningCertV2)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						// ESSCertIDv2: hashAlgorithm omitted (DEFAULT sha256).
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(certHash.Sum(nil))
							addIssuerSerial(b, leaf)
						})
					})
				})
			})
		},
	} {
		var ab cryptobyte.Builder
		ab.AddASN1(cbasn1.SEQUENCE, f)
		enc, err := ab.Bytes()
		if err != nil {
			return nil, fmt.Errorf("encode signed attribute: %w", err)
		}
		attrs = append(attrs, enc)
	}
	return encodeSet(cbasn1.SET, attrs)
}

// addIssuerSerial writes IssuerSerial ::= SEQUENCE { issuer GeneralNames,
// serialNumber } with the issuer as a directoryName [4].
func addIssuerSerial(b *cryptobyte.Builder, c *x509.Certificate) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes(c.RawIssuer)
			})
		})
		b.AddASN1BigInt(c.SerialNumber)
	})
}

// encodeSet writes elements as a DER SET OF (sorted by encoding) under tag.
func encodeSet(tag cbasn1.Tag, elems [][]byte) ([]byte, error) {
	sorted := slices.Clone(elems)
	slices.SortFunc(sorted, bytes.Compare)
	var b cryptobyte.Builder
	b.AddASN1(tag, func(b *cryptobyte.Builder) {
		for _, e := range sorted {
			b.AddBytes(e)
		}
	})
	return b.Bytes()
}

// WithoutCertificates leaves the certificate set out of the container, as a
// TSA does when the request did not ask for its certificate.
func (b *Builder) WithoutCertificates() *Builder {
	b.certs = false
	return b
}

// SignedAttributes returns the DER-encoded SET OF Attribute that the signature
// covers. The caller must not modify it.
func (b *Builder) SignedAttributes() []byte { return b.signedAttrs }

// DigestToSign returns the hash of [Builder.SignedAttributes], the digest to
// pass to [crypto.Signer.Sign] with the builder's hash as options.
func (b *Builder) DigestToSign() []byte {
	h := b.hash.New()
	h.Write(b.signedAttrs)
	return h.Sum(nil)
}

// Finish checks that signature verifies over [Builder.DigestToSign] with the
// signer certificate's key, then returns the DER ContentInfo holding the
// SignedData. The check catches a remote signer that used another key or
// returned garbage before the signature is embedded in a document.
func (b *Builder) Finish(signature []byte) ([]byte, error) {
	leaf := b.chain[0]
	_, x509Alg, err := signatureAlgorithmFor(leaf.PublicKey, b.hash)
	if err != nil {
		return nil, err
	}
	a := sigAlg{x509Alg: x509Alg, hash: b.hash, rsa: isRSA(x509Alg), ecdsa: !isRSA(x509Alg)}
	if err := verifySignature(leaf.PublicKey, a, b.hash, b.DigestToSign(), signature); err != nil {
		return nil, fmt.Errorf("signature does not match the signer certificate: %w", err)
	}
	return b.assemble(signature)
}

// assemble returns the DER ContentInfo around signature, unchecked.
func (b *Builder) assemble(signature []byte) ([]byte, error) {
	leaf := b.chain[0]
	digestOID, _ := oidFromHash(b.hash)
	var enc encoder
	si := signerInfo{
		version: 1,
		sid: enc.element(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddBytes(leaf.RawIssuer)
				b.AddASN1BigInt(leaf.SerialNumber)
			})
		}),
		digestAlgorithm: enc.element(func(b *cryptobyte.Builder) { addDigestAlgorithm(b, digestOID) }),
		signedAttrs:     retag(b.signedAttrs, 0xa0),
		signatureAlg:    enc.element(b.sigAlg),
		signature:       signature,
		hasSignedAttrs:  true,
	}
	sd := signedDataRaw{
		version: 1,
		digestAlgorithms: enc.element(func(bb *cryptobyte.Builder) {
			bb.AddASN1(cbasn1.SET, func(bb *cryptobyte.Builder) { addDigestAlgorithm(bb, digestOID) })
		}),
		encapContentInfo: enc.element(func(bb *cryptobyte.Builder) {
			bb.AddASN1(cbasn1.SEQUENCE, func(bb *cryptobyte.Builder) {
				bb.AddASN1ObjectIdentifier(b.contentType)
				if b.content != nil {
					bb.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(bb *cryptobyte.Builder) {
						bb.AddASN1OctetString(b.content)
					})
				}
			})
		}),
		signer: si,
	}
	if !b.contentType.Equal(OIDData) {
		sd.version = 3 // RFC 5652 5.1: eContentType other than id-data
	}
	if b.certs {
		size := 0
		for _, c := range b.chain {
			size += len(c.Raw)
		}
		sd.certificates = enc.sized(size+8, func(cb *cryptobyte.Builder) {
			cb.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(cb *cryptobyte.Builder) {
				for _, c := range b.chain {
					cb.AddBytes(c.Raw)
				}
			})
		})
	}
	if enc.err != nil {
		return nil, fmt.Errorf("encode signed data: %w", enc.err)
	}
	return sd.marshal()
}

// encoder builds DER elements and keeps the first error.
type encoder struct{ err error }

func (e *encoder) element(f func(*cryptobyte.Builder)) []byte {
	return e.sized(0, f)
}

// sized is element for an element of about size bytes, built in one
// buffer instead of one grown as it is written.
func (e *encoder) sized(size int, f func(*cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(make([]byte, 0, size))
	f(b)
	out, err := b.Bytes()
	if err != nil && e.err == nil {
		e.err = err
	}
	return out
}

// retag returns a copy of a DER element with its first (tag) byte replaced.
func retag(elem []byte, tag byte) []byte {
	out := slices.Clone(elem)
	out[0] = tag
	return out
}

// Sign returns a detached CMS signature (DER ContentInfo) over content of type
// id-data whose digest, computed with hash, is contentDigest, signed by signer
// with its certificates (leaf first) in the container.
func Sign(contentDigest []byte, hash crypto.Hash, signer certs.Signer) ([]byte, error) {
	b, err := NewBuilder(contentDigest, hash, signer.Certificates())
	if err != nil {
		return nil, err
	}
	return b.sign(signer)
}

// SignWith signs the builder's digest with signer, which must hold the
// private key of the builder's signer certificate, and finishes the
// container.
func (b *Builder) SignWith(signer crypto.Signer) ([]byte, error) {
	return b.sign(signer)
}

// sign signs with any crypto.Signer. The signature of a key in a token or a
// remote service is checked before it is embedded, as Finish does (it may
// come from another key, or be garbage); that of a key in memory, already
// matched to the certificate below, is not (certs.NeedsSignatureCheck).
func (b *Builder) sign(signer crypto.Signer) ([]byte, error) {
	if !certs.SameKey(signer, b.chain[0].PublicKey) {
		return nil, fmt.Errorf("signer key does not belong to the signer certificate %q", b.chain[0].Subject.CommonName)
	}
	sig, err := signer.Sign(rand.Reader, b.DigestToSign(), b.hash)
	if err != nil {
		return nil, fmt.Errorf("sign cms attributes: %w", err)
	}
	if !certs.NeedsSignatureCheck(signer) {
		return b.assemble(sig)
	}
	return b.Finish(sig)
}
