package certs

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Validity periods used when a request leaves them zero.
const (
	RootValidity     = 20 * 365 * 24 * time.Hour
	IssuingValidity  = 10 * 365 * 24 * time.Hour
	LeafValidity     = 2 * 365 * 24 * time.Hour
	backdate         = 5 * time.Minute // tolerate clocks a little behind
	serialNumberBits = 127
)

// OIDs of extended key usages Go's x509 package does not name.
var (
	// OIDDocumentSigning is Microsoft's document-signing usage, which PDF
	// readers accept for signatures on documents.
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}
	oidExtKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// Authority is a certificate authority: its certificate, its key, and the
// chain above it (empty for a root).
type Authority struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // issuers of Cert, nearest first, root last

	// CRLURL is written as the CRL distribution point of every certificate
	// this authority issues; empty leaves it out.
	CRLURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewAuthority checks that key matches cert and that cert is a CA, and
// returns them as an Authority.
func NewAuthority(cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate) (*Authority, error) {
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("certificate %q is not a CA certificate", cert.Subject.CommonName)
	}
	if !SameKey(key, cert.PublicKey) {
		return nil, fmt.Errorf("the CA key does not match the certificate %q", cert.Subject.CommonName)
	}
	return &Authority{Cert: cert, Key: key, Chain: chain}, nil
}

// CAName is the subject of a certificate authority.
type CAName struct {
	CommonName   string // e.g. "Lienthong Root CA"
	Organization string // e.g. "Ban Cơ yếu Chính phủ"
}

func (n CAName) pkix() pkix.Name {
	name := pkix.Name{CommonName: n.CommonName, Country: []string{"VN"}}
	if n.Organization != "" {
		name.Organization = []string{n.Organization}
	}
	return name
}

// NewRoot creates a self-signed root CA with a new key of the given
// algorithm. It may sign one level of issuing CAs below it.
func NewRoot(name CAName, alg KeyAlgorithm, validity time.Duration) (*Authority, error) {
	if strings.TrimSpace(name.CommonName) == "" {
		return nil, errors.New("root CA: a common name is required")
	}
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	if validity == 0 {
		validity = RootValidity
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               name.pkix(),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	cert, err := createCertificate(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("root CA: %w", err)
	}
	return &Authority{Cert: cert, Key: key}, nil
}

// NewIssuing creates an issuing CA below a, with a new key. The issuing CA
// cannot create further CAs.
func (a *Authority) NewIssuing(name CAName, alg KeyAlgorithm, validity time.Duration) (*Authority, error) {
	if strings.TrimSpace(name.CommonName) == "" {
		return nil, errors.New("issuing CA: a common name is required")
	}
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	if validity == 0 {
		validity = IssuingValidity
	}
	tmpl := &x509.Certificate{
		Subject:               name.pkix(),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	cert, err := a.issue(tmpl, key.Public(), validity)
	if err != nil {
		return nil, fmt.Errorf("issuing CA: %w", err)
	}
	return &Authority{Cert: cert, Key: key, Chain: append([]*x509.Certificate{a.Cert}, a.Chain...), CRLURL: a.CRLURL, Now: a.Now}, nil
}

// HubRequest asks for a hub server certificate.
type HubRequest struct {
	CommonName string   // e.g. "hub.lienthong.gov.vn"
	DNSNames   []string // at least one DNS name or IP address
	IPs        []net.IP
	Validity   time.Duration
}

// AgencyRequest asks for an agency certificate: the agency's TLS identity
// and its seal on documents.
type AgencyRequest struct {
	Code     AgencyCode
	Name     string // the agency's Vietnamese name, e.g. "Ủy ban nhân dân tỉnh Quảng Ninh"
	Validity time.Duration
}

// PersonRequest asks for a competent signer's certificate (signing only).
type PersonRequest struct {
	FullName   string // e.g. "Nguyễn Văn An"
	Position   string // e.g. "Phó Chủ tịch"
	Agency     AgencyCode
	AgencyName string
	Validity   time.Duration
}

// TimestampingRequest asks for an RFC 3161 timestamping certificate.
type TimestampingRequest struct {
	CommonName string
	Validity   time.Duration
}

// Issued is a new certificate with its private key and the chain above it.
type Issued = KeyPair

// IssueHub issues a TLS server certificate for the hub, with a new key of
// the given algorithm.
func (a *Authority) IssueHub(req HubRequest, alg KeyAlgorithm) (*Issued, error) {
	if len(req.DNSNames) == 0 && len(req.IPs) == 0 {
		return nil, errors.New("hub certificate: at least one DNS name or IP address is required")
	}
	cn := req.CommonName
	if cn == "" && len(req.DNSNames) > 0 {
		cn = req.DNSNames[0]
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Country: []string{"VN"}},
		DNSNames:    req.DNSNames,
		IPAddresses: req.IPs,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return a.issueLeaf("hub certificate", tmpl, alg, req.Validity)
}

// IssueAgency issues an agency certificate: client authentication for
// mutual TLS and document signing for the agency's seal. The code goes in
// the URI SAN urn:lienthong:agency:<code>, the name in the subject.
func (a *Authority) IssueAgency(req AgencyRequest, alg KeyAlgorithm) (*Issued, error) {
	code, err := ParseAgencyCode(string(req.Code))
	if err != nil {
		return nil, fmt.Errorf("agency certificate: %w", err)
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, errors.New("agency certificate: the agency's name is required")
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:   req.Name,
			Organization: []string{req.Name},
			SerialNumber: string(code),
			Country:      []string{"VN"},
		},
		URIs:               mustURIs(code.URI()),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDDocumentSigning},
	}
	return a.issueLeaf("agency certificate", tmpl, alg, req.Validity)
}

