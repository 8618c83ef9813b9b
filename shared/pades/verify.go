package pades

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"lienthong/shared/cms"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Roots are the trusted root certificates; nil trusts nothing, so every
	// signature is reported untrusted.
	Roots *x509.CertPool
	// Intermediates are extra CA certificates to build chains with, besides
	// those inside each signature.
	Intermediates []*x509.Certificate
	// CRLs are checked for the signer's certificate; a CRL counts only when
	// its signature verifies with the signer's issuer.
	CRLs []*x509.RevocationList
	// Now is the time at which a signature without a timestamp is
	// judged (the signer's claimed time proves nothing); zero means
	// time.Now().
	Now time.Time
	// SignerPolicy decides which certificates may sign documents; nil
	// is certs.MayIssueDocuments, the project's rule for its own PKI. The
	// hub and the clerk give their Verifier's MayIssueDocuments, the same
	// rule with the directory's registrations of other CAs' certificates;
	// tests of third parties' files (a self-signed poppler certificate)
	// give their own.
	SignerPolicy func(*x509.Certificate) error
	// Trust, when set, builds chains and checks CRL signatures in place
	// of x509 and Roots (which it supersedes): a hub that verifies the
	// same agencies' signatures all day gives one that remembers what it
	// verified (certs.Verifier).
	Trust Trust

	ranges *RangeDigests // from a Prehashed source
}

// Trust builds and verifies certificate chains against its own roots.
type Trust interface {
	// BuildChain returns a chain from leaf to a trusted root, using
	// others as intermediates, valid at time at for usage; revocation is
	// left to the caller.
	BuildChain(leaf *x509.Certificate, others []*x509.Certificate, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error)
	// CRLSignedBy reports whether crl's signature verifies with issuer.
	CRLSignedBy(crl *x509.RevocationList, issuer *x509.Certificate) bool
}

// trusted reports whether the options can trust anything.
func (o *VerifyOptions) trusted() bool { return o.Trust != nil || o.Roots != nil }

