package clerk

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/desktop/i18n"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
)

// The two signatures ND30 requires (Nghị định 30/2020/NĐ-CP, Điều 13 and
// Phụ lục I): the competent person signs the document first with a
// person certificate; the clerk then numbers, dates and seals it with the
// agency's signature. Signers names each signature of a PDF in those
// roles; CheckPersonSignature says, before a document is issued, whether
// its main PDF carries a valid signature of a person of this agency, and
// the setting SettingPersonSignature decides whether Issue warns about
// one that does not (PersonSignatureWarning), refuses it
// (*PersonSignatureError) or does not look.

// Role is what a signature stands for in ND30's order of signing.
type Role int

// The roles.
const (
	RoleOther  Role = iota // a certificate that is neither a person's nor an agency's of the directory
	RolePerson             // the competent person (người có thẩm quyền ký): a person certificate
	RoleAgency             // the agency's signature (chữ ký số của cơ quan), the seal
)

func (r Role) String() string {
	switch r {
	case RolePerson:
		return "person"
	case RoleAgency:
		return "agency"
	}
	return "other"
}

// MarshalText writes the role as String does: person, agency or other.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Signer is one signature of a PDF as the clerk shows it. The report
// does not say whether the key was on a token or what a visible
// signature looks like, so neither is here.
type Signer struct {
	Field string `json:"field"`
	Role  Role   `json:"role"`
	// Name is the certificate's common name: the person's full name, or
	// the agency's name.
	Name string `json:"name"`
	// Agency is the agency the certificate belongs to, "" when it names
	// none (AgencyError says why); AgencyName is its name in the cached
	// directory, "" when unknown.
	Agency      certs.AgencyCode `json:"agency,omitempty"`
	AgencyName  string           `json:"agency_name,omitempty"`
	AgencyError string           `json:"agency_error,omitempty"`
	// Valid is pades' verdict; Problems say why not (English, from the
	// report); Indeterminate marks a signature neither confirmed nor
	// refuted (no timestamp and a certificate not valid now).
	Valid         bool     `json:"valid"`
	Indeterminate bool     `json:"indeterminate,omitempty"`
	Problems      []string `json:"problems,omitempty"`
	// ChangedAfter is set when the file was changed after this signature
	// in a way a signed PDF does not allow.
	ChangedAfter bool `json:"changed_after,omitempty"`
	// Time is the signing time: the timestamp's when Timestamped, else
	// the signer's own claim (nil when the signature has neither).
	Time        *time.Time `json:"time,omitempty"`
	Timestamped bool       `json:"timestamped,omitempty"`
}

// PlaceByURI is the rule for certificates of Lienthong's PKI, without a
// directory: certs.Identify with no registrations, so the person's agency
// from its member URI, the agency's from its agency URI. The clerk
// decides through signerAgency, the same rule with the directory's
// registrations of other CAs' certificates; lienthong-verify, which has
// no directory, uses this alone.
func PlaceByURI(cert *x509.Certificate) (certs.AgencyCode, Role, error) {
	if cert == nil {
		return "", RoleOther, errors.New("the signature carries no certificate")
	}
	return place(certs.Identify(cert, nil))
}

// signerAgency decides which agency a signer's certificate belongs to and
// in which role. It is the clerk's only such decision: every role shown
// or checked goes through it. It is certs.Identify with the clerk's
// Verifier, which holds the registrations the directory last brought: a
// certificate of another CA (Ban Cơ yếu, a licensed public CA) belongs to
// the agency that registered it, as at the hub.
func (c *Clerk) signerAgency(cert *x509.Certificate) (certs.AgencyCode, Role, error) {
	if cert == nil {
		return "", RoleOther, errors.New("the signature carries no certificate")
	}
	return place(c.v.Identify(cert))
}

// place maps an identity to ND30's roles: a person, or the agency itself
// (its own certificate or its seal); a certificate registered only to
// connect to the hub signs no document.
func place(id certs.Identity, err error) (certs.AgencyCode, Role, error) {
	switch {
	case err != nil:
		return "", RoleOther, err
	case id.Role == certs.RolePerson:
		return id.Agency, RolePerson, nil
	case id.Role == certs.RoleAgency || id.Role == certs.RoleSeal:
		return id.Agency, RoleAgency, nil
	}
	return "", RoleOther, fmt.Errorf("%w: registered for %s as its %s certificate, which signs no document", certs.ErrWrongRole, id.Agency, id.Role)
}

