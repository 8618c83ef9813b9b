package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"lienthong/shared/document"
)

// ContentHead is how many leading bytes of a file CheckContent needs.
const ContentHead = 5

// Errors of the content checks.
var (
	// ErrContent is wrapped by CheckContent's and CheckFile's errors: the
	// bytes are not what the attachment's content type says.
	ErrContent = errors.New("attachment content does not match its content type")
	// ErrActiveContent is wrapped, with ErrContent, when an office file
	// carries macros or embedded programs.
	ErrActiveContent = errors.New("attachment carries macros or embedded programs")
)

// CheckContent checks head, the first ContentHead bytes of an attachment
// (or the whole file when it is shorter), against its content type: a PDF
// begins with "%PDF-" at offset 0, an office file with a ZIP local file
// header at offset 0. PDF readers tolerate up to 1 KB before the header,
// which lets one file be both an HTML page and a PDF; this check does not.
// It is the first step of CheckFile, which checks the rest of an office
// file; the clerk calls it again before it hands a file to anyone.
func CheckContent(contentType string, head []byte) error {
	switch contentType {
	case ContentTypePDF:
		if !bytes.HasPrefix(head, []byte("%PDF-")) {
			return fmt.Errorf("%w: a PDF must begin with %%PDF-", ErrContent)
		}
		return nil
	case ContentTypeDOCX, ContentTypeXLSX, ContentTypeODT:
		if !bytes.HasPrefix(head, []byte(zipLocalSig)) {
			return fmt.Errorf("%w: an office file must begin with a ZIP local file header", ErrContent)
		}
		return nil
	default:
		return fmt.Errorf("%w: content type %q is not accepted", ErrContent, contentType)
	}
}

// CheckAttachmentName is the one rule for the name an attachment is shown
// under; it returns nil or the problem with it, reported for field. The
// name is only ever displayed (no client opens or saves a file under it),
// yet it must not mislead the clerk who reads it nor break a program that
// uses it anyway, so it refuses:
//
//   - an empty name, one over MaxAttachmentName characters, invalid UTF-8;
//   - control characters (C0, DEL, C1), format characters (the
//     bidirectional embeddings, overrides, isolates and marks U+202A–202E,
//     U+2066–2069, U+200E, U+200F, U+061C, zero-width characters, the byte
//     order mark), line and paragraph separators and private-use
//     characters;
//   - path separators and their look-alikes (/ \ ∕ ⁄ ／ ＼) and the
//     characters Windows forbids in names (< > : " | ? *; ':' also names
//     an NTFS stream);
//   - a name that begins with a dot or a space, or ends with a dot or a
//     space (Windows drops those), and the reserved device names of
//     Windows (CON, PRN, AUX, NUL, COM0–9, LPT0–9 with any extension);
//   - a content type that is not known (Types) and an extension other
//     than the content type's (Extension): a PDF is named *.pdf, so
//     "Cong-van.pdf.hta" is refused, and a .docx is not named *.pdf.
func CheckAttachmentName(field, name, contentType string) *document.Problem {
	bad := func(code document.ProblemCode, en, vi string) *document.Problem {
		return &document.Problem{Field: field, Code: code, Message: en, MessageVI: vi}
	}
	switch {
	case name == "":
		return bad(document.ProblemRequired, "an attachment needs a name", "Tệp đính kèm chưa có tên.")
	case !utf8.ValidString(name):
		return bad(document.ProblemInvalidUTF8, "the name is not valid UTF-8", "Tên tệp đính kèm chứa ký tự không hợp lệ (sai bảng mã).")
	case utf8.RuneCountInString(name) > MaxAttachmentName:
		return bad(document.ProblemTooLong, fmt.Sprintf("the name is longer than %d characters", MaxAttachmentName),
			fmt.Sprintf("Tên tệp đính kèm dài quá %d ký tự.", MaxAttachmentName))
	}
	for _, r := range name {
		if document.HiddenRune(r) {
			return bad(document.ProblemControlChar, fmt.Sprintf("the name contains the control or formatting character U+%04X", r),
				"Tên tệp đính kèm chứa ký tự điều khiển hoặc ký tự đổi chiều hiển thị, không được phép.")
		}
		if strings.ContainsRune(`/\<>:"|?*`+"\u2215\u2044\uFF0F\uFF3C", r) {
			return bad(document.ProblemBadFormat, fmt.Sprintf("the name contains %q, which file names may not", r),
				"Tên tệp đính kèm chứa ký tự không dùng được trong tên tệp (/ \\ < > : \" | ? *).")
		}
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if first == '.' || last == '.' || unicode.IsSpace(first) || unicode.IsSpace(last) {
		return bad(document.ProblemBadFormat, "the name begins or ends with a dot or a space",
			"Tên tệp đính kèm không được bắt đầu hay kết thúc bằng dấu chấm hoặc khoảng trắng.")
	}
	if reservedName(name) {
		return bad(document.ProblemBadFormat, "the name is a device name reserved by Windows",
			"Tên tệp đính kèm trùng tên thiết bị dành riêng của Windows (CON, PRN, AUX, NUL, COM1, LPT1...).")
	}
	ext := Extension(contentType)
	if ext == "" {
		return bad(document.ProblemUnknownType, fmt.Sprintf("content type %q is not an attachment type", contentType),
			"Loại tệp đính kèm không được hỗ trợ.")
	}
	if !strings.EqualFold(path.Ext(name), ext) {
		return bad(document.ProblemMismatch, fmt.Sprintf("the name must end in %s, the extension of its content type", ext),
			fmt.Sprintf("Tên tệp đính kèm phải có phần mở rộng %s đúng với loại tệp.", ext))
	}
	return nil
}

// reservedName reports the device names Windows reserves, with or without
// an extension: "NUL", "con.pdf", "COM1.tar.pdf".
func reservedName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) && stem[3] >= '0' && stem[3] <= '9' {
		return true
	}
	// COM¹, LPT² ...: Windows reserves the superscript digits too.
	if rest, ok := strings.CutPrefix(stem, "COM"); ok && (rest == "¹" || rest == "²" || rest == "³") {
		return true
	}
	if rest, ok := strings.CutPrefix(stem, "LPT"); ok && (rest == "¹" || rest == "²" || rest == "³") {
		return true
	}
	return false
}

// checkDescription checks an attachment's description, which clients show
// beside its name.
func checkDescription(field, s string) *document.Problem {
	switch {
	case !utf8.ValidString(s):
		return &document.Problem{Field: field, Code: document.ProblemInvalidUTF8, Message: "not valid UTF-8",
			MessageVI: "Mô tả tệp đính kèm chứa ký tự không hợp lệ (sai bảng mã)."}
	case utf8.RuneCountInString(s) > document.MaxDescription:
		return &document.Problem{Field: field, Code: document.ProblemTooLong, Message: fmt.Sprintf("longer than %d characters", document.MaxDescription),
			MessageVI: fmt.Sprintf("Mô tả tệp đính kèm dài quá %d ký tự.", document.MaxDescription)}
	}
	for _, r := range s {
		if document.HiddenRune(r) {
			return &document.Problem{Field: field, Code: document.ProblemControlChar, Message: fmt.Sprintf("contains the control or formatting character U+%04X", r),
				MessageVI: "Mô tả tệp đính kèm chứa ký tự điều khiển hoặc ký tự đổi chiều hiển thị, không được phép."}
		}
	}
	return nil
}
