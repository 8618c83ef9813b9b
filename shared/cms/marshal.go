package cms

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// marshal writes the ContentInfo around the SignedData, reusing the raw
// elements kept by Parse or made by Builder.
func (sd *signedDataRaw) marshal() ([]byte, error) {
	si := &sd.signer
	var unsigned []byte
	if len(si.unsignedAttrsRaw) > 0 {
		var err error
		unsigned, err = encodeSet(tagContext1, si.unsignedAttrsRaw)
		if err != nil {
			return nil, fmt.Errorf("encode unsigned attributes: %w", err)
		}
	}
	// One buffer for the whole container: its parts and room for the
	// headers around them.
	size := 64 + len(sd.digestAlgorithms) + len(sd.encapContentInfo) + len(sd.certificates) + len(sd.crls) +
		len(si.sid) + len(si.digestAlgorithm) + len(si.signedAttrs) + len(si.signatureAlg) + len(si.signature) + len(unsigned)
	b := cryptobyte.NewBuilder(make([]byte, 0, size))
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(tagContext0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(sd.version)
				b.AddBytes(sd.digestAlgorithms)
				b.AddBytes(sd.encapContentInfo)
				b.AddBytes(sd.certificates)
				b.AddBytes(sd.crls)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(si.version)
						b.AddBytes(si.sid)
						b.AddBytes(si.digestAlgorithm)
						if si.hasSignedAttrs {
							b.AddBytes(si.signedAttrs)
						}
						b.AddBytes(si.signatureAlg)
						b.AddASN1OctetString(si.signature)
						b.AddBytes(unsigned)
					})
				})
			})
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode signed data: %w", err)
	}
	return out, nil
}

// SignatureValue returns the signature octets of the container's signer: the
// bytes a PAdES signature timestamp is computed over (ETSI EN 319 122-1,
// 5.3).
func SignatureValue(der []byte) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	return sd.Signature, nil
}

// AddTimestamp returns der with token added as the unsigned attribute
// id-aa-signatureTimeStampToken. token must be a timestamp token (a
// SignedData over a TSTInfo); whether it covers this signature is checked by
// the tsa package, not here. A container that already has a signature
// timestamp is refused. Trailing padding in der is dropped.
func AddTimestamp(der []byte, token []byte) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if sd.TimestampToken != nil {
		return nil, fmt.Errorf("%w: signature already carries a timestamp", ErrMalformed)
	}
	tok, err := Parse(token)
	if err != nil {
		return nil, fmt.Errorf("timestamp token: %w", err)
	}
	if !tok.ContentType.Equal(OIDTSTInfo) {
		return nil, fmt.Errorf("%w: timestamp token content type %v is not TSTInfo", ErrMalformed, tok.ContentType)
	}
	var tokenElem cryptobyte.String
	in := cryptobyte.String(token)
	in.ReadASN1Element(&tokenElem, cbasn1.SEQUENCE) // Parse succeeded: cannot fail
	var ab cryptobyte.Builder
	ab.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDAttrSignatureTimeStamp)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(tokenElem) })
	})
	attr, err := ab.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode timestamp attribute: %w", err)
	}
	sd.raw.signer.unsignedAttrsRaw = append(sd.raw.signer.unsignedAttrsRaw, attr)
	return sd.raw.marshal()
}