// Signers lists the signatures of a verified PDF, in the order they were
// made, with their roles. A nil report has none.
func (c *Clerk) Signers(rep *pades.Report) []Signer {
	if rep == nil {
		return nil
	}
	out := make([]Signer, 0, len(rep.Signatures))
	for _, s := range rep.Signatures {
		g := Signer{Field: s.Field, Name: s.Signer, Valid: s.Valid(), Indeterminate: s.Indeterminate,
			Problems: s.Problems, ChangedAfter: len(s.ForbiddenChanges()) > 0}
		if s.Certificate != nil {
			g.Name = s.Certificate.Subject.CommonName
		}
		code, role, err := c.signerAgency(s.Certificate)
		if err != nil {
			g.AgencyError = err.Error()
		}
		g.Agency, g.Role = code, role
		if code != "" {
			if a, err := c.st.Agency(code); err == nil {
				g.AgencyName = a.Name
			}
		}
		switch {
		case s.TimestampTime != nil:
			g.Time, g.Timestamped = s.TimestampTime, true
		case s.ClaimedTime != nil:
			g.Time = s.ClaimedTime
		}
		out = append(out, g)
	}
	return out
}

// Label is the role's name for the clerk, in cat's language.
func (r Role) Label(cat *i18n.Catalog) string {
	switch r {
	case RolePerson:
		return cat.T(i18n.SignerRolePerson)
	case RoleAgency:
		return cat.T(i18n.SignerRoleAgency)
	}
	return cat.T(i18n.SignerRoleOther)
}

// SignerLine is how a signer reads on one line, as in "Người có thẩm
// quyền ký: Nguyễn Văn A (person, 000.00.01.H01) — hợp lệ".
func SignerLine(cat *i18n.Catalog, s Signer) string {
	// The role leads the line in the clerk's language; the parenthesis
	// names the agency, by its name where the directory knows it.
	who := s.Name
	switch {
	case s.AgencyName != "" && s.AgencyName != s.Name:
		who = fmt.Sprintf("%s (%s, %s)", s.Name, s.AgencyName, s.Agency)
	case s.Agency != "":
		who = fmt.Sprintf("%s (%s)", s.Name, s.Agency)
	}
	state := cat.T(i18n.SignerValid)
	switch {
	case s.Indeterminate:
		state = cat.T(i18n.SignerIndeterminate, strings.Join(s.Problems, "; "))
	case !s.Valid:
		state = cat.T(i18n.SignerInvalid, strings.Join(s.Problems, "; "))
	}
	line := fmt.Sprintf("%s: %s — %s", s.Role.Label(cat), who, state)
	if s.Time != nil {
		key := i18n.SignerClaimedAt
		if s.Timestamped {
			key = i18n.SignerTimestampedAt
		}
		line += " " + cat.T(key, s.Time.In(document.VietnamTime).Format("15:04 02/01/2006"))
	}
	return line
}

// PersonProblem is what is missing from the main PDF's person signature.
type PersonProblem int

// The problems, from nothing missing to everything missing: of the PDF's
// signatures, CheckPersonSignature reports the best verdict any earns.
const (
	PersonSigned      PersonProblem = iota // a valid signature of a person of this agency: nothing missing
	PersonChanged                          // this agency's person signed, then the file was changed in a way not allowed
	PersonInvalid                          // this agency's person signature is invalid or indeterminate (PersonCheck.Person.Problems)
	PersonOtherAgency                      // signed by a person of another agency (PersonCheck.Person.Agency)
	PersonAgencyOnly                       // signed, but by no person: an agency's signature (or a certificate of no agency) only
	PersonUnsigned                         // no signature at all
)

var personProblems = [...]string{"signed", "changed", "invalid", "other_agency", "agency_only", "unsigned"}

func (p PersonProblem) String() string {
	if p < 0 || int(p) >= len(personProblems) {
		return fmt.Sprintf("PersonProblem(%d)", int(p))
	}
	return personProblems[p]
}

