package document

import (
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"

	"lienthong/shared/vnsearch"
)

// DocType is one of the 29 administrative document types of ND30
// (Appendix III). On the wire it is a stable ASCII key, the Vietnamese name
// without diacritics in snake case ("quyet_dinh", "cong_van"), so that it
// never depends on Unicode normalisation or on the spelling of a name.
type DocType string

// The 29 administrative document types.
const (
	TypeNghiQuyet     DocType = "nghi_quyet"      // Nghị quyết, NQ
	TypeQuyetDinh     DocType = "quyet_dinh"      // Quyết định, QĐ
	TypeChiThi        DocType = "chi_thi"         // Chỉ thị, CT
	TypeQuyChe        DocType = "quy_che"         // Quy chế, QC
	TypeQuyDinh       DocType = "quy_dinh"        // Quy định, QyĐ
	TypeThongCao      DocType = "thong_cao"       // Thông cáo, TC
	TypeThongBao      DocType = "thong_bao"       // Thông báo, TB
	TypeHuongDan      DocType = "huong_dan"       // Hướng dẫn, HD
	TypeChuongTrinh   DocType = "chuong_trinh"    // Chương trình, CTr
	TypeKeHoach       DocType = "ke_hoach"        // Kế hoạch, KH
	TypePhuongAn      DocType = "phuong_an"       // Phương án, PA
	TypeDeAn          DocType = "de_an"           // Đề án, ĐA
	TypeDuAn          DocType = "du_an"           // Dự án, DA
	TypeBaoCao        DocType = "bao_cao"         // Báo cáo, BC
	TypeBienBan       DocType = "bien_ban"        // Biên bản, BB
	TypeToTrinh       DocType = "to_trinh"        // Tờ trình, TTr
	TypeHopDong       DocType = "hop_dong"        // Hợp đồng, HĐ
	TypeCongVan       DocType = "cong_van"        // Công văn, no abbreviation
	TypeCongDien      DocType = "cong_dien"       // Công điện, CĐ
	TypeBanGhiNho     DocType = "ban_ghi_nho"     // Bản ghi nhớ, BGN
	TypeBanThoaThuan  DocType = "ban_thoa_thuan"  // Bản thỏa thuận, BTT
	TypeGiayUyQuyen   DocType = "giay_uy_quyen"   // Giấy ủy quyền, GUQ
	TypeGiayMoi       DocType = "giay_moi"        // Giấy mời, GM
	TypeGiayGioiThieu DocType = "giay_gioi_thieu" // Giấy giới thiệu, GGT
	TypeGiayNghiPhep  DocType = "giay_nghi_phep"  // Giấy nghỉ phép, GNP
	TypePhieuGui      DocType = "phieu_gui"       // Phiếu gửi, PG
	TypePhieuChuyen   DocType = "phieu_chuyen"    // Phiếu chuyển, PC
	TypePhieuBao      DocType = "phieu_bao"       // Phiếu báo, PB
	TypeThuCong       DocType = "thu_cong"        // Thư công, no abbreviation
)

// TypeInfo describes a document type: its wire key, its Vietnamese name as
// printed, and the abbreviation used in notations (empty for Công văn and
// Thư công).
type TypeInfo struct {
	Type         DocType
	Name         string
	Abbreviation string
}

