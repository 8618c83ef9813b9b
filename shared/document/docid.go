package document

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"lienthong/certs"
)

// ErrBadDocumentID reports a string that is not a DocumentID.
var ErrBadDocumentID = errors.New("malformed document id")

// DocumentID is the global identifier of a document (edXML DocumentId): the
// issuing agency, the promulgation date, the number and the notation,
// written "OrganId,yyyy/MM/dd,Number/Notation", e.g.
// "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT".
//
// Implementations disagree on the date: most write yyyy/MM/dd, some
// dd/MM/yyyy. [ParseDocumentID] reads both; [DocumentID.String] always
// writes yyyy/MM/dd, so two spellings of one id compare equal once parsed.
// In JSON a DocumentID is its string form.
//
// A DocumentID carries everything edXML's ResponseFor names (sender code,
// number and notation, date, id), so it is also how one document refers to
// another: see [DocumentRef].
type DocumentID struct {
	Organ    certs.AgencyCode
	Date     Date
	Number   string
	Notation string
}

// DocumentRef names another document: the one a document answers
// (ResponseFor), replaces, recalls or updates, or that a status is about.
type DocumentRef = DocumentID

// IsZero reports the zero DocumentID, which stands for "none".
func (id DocumentID) IsZero() bool { return id == DocumentID{} }

// String returns the id as "OrganId,yyyy/MM/dd,Number/Notation".
func (id DocumentID) String() string {
	return string(id.Organ) + "," + id.Date.Slashed() + "," + FormatNumberNotation(id.Number, id.Notation)
}

// Check reports the first problem with a DocumentID built in code; a parsed
// one is always valid.
func (id DocumentID) Check() error {
	if _, err := certs.ParseAgencyCode(string(id.Organ)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadDocumentID, err)
	}
	if !id.Date.Valid() {
		return fmt.Errorf("%w: invalid date %d-%d-%d", ErrBadDocumentID, id.Date.Year, int(id.Date.Month), id.Date.Day)
	}
	if err := checkNumber(id.Number); err != nil {
		return fmt.Errorf("%w: %w", ErrBadDocumentID, err)
	}
	if !norm.NFC.IsNormalString(id.Notation) {
		return fmt.Errorf("%w: notation %q is not NFC-normalised", ErrBadDocumentID, id.Notation)
	}
	if err := checkNotation(id.Notation); err != nil {
		return fmt.Errorf("%w: %w", ErrBadDocumentID, err)
	}
	return nil
}

// ParseDocumentID reads "OrganId,yyyy/MM/dd,Number/Notation" (or with the
// date dd/MM/yyyy). Spaces around the three parts are ignored and the
// notation is NFC-normalised.
func ParseDocumentID(s string) (DocumentID, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return DocumentID{}, fmt.Errorf("%w %q: want OrganId,yyyy/MM/dd,Number/Notation", ErrBadDocumentID, s)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	organ, err := certs.ParseAgencyCode(parts[0])
	if err != nil {
		return DocumentID{}, fmt.Errorf("%w %q: %w", ErrBadDocumentID, s, err)
	}
	date, err := parseSlashedDate(parts[1])
	if err != nil {
		return DocumentID{}, fmt.Errorf("%w %q: %w", ErrBadDocumentID, s, err)
	}
	number, notation, err := ParseNumberNotation(parts[2])
	if err != nil {
		return DocumentID{}, fmt.Errorf("%w %q: %w", ErrBadDocumentID, s, err)
	}
	return DocumentID{Organ: organ, Date: date, Number: number, Notation: notation}, nil
}

// MarshalText writes the id's string form; the zero id is "".
func (id DocumentID) MarshalText() ([]byte, error) {
	if id.IsZero() {
		return []byte{}, nil
	}
	if err := id.Check(); err != nil {
		return nil, err
	}
	return []byte(id.String()), nil
}

// UnmarshalText parses the id's string form; "" is the zero id.
func (id *DocumentID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = DocumentID{}
		return nil
	}
	v, err := ParseDocumentID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// SameNumber reports whether two ids carry the same number and notation
// from the same agency in the same year, whatever their exact dates: ND30
// asks the system to warn of such a duplicate as well as of an identical id.
// Numbers restart each year, so 5/QĐ-UBND of 2024 and of 2025 are different
// documents. Numbers compare by value: "01" and "1" are the same number.
func (id DocumentID) SameNumber(other DocumentID) bool {
	return id.Organ == other.Organ && id.Date.Year == other.Date.Year && id.Notation == other.Notation &&
		strings.TrimLeft(id.Number, "0") == strings.TrimLeft(other.Number, "0")
}
