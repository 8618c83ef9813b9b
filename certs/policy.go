package certs

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// The trust policy: which certificates may sign what. Each rule is one
// function, found by name; everything that verifies a signature on a
// document or a receipt calls it.

// ErrNotDocumentSigner reports a certificate that may not sign documents.
var ErrNotDocumentSigner = errors.New("certificate may not sign documents")

// ErrNotReceiptSigner reports a certificate that is not the configured
// receipt-signing identity of the hub.
var ErrNotReceiptSigner = errors.New("certificate is not the hub's receipt-signing identity")

// OIDDocumentSigningRFC9336 is the IETF's document-signing extended key
// usage (RFC 9336), accepted like Microsoft's.
var OIDDocumentSigningRFC9336 = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// MayIssueDocuments reports, with nil, whether cert may sign documents
// as one of our own PKI's certificates: DocumentSigner without a
// directory, so that only urn:lienthong: names count.
func MayIssueDocuments(cert *x509.Certificate) error {
	_, err := DocumentSigner(cert, nil)
	return err
}

// DocumentSigner reports who signed a document (a PDF signature on a công
// văn, an edXML packet) with cert, and refuses a certificate that may not
// sign one. The rule:
//
//   - an end-entity certificate with the digitalSignature or
//     nonRepudiation (contentCommitment) key usage;
//   - standing for exactly one agency ([Identify]): its own (an agency's
//     seal) or the one its holder works for (a competent person), by our
//     URI or by the directory's registration (reg; nil for none) with a
//     role that signs documents (agency, seal, person — not tls);
//   - whose extended key usages, if it has any, allow document signing
//     (emailProtection, a document-signing usage or anyExtendedKeyUsage) and
//     name no service usage: a hub (serverAuth), a timestamping authority
//     (timeStamping) or an OCSP responder signs no document, and neither
//     does the hub's receipt identity, which names no agency.
//
// The chain to a trusted root, the validity period and revocation are
// checked apart (Verifier, package pades). A certificate of another CA
// (Ban Cơ yếu, a licensed public CA) signs under the same usage rules
// once the directory registers it.
func DocumentSigner(cert *x509.Certificate, reg Registry) (Identity, error) {
	if cert == nil {
		return Identity{}, fmt.Errorf("%w: no certificate", ErrNotDocumentSigner)
	}
	name := cert.Subject.CommonName
	if cert.IsCA {
		return Identity{}, fmt.Errorf("%w: %q is a CA certificate", ErrNotDocumentSigner, name)
	}
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return Identity{}, fmt.Errorf("%w: %q has neither the digitalSignature nor the nonRepudiation key usage", ErrNotDocumentSigner, name)
	}
	for _, u := range cert.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageTimeStamping, x509.ExtKeyUsageOCSPSigning, x509.ExtKeyUsageCodeSigning:
			return Identity{}, fmt.Errorf("%w: %q is a service certificate (extended key usage %s)", ErrNotDocumentSigner, name, ekuName(u))
		}
	}
	if len(cert.ExtKeyUsage) > 0 || len(cert.UnknownExtKeyUsage) > 0 {
		signs := slices.ContainsFunc(cert.ExtKeyUsage, func(u x509.ExtKeyUsage) bool {
			return u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageEmailProtection
		})
		for _, o := range cert.UnknownExtKeyUsage {
			signs = signs || o.Equal(OIDDocumentSigning) || o.Equal(OIDDocumentSigningRFC9336)
		}
		if !signs {
			return Identity{}, fmt.Errorf("%w: %q has no document-signing extended key usage", ErrNotDocumentSigner, name)
		}
	}
	id, err := Identify(cert, reg)
	if err != nil {
		if errors.Is(err, ErrManyAgencies) {
			return Identity{}, fmt.Errorf("%w: %w", ErrNotDocumentSigner, err)
		}
		return Identity{}, fmt.Errorf("%w: %q is neither an agency's nor a person's certificate: %w", ErrNotDocumentSigner, name, err)
	}
	if !id.Role.SignsDocuments() {
		return Identity{}, fmt.Errorf("%w: %w: %q is registered as the %s certificate of %s", ErrNotDocumentSigner, ErrWrongRole, name, id.Role, id.Agency)
	}
	return id, nil
}

func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	}
	return fmt.Sprint(int(u))
}

// ReceiptURIPrefix starts the URI subject alternative name of a receipt
// certificate: urn:lienthong:receipts:<name>, the name of the hub service
// whose receipts it signs (one for all the service's nodes).
const ReceiptURIPrefix = "urn:lienthong:receipts:"

// DefaultReceiptSigner is the receipt-signing name a client expects when
// its configuration names none, and the name the demo PKI issues.
const DefaultReceiptSigner = "lienthong-hub"

var receiptNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$`)

// ValidReceiptSigner reports whether name can name a receipt identity:
// lower-case letters, digits, dots and hyphens, at most 64.
func ValidReceiptSigner(name string) bool { return receiptNameRE.MatchString(name) }

// MayIssueReceipts reports, with nil, whether cert is the receipt-signing
// identity named name that a client has configured: an end-entity
// certificate with the digitalSignature key usage, the one extended key
// usage documentSigning (RFC 9336, as IssueReceipt makes it: no TLS, no
// timestamping), and exactly one URI urn:lienthong:receipts:<name>. Receipts signed by anything else
// (a hub node's TLS key, an agency, another hub's receipt identity) are
// refused, whatever chain they have. The chain, validity and revocation
// are checked apart.
func MayIssueReceipts(cert *x509.Certificate, name string) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrNotReceiptSigner)
	}
	cn := cert.Subject.CommonName
	if cert.IsCA || cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: %q is not a receipt certificate (CA or no digitalSignature usage)", ErrNotReceiptSigner, cn)
	}
	if len(cert.ExtKeyUsage) > 0 || len(cert.UnknownExtKeyUsage) != 1 || !cert.UnknownExtKeyUsage[0].Equal(OIDDocumentSigningRFC9336) {
		return fmt.Errorf("%w: %q has the extended key usages of another kind of certificate", ErrNotReceiptSigner, cn)
	}
	got, err := uriName(cert, ReceiptURIPrefix)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotReceiptSigner, err)
	}
	if got != name {
		return fmt.Errorf("%w: %q signs receipts of %q, not of %q", ErrNotReceiptSigner, cn, got, name)
	}
	return nil
}

// ReceiptSignerOf returns the receipt-signing name a certificate carries,
// without checking anything else.
func ReceiptSignerOf(cert *x509.Certificate) (string, error) { return uriName(cert, ReceiptURIPrefix) }

func uriName(cert *x509.Certificate, prefix string) (string, error) {
	var found []string
	for _, u := range cert.URIs {
		if s := u.String(); len(s) > len(prefix) && s[:len(prefix)] == prefix {
			found = append(found, s[len(prefix):])
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%q has %d %s URIs, want one", cert.Subject.CommonName, len(found), prefix)
	}
	return found[0], nil
}
