package document

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"lienthong/certs"
)

// Limits of the text fields, in characters (runes) of the NFC form, from
// ND30 Appendix VI and the edXML schema. Where the sources give none
// (place, appendix titles, reasons, staff) the limit is this package's
// choice.
const (
	MaxOrganID       = 13
	MaxOrganName     = 200
	MaxTypeName      = 100
	MaxSubject       = 500
	MaxCompetence    = 100
	MaxPosition      = 100
	MaxFullName      = 50
	MaxToPlace       = 150
	MaxArrivalNumber = 10
	MaxPlace         = 100 // our choice
	MaxAppendix      = 500 // our choice
	MaxReason        = 500 // our choice
	MaxDescription   = 500 // our choice
	MaxStaff         = 100 // our choice
)

// ErrInvalid is matched by every [*ValidationError]:
// errors.Is(err, document.ErrInvalid).
var ErrInvalid = errors.New("invalid document data")

// ProblemCode names the kind of a [Problem], for programs.
type ProblemCode string

// The kinds of problem that validation reports.
const (
	ProblemRequired           ProblemCode = "required"
	ProblemTooLong            ProblemCode = "too_long"
	ProblemInvalidUTF8        ProblemCode = "invalid_utf8"
	ProblemControlChar        ProblemCode = "control_char"
	ProblemNotNormalized      ProblemCode = "not_nfc"
	ProblemBadFormat          ProblemCode = "bad_format"
	ProblemBadAgencyCode      ProblemCode = "bad_agency_code"
	ProblemDuplicate          ProblemCode = "duplicate"
	ProblemSenderIsRecipient  ProblemCode = "sender_is_recipient"
	ProblemOutOfRange         ProblemCode = "out_of_range"
	ProblemUnknownType        ProblemCode = "unknown_type"
	ProblemMismatch           ProblemCode = "mismatch"
	ProblemBadDate            ProblemCode = "bad_date"
	ProblemDateOrder          ProblemCode = "date_order"
	ProblemUnsupportedVersion ProblemCode = "unsupported_version"
	ProblemNotAllowed         ProblemCode = "not_allowed"
)

// Problem is one thing wrong with a record. Field is the JSON path of the
// field ("to[1].code"); Message is English, for logs and other programs;
// MessageVI is Vietnamese, clear and actionable, for the clerk. Neither
// message quotes the field's content beyond short codes and numbers, so a
// problem can be logged without leaking the document.
type Problem struct {
	Field     string      `json:"field"`
	Code      ProblemCode `json:"code"`
	Message   string      `json:"message"`
	MessageVI string      `json:"message_vi"`
}

// ValidationError lists every problem found in a record at once.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	switch len(e.Problems) {
	case 0:
		return "invalid document data"
	case 1:
		b.WriteString("invalid document data: ")
	default:
		fmt.Fprintf(&b, "invalid document data: %d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Has reports whether a problem with the given field and code was found.
func (e *ValidationError) Has(field string, code ProblemCode) bool {
	for _, p := range e.Problems {
		if p.Field == field && p.Code == code {
			return true
		}
	}
	return false
}

// MessagesVI returns the clerk's messages, one a line.
func (e *ValidationError) MessagesVI() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.MessageVI
	}
	return strings.Join(lines, "\n")
}

// checker collects problems.
type checker struct {
	problems []Problem
}

func (c *checker) add(field string, code ProblemCode, en, vi string) {
	c.problems = append(c.problems, Problem{Field: field, Code: code, Message: en, MessageVI: vi})
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: c.problems}
}

