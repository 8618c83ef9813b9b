package certs

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Decisions a Verifier reports; the errors it returns wrap one of them.
var (
	ErrNoCertificate = errors.New("no certificate presented")
	ErrNotOneLeaf    = errors.New("the chain must hold exactly one end-entity certificate, first")
	ErrUntrusted     = errors.New("certificate not issued under a trusted root")
	ErrExpired       = errors.New("certificate expired or not yet valid")
	ErrNoAgency      = errors.New("certificate names no agency")
	ErrManyAgencies  = errors.New("certificate names more than one agency")
	// ErrForeignName: a certificate under a foreign root carries an
	// urn:lienthong: name, which only our own PKI issues.
	ErrForeignName = errors.New("a certificate of a foreign CA carries a Lienthong name")
)

// Verifier checks certificate chains against the configured roots and
// revocation lists, and decides who a certificate stands for with the
// directory's registrations. It is safe for concurrent use; SetCRLs,
// SetForeignRoots and SetRegistry may replace what it holds while
// connections are being verified.
//
// Our own roots (NewVerifier) are trusted for everything. Foreign roots
// (SetForeignRoots: the Government's specialised CA, licensed public CAs)
// are trusted only for agency and person certificates — chains built for
// client authentication or for any usage (document signers) — never for a
// hub, a timestamping authority or the receipt identity; and a
// certificate under a foreign root that carries an urn:lienthong: name is
// refused (ErrForeignName).
type Verifier struct {
	roots     *x509.CertPool
	rootCerts []*x509.Certificate
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu       sync.RWMutex
	foreign  []*x509.Certificate
	signers  *x509.CertPool // roots and foreign roots: for agency and person certificates
	registry Registry
	crls     []*x509.RevocationList
	verified map[[32]byte]bool // CRL+issuer pairs whose signature checked out
	chains   map[[32]byte]*builtChain
}

// builtChain is a chain x509 verification built and whose signatures
// checked out, kept so that the same certificates presented again (every
// document an agency sends, every signature its people make) cost no
// signature verification. Everything x509 checks besides the validity
// periods is independent of time, so the chain stands for any time within
// the intersection of its certificates' validity periods, [from, until].
type builtChain struct {
	chain       []*x509.Certificate
	from, until time.Time
}

// maxBuiltChains bounds the cache of built chains; when it is full it is
// emptied (an agency directory has thousands of certificates, not
// millions, so this happens only under a flood of one-off chains).
const maxBuiltChains = 8192

// NewVerifier trusts the given root certificates.
func NewVerifier(roots []*x509.Certificate) (*Verifier, error) {
	if len(roots) == 0 {
		return nil, errors.New("verifier: no root certificate")
	}
	v := &Verifier{roots: x509.NewCertPool(), verified: map[[32]byte]bool{}, chains: map[[32]byte]*builtChain{}}
	for _, r := range roots {
		if !r.IsCA {
			return nil, fmt.Errorf("verifier: root %q is not a CA certificate", r.Subject.CommonName)
		}
		v.roots.AddCert(r)
		v.rootCerts = append(v.rootCerts, r)
	}
	v.signers = v.roots
	return v, nil
}

// Roots returns our own trusted roots as a pool, for tls.Config.RootCAs:
// a hub's certificate chains to one of them, never to a foreign root.
func (v *Verifier) Roots() *x509.CertPool { return v.roots }

// SetForeignRoots replaces the foreign roots: CAs outside Lienthong's PKI
// (the Government's specialised CA, licensed public CAs) trusted for
// agency and person certificates only. A root of our own given again is
// ignored.
func (v *Verifier) SetForeignRoots(roots []*x509.Certificate) error {
	pool := v.roots.Clone()
	var foreign []*x509.Certificate
	for _, r := range roots {
		if !r.IsCA {
			return fmt.Errorf("verifier: foreign root %q is not a CA certificate", r.Subject.CommonName)
		}
		if v.own(r) || slices.ContainsFunc(foreign, r.Equal) {
			continue
		}
		pool.AddCert(r)
		foreign = append(foreign, r)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.foreign, v.signers = foreign, pool
	clear(v.chains)
	return nil
}

// ForeignRoots returns the foreign roots in force.
func (v *Verifier) ForeignRoots() []*x509.Certificate {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.foreign
}

// ClientCAs returns the roots a client certificate may chain to (ours and
// the foreign ones), for tls.Config.ClientCAs.
func (v *Verifier) ClientCAs() *x509.CertPool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.signers
}

