package envelope

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"lienthong/shared/document"
)

// The content types an attachment may have. ND30 makes an electronic
// document a PDF, and the main document (the first attachment) is always
// one; appendices from other systems often come as Word, Excel or
// OpenDocument files, which a party accepts only when its Policy lists
// them.
const (
	ContentTypePDF  = "application/pdf"
	ContentTypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ContentTypeODT  = "application/vnd.oasis.opendocument.text"
)

// Type is a kind of attachment this package knows how to check: its short
// name (as configurations list it), content type and file name extension.
type Type struct {
	Name        string // "pdf", "docx", "xlsx", "odt"
	ContentType string
	Extension   string // with its dot: ".pdf"
}

// types are the known attachment types, PDF first.
//
// The legacy binary formats (.doc, .xls, .ppt: OLE2 compound files) are
// not among them, on purpose: they are the usual carriers of macros, and
// telling a macro-free one from another means parsing a whole compound
// file system, its streams and the VBA storage, which is neither cheap nor
// safe; a document that has no macros converts to .docx or PDF without
// loss. The macro-enabled OOXML types (.docm, .xlsm) are refused for the
// same reason, by their content as well as by their name.
var types = []Type{
	{Name: "pdf", ContentType: ContentTypePDF, Extension: ".pdf"},
	{Name: "docx", ContentType: ContentTypeDOCX, Extension: ".docx"},
	{Name: "xlsx", ContentType: ContentTypeXLSX, Extension: ".xlsx"},
	{Name: "odt", ContentType: ContentTypeODT, Extension: ".odt"},
}

// refusedNames are type names a configuration might list that are refused
// by design, with why.
var refusedNames = map[string]string{
	"doc":  "legacy binary Word files (OLE2) may carry macros that cannot be found without parsing the whole file",
	"xls":  "legacy binary Excel files (OLE2) may carry macros that cannot be found without parsing the whole file",
	"ppt":  "legacy binary PowerPoint files (OLE2) may carry macros that cannot be found without parsing the whole file",
	"docm": "macro-enabled files are never accepted",
	"xlsm": "macro-enabled files are never accepted",
}

// Types lists the attachment types this package can check, PDF first.
func Types() []Type { return slices.Clone(types) }

// TypeOf returns the known type with the given content type.
func TypeOf(contentType string) (Type, bool) {
	for _, t := range types {
		if t.ContentType == contentType {
			return t, true
		}
	}
	return Type{}, false
}

// Extension is the file name extension, with its dot, of an attachment of
// the given content type (".pdf", ".docx"...), or "" for a type that is
// not known. A client opens or saves an attachment under a name it
// chooses, with this extension, after CheckFile, never under the name the
// sender wrote.
func Extension(contentType string) string {
	t, _ := TypeOf(contentType)
	return t.Extension
}

// ErrTypeNotAllowed is wrapped by Policy.Check's errors: an attachment's
// type is known but not one the party accepts, or the main document is not
// a PDF.
var ErrTypeNotAllowed = errors.New("attachment type not accepted")

// Policy is the set of attachment types a party (the hub, a clerk)
// accepts. The zero Policy accepts PDF only. PDF is always accepted: the
// main document is one.
type Policy struct {
	allow []string // content types beyond PDF, in the order of Types
}

// NewPolicy makes the policy that accepts the types named (Type.Name),
// which must include "pdf". A legacy or macro-enabled type is refused with
// the reason.
func NewPolicy(names []string) (Policy, error) {
	var p Policy
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(n, ".")))
		if why, ok := refusedNames[n]; ok {
			return Policy{}, fmt.Errorf("attachment type %q is not accepted: %s", n, why)
		}
		if seen[n] {
			return Policy{}, fmt.Errorf("attachment type %q is listed twice", n)
		}
		seen[n] = true
	}
	if !seen["pdf"] {
		return Policy{}, errors.New(`the attachment types must include "pdf": the main document is always a PDF`)
	}
	for n := range seen {
		if !slices.ContainsFunc(types, func(t Type) bool { return t.Name == n }) {
			return Policy{}, fmt.Errorf("unknown attachment type %q (known: %s)", n, strings.Join(typeNames(types), ", "))
		}
	}
	for _, t := range types[1:] {
		if seen[t.Name] {
			p.allow = append(p.allow, t.ContentType)
		}
	}
	return p, nil
}

