package document

import (
	"errors"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestBuildNotation(t *testing.T) {
	tests := []struct {
		name         string
		typ          DocType
		agency, unit string
		want         string
		wantErr      bool
	}{
		{"quyết định", TypeQuyetDinh, "UBND", "", "QĐ-UBND", false},
		{"tờ trình", TypeToTrinh, "STTTT", "", "TTr-STTTT", false},
		{"nghị quyết of a council", TypeNghiQuyet, "HĐND", "", "NQ-HĐND", false},
		{"công văn takes the drafting unit", TypeCongVan, "STTTT", "CNTT", "STTTT-CNTT", false},
		{"công văn with Đ", TypeCongVan, "VPCP", "TTĐT", "VPCP-TTĐT", false},
		{"decomposed input is composed", TypeQuyetDinh, norm.NFD.String("SỞ"), "", "QĐ-SỞ", false},
		{"công văn without unit", TypeCongVan, "STTTT", "", "", true},
		{"unit on a typed document", TypeQuyetDinh, "UBND", "VP", "", true},
		{"unknown type", DocType("nghi_dinh"), "CP", "", "", true},
		{"empty agency", TypeBaoCao, "", "", "", true},
		{"agency with a dash", TypeBaoCao, "UB-ND", "", "", true},
		{"unit with a space", TypeCongVan, "UBND", "V P", "", true},
		{"too long", TypeCongVan, "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildNotation(tt.typ, tt.agency, tt.unit)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("BuildNotation(%q, %q, %q) = %q, %v; want %q, error %v", tt.typ, tt.agency, tt.unit, got, err, tt.want, tt.wantErr)
			}
			if err != nil && tt.typ.Valid() && !errors.Is(err, ErrBadNotation) {
				t.Errorf("error %v does not wrap ErrBadNotation", err)
			}
		})
	}
}

func TestParseNumberNotation(t *testing.T) {
	tests := []struct {
		name, in         string
		number, notation string
		wantErr          bool
	}{
		{"công văn", "1234/STTTT-CNTT", "1234", "STTTT-CNTT", false},
		{"quyết định", "567/QĐ-UBND", "567", "QĐ-UBND", false},
		{"legal document keeps its year", "30/2020/NĐ-CP", "30", "2020/NĐ-CP", false},
		{"leading zero", "01/TB-UBND", "01", "TB-UBND", false},
		{"decomposed is composed", norm.NFD.String("7816/SỞ-TTĐT"), "7816", "SỞ-TTĐT", false},
		{"spaces around", " 12/BC-UBND ", "12", "BC-UBND", false},
		{"no slash", "1234", "", "", true},
		{"empty number", "/QĐ-UBND", "", "", true},
		{"zero number", "0/QĐ-UBND", "", "", true},
		{"letters in number", "12a/QĐ-UBND", "", "", true},
		{"number too long", "123456789012/QĐ-UBND", "", "", true},
		{"empty notation", "12/", "", "", true},
		{"double dash", "12/QĐ--UBND", "", "", true},
		{"trailing dash", "12/QĐ-", "", "", true},
		{"comma", "12/QĐ,UBND", "", "", true},
		{"space inside", "12/QĐ UBND", "", "", true},
		{"notation too long", "1/ABCDEFGHIJ-ABCDEFGHIJ-ABCDEFGHIJ", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, s, err := ParseNumberNotation(tt.in)
			if (err != nil) != tt.wantErr || n != tt.number || s != tt.notation {
				t.Errorf("ParseNumberNotation(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, n, s, err, tt.number, tt.notation, tt.wantErr)
			}
			if err == nil {
				if back := FormatNumberNotation(n, s); back != norm.NFC.String(trimmed(tt.in)) {
					t.Errorf("FormatNumberNotation = %q, want %q", back, tt.in)
				}
			} else if !errors.Is(err, ErrBadNotation) {
				t.Errorf("error %v does not wrap ErrBadNotation", err)
			}
		})
	}
}

func trimmed(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestTypeOfNotation(t *testing.T) {
	tests := []struct {
		name, in string
		want     DocType
		ok       bool
	}{
		{"quyết định", "QĐ-UBND", TypeQuyetDinh, true},
		{"with year", "2020/NQ-HĐND", TypeNghiQuyet, true},
		{"công văn", "STTTT-CNTT", "", false},
		{"legal type not among the 29", "2020/NĐ-CP", "", false},
		{"case matters", "qđ-UBND", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TypeOfNotation(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("TypeOfNotation(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