// IssuePerson issues a competent signer's certificate. It signs documents
// only: it has no client-authentication usage and names the agency with
// urn:lienthong:member-of:<code>, so it can never pass as the agency.
func (a *Authority) IssuePerson(req PersonRequest, alg KeyAlgorithm) (*Issued, error) {
	code, err := ParseAgencyCode(string(req.Agency))
	if err != nil {
		return nil, fmt.Errorf("person certificate: %w", err)
	}
	if strings.TrimSpace(req.FullName) == "" || strings.TrimSpace(req.Position) == "" {
		return nil, errors.New("person certificate: full name and position are required")
	}
	subject := pkix.Name{CommonName: req.FullName, Country: []string{"VN"}}
	if req.AgencyName != "" {
		subject.Organization = []string{req.AgencyName}
	}
	subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidTitle, Value: req.Position}}
	tmpl := &x509.Certificate{
		Subject:            subject,
		URIs:               mustURIs(MemberURIPrefix + string(code)),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDDocumentSigning},
	}
	return a.issueLeaf("person certificate", tmpl, alg, req.Validity)
}

// IssueTimestamping issues a certificate for an RFC 3161 timestamping
// authority: its only extended key usage is timeStamping, marked critical
// as RFC 3161 requires.
func (a *Authority) IssueTimestamping(req TimestampingRequest, alg KeyAlgorithm) (*Issued, error) {
	if strings.TrimSpace(req.CommonName) == "" {
		return nil, errors.New("timestamping certificate: a common name is required")
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:         pkix.Name{CommonName: req.CommonName, Country: []string{"VN"}},
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}
	return a.issueLeaf("timestamping certificate", tmpl, alg, req.Validity)
}

// ReceiptRequest asks for the certificate of the hub's receipt-signing
// identity: one for all the nodes of a hub service, apart from their TLS
// keys.
type ReceiptRequest struct {
	Name       string // the name clients pin, e.g. DefaultReceiptSigner
	CommonName string // empty: "Lienthong hub receipts (<name>)"
	Validity   time.Duration
}

// IssueReceipt issues the hub's receipt-signing certificate: signing only
// (digitalSignature, nonRepudiation) with the one extended key usage
// documentSigning of RFC 9336, so that it authenticates no connection; it
// names no agency, so it signs no công văn (MayIssueDocuments); and the URI
// urn:lienthong:receipts:<name> that clients pin (MayIssueReceipts).
func (a *Authority) IssueReceipt(req ReceiptRequest, alg KeyAlgorithm) (*Issued, error) {
	if !ValidReceiptSigner(req.Name) {
		return nil, fmt.Errorf("receipt certificate: name %q: want lower-case letters, digits, dots and hyphens", req.Name)
	}
	cn := req.CommonName
	if strings.TrimSpace(cn) == "" {
		cn = "Lienthong hub receipts (" + req.Name + ")"
	}
	tmpl := &x509.Certificate{
		Subject:            pkix.Name{CommonName: cn, Country: []string{"VN"}},
		URIs:               mustURIs(ReceiptURIPrefix + req.Name),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDDocumentSigningRFC9336},
	}
	return a.issueLeaf("receipt certificate", tmpl, alg, req.Validity)
}

// MemberURIPrefix starts the URI that names a person certificate's agency.
const MemberURIPrefix = "urn:lienthong:member-of:"

var oidTitle = asn1.ObjectIdentifier{2, 5, 4, 12}

func (a *Authority) issueLeaf(what string, tmpl *x509.Certificate, alg KeyAlgorithm, validity time.Duration) (*Issued, error) {
	if len(a.Chain) == 0 {
		return nil, fmt.Errorf("%s: issue leaf certificates from the issuing CA, not the root", what)
	}
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	if validity == 0 {
		validity = LeafValidity
	}
	cert, err := a.issue(tmpl, key.Public(), validity)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &KeyPair{Leaf: cert, Chain: append([]*x509.Certificate{a.Cert}, a.Chain...), Key: key}, nil
}

// issue signs tmpl for pub, with a fresh serial, the validity clipped to
// the authority's own, and the authority's CRL distribution point.
func (a *Authority) issue(tmpl *x509.Certificate, pub crypto.PublicKey, validity time.Duration) (*x509.Certificate, error) {
	now := a.now()
	tmpl.NotBefore = now.Add(-backdate)
	tmpl.NotAfter = now.Add(validity)
	if tmpl.NotAfter.After(a.Cert.NotAfter) {
		tmpl.NotAfter = a.Cert.NotAfter
	}
	if !now.Before(a.Cert.NotAfter) {
		return nil, fmt.Errorf("the CA certificate %q expired on %s", a.Cert.Subject.CommonName, a.Cert.NotAfter.Format(time.DateOnly))
	}
	tmpl.BasicConstraintsValid = true
	if a.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{a.CRLURL}
	}
	return createCertificate(tmpl, a.Cert, pub, a.Key)
}

func (a *Authority) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func createCertificate(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), serialNumberBits))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	ski := sha1.Sum(spki) // RFC 5280 method 1 key identifier, not a security use
	tmpl.SubjectKeyId = ski[:]
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