// SetRegistry sets the directory's registrations of foreign certificates
// (nil: none), which Identify consults for a certificate without our URI.
func (v *Verifier) SetRegistry(r Registry) {
	v.mu.Lock()
	v.registry = r
	v.mu.Unlock()
}

// Identify returns who cert stands for, with the registrations in force
// (see the package function Identify). It does not verify the chain.
func (v *Verifier) Identify(cert *x509.Certificate) (Identity, error) {
	return Identify(cert, v.currentRegistry())
}

// DocumentSigner applies the rule of the package function DocumentSigner
// with the registrations in force.
func (v *Verifier) DocumentSigner(cert *x509.Certificate) (Identity, error) {
	return DocumentSigner(cert, v.currentRegistry())
}

// MayIssueDocuments is DocumentSigner's verdict, for pades.VerifyOptions'
// SignerPolicy.
func (v *Verifier) MayIssueDocuments(cert *x509.Certificate) error {
	_, err := v.DocumentSigner(cert)
	return err
}

// PacketSigner applies the rule of the package function PacketSigner
// with the registrations in force.
func (v *Verifier) PacketSigner(cert *x509.Certificate) (AgencyCode, error) {
	return PacketSigner(cert, v.currentRegistry())
}

func (v *Verifier) currentRegistry() Registry {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.registry
}

func (v *Verifier) own(root *x509.Certificate) bool {
	return slices.ContainsFunc(v.rootCerts, root.Equal)
}

// RootCertificates returns the trusted roots.
func (v *Verifier) RootCertificates() []*x509.Certificate { return v.rootCerts }

// SetCRLs replaces the revocation lists. A list is used for a certificate
// only once its signature checks out against that certificate's issuer.
func (v *Verifier) SetCRLs(crls ...*x509.RevocationList) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.crls = crls
	v.verified = map[[32]byte]bool{}
}