// MarshalText writes the problem as String does.
func (p PersonProblem) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// PersonCheck is whether a PDF carries a valid signature of a competent
// person of this agency, and if not what is missing.
type PersonCheck struct {
	Problem PersonProblem `json:"problem"`
	// Person is the person's signature the verdict is about: the valid
	// one, or the one with the problem; nil for PersonAgencyOnly and
	// PersonUnsigned.
	Person *Signer `json:"person,omitempty"`
	// Signers are all the PDF's signatures.
	Signers []Signer `json:"signers"`
}

// OK reports whether nothing is missing.
func (p PersonCheck) OK() bool { return p.Problem == PersonSigned }

// Message is the check's verdict for the clerk, in cat's language.
func (p PersonCheck) Message(cat *i18n.Catalog) string {
	m := p.message()
	return cat.T(m.Key, m.Args...)
}

func (p PersonCheck) message() i18n.Message {
	switch p.Problem {
	case PersonSigned:
		return i18n.Message{Key: i18n.PersonSignedBy, Args: []any{p.Person.Name}}
	case PersonChanged:
		return i18n.Message{Key: i18n.PersonChanged, Args: []any{p.Person.Name}}
	case PersonInvalid:
		return i18n.Message{Key: i18n.PersonInvalid, Args: []any{p.Person.Name, strings.Join(p.Person.Problems, "; ")}}
	case PersonOtherAgency:
		return i18n.Message{Key: i18n.PersonOtherAgency, Args: []any{p.Person.Name, p.Person.Agency}}
	case PersonAgencyOnly:
		return i18n.Message{Key: i18n.PersonAgencyOnly}
	}
	return i18n.Message{Key: i18n.PersonUnsigned}
}

// judgePerson finds the verdict of a PDF's signers for agency code.
func judgePerson(signers []Signer, code certs.AgencyCode) PersonCheck {
	pc := PersonCheck{Problem: PersonUnsigned, Signers: signers}
	if len(signers) > 0 {
		pc.Problem = PersonAgencyOnly
	}
	for i := range signers {
		s := &signers[i]
		if s.Role != RolePerson {
			continue
		}
		p := PersonOtherAgency
		switch {
		case s.Agency != code:
		case s.Valid:
			p = PersonSigned
		case s.ChangedAfter:
			p = PersonChanged
		default:
			p = PersonInvalid
		}
		if p < pc.Problem {
			pc.Problem, pc.Person = p, s
		}
	}
	return pc
}

// CheckPersonSignature checks the PDF at path (a document's main file,
// before it is issued) for a valid signature of a competent person of
// this agency, against the clerk's roots and cached CRLs (issuing needs
// no network; the recipient checks with current ones). An error means
// the file could not be read as a PDF.
func (c *Clerk) CheckPersonSignature(ctx context.Context, path string) (PersonCheck, error) {
	f, err := os.Open(path)
	if err != nil {
		return PersonCheck{}, fmt.Errorf("check the person's signature: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return PersonCheck{}, fmt.Errorf("check the person's signature: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return PersonCheck{}, err
	}
	rep, err := c.verifyCached(f, fi.Size())
	if err != nil {
		return PersonCheck{}, fmt.Errorf("check the person's signature of %s: %w", path, err)
	}
	return judgePerson(c.Signers(rep), c.code), nil
}

// SettingPersonSignature is what Issue, Update and Replace do when the
// main PDF lacks a valid signature of a person of this agency
// (PersonPolicy); "" is PersonWarn.
const SettingPersonSignature = "person_signature"

// PersonPolicy is the setting SettingPersonSignature.
type PersonPolicy string

// The policies.
const (
	PersonWarn   PersonPolicy = "warn"   // issue, and emit PersonSignatureWarning
	PersonRefuse PersonPolicy = "refuse" // refuse with *PersonSignatureError: nothing numbered, signed or saved
	PersonOff    PersonPolicy = "off"    // do not check
)

// ParsePersonPolicy checks a policy as typed: warn, refuse or off ("" is
// warn).
func ParsePersonPolicy(s string) (PersonPolicy, error) {
	switch p := PersonPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return PersonWarn, nil
	case PersonWarn, PersonRefuse, PersonOff:
		return p, nil
	}
	return "", fmt.Errorf("person signature policy %q: want warn, refuse or off", s)
}

