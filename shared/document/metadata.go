package document

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"lienthong/certs"
	"lienthong/shared/strictjson"
	"lienthong/shared/vnsearch"
)

// SchemaVersion is the version of the metadata's wire form that this package
// writes and reads. A change that old readers cannot ignore safely bumps it;
// see the package documentation for the history.
const SchemaVersion = 1

// MaxMetadataSize bounds the JSON that [ParseMetadata] reads.
const MaxMetadataSize = 1 << 20

// Errors of [ParseMetadata] for input that is not metadata at all; a
// metadata record that breaks ND30's rules gives a [*ValidationError].
var (
	ErrMalformed          = errors.New("malformed metadata")
	ErrUnsupportedVersion = errors.New("unsupported metadata version")
)

// Metadata is what an official document carries (ND30 Appendix VI and the
// edXML MessageHeader), as sent inside the signed envelope. The JSON field
// names are lower snake case and are part of the wire contract.
type Metadata struct {
	// Version is the wire form's version, [SchemaVersion].
	Version int `json:"version"`
	// From is the issuing agency (OrganId, OrganName).
	From Organ `json:"from"`
	// CodeNumber is the số, "1234": 1 to 11 digits, restarting each year.
	CodeNumber string `json:"code_number"`
	// CodeNotation is the ký hiệu, "STTTT-CNTT" or "QĐ-UBND", at most 30
	// characters.
	CodeNotation string `json:"code_notation"`
	// Promulgation is the place and date of issue.
	Promulgation Promulgation `json:"promulgation"`
	// Type is the document type.
	Type DocType `json:"type"`
	// TypeName is the type as printed when it differs from the type's
	// name in [Types] (at most 100 characters); empty means Type.Name().
	TypeName string `json:"type_name,omitempty"`
	// Subject is the trích yếu, at most 500 characters.
	Subject string `json:"subject"`
	// Signer is the competent person who signed.
	Signer Signer `json:"signer"`
	// To lists the recipient agencies: one or more, no duplicates, not the
	// sender.
	To []Recipient `json:"to"`
	// ToPlaces are the free-text "Nơi nhận" lines printed on the document,
	// at most 150 characters each.
	ToPlaces []string `json:"to_places,omitempty"`
	// Priority is the urgency (độ khẩn).
	Priority Urgency `json:"priority"`
	// Secrecy is the độ mật, kept apart from the urgency.
	Secrecy Secrecy `json:"secrecy"`
	// DueDate is the deadline for a reply or for processing; zero for none.
	DueDate Date `json:"due_date,omitzero"`
	// SteeringType says whether the document is a directive.
	SteeringType Steering `json:"steering_type"`
	// PageAmount is the number of pages; zero if not stated.
	PageAmount int `json:"page_amount"`
	// PromulgationAmount is the number of copies issued; zero if not stated.
	PromulgationAmount int `json:"promulgation_amount"`
	// Appendixes are the appendix titles.
	Appendixes []string `json:"appendixes,omitempty"`
	// ResponseFor is the document this one answers; zero for none.
	ResponseFor DocumentRef `json:"response_for,omitzero"`
	// Business says whether the packet is a new document, a recall, an
	// update or a replacement, and of which documents.
	Business Business `json:"business"`
}

// Organ is the issuing agency.
type Organ struct {
	Code certs.AgencyCode `json:"code"`
	Name string           `json:"name"`
}

// Recipient is an agency a document is addressed to.
type Recipient struct {
	Code certs.AgencyCode `json:"code"`
	Name string           `json:"name"`
}

// Promulgation is the place and date of issue ("Hà Nội, ngày 30 tháng 9
// năm 2015").
type Promulgation struct {
	Place string `json:"place"`
	Date  Date   `json:"date"`
}

// Signer is the competent person who signs: competence "KT. BỘ TRƯỞNG"
// (empty when they sign in their own right), position "THỨ TRƯỞNG" and full
// name.
type Signer struct {
	Competence string `json:"competence,omitempty"`
	Position   string `json:"position"`
	FullName   string `json:"full_name"`
}

// Business is the edXML business block: what the packet does.
type Business struct {
	Type BusinessType `json:"type"`
	// Documents names the documents concerned: exactly one for a recall
	// or an update, one or more for a replacement, none for a new document.
	Documents []DocumentRef `json:"documents,omitempty"`
	// Reason explains a recall, update or replacement (at most 500
	// characters).
	Reason string `json:"reason,omitempty"`
}

