package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Identity: who a verified certificate stands for. One function decides
// it, [Identify], for the hub (the TLS client, the signer of a packet, of
// an edXML packet, of a PDF) and the clerk (the signers of what it
// receives) alike.
//
// A certificate of Lienthong's own PKI names its agency in a URI
// (urn:lienthong:agency: or urn:lienthong:member-of:). A certificate from
// another CA (the Government's specialised CA of Ban Cơ yếu, a licensed
// public CA) names none: the directory ties it to an agency, by the
// SHA-256 of its DER registered for that agency with a role. A foreign
// CA can never issue our names: a chain to a foreign root whose leaf
// carries an urn:lienthong: URI is refused when the chain is built
// (Verifier.BuildChain), so a URI read here always comes from our PKI.

// Role is what a certificate registered in the directory does for its
// agency.
type Role string

// Roles of a certificate.
const (
	// RoleAgency is the agency itself, in TLS and on documents: what
	// Lienthong's own agency certificates are (Authority.IssueAgency).
	RoleAgency Role = "agency"
	// RoleSeal signs documents and packets as the agency (its seal, often
	// on a token) and does not connect to the hub.
	RoleSeal Role = "seal"
	// RoleTLS connects to the hub as the agency and signs its packets;
	// it signs no document.
	RoleTLS Role = "tls"
	// RolePerson is a competent person of the agency: signs documents in
	// their own name, never connects or seals.
	RolePerson Role = "person"
)

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool {
	switch r {
	case RoleAgency, RoleSeal, RoleTLS, RolePerson:
		return true
	}
	return false
}

// Connects reports whether a certificate of this role may authenticate
// the agency to the hub.
func (r Role) Connects() bool { return r == RoleAgency || r == RoleTLS }

// SignsDocuments reports whether a certificate of this role may sign a
// document (a PDF or an edXML packet).
func (r Role) SignsDocuments() bool { return r == RoleAgency || r == RoleSeal || r == RolePerson }

// SignsPackets reports whether a certificate of this role may sign the
// agency's packets (envelopes and statuses): any of the agency's own,
// never a person's.
func (r Role) SignsPackets() bool { return r == RoleAgency || r == RoleSeal || r == RoleTLS }

// Fingerprint is the SHA-256 of a certificate's DER encoding, the key
// under which the directory registers a foreign certificate.
type Fingerprint [sha256.Size]byte

// FingerprintOf returns cert's fingerprint.
func FingerprintOf(cert *x509.Certificate) Fingerprint { return sha256.Sum256(cert.Raw) }

// String is the fingerprint in lower-case hex, as the directory and the
// operator's commands write it.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// ErrBadFingerprint reports a fingerprint that is not 64 hex digits.
var ErrBadFingerprint = errors.New("malformed certificate fingerprint")

// ParseFingerprint reads a SHA-256 fingerprint in hex, upper or lower
// case, with or without the colons that certificate viewers put between
// bytes.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("%w %q: want the SHA-256 of the certificate, 64 hex digits", ErrBadFingerprint, s)
	}
	copy(f[:], b)
	return f, nil
}

// Registration ties one foreign certificate to an agency in the
// directory.
type Registration struct {
	SHA256 Fingerprint
	Role   Role
	// Person is the holder's full name for RolePerson, empty otherwise.
	Person string
}

// Check reports whether r is a well-formed registration.
func (r Registration) Check() error {
	if !r.Role.Valid() {
		return fmt.Errorf("certificate %s: unknown role %q (want agency, seal, tls or person)", r.SHA256, r.Role)
	}
	switch {
	case r.Role == RolePerson && strings.TrimSpace(r.Person) == "":
		return fmt.Errorf("certificate %s: a person's certificate needs the person's name", r.SHA256)
	case r.Role != RolePerson && r.Person != "":
		return fmt.Errorf("certificate %s: only a person's certificate names a person", r.SHA256)
	case !utf8.ValidString(r.Person) || len(r.Person) > 200:
		return fmt.Errorf("certificate %s: the person's name is not UTF-8 text of at most 200 bytes", r.SHA256)
	}
	return nil
}

// Registry answers which agency registered a certificate: the directory,
// as the hub holds it or as a clerk last synced it.
type Registry interface {
	// Registered returns the agency that registered the certificate
	// with fingerprint fp, and the registration; ok is false when none
	// did.
	Registered(fp Fingerprint) (agency AgencyCode, reg Registration, ok bool)
}

// Identity is who a certificate stands for.
type Identity struct {
	Agency AgencyCode
	Role   Role
	// Person is the registered holder's name for a foreign person's
	// certificate; for one of ours, the certificate's common name.
	Person string
	// Registered is true when the directory, not a URI, named the agency.
	Registered bool
}