// CRLs returns the revocation lists in force.
func (v *Verifier) CRLs() []*x509.RevocationList {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.crls
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Chain verifies chain (leaf first, then any intermediates) at time at
// for the given extended key usage (x509.ExtKeyUsageAny for none), and
// checks revocation of every certificate below the root. It returns the
// verified chain, root last.
func (v *Verifier) Chain(chain []*x509.Certificate, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, ErrNoCertificate
	}
	leaf := chain[0]
	if leaf.IsCA {
		return nil, fmt.Errorf("%w: %q is a CA certificate", ErrNotOneLeaf, leaf.Subject.CommonName)
	}
	for _, c := range chain[1:] {
		if !c.IsCA {
			return nil, fmt.Errorf("%w: %q follows the leaf", ErrNotOneLeaf, c.Subject.CommonName)
		}
	}
	if at.IsZero() {
		at = v.now()
	}
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		return nil, fmt.Errorf("%w: %q is valid from %s to %s", ErrExpired, leaf.Subject.CommonName,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	verified, err := v.BuildChain(leaf, chain[1:], at, usage)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(verified); i++ {
		status, entry := v.Revocation(verified[i], verified[i+1])
		if status == RevocationRevoked && !entry.RevocationTime.After(at) {
			return nil, fmt.Errorf("%w: %q (serial %X) on %s", ErrRevoked, verified[i].Subject.CommonName,
				verified[i].SerialNumber, entry.RevocationTime.UTC().Format(time.RFC3339))
		}
	}
	return verified, nil
}

// BuildChain returns a chain from leaf to a trusted root, with others as
// intermediates (in any order; those that are no CA are ignored), valid at
// time at for usage. Revocation is not checked: Chain does that. A chain
// built once is remembered with the time span over which it holds, so
// the same certificates presented again cost no signature verification.
func (v *Verifier) BuildChain(leaf *x509.Certificate, others []*x509.Certificate, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	h := sha256.New()
	fmt.Fprintf(h, "usage %d\n", usage)
	for _, c := range append([]*x509.Certificate{leaf}, others...) {
		fmt.Fprintf(h, "%d\n", len(c.Raw))
		h.Write(c.Raw)
	}
	var key [32]byte
	h.Sum(key[:0])
	v.mu.RLock()
	built := v.chains[key]
	v.mu.RUnlock()
	if built != nil && !at.Before(built.from) && !at.After(built.until) {
		return slices.Clone(built.chain), nil
	}
	inter := x509.NewCertPool()
	for _, c := range others {
		inter.AddCert(c)
	}
	roots := v.roots
	if usage == x509.ExtKeyUsageClientAuth || usage == x509.ExtKeyUsageAny {
		roots = v.ClientCAs()
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{usage},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, fmt.Errorf("%w: %v", ErrExpired, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	if root := chains[0][len(chains[0])-1]; !v.own(root) && namesLienthong(leaf) {
		return nil, fmt.Errorf("%w: %w: %q under %q", ErrUntrusted, ErrForeignName, leaf.Subject.CommonName, root.Subject.CommonName)
	}
	built = &builtChain{chain: chains[0]}
	for i, c := range built.chain {
		if i == 0 || c.NotBefore.After(built.from) {
			built.from = c.NotBefore
		}
		if i == 0 || c.NotAfter.Before(built.until) {
			built.until = c.NotAfter
		}
	}
	v.mu.Lock()
	if len(v.chains) >= maxBuiltChains {
		clear(v.chains)
	}
	v.chains[key] = built
	v.mu.Unlock()
	return slices.Clone(built.chain), nil
}

// Revocation looks cert up in the current CRL of issuer. The entry is
// returned for a revoked certificate.
func (v *Verifier) Revocation(cert, issuer *x509.Certificate) (RevocationStatus, *x509.RevocationListEntry) {
	now := v.now()
	v.mu.RLock()
	crls := v.crls
	v.mu.RUnlock()
	status := RevocationUnknown
	for _, crl := range crls {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || !v.CRLSignedBy(crl, issuer) {
			continue
		}
		for i := range crl.RevokedCertificateEntries {
			e := &crl.RevokedCertificateEntries[i]
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return RevocationRevoked, e
			}
		}
		// A stale list still proves revocations, but not that a
		// certificate is good.
		if crl.NextUpdate.IsZero() || now.Before(crl.NextUpdate) {
			status = RevocationGood
		}
	}
	return status, nil
}

// CRLSignedBy reports whether crl's signature verifies with issuer's key,
// remembering the answer for as long as the lists in force do not change.
func (v *Verifier) CRLSignedBy(crl *x509.RevocationList, issuer *x509.Certificate) bool {
	h := sha256.New()
	h.Write(crl.Raw)
	h.Write(issuer.Raw)
	var key [32]byte
	h.Sum(key[:0])
	v.mu.RLock()
	ok, seen := v.verified[key]
	v.mu.RUnlock()
	if seen {
		return ok
	}
	ok = crl.CheckSignatureFrom(issuer) == nil
	v.mu.Lock()
	v.verified[key] = ok
	v.mu.Unlock()
	return ok
}

// Agency verifies an agency's certificate chain for client authentication
// now and returns the agency it stands for (Identify: its single
// urn:lienthong:agency: URI, or the directory's registration of a foreign
// certificate with a role that connects).
func (v *Verifier) Agency(chain []*x509.Certificate) (AgencyCode, error) {
	if _, err := v.Chain(chain, time.Time{}, x509.ExtKeyUsageClientAuth); err != nil {
		return "", err
	}
	return v.peerAgency(chain[0])
}

func (v *Verifier) peerAgency(leaf *x509.Certificate) (AgencyCode, error) {
	id, err := v.Identify(leaf)
	if err != nil {
		return "", err
	}
	if !id.Role.Connects() {
		return "", fmt.Errorf("%w: %q is registered as the %s certificate of %s, which does not connect to the hub", ErrWrongRole, leaf.Subject.CommonName, id.Role, id.Agency)
	}
	return id.Agency, nil
}

// AgencyOf returns the agency code a certificate's urn:lienthong:agency:
// URI names, without verifying the certificate: use Verifier.Agency for a
// peer and Identify for anyone's certificate.
func AgencyOf(cert *x509.Certificate) (AgencyCode, error) {
	return uriCode(cert, AgencyURIPrefix)
}

// MemberOf returns the agency a person certificate names.
func MemberOf(cert *x509.Certificate) (AgencyCode, error) {
	return uriCode(cert, MemberURIPrefix)
}

func uriCode(cert *x509.Certificate, prefix string) (AgencyCode, error) {
	var found []string
	for _, u := range cert.URIs {
		if s := u.String(); strings.HasPrefix(s, prefix) {
			found = append(found, strings.TrimPrefix(s, prefix))
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w: %q has no %s URI", ErrNoAgency, cert.Subject.CommonName, prefix)
	case 1:
		code, err := ParseAgencyCode(found[0])
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrNoAgency, cert.Subject.CommonName, err)
		}
		return code, nil
	}
	return "", fmt.Errorf("%w: %q names %s", ErrManyAgencies, cert.Subject.CommonName, strings.Join(found, ", "))
}
