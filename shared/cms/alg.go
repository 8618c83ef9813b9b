package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/certs"
)

// Object identifiers used in the containers this package writes and reads.
var (
	OIDData                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDTSTInfo                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDAttrContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDAttrSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDAttrSigningCertV2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAttrSignatureTimeStamp = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA1                   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256                 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384                 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512                 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAEncryption          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAPSS                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey            = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA256        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

// Sentinel errors. Errors returned by this package wrap one of them, with the
// detail in the message.
var (
	// ErrMalformed reports bytes that are not a well-formed SignedData of
	// the kind this package accepts.
	ErrMalformed = errors.New("malformed cms signed data")
	// ErrUnsupportedAlgorithm reports a digest, signature or key algorithm
	// this package does not sign or verify with (SHA-1 among them).
	ErrUnsupportedAlgorithm = errors.New("unsupported cms algorithm")
	// ErrDigestMismatch reports that the message-digest attribute does not
	// equal the digest of the content the caller computed: the content was
	// changed after signing.
	ErrDigestMismatch = errors.New("cms message digest does not match content")
	// ErrBadSignature reports a signature value that does not verify with the
	// signer's public key.
	ErrBadSignature = errors.New("cms signature does not verify")
	// ErrNoSignerCertificate reports a container whose signer certificate is
	// not among its certificates (and was not supplied by the caller).
	ErrNoSignerCertificate = errors.New("cms signer certificate not found")
	// ErrSigningCertMismatch reports a signing-certificate-v2 attribute that
	// names a different certificate than the one that signed.
	ErrSigningCertMismatch = errors.New("cms signing-certificate-v2 does not match the signer")
)

// hashFromOID maps a digest algorithm identifier to a hash this package
// supports.
func hashFromOID(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	case oid.Equal(oidSHA1):
		return 0, fmt.Errorf("%w: sha-1 digest", ErrUnsupportedAlgorithm)
	}
	return 0, fmt.Errorf("%w: digest %v", ErrUnsupportedAlgorithm, oid)
}

func oidFromHash(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA256:
		return oidSHA256, nil
	case crypto.SHA384:
		return oidSHA384, nil
	case crypto.SHA512:
		return oidSHA512, nil
	}
	return nil, fmt.Errorf("%w: hash %v", ErrUnsupportedAlgorithm, h)
}

// addDigestAlgorithm writes an AlgorithmIdentifier for h with absent
// parameters, as RFC 5754 asks of SHA-2 identifiers.
func addDigestAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
	})
}

// signatureAlgorithmFor returns the signature algorithm identifier written
// for a signer's public key, as [certs.SignatureAlgorithm] decides it from
// the key alone: ecdsa-with-SHAx (no parameters, RFC 5758) or
// shaxWithRSAEncryption (NULL parameters, RFC 4055).
func signatureAlgorithmFor(pub crypto.PublicKey, h crypto.Hash) (func(*cryptobyte.Builder), x509.SignatureAlgorithm, error) {
	alg, err := certs.SignatureAlgorithm(pub, h)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrUnsupportedAlgorithm, err)
	}
	oid, null := map[x509.SignatureAlgorithm]asn1.ObjectIdentifier{
		x509.ECDSAWithSHA256: oidECDSAWithSHA256,
		x509.ECDSAWithSHA384: oidECDSAWithSHA384,
		x509.ECDSAWithSHA512: oidECDSAWithSHA512,
		x509.SHA256WithRSA:   oidSHA256WithRSA,
		x509.SHA384WithRSA:   oidSHA384WithRSA,
		x509.SHA512WithRSA:   oidSHA512WithRSA,
	}[alg], isRSA(alg)
	if oid == nil {
		return nil, 0, fmt.Errorf("%w: signature algorithm %v", ErrUnsupportedAlgorithm, alg)
	}
	return func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			if null {
				b.AddASN1NULL()
			}
		})
	}, alg, nil
}

// isRSA reports whether alg is one of the RSA PKCS#1 v1.5 algorithms.
func isRSA(alg x509.SignatureAlgorithm) bool {
	return alg == x509.SHA256WithRSA || alg == x509.SHA384WithRSA || alg == x509.SHA512WithRSA
}

// sigAlg is a parsed signatureAlgorithm of a SignerInfo.
type sigAlg struct {
	x509Alg x509.SignatureAlgorithm
	rsa     bool // PKCS#1 v1.5
	pss     bool
	ecdsa   bool
	hash    crypto.Hash // hash named by the algorithm itself, 0 if it names none
	saltLen int         // for PSS
}

