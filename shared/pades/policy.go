package pades

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/shared/cms"
)

// The verification policy: at which time a signature is judged, who may
// sign a document, and what revocation means. Three rules, decided for
// the whole project (see package certs for who signs what):
//
//   - The proven signing time is the time of a valid signature timestamp;
//     without one, nothing proves when the document was signed, so it is
//     now. The signer's own /M entry is reported, never relied on: an
//     expired certificate could otherwise sign with a date in its
//     validity. An untimestamped signature whose certificate is not valid
//     now is indeterminate: neither confirmed nor refuted, and not valid.
//   - Only a certificate certs.MayIssueDocuments accepts signs documents.
//   - A signer revoked at or before the proven signing time makes the
//     signature invalid; one revoked after a timestamp proves the
//     signature existed is "revoked_later", reported with its date, and
//     the signature stays valid. Without a timestamp any revocation
//     counts.

// RevocationRevokedLater is the revocation state of a signer revoked after
// the time a timestamp proves: the signature stays valid.
const RevocationRevokedLater = "revoked_later"

// judgeSigner checks the signer's chain at the proven signing time, that
// it may sign documents, and its revocation, recording what it finds in
// s. It is the policy part of verifyOne.
func judgeSigner(s *SignatureReport, sd *cms.SignedData, opts *VerifyOptions) {
	at := opts.Now
	if s.TimestampTime != nil {
		at = *s.TimestampTime
	} else {
		s.Notes = append(s.Notes, fmt.Sprintf("no timestamp: nothing proves when this was signed, so the certificate was checked now (%s); the signer's claimed time is not proof", at.UTC().Format(time.RFC3339)))
	}
	s.ChainCheckedAt = at
	if !opts.trusted() {
		s.problem("no trusted roots configured: the signer cannot be trusted")
		return
	}
	mayIssue := opts.SignerPolicy
	if mayIssue == nil {
		mayIssue = certs.MayIssueDocuments
	}
	if err := mayIssue(sd.Signer); err != nil {
		s.problem("the signer's certificate is not a document signer's (a person's or an agency's): %v", err)
	}
	chain, err := opts.chain(sd.Signer, sd.Certificates, at, x509.ExtKeyUsageAny)
	if err != nil {
		if s.TimestampTime == nil && notValidAt(sd.Signer, err, at) {
			s.Indeterminate = true
			s.problem("indeterminate: there is no timestamp, and the signer's certificate is not valid now (valid from %s to %s), so nothing shows it was valid when the document was signed",
				sd.Signer.NotBefore.UTC().Format(time.DateOnly), sd.Signer.NotAfter.UTC().Format(time.DateOnly))
			return
		}
		s.problem("the signer's certificate does not chain to a trusted root at %s: %v", at.Format(time.RFC3339), err)
		return
	}
	s.Trusted = true
	for _, c := range chain {
		s.Chain = append(s.Chain, dnString(c.Subject))
	}
	var revokedAt time.Time
	s.Revocation, revokedAt = checkRevocation(sd.Signer, chain, opts, s.TimestampTime)
	switch s.Revocation {
	case RevocationRevoked:
		s.RevokedAt = &revokedAt
		s.problem("the signer's certificate was revoked on %s, before the signing time %s", revokedAt.UTC().Format(time.RFC3339), provenTime(s))
	case RevocationRevokedLater:
		s.RevokedAt = &revokedAt
		s.Notes = append(s.Notes, fmt.Sprintf("the signer's certificate was revoked later, on %s: the timestamp proves the signature existed before", revokedAt.UTC().Format(time.RFC3339)))
	case RevocationUnknown:
		s.Notes = append(s.Notes, "revocation unknown: no current CRL for the signer's issuer was given")
	}
}

func provenTime(s *SignatureReport) string {
	if s.TimestampTime != nil {
		return s.TimestampTime.UTC().Format(time.RFC3339) + " (timestamp)"
	}
	return "now (no timestamp)"
}

// notValidAt reports whether chain building failed because a certificate
// was outside its validity period at time at.
func notValidAt(leaf *x509.Certificate, err error, at time.Time) bool {
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) || errors.Is(err, certs.ErrExpired) {
		return true
	}
	var inv x509.CertificateInvalidError
	return errors.As(err, &inv) && inv.Reason == x509.Expired
}

// checkRevocation looks cert up in the CRLs issued by its issuer
// (chain[1]) whose signatures verify, and judges a revocation against the
// proven signing time: with a timestamp (tsTime) a revocation after it is
// RevocationRevokedLater, anything else listed is RevocationRevoked. A
// CRL past its next update still proves a revocation, but not that a
// certificate is good. The revocation time is returned with a revoked
// state.
func checkRevocation(cert *x509.Certificate, chain []*x509.Certificate, opts *VerifyOptions, tsTime *time.Time) (string, time.Time) {
	if len(chain) < 2 {
		return RevocationUnknown, time.Time{}
	}
	issuer := chain[1]
	state := RevocationUnknown
	for _, crl := range opts.CRLs {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || !opts.crlSignedBy(crl, issuer) {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) != 0 {
				continue
			}
			if tsTime != nil && e.RevocationTime.After(*tsTime) {
				return RevocationRevokedLater, e.RevocationTime
			}
			return RevocationRevoked, e.RevocationTime
		}
		if crl.NextUpdate.IsZero() || opts.Now.Before(crl.NextUpdate) {
			state = RevocationGood
		}
	}
	return state, time.Time{}
}