// text checks a text field and reports at most one problem for it. label
// is the field's Vietnamese name in lower case, as it reads mid-sentence.
func (c *checker) text(field, label, s string, max int, required bool) bool {
	switch {
	case !utf8.ValidString(s):
		c.add(field, ProblemInvalidUTF8, "not valid UTF-8",
			capFirst(label)+" chứa ký tự không hợp lệ (sai bảng mã).")
	case HasHiddenRune(s):
		c.add(field, ProblemControlChar, "contains a control or bidirectional formatting character",
			capFirst(label)+" chứa ký tự điều khiển không được phép (xuống dòng, tab...).")
	case !norm.NFC.IsNormalString(s):
		c.add(field, ProblemNotNormalized, "not in Unicode NFC (call Normalize first)",
			capFirst(label)+" chưa được chuẩn hóa Unicode dựng sẵn (NFC).")
	case strings.TrimSpace(s) == "":
		if !required {
			return true
		}
		c.add(field, ProblemRequired, "is required", "Chưa nhập "+label+".")
	case max > 0 && utf8.RuneCountInString(s) > max:
		n := utf8.RuneCountInString(s)
		c.add(field, ProblemTooLong, fmt.Sprintf("has %d characters, at most %d", n, max),
			fmt.Sprintf("%s dài %d ký tự, tối đa %d ký tự.", capFirst(label), n, max))
	default:
		return true
	}
	return false
}

// agency checks an agency code; an empty code is reported as missing.
func (c *checker) agency(field, label string, code certs.AgencyCode) bool {
	if code == "" {
		c.add(field, ProblemRequired, "is required", "Chưa có "+label+".")
		return false
	}
	if _, err := certs.ParseAgencyCode(string(code)); err != nil {
		c.add(field, ProblemBadAgencyCode, "not an agency code like 000.00.00.H49",
			capFirst(label)+" không đúng dạng mã định danh (ví dụ 000.00.00.H49).")
		return false
	}
	return true
}

// date checks a date field.
func (c *checker) date(field, label string, d Date, required bool) bool {
	switch {
	case d.IsZero() && required:
		c.add(field, ProblemRequired, "is required", "Chưa nhập "+label+".")
	case d.IsZero():
		return true
	case !d.Valid():
		c.add(field, ProblemBadDate, "not a calendar date",
			capFirst(label)+" không phải là ngày hợp lệ.")
	default:
		return true
	}
	return false
}

// ref checks a reference to another document.
func (c *checker) ref(field, label string, id DocumentID) bool {
	if err := id.Check(); err != nil {
		c.add(field, ProblemBadFormat, "not a valid document id",
			capFirst(label)+" không đúng dạng mã văn bản (mã cơ quan, ngày ban hành, số/ký hiệu).")
		return false
	}
	return true
}

// HiddenRune reports characters that are invisible or change how the text
// around them displays, so that text shows other than what it says:
// controls (C0, DEL, C1), format characters (bidirectional embeddings,
// overrides, isolates and marks, zero-width characters, the byte order
// mark), line and paragraph separators, and private-use characters. It is
// the one rule for every name and text that one party shows another.
func HiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co)
}

// HasHiddenRune reports whether s holds a HiddenRune.
func HasHiddenRune(s string) bool { return strings.ContainsFunc(s, HiddenRune) }

func capFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// Validate checks the metadata against ND30's rules and limits and reports
// every problem at once as a [*ValidationError], or returns nil. Call
// [Metadata.Normalize] first on anything a user typed: text that is not NFC
// is reported, not silently fixed.
//
// Besides the limits of each field (in characters, not bytes), it checks:
// one or more recipients, none twice and none the sender; agency codes
// well formed; the number (digits, 1 or more) and the notation (letters and
// digits joined by - / .); a notation whose type part matches the type
// (a Quyết định's notation opens with QĐ); urgency, secrecy, steering and
// business type in range; a due date not before the promulgation date (the
// same day is allowed, for Hỏa tốc documents); the business rules: a new
// document names no other documents, a recall or an update names exactly
// one, a replacement one or more, all issued by the sender, none the
// document itself.
func (m *Metadata) Validate() error {
	c := &checker{}
	switch {
	case m.Version == 0:
		c.add("version", ProblemRequired, "is required", "Thiếu phiên bản dữ liệu.")
	case m.Version != SchemaVersion:
		c.add("version", ProblemUnsupportedVersion, fmt.Sprintf("version %d is not supported, want %d", m.Version, SchemaVersion),
			fmt.Sprintf("Phiên bản dữ liệu %d chưa được hỗ trợ, cần cập nhật phần mềm.", m.Version))
	}

	c.agency("from.code", "mã định danh cơ quan ban hành", m.From.Code)
	c.text("from.name", "tên cơ quan ban hành", m.From.Name, MaxOrganName, true)

	if c.text("code_number", "số văn bản", m.CodeNumber, MaxCodeNumber, true) {
		if err := checkNumber(m.CodeNumber); err != nil {
			c.add("code_number", ProblemBadFormat, "must be digits, 1 or more",
				"Số văn bản chỉ gồm chữ số và phải từ 1 trở lên.")
		}
	}
	notationOK := false
	if c.text("code_notation", "ký hiệu văn bản", m.CodeNotation, MaxCodeNotation, true) {
		if err := checkNotation(m.CodeNotation); err != nil {
			c.add("code_notation", ProblemBadFormat, "must be letters and digits joined by '-', '/' or '.'",
				"Ký hiệu văn bản chỉ gồm chữ cái, chữ số và các dấu '-', '/', '.' (ví dụ QĐ-UBND).")
		} else {
			notationOK = true
		}
	}

	c.text("promulgation.place", "địa danh ban hành", m.Promulgation.Place, MaxPlace, true)
	promOK := c.date("promulgation.date", "ngày ban hành", m.Promulgation.Date, true)

	if info, ok := m.Type.Info(); !ok {
		if m.Type == "" {
			c.add("type", ProblemRequired, "is required", "Chưa chọn loại văn bản.")
		} else {
			c.add("type", ProblemUnknownType, "not one of the 29 document types",
				"Loại văn bản không thuộc danh mục 29 loại văn bản hành chính.")
		}
	} else if notationOK && info.Abbreviation != "" {
		if t, _ := TypeOfNotation(m.CodeNotation); t != m.Type {
			c.add("code_notation", ProblemMismatch, fmt.Sprintf("type %s needs a notation opening with %s-", info.Type, info.Abbreviation),
				fmt.Sprintf("Ký hiệu của %s phải bắt đầu bằng %s- (ví dụ %s-UBND).", strings.ToLower(info.Name), info.Abbreviation, info.Abbreviation))
		}
	}
	c.text("type_name", "tên loại văn bản", m.TypeName, MaxTypeName, false)
	c.text("subject", "trích yếu", m.Subject, MaxSubject, true)

	c.text("signer.competence", "thẩm quyền ký", m.Signer.Competence, MaxCompetence, false)
	c.text("signer.position", "chức vụ người ký", m.Signer.Position, MaxPosition, true)
	c.text("signer.full_name", "họ tên người ký", m.Signer.FullName, MaxFullName, true)

	c.recipients(m.From.Code, m.To)

	for i, p := range m.ToPlaces {
		c.text(fmt.Sprintf("to_places[%d]", i), fmt.Sprintf("dòng nơi nhận thứ %d", i+1), p, MaxToPlace, true)
	}

	if !m.Priority.Valid() {
		c.add("priority", ProblemOutOfRange, fmt.Sprintf("urgency %d is not in 0..4", int(m.Priority)),
			"Độ khẩn không hợp lệ (Thường, Khẩn, Thượng khẩn, Hỏa tốc, Hỏa tốc hẹn giờ).")
	}
	if !m.Secrecy.Valid() {
		c.add("secrecy", ProblemOutOfRange, fmt.Sprintf("secrecy %d is not in 0..3", int(m.Secrecy)),
			"Độ mật không hợp lệ (Mật, Tối mật, Tuyệt mật).")
	}
	if c.date("due_date", "hạn xử lý", m.DueDate, false) && promOK && !m.DueDate.IsZero() && m.DueDate.Before(m.Promulgation.Date) {
		c.add("due_date", ProblemDateOrder, "is before the promulgation date",
			"Hạn xử lý không được trước ngày ban hành.")
	}
	if !m.SteeringType.Valid() {
		c.add("steering_type", ProblemOutOfRange, fmt.Sprintf("steering type %d is not in 0..2", int(m.SteeringType)),
			"Loại chỉ đạo không hợp lệ.")
	}
	if m.PageAmount < 0 {
		c.add("page_amount", ProblemOutOfRange, "must not be negative", "Số trang không được âm.")
	}
	if m.PromulgationAmount < 0 {
		c.add("promulgation_amount", ProblemOutOfRange, "must not be negative", "Số bản phát hành không được âm.")
	}
	for i, a := range m.Appendixes {
		c.text(fmt.Sprintf("appendixes[%d]", i), fmt.Sprintf("tên phụ lục thứ %d", i+1), a, MaxAppendix, true)
	}
	if !m.ResponseFor.IsZero() {
		if c.ref("response_for", "văn bản được trả lời", m.ResponseFor) && m.ResponseFor == m.ID() {
			c.add("response_for", ProblemNotAllowed, "a document cannot answer itself",
				"Văn bản không thể trả lời chính nó.")
		}
	}
	c.business(m)
	return c.err()
}