// ID returns the document's global identifier.
func (m *Metadata) ID() DocumentID {
	return DocumentID{Organ: m.From.Code, Date: m.Promulgation.Date, Number: m.CodeNumber, Notation: m.CodeNotation}
}

// RegisterYear returns the year whose number series the document's number
// belongs to: the year of its promulgation date.
func (m *Metadata) RegisterYear() int { return m.Promulgation.Date.Year }

// PrintedTypeName returns TypeName, or the type's name when it is empty.
func (m *Metadata) PrintedTypeName() string {
	if m.TypeName != "" {
		return m.TypeName
	}
	return m.Type.Name()
}

// Normalize puts every text field in Unicode NFC and trims the spaces
// around it, and upper-cases agency codes. Call it on whatever a user or
// another system supplied, before [Metadata.Validate] and before signing.
// [ParseMetadata] calls it.
func (m *Metadata) Normalize() {
	m.From.Code = normCode(m.From.Code)
	normText(&m.From.Name)
	normText(&m.CodeNumber)
	normText(&m.CodeNotation)
	normText(&m.Promulgation.Place)
	m.Type = DocType(strings.TrimSpace(string(m.Type)))
	normText(&m.TypeName)
	normText(&m.Subject)
	normText(&m.Signer.Competence)
	normText(&m.Signer.Position)
	normText(&m.Signer.FullName)
	for i := range m.To {
		m.To[i].Code = normCode(m.To[i].Code)
		normText(&m.To[i].Name)
	}
	for i := range m.ToPlaces {
		normText(&m.ToPlaces[i])
	}
	for i := range m.Appendixes {
		normText(&m.Appendixes[i])
	}
	normText(&m.Business.Reason)
}

func normText(s *string) {
	if utf8.ValidString(*s) {
		*s = norm.NFC.String(strings.TrimSpace(*s))
	}
}

func normCode(c certs.AgencyCode) certs.AgencyCode {
	return certs.AgencyCode(strings.ToUpper(strings.TrimSpace(string(c))))
}

// ParseMetadata decodes metadata from its JSON wire form, normalises it and
// validates it. It refuses input larger than [MaxMetadataSize], invalid
// UTF-8, unknown fields, trailing data and versions newer than
// [SchemaVersion] (errors wrapping [ErrMalformed] or
// [ErrUnsupportedVersion]); metadata that breaks ND30's rules is returned
// along with a [*ValidationError] listing every problem.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(data), MaxMetadataSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	m := new(Metadata)
	if err := decodeStrict(data, m); err != nil {
		// A newer version may carry fields this build does not know:
		// say so rather than blame the fields.
		var probe struct {
			Version int `json:"version"`
		}
		if json.Unmarshal(data, &probe) == nil && probe.Version > SchemaVersion {
			return nil, fmt.Errorf("%w %d: this build reads up to %d", ErrUnsupportedVersion, probe.Version, SchemaVersion)
		}
		return nil, err
	}
	if m.Version > SchemaVersion {
		return nil, fmt.Errorf("%w %d: this build reads up to %d", ErrUnsupportedVersion, m.Version, SchemaVersion)
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return m, err
	}
	return m, nil
}

// decodeStrict decodes one JSON object into v with package strictjson:
// no duplicate keys, unknown fields or trailing data.
func decodeStrict(data []byte, v any) error {
	if err := strictjson.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// SearchTokens returns the folded words of every searchable field (number
// and notation, type, subject, issuing agency, signer, recipients, "nơi
// nhận" lines, appendix titles, place), each once, for a search index that
// finds "cong van" in "Công văn" (see lienthong/shared/vnsearch).
func (m *Metadata) SearchTokens() []string {
	fields := []string{
		FormatNumberNotation(m.CodeNumber, m.CodeNotation), m.PrintedTypeName(), m.Subject,
		m.From.Name, m.Signer.Competence, m.Signer.Position, m.Signer.FullName, m.Promulgation.Place,
	}
	for _, r := range m.To {
		fields = append(fields, r.Name)
	}
	fields = append(fields, m.ToPlaces...)
	fields = append(fields, m.Appendixes...)
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		for _, w := range vnsearch.Tokens(f) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}
