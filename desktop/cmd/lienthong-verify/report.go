package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/shared/pades"
)

// messages holds the report's wording in each language.
type messages struct {
	document, bytes, signatures, none                        string
	signature, field, signer, issuer, level, claimed, tstime string
	role, noAgency                                           string
	integrity, digestOK, digestBad, sigOK, sigBad            string
	essMatch, essMismatch, essAbsent, essLabel               string
	trust, trusted, untrusted, noRoots, checkedAt            string
	revocation, revGood, revRevoked, revUnknown              string
	revLater, indeterminate                                  string
	coverage, whole, partial                                 string
	changes, allowed, forbidden                              string
	problems, notes, result, valid, invalid                  string
	docValid, docInvalid, docNoSigs                          string
	levels                                                   map[string]string
	noTimestamp                                              string
}

var langs = map[string]messages{
	"en": {
		document: "Document", bytes: "bytes", signatures: "Signatures", none: "none",
		signature: "Signature", field: "Field", signer: "Signer", issuer: "Issuer", level: "Level",
		role: "Role (ND30)", noAgency: "the certificate names no agency",
		claimed: "Claimed signing time", tstime: "Timestamp",
		integrity: "Integrity", digestOK: "document digest matches", digestBad: "DOCUMENT DIGEST DOES NOT MATCH",
		sigOK: "signature verifies", sigBad: "SIGNATURE DOES NOT VERIFY",
		essLabel: "Signing certificate", essMatch: "signing-certificate-v2 matches the signer", essMismatch: "SIGNING-CERTIFICATE-V2 NAMES ANOTHER CERTIFICATE", essAbsent: "no signing-certificate-v2 attribute",
		trust: "Trust", trusted: "chains to a trusted root", untrusted: "NOT TRUSTED", noRoots: "no roots given (--roots)", checkedAt: "checked at",
		revocation: "Revocation", revGood: "not revoked (CRL checked)", revRevoked: "REVOKED", revUnknown: "unknown: no CRL for the signer's issuer was given",
		revLater:      "revoked later, on %s: still valid, the timestamp proves the signature came first",
		indeterminate: "INDETERMINATE: no timestamp, and the signer's certificate is not valid now",
		coverage:      "Coverage", whole: "the whole file", partial: "the first %d of %d bytes; later revisions follow",
		changes: "Changes after this signature", allowed: "allowed", forbidden: "FORBIDDEN",
		problems: "Problems", notes: "Notes", result: "Result", valid: "VALID", invalid: "INVALID",
		docValid:    "VALID: every signature is valid and trusted, and nothing unsigned changed after signing.",
		docInvalid:  "INVALID: see the problems above.",
		docNoSigs:   "INVALID: the document carries no signature.",
		levels:      map[string]string{"B-B": "PAdES B-B (basic)", "B-T": "PAdES B-T (with a signature timestamp)", "PKCS7": "PKCS#7 (adbe.pkcs7.detached, not PAdES)", "DocTimeStamp": "document timestamp (ETSI.RFC3161)", "": "unknown"},
		noTimestamp: "none",
	},
	"vi": {
		document: "Văn bản", bytes: "byte", signatures: "Số chữ ký", none: "không có",
		signature: "Chữ ký", field: "Trường", signer: "Người ký", issuer: "Đơn vị cấp chứng thư", level: "Mức",
		role: "Vai trò (Nghị định 30)", noAgency: "chứng thư không ghi cơ quan",
		claimed: "Thời gian ký (do người ký khai)", tstime: "Dấu thời gian",
		integrity: "Toàn vẹn", digestOK: "giá trị băm của văn bản khớp", digestBad: "GIÁ TRỊ BĂM KHÔNG KHỚP: VĂN BẢN ĐÃ BỊ SỬA",
		sigOK: "chữ ký số đúng", sigBad: "CHỮ KÝ SỐ KHÔNG ĐÚNG",
		essLabel: "Chứng thư ký", essMatch: "thuộc tính signing-certificate-v2 khớp với người ký", essMismatch: "SIGNING-CERTIFICATE-V2 CHỈ ĐẾN CHỨNG THƯ KHÁC", essAbsent: "không có thuộc tính signing-certificate-v2",
		trust: "Tin cậy", trusted: "chuỗi chứng thư dẫn đến gốc tin cậy", untrusted: "KHÔNG TIN CẬY", noRoots: "chưa chỉ định chứng thư gốc (--roots)", checkedAt: "kiểm tra tại thời điểm",
		revocation: "Thu hồi", revGood: "chưa bị thu hồi (đã kiểm tra CRL)", revRevoked: "ĐÃ BỊ THU HỒI", revUnknown: "chưa rõ: không có CRL của đơn vị cấp chứng thư",
		revLater:      "bị thu hồi sau, ngày %s: vẫn hợp lệ, dấu thời gian chứng minh chữ ký có trước",
		indeterminate: "KHÔNG XÁC ĐỊNH ĐƯỢC: không có dấu thời gian và chứng thư của người ký hiện không còn hiệu lực",
		coverage:      "Phạm vi ký", whole: "toàn bộ tệp", partial: "%d byte đầu trong %d byte; có các phiên bản sửa đổi sau đó",
		changes: "Thay đổi sau chữ ký này", allowed: "được phép", forbidden: "KHÔNG ĐƯỢC PHÉP",
		problems: "Lỗi (chi tiết tiếng Anh)", notes: "Ghi chú (tiếng Anh)", result: "Kết quả", valid: "HỢP LỆ", invalid: "KHÔNG HỢP LỆ",
		docValid:    "HỢP LỆ: mọi chữ ký đều đúng và tin cậy, không có thay đổi chưa ký sau khi ký.",
		docInvalid:  "KHÔNG HỢP LỆ: xem các lỗi ở trên.",
		docNoSigs:   "KHÔNG HỢP LỆ: văn bản không có chữ ký số.",
		levels:      map[string]string{"B-B": "PAdES B-B (cơ bản)", "B-T": "PAdES B-T (có dấu thời gian)", "PKCS7": "PKCS#7 (adbe.pkcs7.detached, không phải PAdES)", "DocTimeStamp": "dấu thời gian cho văn bản (ETSI.RFC3161)", "": "không xác định"},
		noTimestamp: "không có",
	},
}

