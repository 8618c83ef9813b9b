package xmlsig

import (
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"io"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// XML-DSig writes an ECDSA signature as r||s, each as many bytes as the
// curve's order (RFC 6931 §2.3.6), where Go's crypto.Signer gives the DER
// SEQUENCE of X.509.

// curveBytes is the length of r and of s for pub's curve.
func curveBytes(pub *ecdsa.PublicKey) int { return (pub.Curve.Params().N.BitLen() + 7) / 8 }

// parseDER reads a DER ECDSA-Sig-Value.
func parseDER(sig []byte) (r, s *big.Int, ok bool) {
	r, s = new(big.Int), new(big.Int)
	var inner cryptobyte.String
	in := cryptobyte.String(sig)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, false
	}
	return r, s, true
}

// verifyECDSA checks value over digest: r||s as XML-DSig writes it, or
// else DER (der reports that).
func verifyECDSA(pub *ecdsa.PublicKey, digest, value []byte) (ok, der bool) {
	n := curveBytes(pub)
	if len(value) == 2*n {
		r := new(big.Int).SetBytes(value[:n])
		s := new(big.Int).SetBytes(value[n:])
		if ecdsa.Verify(pub, digest, r, s) {
			return true, false
		}
	}
	if r, s, okDER := parseDER(value); okDER && ecdsa.Verify(pub, digest, r, s) {
		return true, true
	}
	return false, false
}

// rawECDSA is a crypto.Signer that returns r||s instead of DER, for
// goxmldsig, which writes what the signer returns.
type rawECDSA struct {
	crypto.Signer
	pub *ecdsa.PublicKey
}

func (k rawECDSA) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	der, err := k.Signer.Sign(rand, digest, opts)
	if err != nil {
		return nil, err
	}
	r, s, ok := parseDER(der)
	if !ok {
		return nil, fmt.Errorf("the ECDSA key returned a signature that is not DER")
	}
	n := curveBytes(k.pub)
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*n || s.BitLen() > 8*n {
		return nil, fmt.Errorf("the ECDSA key returned an out-of-range signature")
	}
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	s.FillBytes(out[n:])
	return out, nil
}