// types is the table of ND30 Appendix III, in its order.
var types = []TypeInfo{
	{TypeNghiQuyet, "Nghị quyết", "NQ"},
	{TypeQuyetDinh, "Quyết định", "QĐ"},
	{TypeChiThi, "Chỉ thị", "CT"},
	{TypeQuyChe, "Quy chế", "QC"},
	{TypeQuyDinh, "Quy định", "QyĐ"},
	{TypeThongCao, "Thông cáo", "TC"},
	{TypeThongBao, "Thông báo", "TB"},
	{TypeHuongDan, "Hướng dẫn", "HD"},
	{TypeChuongTrinh, "Chương trình", "CTr"},
	{TypeKeHoach, "Kế hoạch", "KH"},
	{TypePhuongAn, "Phương án", "PA"},
	{TypeDeAn, "Đề án", "ĐA"},
	{TypeDuAn, "Dự án", "DA"},
	{TypeBaoCao, "Báo cáo", "BC"},
	{TypeBienBan, "Biên bản", "BB"},
	{TypeToTrinh, "Tờ trình", "TTr"},
	{TypeHopDong, "Hợp đồng", "HĐ"},
	{TypeCongVan, "Công văn", ""},
	{TypeCongDien, "Công điện", "CĐ"},
	{TypeBanGhiNho, "Bản ghi nhớ", "BGN"},
	{TypeBanThoaThuan, "Bản thỏa thuận", "BTT"},
	{TypeGiayUyQuyen, "Giấy ủy quyền", "GUQ"},
	{TypeGiayMoi, "Giấy mời", "GM"},
	{TypeGiayGioiThieu, "Giấy giới thiệu", "GGT"},
	{TypeGiayNghiPhep, "Giấy nghỉ phép", "GNP"},
	{TypePhieuGui, "Phiếu gửi", "PG"},
	{TypePhieuChuyen, "Phiếu chuyển", "PC"},
	{TypePhieuBao, "Phiếu báo", "PB"},
	{TypeThuCong, "Thư công", ""},
}

// typeIndex finds a type's row in types by key, abbreviation and folded
// name; it is built on first use, not at every program's start.
type typeIndex struct {
	byKey    map[DocType]int
	byAbbr   map[string]int
	byFolded map[string]int
}

var typesIndexed = sync.OnceValue(func() *typeIndex {
	x := &typeIndex{byKey: map[DocType]int{}, byAbbr: map[string]int{}, byFolded: map[string]int{}}
	for i, ti := range types {
		x.byKey[ti.Type] = i
		if ti.Abbreviation != "" {
			x.byAbbr[ti.Abbreviation] = i
		}
		x.byFolded[vnsearch.Fold(ti.Name)] = i
	}
	return x
})

// Types returns the table of the 29 document types in the order of ND30.
func Types() []TypeInfo { return append([]TypeInfo(nil), types...) }

// Info returns the type's name and abbreviation, and false for an unknown
// type.
func (t DocType) Info() (TypeInfo, bool) {
	i, ok := typesIndexed().byKey[t]
	if !ok {
		return TypeInfo{}, false
	}
	return types[i], true
}

// Valid reports one of the 29 types.
func (t DocType) Valid() bool { _, ok := typesIndexed().byKey[t]; return ok }

// Name returns the type's Vietnamese name ("Quyết định"), or "" for an
// unknown type.
func (t DocType) Name() string { ti, _ := t.Info(); return ti.Name }

// Abbreviation returns the type's abbreviation ("QĐ"), or "" for Công văn,
// Thư công and unknown types.
func (t DocType) Abbreviation() string { ti, _ := t.Info(); return ti.Abbreviation }

// TypeByAbbreviation finds a type by its abbreviation. The match is exact
// first, then ignores case ("qđ" finds QĐ, "TTR" finds TTr) but never
// diacritics: ĐA and DA, HĐ and HD are different types.
func TypeByAbbreviation(abbr string) (DocType, bool) {
	abbr = norm.NFC.String(strings.TrimSpace(abbr))
	if i, ok := typesIndexed().byAbbr[abbr]; ok {
		return types[i].Type, true
	}
	for _, ti := range types {
		if ti.Abbreviation != "" && strings.EqualFold(ti.Abbreviation, abbr) {
			return ti.Type, true
		}
	}
	return "", false
}

// TypeByName finds a type by its Vietnamese name, ignoring case, spacing,
// Unicode normalisation and diacritics, so "Quyết định", "QUYẾT ĐỊNH",
// "quyet dinh" and "Bản thoả thuận" (old tone placement) all match. The
// folded names of the 29 types are distinct, so this is never ambiguous.
func TypeByName(name string) (DocType, bool) {
	key := strings.Join(vnsearch.Tokens(name), " ")
	if i, ok := typesIndexed().byFolded[key]; ok {
		return types[i].Type, true
	}
	return "", false
}
