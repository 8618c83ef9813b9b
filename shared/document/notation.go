package document

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the number and notation, in characters (ND30 Appendix VI).
const (
	MaxCodeNumber   = 11
	MaxCodeNotation = 30
)

// ErrBadNotation reports a malformed number, notation or abbreviation.
var ErrBadNotation = errors.New("malformed number or notation")

// BuildNotation builds a document's notation (ký hiệu) from its type and the
// abbreviation of the issuing agency: "QĐ-UBND" for a Quyết định of a
// People's Committee. A type without an abbreviation (Công văn, Thư công)
// takes the agency and the drafting unit instead: "STTTT-CNTT"; unit is
// required for those and must be empty for the others, as ND30 prescribes.
func BuildNotation(t DocType, agency, unit string) (string, error) {
	info, ok := t.Info()
	if !ok {
		return "", fmt.Errorf("build notation: unknown document type %q", string(t))
	}
	agency = norm.NFC.String(strings.TrimSpace(agency))
	unit = norm.NFC.String(strings.TrimSpace(unit))
	if !isAbbreviation(agency) {
		return "", fmt.Errorf("build notation: %w: agency abbreviation %q must be letters and digits", ErrBadNotation, agency)
	}
	var s string
	switch {
	case info.Abbreviation == "" && unit == "":
		return "", fmt.Errorf("build notation: %w: a %s needs the drafting unit's abbreviation", ErrBadNotation, info.Name)
	case info.Abbreviation == "":
		if !isAbbreviation(unit) {
			return "", fmt.Errorf("build notation: %w: unit abbreviation %q must be letters and digits", ErrBadNotation, unit)
		}
		s = agency + "-" + unit
	case unit != "":
		return "", fmt.Errorf("build notation: %w: a %s names no drafting unit", ErrBadNotation, info.Name)
	default:
		s = info.Abbreviation + "-" + agency
	}
	if n := utf8.RuneCountInString(s); n > MaxCodeNotation {
		return "", fmt.Errorf("build notation: %w: %q has %d characters, at most %d", ErrBadNotation, s, n, MaxCodeNotation)
	}
	return s, nil
}

// ParseNumberNotation splits a number and notation as printed, "1234/STTTT-CNTT",
// at its first slash into the number "1234" and the notation "STTTT-CNTT".
// The notation of a legal document keeps its year: "30/2020/NĐ-CP" gives
// "30" and "2020/NĐ-CP". The input is NFC-normalised.
func ParseNumberNotation(s string) (number, notation string, err error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	number, notation, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("%w %q: want number/notation like 1234/STTTT-CNTT", ErrBadNotation, s)
	}
	if err := checkNumber(number); err != nil {
		return "", "", fmt.Errorf("%w %q: %v", ErrBadNotation, s, err)
	}
	if err := checkNotation(notation); err != nil {
		return "", "", fmt.Errorf("%w %q: %v", ErrBadNotation, s, err)
	}
	return number, notation, nil
}

// FormatNumberNotation joins a number and a notation as printed: "1234/STTTT-CNTT".
func FormatNumberNotation(number, notation string) string { return number + "/" + notation }

// TypeOfNotation returns the type whose abbreviation opens the notation
// ("QĐ-UBND" is a Quyết định; "2020/NQ-HĐND" a Nghị quyết), and false when
// the notation opens with no known abbreviation, as a công văn's does.
func TypeOfNotation(notation string) (DocType, bool) {
	notation = norm.NFC.String(notation)
	if i := strings.LastIndexByte(notation, '/'); i >= 0 {
		notation = notation[i+1:]
	}
	first, _, _ := strings.Cut(notation, "-")
	if i, ok := typesIndexed().byAbbr[first]; ok {
		return types[i].Type, true
	}
	return "", false
}

// checkNumber accepts a số: 1 to 11 ASCII digits, not all zeros.
func checkNumber(s string) error {
	if s == "" {
		return errors.New("empty number")
	}
	if len(s) > MaxCodeNumber {
		return fmt.Errorf("number has %d characters, at most %d", len(s), MaxCodeNumber)
	}
	zero := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("number %q must be digits", s)
		}
		if s[i] != '0' {
			zero = false
		}
	}
	if zero {
		return errors.New("number must be 1 or more")
	}
	return nil
}

// checkNotation accepts a ký hiệu: groups of letters and digits joined by
// "-", "/" or ".", at most 30 characters. Commas, spaces and control
// characters are refused: a comma would break a DocumentID.
func checkNotation(s string) error {
	if s == "" {
		return errors.New("empty notation")
	}
	if n := utf8.RuneCountInString(s); n > MaxCodeNotation {
		return fmt.Errorf("notation has %d characters, at most %d", n, MaxCodeNotation)
	}
	prevSep := true
	for _, r := range s {
		sep := r == '-' || r == '/' || r == '.'
		switch {
		case sep && prevSep:
			return fmt.Errorf("notation %q has an empty group", s)
		case !sep && !unicode.IsLetter(r) && !unicode.IsDigit(r):
			return fmt.Errorf("notation %q may hold only letters, digits, '-', '/' and '.'", s)
		}
		prevSep = sep
	}
	if prevSep {
		return fmt.Errorf("notation %q ends with a separator", s)
	}
	return nil
}

func isAbbreviation(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
