package document

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"lienthong/shared/vnsearch"
)

func TestTypesTable(t *testing.T) {
	all := Types()
	if len(all) != 29 {
		t.Fatalf("%d types, want the 29 of ND30", len(all))
	}
	keys, abbrs, folded := map[DocType]bool{}, map[string]bool{}, map[string]bool{}
	var noAbbr []string
	for _, ti := range all {
		t.Run(string(ti.Type), func(t *testing.T) {
			if keys[ti.Type] {
				t.Errorf("key %q twice", ti.Type)
			}
			keys[ti.Type] = true
			if ti.Abbreviation == "" {
				noAbbr = append(noAbbr, ti.Name)
			} else if abbrs[strings.ToUpper(ti.Abbreviation)] {
				t.Errorf("abbreviation %q twice (ignoring case)", ti.Abbreviation)
			}
			abbrs[strings.ToUpper(ti.Abbreviation)] = true
			f := vnsearch.Fold(ti.Name)
			if folded[f] {
				t.Errorf("folded name %q twice", f)
			}
			folded[f] = true
			if !norm.NFC.IsNormalString(ti.Name) || !norm.NFC.IsNormalString(ti.Abbreviation) {
				t.Errorf("%q is not NFC", ti.Name)
			}
			// The key is the folded name in snake case.
			if want := strings.ReplaceAll(f, " ", "_"); string(ti.Type) != want {
				t.Errorf("key %q, want %q", ti.Type, want)
			}
			if got, ok := TypeByName(ti.Name); !ok || got != ti.Type {
				t.Errorf("TypeByName(%q) = %q, %v", ti.Name, got, ok)
			}
			if ti.Abbreviation != "" {
				if got, ok := TypeByAbbreviation(ti.Abbreviation); !ok || got != ti.Type {
					t.Errorf("TypeByAbbreviation(%q) = %q, %v", ti.Abbreviation, got, ok)
				}
			}
			if !ti.Type.Valid() || ti.Type.Name() != ti.Name || ti.Type.Abbreviation() != ti.Abbreviation {
				t.Errorf("methods of %q disagree with the table", ti.Type)
			}
		})
	}
	if strings.Join(noAbbr, ",") != "Công văn,Thư công" {
		t.Errorf("types without abbreviation: %q, want Công văn and Thư công", noAbbr)
	}
}

func TestTypeByAbbreviation(t *testing.T) {
	tests := []struct {
		name, in string
		want     DocType
		ok       bool
	}{
		{"exact", "QĐ", TypeQuyetDinh, true},
		{"lower case", "qđ", TypeQuyetDinh, true},
		{"mixed case kept apart", "QyĐ", TypeQuyDinh, true},
		{"TTr upper", "TTR", TypeToTrinh, true},
		{"CT is not CTr", "CT", TypeChiThi, true},
		{"CTr", "CTr", TypeChuongTrinh, true},
		{"Đ and D differ: ĐA", "ĐA", TypeDeAn, true},
		{"Đ and D differ: DA", "DA", TypeDuAn, true},
		{"HĐ is not HD", "HĐ", TypeHopDong, true},
		{"HD", "HD", TypeHuongDan, true},
		{"lower-case đ", "cđ", TypeCongDien, true},
		{"spaces", " BC ", TypeBaoCao, true},
		{"unknown", "NĐ", "", false},
		{"empty finds no công văn", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TypeByAbbreviation(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("TypeByAbbreviation(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTypeByName(t *testing.T) {
	tests := []struct {
		name, in string
		want     DocType
		ok       bool
	}{
		{"exact", "Quyết định", TypeQuyetDinh, true},
		{"upper case", "QUYẾT ĐỊNH", TypeQuyetDinh, true},
		{"no diacritics", "quyet dinh", TypeQuyetDinh, true},
		{"old tone placement", "Bản thoả thuận", TypeBanThoaThuan, true},
		{"extra spaces", "  Công   văn ", TypeCongVan, true},
		{"nfd", norm.NFD.String("Giấy ủy quyền"), TypeGiayUyQuyen, true},
		{"quy chế is not quy định", "quy che", TypeQuyChe, true},
		{"unknown", "Nghị định", "", false},
		{"prefix is not enough", "Quyết", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TypeByName(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("TypeByName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDocTypeUnknown(t *testing.T) {
	u := DocType("nghi_dinh")
	if u.Valid() || u.Name() != "" || u.Abbreviation() != "" {
		t.Errorf("unknown type %q looks known", u)
	}
}