// PersonPolicy returns the policy in force.
func (c *Clerk) PersonPolicy() PersonPolicy {
	s, _ := c.st.Setting(SettingPersonSignature)
	p, err := ParsePersonPolicy(s)
	if err != nil {
		return PersonWarn
	}
	return p
}

// SetPersonPolicy changes the policy (ParsePersonPolicy).
func (c *Clerk) SetPersonPolicy(s string) error {
	p, err := ParsePersonPolicy(s)
	if err != nil {
		return fmt.Errorf("set person signature policy: %w", err)
	}
	if err := c.st.SetSetting(SettingPersonSignature, string(p)); err != nil {
		return fmt.Errorf("set person signature policy: %w", err)
	}
	return nil
}

// ErrPersonSignature is what a *PersonSignatureError wraps.
var ErrPersonSignature = errors.New("the main PDF lacks a valid signature of a competent person of this agency")

// PersonSignatureError is Issue's refusal under PersonRefuse: nothing was
// numbered, signed or saved. Explain gives the Vietnamese message.
type PersonSignatureError struct {
	File  string // the main PDF
	Check PersonCheck
}

func (e *PersonSignatureError) Error() string {
	return fmt.Sprintf("%s: %v (%s)", e.File, ErrPersonSignature, e.Check.Problem)
}

func (e *PersonSignatureError) Unwrap() error { return ErrPersonSignature }

// PersonSignatureWarning is emitted when a document was issued under
// PersonWarn although its main PDF lacks a valid person signature of
// this agency.
type PersonSignatureWarning struct {
	ID    string // the issued document
	File  string // the main PDF as given
	Check PersonCheck
}

func (PersonSignatureWarning) isEvent() {}

// personGate applies the policy to a draft's main PDF before anything is
// numbered: nil, nil when there is nothing to say; a check to warn about;
// or the refusal. An office file as the main document is not checked.
func (c *Clerk) personGate(ctx context.Context, d *Draft) (*PersonCheck, error) {
	pol := c.PersonPolicy()
	if pol == PersonOff || len(d.Files) == 0 || fileType(d.Files[0]).ContentType != envelope.ContentTypePDF {
		return nil, nil
	}
	pc, err := c.CheckPersonSignature(ctx, d.Files[0])
	if err != nil {
		return nil, err
	}
	if pc.OK() {
		return nil, nil
	}
	if pol == PersonRefuse {
		return nil, &PersonSignatureError{File: d.Files[0], Check: pc}
	}
	return &pc, nil
}

// storedReport is a PDF report as the store keeps it: pades' JSON report
// and the signers' certificates (DER, one per signature, nil where the
// signature carried none), which the JSON report leaves out and Signers
// needs to name the roles again when the document is shown.
type storedReport struct {
	*pades.Report
	SignerCertificates [][]byte `json:"signer_certificates,omitempty"`
}

// encodeReports is the stored form of an incoming document's reports.
func encodeReports(reps []*pades.Report) ([]byte, error) {
	out := make([]*storedReport, len(reps))
	for i, r := range reps {
		if r == nil {
			continue
		}
		sr := &storedReport{Report: r}
		for _, s := range r.Signatures {
			var der []byte
			if s.Certificate != nil {
				der = s.Certificate.Raw
			}
			sr.SignerCertificates = append(sr.SignerCertificates, der)
		}
		out[i] = sr
	}
	return json.Marshal(out)
}

// lacksCertificates reports whether a stored report names signers whose
// certificates it did not keep.
func lacksCertificates(rep *pades.Report) bool {
	for _, s := range rep.Signatures {
		if s.Certificate == nil && s.Signer != "" {
			return true
		}
	}
	return false
}

// decodeReports reads encodeReports' form (and the plain reports stored
// before it, whose signers then have no certificate).
func decodeReports(raw []byte) ([]*pades.Report, error) {
	var in []*storedReport
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	out := make([]*pades.Report, len(in))
	for i, sr := range in {
		if sr == nil || sr.Report == nil {
			continue
		}
		for j, s := range sr.Signatures {
			if j < len(sr.SignerCertificates) && len(sr.SignerCertificates[j]) > 0 {
				if cert, err := x509.ParseCertificate(sr.SignerCertificates[j]); err == nil {
					s.Certificate = cert
				}
			}
		}
		out[i] = sr.Report
	}
	return out, nil
}