// anyType accepts every known type: the format's rule, before a party's.
var anyType = Policy{allow: []string{ContentTypeDOCX, ContentTypeXLSX, ContentTypeODT}}

// DefaultPolicy accepts PDF only; it is the zero Policy.
func DefaultPolicy() Policy { return Policy{} }

// Allows reports whether the policy accepts attachments of contentType.
func (p Policy) Allows(contentType string) bool {
	return contentType == ContentTypePDF || slices.Contains(p.allow, contentType)
}

// Types lists the types the policy accepts, PDF first.
func (p Policy) Types() []Type {
	var out []Type
	for _, t := range types {
		if p.Allows(t.ContentType) {
			out = append(out, t)
		}
	}
	return out
}

// Names lists the names of the types the policy accepts, PDF first, as
// NewPolicy takes them.
func (p Policy) Names() []string { return typeNames(p.Types()) }

func typeNames(ts []Type) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// CheckType is the one rule for attachment i's content type (0 is the main
// document) under policy p: the type is known, the main document is a PDF,
// and the others are of a type p accepts. It returns nil or the problem,
// reported for field.
func (p Policy) CheckType(field string, i int, contentType string) *document.Problem {
	t, known := TypeOf(contentType)
	switch {
	case !known:
		return &document.Problem{Field: field, Code: document.ProblemUnknownType,
			Message:   fmt.Sprintf("content type %q is not an attachment type (%s)", contentType, strings.Join(typeNames(types), ", ")),
			MessageVI: "Loại tệp đính kèm không được hỗ trợ."}
	case i == 0 && t.ContentType != ContentTypePDF:
		return &document.Problem{Field: field, Code: document.ProblemNotAllowed,
			Message:   "the main document (the first attachment) must be a PDF",
			MessageVI: "Văn bản chính (tệp đính kèm đầu tiên) phải là tệp PDF."}
	case !p.Allows(contentType):
		return &document.Problem{Field: field, Code: document.ProblemNotAllowed,
			Message:   fmt.Sprintf("attachments of type %s are not accepted here (accepted: %s)", t.Name, strings.Join(p.Names(), ", ")),
			MessageVI: fmt.Sprintf("Nơi nhận không chấp nhận tệp đính kèm loại %s (chỉ nhận: %s).", t.Extension, strings.Join(p.Names(), ", "))}
	}
	return nil
}

// Check applies CheckType to every attachment of a document. Its error
// wraps ErrTypeNotAllowed and a *document.ValidationError whose problems
// name each attachment by its place ("attachments[1].content_type").
func (p Policy) Check(atts []Attachment) error {
	var problems []document.Problem
	for i, a := range atts {
		if pr := p.CheckType(fmt.Sprintf("attachments[%d].content_type", i), i, a.ContentType); pr != nil {
			problems = append(problems, *pr)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrTypeNotAllowed, &document.ValidationError{Problems: problems})
}

// CheckFile checks a whole attachment of size bytes, read through r,
// against its content type: CheckContent on its first bytes, then for a
// ZIP-based type the structure that type requires (see checkOOXML and
// checkODT), reading only the ZIP's central directory, a few local
// headers and at most a small manifest; nothing large is ever inflated.
// A PDF's signatures and structure are package pades's to check. The error
// wraps ErrContent (and ErrActiveContent for macros or embedded programs).
// The hub and the clerk call it before anything else reads the file.
func CheckFile(contentType string, r io.ReaderAt, size int64) error {
	head := make([]byte, ContentHead)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the attachment: %w", err)
	}
	if err := CheckContent(contentType, head[:n]); err != nil {
		return err
	}
	switch contentType {
	case ContentTypeDOCX:
		return checkOOXML(r, size, "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
	case ContentTypeXLSX:
		return checkOOXML(r, size, "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
	case ContentTypeODT:
		return checkODT(r, size)
	}
	return nil
}