func (c *checker) recipients(from certs.AgencyCode, to []Recipient) {
	if len(to) == 0 {
		c.add("to", ProblemRequired, "at least one recipient agency is required",
			"Chưa chọn cơ quan nhận (cần ít nhất một nơi nhận).")
		return
	}
	seen := make(map[certs.AgencyCode]int, len(to))
	for i, r := range to {
		field := fmt.Sprintf("to[%d]", i)
		if c.agency(field+".code", fmt.Sprintf("mã định danh nơi nhận thứ %d", i+1), r.Code) {
			if first, dup := seen[r.Code]; dup {
				c.add(field+".code", ProblemDuplicate, fmt.Sprintf("recipient %s is listed twice (also to[%d])", r.Code, first),
					fmt.Sprintf("Nơi nhận thứ %d trùng với nơi nhận thứ %d (%s).", i+1, first+1, r.Code))
			} else {
				seen[r.Code] = i
			}
			if r.Code == from {
				c.add(field+".code", ProblemSenderIsRecipient, "the sender cannot be a recipient",
					fmt.Sprintf("Nơi nhận thứ %d là chính cơ quan ban hành.", i+1))
			}
		}
		c.text(field+".name", fmt.Sprintf("tên nơi nhận thứ %d", i+1), r.Name, MaxOrganName, true)
	}
}

func (c *checker) business(m *Metadata) {
	b := m.Business
	if !b.Type.Valid() {
		c.add("business.type", ProblemOutOfRange, fmt.Sprintf("business type %d is not in 0..3", int(b.Type)),
			"Loại nghiệp vụ không hợp lệ (mới, thu hồi, cập nhật, thay thế).")
		return
	}
	c.text("business.reason", "lý do", b.Reason, MaxReason, false)
	n := len(b.Documents)
	switch b.Type {
	case BusinessNew:
		if n > 0 {
			c.add("business.documents", ProblemNotAllowed, "a new document names no other documents",
				"Văn bản mới không được kèm danh sách văn bản thu hồi, cập nhật hay thay thế.")
		}
		return
	case BusinessRecall, BusinessUpdate:
		if n != 1 {
			c.add("business.documents", ProblemRequired, fmt.Sprintf("a %s names exactly one document, got %d", b.Type, n),
				fmt.Sprintf("Nghiệp vụ %s phải chỉ rõ đúng một văn bản.", strings.ToLower(b.Type.NameVI())))
		}
	case BusinessReplace:
		if n == 0 {
			c.add("business.documents", ProblemRequired, "a replace names the documents it replaces",
				"Văn bản thay thế phải chỉ rõ các văn bản bị thay thế.")
		}
	}
	self := m.ID()
	seen := make(map[DocumentID]bool, n)
	for i, d := range b.Documents {
		field := fmt.Sprintf("business.documents[%d]", i)
		if !c.ref(field, fmt.Sprintf("văn bản thứ %d được nêu", i+1), d) {
			continue
		}
		switch {
		case seen[d]:
			c.add(field, ProblemDuplicate, "document listed twice", fmt.Sprintf("Văn bản thứ %d được nêu hai lần.", i+1))
		case d.Organ != m.From.Code:
			c.add(field, ProblemNotAllowed, "an agency may recall, update or replace only its own documents",
				"Chỉ được thu hồi, cập nhật hoặc thay thế văn bản do chính cơ quan mình ban hành.")
		case b.Type == BusinessReplace && d == self:
			c.add(field, ProblemNotAllowed, "a document cannot replace itself", "Văn bản không thể thay thế chính nó.")
		}
		seen[d] = true
	}
}