// storedSigners verifies the main PDF of a document as stored, with the
// cached CRLs (showing a document never waits for the network), and names
// its signers: for this agency's own documents, which keep no report, and
// for a received one whose report was stored without the signers'
// certificates (before they were kept).
func (c *Clerk) storedSigners(id string) ([]Signer, error) {
	rc, a, err := c.st.OpenAttachment(id, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if a.ContentType != envelope.ContentTypePDF {
		return nil, nil
	}
	tmp, err := c.spoolFile("show-" + envelope.NewMessageID() + ".pdf")
	if err != nil {
		return nil, err
	}
	defer tmp.discard()
	if _, err := io.Copy(tmp, rc); err != nil {
		return nil, err
	}
	rep, err := c.verifyCached(tmp, tmp.Size())
	if err != nil {
		return nil, err
	}
	return c.Signers(rep), nil
}

// PersonStamp is the visible part of the person's signature: the
// signature image where ND30 puts it (Phụ lục I: at the signing place of
// the paper document, over the signer's name). A nil image signs
// invisibly.
type PersonStamp struct {
	ImagePNG []byte
	Page     int        // 1-based; 0 means page 1
	Rect     [4]float64 // x1 y1 x2 y2 in page space; required with an image
}

// ErrNotOurPerson refuses SignAsPerson with a certificate that is not a
// person's of this agency: the seal's, another agency's person's, or one
// that names no agency.
var ErrNotOurPerson = errors.New("the certificate is not a person's of this agency")

// SignAsPerson signs the PDF in as the competent person of this agency,
// with signer (a file key or a token's, certs.KeyPair), into out (which
// may be in: it is replaced only when the signature is made), before the
// clerk issues it: the first of ND30's two signatures. signer must be a
// document signer's person certificate of this agency chaining to the
// clerk's roots now, else nothing is written (ErrNotOurPerson, or the
// chain's error). The signature is an incremental update that the seal
// Issue adds later keeps valid.
func (c *Clerk) SignAsPerson(ctx context.Context, in, out string, signer certs.Signer, st PersonStamp) error {
	chain := signer.Certificates()
	if len(chain) == 0 {
		return fmt.Errorf("sign as the person: %w: no certificate", ErrNotOurPerson)
	}
	leaf := chain[0]
	if err := c.v.MayIssueDocuments(leaf); err != nil {
		return fmt.Errorf("sign as the person: %w", err)
	}
	code, role, err := c.signerAgency(leaf)
	switch {
	case err != nil:
		return fmt.Errorf("sign as the person: %w: %w", ErrNotOurPerson, err)
	case role != RolePerson:
		return fmt.Errorf("sign as the person: %w: %q is an agency's certificate", ErrNotOurPerson, leaf.Subject.CommonName)
	case code != c.code:
		return fmt.Errorf("sign as the person: %w: %q belongs to %s", ErrNotOurPerson, leaf.Subject.CommonName, code)
	}
	now := c.now()
	if _, err := c.v.BuildChain(leaf, chain[1:], now, x509.ExtKeyUsageAny); err != nil {
		return fmt.Errorf("sign as the person: %w", err)
	}
	opts := pades.Options{Signer: signer, Name: leaf.Subject.CommonName, Time: now, Page: st.Page, Reason: "Người có thẩm quyền ký"}
	if st.ImagePNG != nil {
		r := st.Rect
		if r[2] <= r[0] || r[3] <= r[1] {
			return fmt.Errorf("sign as the person: the signature image needs a rectangle x1 < x2, y1 < y2, got %v", r)
		}
		app, err := stamp.ImageStamp(st.ImagePNG, nil, r[2]-r[0], r[3]-r[1])
		if err != nil {
			return fmt.Errorf("sign as the person: signature image: %w", err)
		}
		opts.Appearance, opts.Rect = app, r
	}
	if err := pades.SignFile(ctx, in, out, opts); err != nil {
		return fmt.Errorf("sign as the person: %w", err)
	}
	c.log.Info("main PDF signed by the competent person", "agency", code)
	return nil
}