// chain builds a chain from leaf to a trusted root with the certificates
// a signature carries and the options' intermediates.
func (o *VerifyOptions) chain(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	others := append(slices.Clip(carried), o.Intermediates...)
	if o.Trust != nil {
		return o.Trust.BuildChain(leaf, others, at, usage)
	}
	pool := x509.NewCertPool()
	for _, c := range others {
		pool.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: o.Roots, Intermediates: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}

func (o *VerifyOptions) crlSignedBy(crl *x509.RevocationList, issuer *x509.Certificate) bool {
	if o.Trust != nil {
		return o.Trust.CRLSignedBy(crl, issuer)
	}
	return crl.CheckSignatureFrom(issuer) == nil
}

// Revocation states.
const (
	RevocationGood    = "good"
	RevocationRevoked = "revoked"
	RevocationUnknown = "unknown"
)

// SigningCertV2 states.
const (
	SigningCertMatch    = "match"
	SigningCertMismatch = "mismatch"
	SigningCertAbsent   = "absent"
)

// Report is the outcome of Verify.
type Report struct {
	Size       int64              `json:"size"`
	Signatures []*SignatureReport `json:"signatures"`
	// UnsignedChanges lists what the revisions after the last signature
	// add or replace (both allowed and forbidden changes).
	UnsignedChanges []Change `json:"unsigned_changes"`
}

// Valid reports whether the document has at least one signature and every
// signature is valid: intact, trusted, not revoked and followed by nothing
// but allowed changes.
func (r *Report) Valid() bool {
	if r == nil || len(r.Signatures) == 0 {
		return false
	}
	for _, s := range r.Signatures {
		if !s.Valid() {
			return false
		}
	}
	return true
}

// SignatureReport describes one signature.
type SignatureReport struct {
	Field     string `json:"field"`
	SubFilter string `json:"sub_filter"`
	// Level is "B-B" or "B-T" for PAdES baseline signatures, "PKCS7" for
	// adbe.pkcs7.detached signatures, "DocTimeStamp" for a document
	// timestamp (ETSI.RFC3161), "" otherwise.
	Level  string `json:"level"`
	Signer string `json:"signer"`
	Issuer string `json:"issuer"`
	Serial string `json:"serial"`
	// Certificate is the signer's certificate as the signature carries
	// it, for callers that decide what it stands for (whose agency, a
	// person or a seal); nil when the container could not be read. It is
	// not part of the JSON report, which names the signer by Signer,
	// Issuer and Serial.
	Certificate *x509.Certificate `json:"-"`
	Name        string            `json:"name,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Location    string            `json:"location,omitempty"`
	// ClaimedTime is the /M entry: the signer's own clock, not proof.
	ClaimedTime *time.Time `json:"claimed_time,omitempty"`
	// TimestampTime is the time of a valid signature timestamp (B-T).
	TimestampTime *time.Time `json:"timestamp_time,omitempty"`
	ByteRange     [4]int64   `json:"byte_range"`
	// SignedBytes is where the signed revision ends.
	SignedBytes     int64  `json:"signed_bytes"`
	CoversWholeFile bool   `json:"covers_whole_file"`
	DigestValid     bool   `json:"digest_valid"`
	SignatureValid  bool   `json:"signature_valid"`
	SigningCertV2   string `json:"signing_certificate_v2"`
	Trusted         bool   `json:"trusted"`
	// Chain is the verified chain, leaf first, as subjects.
	Chain []string `json:"chain,omitempty"`
	// ChainCheckedAt is the time at which the chain was validated: the
	// proven signing time, that of the timestamp, else now (never the
	// signer's claimed time).
	ChainCheckedAt time.Time `json:"chain_checked_at"`
	// Revocation is good, revoked (at or before the proven signing time:
	// invalid), revoked_later (after the timestamp: still valid) or
	// unknown.
	Revocation string `json:"revocation"`
	// RevokedAt is the revocation time of a revoked signer.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Indeterminate marks a signature without a timestamp whose
	// certificate is not valid now: nothing shows it was valid when the
	// document was signed. It is not valid.
	Indeterminate bool `json:"indeterminate,omitempty"`
	// LaterChanges lists what the revisions after this signature add or
	// replace.
	LaterChanges []Change `json:"later_changes"`
	// Problems make the signature invalid; Notes do not.
	Problems []string `json:"problems"`
	Notes    []string `json:"notes"`
}

// Valid reports whether the signature has no problems.
func (s *SignatureReport) Valid() bool { return s != nil && len(s.Problems) == 0 }

// ForbiddenChanges returns the later changes that are not allowed.
func (s *SignatureReport) ForbiddenChanges() []Change {
	var out []Change
	for _, c := range s.LaterChanges {
		if !c.Allowed {
			out = append(out, c)
		}
	}
	return out
}

func (s *SignatureReport) problem(format string, args ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
}

// Verify checks every signature of the PDF src[0:size]. It returns an error
// (wrapping ErrNotPDF, ErrDamaged or ErrEncrypted) only when the file
// cannot be read as a PDF; problems with signatures are in the report. A
// document without signatures gives a report with no signatures, which is
// not Valid.
//
// A Prehashed source gives the digest of the signed ranges it was hashed
// for; Verify hashes any other ranges from the file.
func Verify(src io.ReaderAt, size int64, opts VerifyOptions) (*Report, error) {
	if p, ok := src.(*Prehashed); ok {
		src, opts.ranges = p.ReaderAt, p.Ranges
	}
	d, err := openDocument(src, size)
	if err != nil {
		return nil, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	fields, err := d.signatureFields()
	if err != nil {
		return nil, d.fam.damaged("%w", err)
	}
	if len(fields) > maxSignatures {
		return nil, d.fam.budget.over("signatures", maxSignatures)
	}
	rep := &Report{Size: size, Signatures: []*SignatureReport{}, UnsignedChanges: []Change{}}
	prefixes := map[int64]*document{}
	for _, f := range fields {
		s := verifyOne(d, f, opts, prefixes)
		if err := d.fam.budget.exceeded(); err != nil {
			return nil, err
		}
		rep.Signatures = append(rep.Signatures, s)
	}
	sort.SliceStable(rep.Signatures, func(i, j int) bool {
		return rep.Signatures[i].SignedBytes < rep.Signatures[j].SignedBytes
	})
	requireSignedWidgets(d, rep.Signatures, prefixes)
	if err := d.fam.budget.exceeded(); err != nil {
		return nil, err
	}
	if n := len(rep.Signatures); n > 0 {
		rep.UnsignedChanges = rep.Signatures[n-1].LaterChanges
	}
	return rep, nil
}

// requireSignedWidgets turns down visible signature widgets added after a
// signature unless a later intact signature covers them: an unsigned
// "signature" appearance could be drawn over the signed content.
func requireSignedWidgets(d *document, sigs []*SignatureReport, prefixes map[int64]*document) {
	covered := func(num int, after int64) bool {
		for _, s := range sigs {
			if s.SignedBytes <= after || !s.DigestValid || !s.SignatureValid {
				continue
			}
			p := d
			if s.SignedBytes != d.size {
				p = prefixes[s.SignedBytes]
			}
			if p != nil && p.xref[num] == d.xref[num] {
				return true
			}
		}
		return false
	}
	for _, s := range sigs {
		for i, c := range s.LaterChanges {
			if !c.Allowed || !c.visible || covered(c.Object, s.SignedBytes) {
				continue
			}
			c.Allowed = false
			c.Kind = KindAnnotation
			c.Description = fmt.Sprintf("object %d %s: a visible signature field was added that no later signature covers (its appearance could hide content)", c.Object, c.Action)
			s.LaterChanges[i] = c
			s.problem("changed after signing: %s", c.Description)
		}
	}
}

type sigField struct {
	name string
	ref  pdfRef // the signature dictionary
}

// signatureFields walks the AcroForm field tree for signature fields with a
// value.
func (d *document) signatureFields() ([]sigField, error) {
	cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	acroV, err := d.resolveValue(cat["AcroForm"])
	if err != nil {
		return nil, fmt.Errorf("AcroForm: %w", err)
	}
	acro, _ := acroV.(pdfDict)
	fv, err := d.resolveValue(acro["Fields"])
	if err != nil {
		return nil, fmt.Errorf("AcroForm /Fields: %w", err)
	}
	var out []sigField
	seen := map[int]bool{}
	seenSig := map[int]bool{}
	count := 0
	var walk func(v any, parentName string, ft pdfName, depth int) error
	walk = func(v any, parentName string, ft pdfName, depth int) error {
		count++
		switch {
		case count > maxFields:
			return d.fam.budget.over("form fields", maxFields)
		case depth > maxFieldDepth:
			return d.fam.budget.over("levels of nested form fields", maxFieldDepth)
		}
		r, ok := v.(pdfRef)
		if !ok {
			return nil
		}
		if seen[r.Num] {
			return nil
		}
		seen[r.Num] = true
		f, err := d.resolveDict(r)
		if err != nil {
			return nil // a broken field is not a signature
		}
		name := parentName
		if t, ok := f["T"].(pdfString); ok {
			if name != "" {
				name += "."
			}
			name += decodeText(t.Value)
		}
		if n := f.name("FT"); n != "" {
			ft = n
		}
		if ft == "Sig" {
			if vr, ok := f["V"].(pdfRef); ok && !seenSig[vr.Num] {
				seenSig[vr.Num] = true
				out = append(out, sigField{name: name, ref: vr})
			}
		}
		kv, _ := d.resolveValue(f["Kids"])
		kids, _ := kv.(pdfArray)
		for _, k := range kids {
			if err := walk(k, name, ft, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	fields, _ := fv.(pdfArray)
	for _, f := range fields {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func verifyOne(d *document, f sigField, opts VerifyOptions, prefixes map[int64]*document) *SignatureReport {
	s := &SignatureReport{Field: f.name, Revocation: RevocationUnknown, SigningCertV2: SigningCertAbsent, LaterChanges: []Change{}, Problems: []string{}, Notes: []string{}}
	e, ok := d.xref[f.ref.Num]
	if !ok || e.Kind != entryInUse {
		s.problem("signature dictionary (object %d) is missing or inside an object stream", f.ref.Num)
		return s
	}
	v, err := d.resolve(f.ref)
	sig, ok := v.(pdfDict)
	if err != nil || !ok {
		s.problem("signature dictionary (object %d) cannot be read", f.ref.Num)
		return s
	}
	s.SubFilter = string(sig.name("SubFilter"))
	for k, dst := range map[pdfName]*string{"Name": &s.Name, "Reason": &s.Reason, "Location": &s.Location} {
		if t, ok := sig[k].(pdfString); ok {
			*dst = decodeText(t.Value)
		}
	}
	if m, ok := sig["M"].(pdfString); ok {
		if t, err := parsePDFDate(string(m.Value)); err == nil {
			s.ClaimedTime = &t
		}
	}
	contents, ok := sig["Contents"].(pdfString)
	if !ok {
		s.problem("signature has no /Contents")
		return s
	}
	br, ok := sig["ByteRange"].(pdfArray)
	if !ok || len(br) != 4 {
		s.problem("signature has no valid /ByteRange")
		return s
	}
	for i, x := range br {
		n, ok := x.(int64)
		if !ok || n < 0 {
			s.problem("signature /ByteRange is malformed")
			return s
		}
		s.ByteRange[i] = n
	}
	b := s.ByteRange
	s.SignedBytes = b[2] + b[3]
	switch {
	case b[0] != 0 || b[1] != contents.Off || b[2] != contents.End:
		s.problem("/ByteRange %v does not exclude exactly the /Contents string at %d-%d", b, contents.Off, contents.End)
		return s
	case s.SignedBytes > d.size || s.SignedBytes < b[2]:
		s.problem("/ByteRange %v runs past the end of the file (%d bytes)", b, d.size)
		return s
	}
	s.CoversWholeFile = s.SignedBytes == d.size

	sd, err := cms.Parse(contents.Value)
	if err != nil {
		s.problem("signature container cannot be parsed: %v", err)
		return s
	}
	if sd.Signer == nil {
		s.problem("signature container lacks the signer's certificate")
		return s
	}
	s.Signer = dnString(sd.Signer.Subject)
	s.Issuer = dnString(sd.Signer.Issuer)
	s.Serial = hex.EncodeToString(sd.Signer.SerialNumber.Bytes())
	s.Certificate = sd.Signer

	// The signed revision must be a complete PDF holding this very
	// signature dictionary.
	prefix, err := openPrefix(d, s.SignedBytes, prefixes)
	if err != nil {
		s.problem("the signed revision (first %d bytes) is not a complete PDF: %v", s.SignedBytes, err)
		return s
	}
	if pv, err := prefix.resolve(f.ref); err != nil || !equalObjects(pv, v, prefix.src, d.src) {
		s.problem("the signature dictionary is not part of the revision it signs")
		return s
	}
	if needAppearances(prefix.acroForm()) {
		s.Notes = append(s.Notes, "the form asks viewers to regenerate its fields' appearances (/NeedAppearances): what a viewer shows of the fields is drawn by it, not what was signed")
	}

	if s.SubFilter == "ETSI.RFC3161" {
		checkDocTimestamp(d, s, sd, opts)
		laterChanges(s, prefix, d)
		return s
	}

	digest, err := opts.hashRanges(d, sd.Hash, b)
	if err != nil {
		s.problem("cannot hash the signed ranges: %v", err)
		return s
	}
	switch {
	case sd.SignedAttributes == nil:
		err := sd.Verify(digest)
		s.DigestValid = err == nil
		s.SignatureValid = err == nil
	default:
		s.DigestValid = bytes.Equal(sd.MessageDigest, digest)
		err := sd.Verify(sd.MessageDigest)
		s.SignatureValid = err == nil || errors.Is(err, cms.ErrSigningCertMismatch)
	}
	if !s.DigestValid {
		s.problem("the document digest does not match: the signed bytes were changed")
	}
	if !s.SignatureValid {
		s.problem("the signature value does not verify with the signer's certificate")
	}
	if sd.HasSigningCertV2 {
		s.SigningCertV2 = SigningCertMismatch
		if sd.SigningCertV2Matches {
			s.SigningCertV2 = SigningCertMatch
		}
	}
	if s.SigningCertV2 == SigningCertMismatch {
		s.problem("the signing-certificate-v2 attribute names another certificate")
	}

	// Timestamp.
	if sd.TimestampToken != nil {
		t, err := verifyTimestamp(sd, opts)
		if err != nil {
			s.problem("signature timestamp is not valid: %v", err)
		} else {
			s.TimestampTime = &t
		}
	}
	switch {
	case s.SubFilter == "ETSI.CAdES.detached" && sd.HasSigningCertV2 && !sd.HasSigningTime:
		s.Level = "B-B"
		if s.TimestampTime != nil {
			s.Level = "B-T"
		}
	case s.SubFilter == "ETSI.CAdES.detached":
		s.problem("ETSI.CAdES.detached signature without signing-certificate-v2 or with a signing-time attribute: not PAdES baseline")
	case s.SubFilter == "adbe.pkcs7.detached":
		s.Level = "PKCS7"
		s.Notes = append(s.Notes, "adbe.pkcs7.detached signature: valid CMS, but not a PAdES baseline signature")
	default:
		s.problem("unsupported signature /SubFilter %q", s.SubFilter)
	}

	judgeSigner(s, sd, &opts)

	laterChanges(s, prefix, d)
	return s
}

// laterChanges records what the revisions after the signature change.
func laterChanges(s *SignatureReport, prefix, d *document) {
	if s.CoversWholeFile {
		return
	}
	changes, err := analyzeRevisions(prefix, d)
	if err != nil {
		s.problem("cannot analyse the revisions after the signature: %v", err)
	}
	s.LaterChanges = changes
	for _, c := range changes {
		if !c.Allowed {
			s.problem("changed after signing: %s", c.Description)
		}
	}
}

// checkDocTimestamp verifies a document timestamp (/SubFilter
// /ETSI.RFC3161): tok is an RFC 3161 token whose imprint must be the digest
// of the byte ranges.
func checkDocTimestamp(d *document, s *SignatureReport, tok *cms.SignedData, opts VerifyOptions) {
	s.Level = "DocTimeStamp"
	h := tok.Hash.New()
	h.Write(tok.Content)
	s.SignatureValid = tok.Verify(h.Sum(nil)) == nil
	if !s.SignatureValid {
		s.problem("the timestamp token's signature does not verify")
	}
	if tok.HasSigningCertV2 {
		s.SigningCertV2 = SigningCertMismatch
		if tok.SigningCertV2Matches {
			s.SigningCertV2 = SigningCertMatch
		}
	}
	alg, imprint, genTime, err := parseTSTInfo(tok.Content)
	if err != nil {
		s.problem("document timestamp: %v", err)
		return
	}
	s.TimestampTime = &genTime
	s.ChainCheckedAt = genTime
	digest, err := opts.hashRanges(d, alg, s.ByteRange)
	if err != nil {
		s.problem("cannot hash the signed ranges: %v", err)
		return
	}
	s.DigestValid = bytes.Equal(digest, imprint)
	if !s.DigestValid {
		s.problem("the document digest does not match: the signed bytes were changed")
	}
	if !opts.trusted() {
		s.problem("no trusted roots configured: the timestamping authority cannot be trusted")
		return
	}
	chain, err := opts.chain(tok.Signer, tok.Certificates, genTime, x509.ExtKeyUsageTimeStamping)
	if err != nil {
		s.problem("the timestamping certificate does not chain to a trusted root at %s: %v", genTime.Format(time.RFC3339), err)
		return
	}
	s.Trusted = true
	for _, c := range chain {
		s.Chain = append(s.Chain, dnString(c.Subject))
	}
	s.Revocation, _ = checkRevocation(tok.Signer, chain, &opts, nil)
	if s.Revocation == RevocationRevoked {
		s.problem("the timestamping certificate is revoked")
	}
}

func openPrefix(d *document, end int64, cache map[int64]*document) (*document, error) {
	if end == d.size {
		return d, nil
	}
	if p, ok := cache[end]; ok {
		if p == nil {
			return nil, errors.New("not readable")
		}
		return p, nil
	}
	prefix := io.ReaderAt(io.NewSectionReader(d.src, 0, end))
	if b, ok := d.src.(Bytes); ok {
		prefix = b // inMemory takes its first end bytes
	}
	p, err := openDocumentIn(d.fam, prefix, end)
	if err != nil {
		cache[end] = nil
		return nil, err
	}
	cache[end] = p
	return p, nil
}

// hashRanges returns the digest of the ranges br of d with h: the one
// its source was hashed for when it is that one, else read from d.
func (o *VerifyOptions) hashRanges(d *document, h crypto.Hash, br [4]int64) ([]byte, error) {
	if sum := o.ranges.digest(h, br, d.size); sum != nil {
		return sum, nil
	}
	return hashRanges(d.src, h, br)
}

// hashBuffers hold the buffers hashRanges reads through: a hub verifies
// document after document, and a fresh 256 KiB each time was most of what
// it allocated.
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func hashRanges(src io.ReaderAt, h crypto.Hash, br [4]int64) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("hash %v not available", h)
	}
	hh := h.New()
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	buf := *bp
	if _, err := io.CopyBuffer(hh, io.NewSectionReader(src, br[0], br[1]), buf); err != nil {
		return nil, err
	}
	if _, err := io.CopyBuffer(hh, io.NewSectionReader(src, br[2], br[3]), buf); err != nil {
		return nil, err
	}
	return hh.Sum(nil), nil
}
