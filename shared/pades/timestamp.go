package pades

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/shared/cms"
)

// verifyTimestamp checks the RFC 3161 token in sd: its signature, that it
// covers sd's signature value, and its TSA certificate's chain; it returns
// the token's time.
func verifyTimestamp(sd *cms.SignedData, opts VerifyOptions) (time.Time, error) {
	tok, err := cms.Parse(sd.TimestampToken)
	if err != nil {
		return time.Time{}, fmt.Errorf("token: %w", err)
	}
	if tok.Signer == nil {
		return time.Time{}, errors.New("token lacks the TSA certificate")
	}
	h := tok.Hash.New()
	h.Write(tok.Content)
	if err := tok.Verify(h.Sum(nil)); err != nil {
		return time.Time{}, fmt.Errorf("token signature: %w", err)
	}
	alg, imprint, genTime, err := parseTSTInfo(tok.Content)
	if err != nil {
		return time.Time{}, err
	}
	if !alg.Available() {
		return time.Time{}, errors.New("token uses an unsupported hash")
	}
	ih := alg.New()
	ih.Write(sd.Signature)
	if !bytes.Equal(ih.Sum(nil), imprint) {
		return time.Time{}, errors.New("token does not cover this signature")
	}
	if !opts.trusted() {
		return time.Time{}, errors.New("no trusted roots configured for the TSA")
	}
	if _, err := opts.chain(tok.Signer, tok.Certificates, genTime, x509.ExtKeyUsageTimeStamping); err != nil {
		return time.Time{}, fmt.Errorf("TSA certificate: %w", err)
	}
	return genTime, nil
}

// parseTSTInfo reads the message imprint and time of an RFC 3161 TSTInfo.
func parseTSTInfo(der []byte) (crypto.Hash, []byte, time.Time, error) {
	fail := func(what string) (crypto.Hash, []byte, time.Time, error) {
		return 0, nil, time.Time{}, fmt.Errorf("malformed TSTInfo: %s", what)
	}
	in := cryptobyte.String(der)
	var info, imprint, algSeq cryptobyte.String
	var version int64
	var policy, algOID cryptobyte.String
	var hashed []byte
	var serial cryptobyte.String
	var gen time.Time
	if !in.ReadASN1(&info, cbasn1.SEQUENCE) ||
		!info.ReadASN1Integer(&version) ||
		!info.ReadASN1(&policy, cbasn1.OBJECT_IDENTIFIER) ||
		!info.ReadASN1(&imprint, cbasn1.SEQUENCE) ||
		!info.ReadASN1(&serial, cbasn1.INTEGER) ||
		!info.ReadASN1GeneralizedTime(&gen) {
		return fail("structure")
	}
	if !imprint.ReadASN1(&algSeq, cbasn1.SEQUENCE) || !imprint.ReadASN1Bytes(&hashed, cbasn1.OCTET_STRING) ||
		!algSeq.ReadASN1(&algOID, cbasn1.OBJECT_IDENTIFIER) {
		return fail("message imprint")
	}
	var h crypto.Hash
	switch {
	case bytes.Equal(algOID, []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}):
		h = crypto.SHA256
	case bytes.Equal(algOID, []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}):
		h = crypto.SHA384
	case bytes.Equal(algOID, []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}):
		h = crypto.SHA512
	default:
		return fail("unsupported imprint hash")
	}
	return h, hashed, gen, nil
}

// parsePDFDate reads D:YYYYMMDDHHmmSSOHH'mm' with any trailing part
// optional.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	s = strings.ReplaceAll(s, "'", "")
	if len(s) < 4 {
		return time.Time{}, errors.New("short date")
	}
	layout := "20060102150405"
	n := len(s)
	if i := strings.IndexAny(s, "Z+-"); i >= 0 {
		n = i
	}
	if n > len(layout) || n%2 != 0 {
		return time.Time{}, errors.New("bad date")
	}
	t, err := time.Parse(layout[:n], s[:n])
	if err != nil {
		return time.Time{}, err
	}
	rest := s[n:]
	if rest == "" || rest[0] == 'Z' {
		return t, nil
	}
	if len(rest) < 3 {
		return time.Time{}, errors.New("bad zone")
	}
	var hh, mm int
	if _, err := fmt.Sscanf(rest[1:], "%02d%02d", &hh, &mm); err != nil {
		if _, err := fmt.Sscanf(rest[1:], "%02d", &hh); err != nil {
			return time.Time{}, errors.New("bad zone")
		}
	}
	off := hh*3600 + mm*60
	if rest[0] == '-' {
		off = -off
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", off)), nil
}
