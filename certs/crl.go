package certs

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Revocation is one revoked certificate.
type Revocation struct {
	Serial *big.Int
	Time   time.Time
	// Reason is an RFC 5280 CRLReason code: 0 unspecified, 1 key
	// compromise, 3 affiliation changed, 4 superseded, 5 cessation of
	// operation.
	Reason int
}

// CRLValidity is how long a CRL stays current when the caller gives no
// period: a week, so that relying parties see a revocation soon.
const CRLValidity = 7 * 24 * time.Hour

// CRL signs a certificate revocation list of revoked certificates. number
// must grow with every list the authority publishes.
func (a *Authority) CRL(revoked []Revocation, number int64, validity time.Duration) ([]byte, error) {
	if validity == 0 {
		validity = CRLValidity
	}
	now := a.now()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(number),
		ThisUpdate: now.Add(-backdate),
		NextUpdate: now.Add(validity),
	}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber:   r.Serial,
			RevocationTime: r.Time.UTC(),
			ReasonCode:     r.Reason,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, a.Cert, a.Key)
	if err != nil {
		return nil, fmt.Errorf("sign CRL: %w", err)
	}
	return der, nil
}

// EncodeCRLPEM returns a DER CRL as a PEM "X509 CRL" block.
func EncodeCRLPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// ParseCRL reads a CRL in DER or PEM.
func ParseCRL(data []byte) (*x509.RevocationList, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "X509 CRL" {
			return nil, fmt.Errorf("parse CRL: PEM block %q is not an X509 CRL", block.Type)
		}
		data = block.Bytes
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("parse CRL: %w", err)
	}
	return crl, nil
}

// ParseCRLs reads any number of CRLs as PEM "X509 CRL" blocks (other
// blocks are refused), or one CRL in DER.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		crl, err := ParseCRL(data)
		if err != nil {
			return nil, err
		}
		return []*x509.RevocationList{crl}, nil
	}
	var out []*x509.RevocationList
	for ; block != nil; block, rest = pem.Decode(rest) {
		crl, err := ParseCRL(pem.EncodeToMemory(block))
		if err != nil {
			return nil, err
		}
		out = append(out, crl)
	}
	return out, nil
}

// RevocationStatus is what the known CRLs say of a certificate.
type RevocationStatus int

// Revocation statuses. Unknown means no current CRL from the certificate's
// issuer is at hand: it is neither good nor revoked, and reports say so.
const (
	RevocationUnknown RevocationStatus = iota
	RevocationGood
	RevocationRevoked
)

func (s RevocationStatus) String() string {
	switch s {
	case RevocationGood:
		return "good"
	case RevocationRevoked:
		return "revoked"
	}
	return "unknown"
}

// ErrRevoked reports a certificate that a CRL revokes.
var ErrRevoked = errors.New("certificate revoked")