// roleOf names the signature's role in ND30's order of signing (the
// competent person, the agency's seal), by the rule of Lienthong's PKI:
// this tool has no directory to place another CA's certificates.
func roleOf(s *pades.SignatureReport, lang string, m messages) string {
	cat := i18n.New(i18n.Vietnamese)
	if lang == "en" {
		cat = i18n.New(i18n.English)
	}
	code, role, err := clerk.PlaceByURI(s.Certificate)
	if err != nil {
		return role.Label(cat) + " (" + m.noAgency + ")"
	}
	return role.Label(cat) + " (" + string(code) + ")"
}

func writeText(w io.Writer, doc string, rep *pades.Report, lang string, haveRoots bool) {
	m := langs[lang]
	line := func(label, value string) {
		label += ":"
		pad := 34 - utf8.RuneCountInString(label)
		if pad < 1 {
			pad = 1
		}
		fmt.Fprintf(w, "  %s%s %s\n", label, strings.Repeat(" ", pad), value)
	}
	fmt.Fprintf(w, "%s: %s (%d %s)\n", m.document, doc, rep.Size, m.bytes)
	fmt.Fprintf(w, "%s: %d\n", m.signatures, len(rep.Signatures))
	for i, s := range rep.Signatures {
		fmt.Fprintf(w, "\n%s %d\n", m.signature, i+1)
		line(m.field, s.Field)
		line(m.signer, s.Signer)
		line(m.role, roleOf(s, lang, m))
		line(m.issuer, s.Issuer)
		line(m.level, m.levels[s.Level])
		if s.ClaimedTime != nil {
			line(m.claimed, fmtTime(s.ClaimedTime))
		}
		ts := m.noTimestamp
		if s.TimestampTime != nil {
			ts = fmtTime(s.TimestampTime)
		}
		line(m.tstime, ts)
		d, g := m.digestOK, m.sigOK
		if !s.DigestValid {
			d = m.digestBad
		}
		if !s.SignatureValid {
			g = m.sigBad
		}
		line(m.integrity, d+"; "+g)
		ess := map[string]string{pades.SigningCertMatch: m.essMatch, pades.SigningCertMismatch: m.essMismatch, pades.SigningCertAbsent: m.essAbsent}[s.SigningCertV2]
		line(m.essLabel, ess)
		switch {
		case s.Trusted:
			line(m.trust, fmt.Sprintf("%s (%s %s)", m.trusted, m.checkedAt, s.ChainCheckedAt.Format(time.RFC3339)))
		case !haveRoots:
			line(m.trust, m.untrusted+": "+m.noRoots)
		default:
			line(m.trust, m.untrusted)
		}
		rv := map[string]string{pades.RevocationGood: m.revGood, pades.RevocationRevoked: m.revRevoked, pades.RevocationUnknown: m.revUnknown}[s.Revocation]
		switch {
		case s.Revocation == pades.RevocationRevokedLater && s.RevokedAt != nil:
			rv = fmt.Sprintf(m.revLater, fmtTime(s.RevokedAt))
		case s.Revocation == pades.RevocationRevoked && s.RevokedAt != nil:
			rv += " (" + fmtTime(s.RevokedAt) + ")"
		}
		line(m.revocation, rv)
		if s.CoversWholeFile {
			line(m.coverage, m.whole)
		} else {
			line(m.coverage, fmt.Sprintf(m.partial, s.SignedBytes, rep.Size))
		}
		if len(s.LaterChanges) > 0 {
			fmt.Fprintf(w, "  %s:\n", m.changes)
			for _, c := range s.LaterChanges {
				tag := m.allowed
				if !c.Allowed {
					tag = m.forbidden
				}
				fmt.Fprintf(w, "    - [%s] %s\n", tag, describeChange(lang, c))
			}
		}
		if len(s.Problems) > 0 {
			fmt.Fprintf(w, "  %s:\n", m.problems)
			for _, p := range s.Problems {
				fmt.Fprintf(w, "    - %s\n", p)
			}
		}
		if len(s.Notes) > 0 {
			fmt.Fprintf(w, "  %s:\n", m.notes)
			for _, n := range s.Notes {
				fmt.Fprintf(w, "    - %s\n", n)
			}
		}
		res := m.valid
		switch {
		case s.Indeterminate:
			res = m.indeterminate
		case !s.Valid():
			res = m.invalid
		}
		line(m.result, res)
	}
	fmt.Fprintln(w)
	switch {
	case len(rep.Signatures) == 0:
		fmt.Fprintf(w, "%s: %s\n", m.result, m.docNoSigs)
	case rep.Valid():
		fmt.Fprintf(w, "%s: %s\n", m.result, m.docValid)
	default:
		fmt.Fprintf(w, "%s: %s\n", m.result, m.docInvalid)
	}
}

