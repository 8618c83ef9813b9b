package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"lienthong/shared/cms"
)

// Sentinel errors; returned errors wrap one of these (or one of package cms's)
// with detail.
var (
	// ErrMalformedToken reports bytes that are not a timestamp token.
	ErrMalformedToken = errors.New("malformed timestamp token")
	// ErrNotTimestamping reports a token signed by a certificate that is not
	// a timestamping certificate.
	ErrNotTimestamping = errors.New("token signer is not a timestamping certificate")
	// ErrImprintMismatch reports a token over other data than expected.
	ErrImprintMismatch = errors.New("timestamp token message imprint does not match")
	// ErrNonceMismatch reports a response whose nonce is not the request's.
	ErrNonceMismatch = errors.New("timestamp token nonce does not match the request")
	// ErrRejected reports a response whose status is not granted.
	ErrRejected = errors.New("timestamp request rejected")
)

var (
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidSHA256       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// Token is a parsed RFC 3161 timestamp token.
type Token struct {
	// Time is genTime, the time the TSA vouches for.
	Time time.Time
	// Accuracy is the stated accuracy of Time, 0 if not stated.
	Accuracy time.Duration
	// Hash and HashedMessage are the message imprint: what was timestamped.
	Hash          crypto.Hash
	HashedMessage []byte
	SerialNumber  *big.Int
	Policy        asn1.ObjectIdentifier
	// Nonce is the request's nonce echoed, nil if none.
	Nonce *big.Int
	// Certificates are those the token carries; Signer is the TSA's, nil
	// when the token was requested without certReq.
	Certificates []*x509.Certificate
	Signer       *x509.Certificate
	// Raw is the DER token (a ContentInfo).
	Raw []byte

	sd *cms.SignedData
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time       `asn1:"generalized"`
	Accuracy       accuracy        `asn1:"optional"`
	Ordering       bool            `asn1:"optional,default:false"`
	Nonce          *big.Int        `asn1:"optional"`
	TSA            asn1.RawValue   `asn1:"tag:0,optional"`
	Extensions     []asn1.RawValue `asn1:"tag:1,optional"`
}

type messageImprint struct {
	HashAlgorithm algorithmIdentifier
	HashedMessage []byte
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type accuracy struct {
	Seconds int64 `asn1:"optional"`
	Millis  int64 `asn1:"tag:0,optional"`
	Micros  int64 `asn1:"tag:1,optional"`
}

func hashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}

func oidFromHash(h crypto.Hash) asn1.ObjectIdentifier {
	switch h {
	case crypto.SHA256:
		return oidSHA256
	case crypto.SHA384:
		return oidSHA384
	case crypto.SHA512:
		return oidSHA512
	}
	return nil
}

// ParseToken reads a DER timestamp token. It checks the structure only; call
// Verify for the signature and the TSA's certificate.
func ParseToken(token []byte) (*Token, error) {
	sd, err := cms.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	}
	if !sd.ContentType.Equal(cms.OIDTSTInfo) || sd.Content == nil {
		return nil, fmt.Errorf("%w: content type %v is not TSTInfo", ErrMalformedToken, sd.ContentType)
	}
	var info tstInfo
	rest, err := asn1.Unmarshal(sd.Content, &info)
	if err != nil {
		return nil, fmt.Errorf("%w: TSTInfo: %w", ErrMalformedToken, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data after TSTInfo", ErrMalformedToken)
	}
	if info.Version != 1 {
		return nil, fmt.Errorf("%w: TSTInfo version %d", ErrMalformedToken, info.Version)
	}
	h := hashFromOID(info.MessageImprint.HashAlgorithm.Algorithm)
	if h == 0 {
		return nil, fmt.Errorf("%w: message imprint hash %v", cms.ErrUnsupportedAlgorithm, info.MessageImprint.HashAlgorithm.Algorithm)
	}
	if len(info.MessageImprint.HashedMessage) != h.Size() {
		return nil, fmt.Errorf("%w: message imprint of %d bytes for %v", ErrMalformedToken, len(info.MessageImprint.HashedMessage), h)
	}
	if info.SerialNumber == nil {
		return nil, fmt.Errorf("%w: no serial number", ErrMalformedToken)
	}
	a := info.Accuracy
	if a.Seconds < 0 || a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 || a.Seconds > 1<<32 {
		return nil, fmt.Errorf("%w: accuracy", ErrMalformedToken)
	}
	return &Token{
		Time:          info.GenTime,
		Accuracy:      time.Duration(a.Seconds)*time.Second + time.Duration(a.Millis)*time.Millisecond + time.Duration(a.Micros)*time.Microsecond,
		Hash:          h,
		HashedMessage: info.MessageImprint.HashedMessage,
		SerialNumber:  info.SerialNumber,
		Policy:        info.Policy,
		Nonce:         info.Nonce,
		Certificates:  sd.Certificates,
		Signer:        sd.Signer,
		Raw:           bytes.Clone(token),
		sd:            sd,
	}, nil
}

// UseSigner supplies the TSA certificate for a token that does not carry it.
func (t *Token) UseSigner(c *x509.Certificate) error {
	if err := t.sd.UseSigner(c); err != nil {
		return err
	}
	t.Signer = c
	return nil
}

// VerifySignature checks the token's signature over its TSTInfo, that a
// signing-certificate attribute names the signer, and that the signer's
// certificate is a timestamping certificate. It does not check the chain.
func (t *Token) VerifySignature() error {
	if t.Signer == nil {
		return fmt.Errorf("timestamp token: %w", cms.ErrNoSignerCertificate)
	}
	h := t.sd.Hash.New()
	h.Write(t.sd.Content)
	if err := t.sd.Verify(h.Sum(nil)); err != nil {
		return fmt.Errorf("timestamp token: %w", err)
	}
	if !t.sd.HasSigningCertV2 && !t.sd.HasSigningCertV1 {
		return fmt.Errorf("%w: no signing-certificate attribute (RFC 3161 2.4.1)", ErrMalformedToken)
	}
	return checkTimestampingCert(t.Signer)
}

// checkTimestampingCert requires the extended key usage extension to be
// critical and to hold timeStamping only (RFC 3161 2.3).
func checkTimestampingCert(c *x509.Certificate) error {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidExtKeyUsage) {
			continue
		}
		if !ext.Critical {
			return fmt.Errorf("%w: extended key usage of %q is not critical", ErrNotTimestamping, c.Subject.CommonName)
		}
		if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
			return fmt.Errorf("%w: %q may be used for more than timestamping", ErrNotTimestamping, c.Subject.CommonName)
		}
		return nil
	}
	return fmt.Errorf("%w: %q has no extended key usage", ErrNotTimestamping, c.Subject.CommonName)
}