// parseSignatureAlgorithm reads an AlgorithmIdentifier element's contents.
func parseSignatureAlgorithm(in cryptobyte.String) (sigAlg, error) {
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1ObjectIdentifier(&oid) {
		return sigAlg{}, fmt.Errorf("%w: signature algorithm", ErrMalformed)
	}
	params := in // what is left: parameters, if any
	noParams := func() bool {
		if params.Empty() {
			return true
		}
		var null cryptobyte.String
		return params.ReadASN1(&null, cbasn1.NULL) && null.Empty() && params.Empty()
	}
	var a sigAlg
	switch {
	case oid.Equal(oidRSAEncryption):
		a = sigAlg{rsa: true}
	case oid.Equal(oidSHA256WithRSA):
		a = sigAlg{rsa: true, hash: crypto.SHA256, x509Alg: x509.SHA256WithRSA}
	case oid.Equal(oidSHA384WithRSA):
		a = sigAlg{rsa: true, hash: crypto.SHA384, x509Alg: x509.SHA384WithRSA}
	case oid.Equal(oidSHA512WithRSA):
		a = sigAlg{rsa: true, hash: crypto.SHA512, x509Alg: x509.SHA512WithRSA}
	case oid.Equal(oidECPublicKey):
		a = sigAlg{ecdsa: true}
	case oid.Equal(oidECDSAWithSHA256):
		a = sigAlg{ecdsa: true, hash: crypto.SHA256, x509Alg: x509.ECDSAWithSHA256}
	case oid.Equal(oidECDSAWithSHA384):
		a = sigAlg{ecdsa: true, hash: crypto.SHA384, x509Alg: x509.ECDSAWithSHA384}
	case oid.Equal(oidECDSAWithSHA512):
		a = sigAlg{ecdsa: true, hash: crypto.SHA512, x509Alg: x509.ECDSAWithSHA512}
	case oid.Equal(oidRSAPSS):
		return parsePSSParams(params)
	default:
		return sigAlg{}, fmt.Errorf("%w: signature algorithm %v", ErrUnsupportedAlgorithm, oid)
	}
	if !noParams() {
		return sigAlg{}, fmt.Errorf("%w: unexpected signature algorithm parameters", ErrMalformed)
	}
	return a, nil
}

// parsePSSParams reads RSASSA-PSS-params (RFC 4055). The defaults name SHA-1,
// which is refused, so real parameters are required.
func parsePSSParams(params cryptobyte.String) (sigAlg, error) {
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss parameters", ErrMalformed)
	}
	readHash := func(s cryptobyte.String) (crypto.Hash, bool) {
		var ai cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !s.ReadASN1(&ai, cbasn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&oid) {
			return 0, false
		}
		h, err := hashFromOID(oid)
		return h, err == nil
	}
	var hashField, mgfField cryptobyte.String
	var hasHash, hasMGF bool
	if !seq.ReadOptionalASN1(&hashField, &hasHash, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&mgfField, &hasMGF, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss parameters", ErrMalformed)
	}
	if !hasHash || !hasMGF {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss with default sha-1", ErrUnsupportedAlgorithm)
	}
	h, ok := readHash(hashField)
	if !ok {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss hash", ErrUnsupportedAlgorithm)
	}
	var mgf cryptobyte.String
	var mgfOID asn1.ObjectIdentifier
	if !mgfField.ReadASN1(&mgf, cbasn1.SEQUENCE) || !mgf.ReadASN1ObjectIdentifier(&mgfOID) || !mgfOID.Equal(oidMGF1) {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss mask generation", ErrUnsupportedAlgorithm)
	}
	if mh, ok := readHash(mgf); !ok || mh != h {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss mgf1 hash differs from the message hash", ErrUnsupportedAlgorithm)
	}
	salt := int64(20)
	var saltField cryptobyte.String
	var hasSalt bool
	if !seq.ReadOptionalASN1(&saltField, &hasSalt, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss salt length", ErrMalformed)
	}
	if hasSalt && (!saltField.ReadASN1Integer(&salt) || salt < 0 || salt > 1024) {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss salt length", ErrMalformed)
	}
	// An optional trailerField [3] must be 1 (trailerFieldBC); skip checking
	// it beyond its presence.
	seq.SkipOptionalASN1(cbasn1.Tag(3).Constructed().ContextSpecific())
	if !seq.Empty() {
		return sigAlg{}, fmt.Errorf("%w: rsassa-pss parameters", ErrMalformed)
	}
	alg := x509.SHA256WithRSAPSS
	switch h {
	case crypto.SHA384:
		alg = x509.SHA384WithRSAPSS
	case crypto.SHA512:
		alg = x509.SHA512WithRSAPSS
	}
	return sigAlg{pss: true, hash: h, saltLen: int(salt), x509Alg: alg}, nil
}

// verifySignature checks sig over digest (computed with h) with pub.
func verifySignature(pub crypto.PublicKey, a sigAlg, h crypto.Hash, digest, sig []byte) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !a.ecdsa {
			return fmt.Errorf("%w: ecdsa key with a non-ecdsa signature algorithm", ErrBadSignature)
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return ErrBadSignature
		}
		return nil
	case *rsa.PublicKey:
		switch {
		case a.rsa:
			if err := rsa.VerifyPKCS1v15(k, h, digest, sig); err != nil {
				return ErrBadSignature
			}
			return nil
		case a.pss:
			if err := rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: a.saltLen, Hash: h}); err != nil {
				return ErrBadSignature
			}
			return nil
		}
		return fmt.Errorf("%w: rsa key with a non-rsa signature algorithm", ErrBadSignature)
	}
	return fmt.Errorf("%w: public key type %T", ErrUnsupportedAlgorithm, pub)
}