// ErrUnregistered reports a certificate that names no agency of ours and
// that no agency registered in the directory; it is an ErrNoAgency.
var ErrUnregistered = fmt.Errorf("%w and is not registered for one in the directory", ErrNoAgency)

// ErrWrongRole reports a certificate used for what its role does not
// allow (a person's certificate to connect, a TLS certificate on a
// document).
var ErrWrongRole = errors.New("certificate not registered for this use")

// Identify returns who cert stands for: the agency its urn:lienthong: URI
// names (an agency's certificate, or a person's with member-of), else the
// directory's registration of its fingerprint (reg may be nil: then only
// URIs count). It checks neither the chain nor the usages: call it on a
// certificate a Verifier accepted, through the rule for the use at hand
// ([Verifier.Agency] for TLS, [DocumentSigner], [PacketSigner]).
func Identify(cert *x509.Certificate, reg Registry) (Identity, error) {
	if cert == nil {
		return Identity{}, ErrNoCertificate
	}
	// Each URI is read only where the certificate has one: an error made
	// for the URI it lacks would cost every request of every connection.
	hasAgency, hasMember := hasURIPrefix(cert, AgencyURIPrefix), hasURIPrefix(cert, MemberURIPrefix)
	var (
		agency, member       AgencyCode
		agencyErr, memberErr = ErrNoAgency, ErrNoAgency
	)
	if hasAgency {
		agency, agencyErr = AgencyOf(cert)
	}
	if hasMember {
		member, memberErr = MemberOf(cert)
	}
	switch {
	case agencyErr == nil && memberErr == nil:
		return Identity{}, fmt.Errorf("%w: %q names itself an agency and a member of one", ErrManyAgencies, cert.Subject.CommonName)
	case agencyErr == nil:
		return Identity{Agency: agency, Role: RoleAgency}, nil
	case memberErr == nil:
		return Identity{Agency: member, Role: RolePerson, Person: cert.Subject.CommonName}, nil
	case hasAgency:
		return Identity{}, agencyErr
	case hasMember:
		return Identity{}, memberErr
	}
	if reg != nil {
		fp := FingerprintOf(cert)
		if code, r, ok := reg.Registered(fp); ok {
			return Identity{Agency: code, Role: r.Role, Person: r.Person, Registered: true}, nil
		}
	}
	return Identity{}, fmt.Errorf("%w: %q (issued by %q, SHA-256 %s)", ErrUnregistered,
		cert.Subject.CommonName, cert.Issuer.CommonName, FingerprintOf(cert))
}

func hasURIPrefix(cert *x509.Certificate, prefix string) bool {
	for _, u := range cert.URIs {
		if strings.HasPrefix(u.String(), prefix) {
			return true
		}
	}
	return false
}

// namesLienthong reports whether cert carries any urn:lienthong: URI,
// which only our own PKI may issue.
func namesLienthong(cert *x509.Certificate) bool {
	return hasURIPrefix(cert, "urn:lienthong:")
}

// PacketSigner returns the agency whose packet (envelope, status) cert
// signed: the identity of one of the agency's own certificates, never a
// person's. The chain is checked apart.
func PacketSigner(cert *x509.Certificate, reg Registry) (AgencyCode, error) {
	id, err := Identify(cert, reg)
	if err != nil {
		return "", err
	}
	if !id.Role.SignsPackets() {
		return "", fmt.Errorf("%w: %q is registered as %s of %s, which signs no packet", ErrWrongRole, cert.Subject.CommonName, id.Role, id.Agency)
	}
	return id.Agency, nil
}

// Registrations is a Registry over a fixed list, built from a directory
// listing (the hub's store, a clerk's copy): Add each agency's
// registrations, then share it read-only.
type Registrations map[Fingerprint]registered

type registered struct {
	agency   AgencyCode
	reg      Registration
	conflict bool
}

// ErrRegisteredTwice reports a certificate registered more than once.
var ErrRegisteredTwice = errors.New("certificate registered more than once")

// Add registers regs for agency. A fingerprint registered already (by
// another agency, or twice) stands for no agency from then on, and Add
// says so: one certificate stands for one agency, and a directory that
// says otherwise is not guessed at.
func (m Registrations) Add(agency AgencyCode, regs ...Registration) error {
	var errs []error
	for _, r := range regs {
		if prev, ok := m[r.SHA256]; ok {
			m[r.SHA256] = registered{conflict: true}
			errs = append(errs, fmt.Errorf("%w: %s, for %s and %s", ErrRegisteredTwice, r.SHA256, prev.agency, agency))
			continue
		}
		m[r.SHA256] = registered{agency: agency, reg: r}
	}
	return errors.Join(errs...)
}

// Registered implements Registry.
func (m Registrations) Registered(fp Fingerprint) (AgencyCode, Registration, bool) {
	r, ok := m[fp]
	if !ok || r.conflict {
		return "", Registration{}, false
	}
	return r.agency, r.reg, true
}