// Verify checks VerifySignature and that the TSA certificate chains to roots
// at the token's time, through the token's other certificates. roots must not
// be nil.
func (t *Token) Verify(roots *x509.CertPool) error {
	if roots == nil {
		return errors.New("verify timestamp token: no roots given")
	}
	if err := t.VerifySignature(); err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range t.Certificates {
		if c != t.Signer {
			inter.AddCert(c)
		}
	}
	_, err := t.Signer.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   t.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return fmt.Errorf("timestamp token certificate %q: %w", t.Signer.Subject.CommonName, err)
	}
	return nil
}

// Covers reports, as an error wrapping ErrImprintMismatch, whether the token
// was not issued over data (for a PAdES signature timestamp, the CMS
// signature value).
func (t *Token) Covers(data []byte) error {
	h := t.Hash.New()
	h.Write(data)
	return t.CheckImprint(t.Hash, h.Sum(nil))
}

// CheckImprint checks the token's message imprint against a digest.
func (t *Token) CheckImprint(hash crypto.Hash, digest []byte) error {
	if hash != t.Hash {
		return fmt.Errorf("%w: token hash %v, expected %v", ErrImprintMismatch, t.Hash, hash)
	}
	if !bytes.Equal(digest, t.HashedMessage) {
		return ErrImprintMismatch
	}
	return nil
}

// VerifySignatureTimestamp checks a PAdES/CAdES signature timestamp: token
// must parse, have been issued over signatureValue (the CMS signature octets,
// cms.SignatureValue) and verify under roots at its own time. It returns the
// token, whose Time is the proven time of the signature.
func VerifySignatureTimestamp(token, signatureValue []byte, roots *x509.CertPool) (*Token, error) {
	tok, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if err := tok.Covers(signatureValue); err != nil {
		return nil, fmt.Errorf("signature timestamp: %w", err)
	}
	if err := tok.Verify(roots); err != nil {
		return nil, err
	}
	return tok, nil
}