// Vietnamese names of what changed; the English detail follows.
var viKinds = map[string]string{
	pades.KindSignature:      "từ điển chữ ký",
	pades.KindSignatureField: "trường và ô chữ ký",
	pades.KindAppearance:     "hình hiển thị của chữ ký",
	pades.KindAcroForm:       "biểu mẫu (AcroForm)",
	pades.KindCatalog:        "danh mục gốc của văn bản",
	pades.KindPage:           "trang",
	pades.KindAnnotations:    "danh sách chú thích của trang",
	pades.KindXRefStream:     "bảng tham chiếu chéo",
	pades.KindObjectStream:   "luồng đối tượng",
	pades.KindValidationData: "dữ liệu kiểm tra hiệu lực (DSS)",
	pades.KindPageContent:    "NỘI DUNG TRANG",
	pades.KindAnnotation:     "chú thích",
	pades.KindOther:          "đối tượng khác",
}

var viActions = map[string]string{"added": "thêm mới", "replaced": "thay thế", "deleted": "xoá"}

func describeChange(lang string, c pades.Change) string {
	if lang != "vi" {
		return c.Description
	}
	what := viKinds[c.Kind]
	if c.Page > 0 {
		what += fmt.Sprintf(" %d", c.Page)
	}
	return fmt.Sprintf("đối tượng %d, %s: %s (%s)", c.Object, viActions[c.Action], what, c.Description)
}
