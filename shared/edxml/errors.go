package edxml

import (
	"errors"
	"fmt"
)

// Sentinels for what a caller decides on; every error of [Read] and the
// writers wraps one of them, most through an [*Error] naming the element.
var (
	// ErrMalformed: not well-formed XML, a DOCTYPE, an encoding other
	// than UTF-8.
	ErrMalformed = errors.New("malformed edXML")
	// ErrTooLarge: over one of the [Limits].
	ErrTooLarge = errors.New("edXML over a limit")
	// ErrNotEdXML: a root element or namespace that is not edXML's.
	ErrNotEdXML = errors.New("not an edXML packet")
	// ErrMissing: a required element (sender, recipient, ...) is absent
	// or empty.
	ErrMissing = errors.New("required edXML element missing")
	// ErrInvalid: a value with no one reading (a date that is not a date,
	// an unknown status code, an element given twice).
	ErrInvalid = errors.New("edXML value cannot be read")
	// ErrAttachment: an attachment whose content is not valid base64, or
	// whose sink refused it.
	ErrAttachment = errors.New("edXML attachment cannot be decoded")
	// ErrNotExpressible: the writer was given something edXML has no
	// element for (secrecy, a reason on a status that only has a
	// description).
	ErrNotExpressible = errors.New("cannot be expressed in edXML")
)

// Error reports a refused packet: the element (a slash-separated path from
// the envelope, see the package documentation), the sentinel and why. It
// never repeats the document's text.
type Error struct {
	Path   string
	Err    error
	Reason string
}

func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func errAt(sentinel error, path, format string, args ...any) *Error {
	return &Error{Path: path, Err: sentinel, Reason: fmt.Sprintf(format, args...)}
}

// WarningKind is one of the closed set of deviations that [Read] accepts
// and reports.
type WarningKind string

// The warning kinds.
const (
	WarnLegacyNamespace WarningKind = "legacy-namespace"    // http://www.e-doc.vn/Schema/ instead of QCVN 102:2016's
	WarnNoNamespace     WarningKind = "no-namespace"        // an edXML element without a namespace
	WarnLegacyForm      WarningKind = "legacy-form"         // the SOAP envelope of the older e-doc.vn form
	WarnBareEnvelope    WarningKind = "bare-envelope"       // edXMLEnvelope as the root, without edXML around it
	WarnBOM             WarningKind = "bom"                 // a byte order mark before the XML
	WarnDateFormat      WarningKind = "date-format"         // a date not written yyyy/MM/dd
	WarnTimeFormat      WarningKind = "time-format"         // a timestamp without zone or in another layout
	WarnUnicode         WarningKind = "unicode-form"        // text not in Unicode NFC (decomposed Vietnamese), normalised
	WarnWhitespace      WarningKind = "whitespace"          // a value with spaces or newlines around it
	WarnNull            WarningKind = "null"                // the literal text null for no value
	WarnEmpty           WarningKind = "empty"               // an empty element where a value was expected
	WarnOrganID         WarningKind = "organ-id"            // an OrganId that is not a 13-character agency code
	WarnDocumentID      WarningKind = "document-id"         // a DocumentId not of the standard form, or not matching the document
	WarnDocumentType    WarningKind = "document-type"       // Type and TypeName disagree, or the type was found from the notation
	WarnCodeForm        WarningKind = "code-form"           // Code written as one text "Number/Notation"
	WarnStatusCode      WarningKind = "status-code"         // a status code written without its leading zero
	WarnAttachmentRef   WarningKind = "attachment-ref"      // a manifest reference without its attachment, or the reverse
	WarnAttachmentMeta  WarningKind = "attachment-meta"     // manifest and attachment disagree on a name or type
	WarnBase64          WarningKind = "base64-form"         // base64 without its padding
	WarnZipped          WarningKind = "zipped-attachment"   // an attachment whose bytes are a ZIP archive
	WarnSignaturePlace  WarningKind = "signature-elsewhere" // an XML signature outside edXMLHeader
)

// Warning is a deviation from the standard that [Read] accepted because it
// has one reading. Detail says what was assumed, never the document's text.
type Warning struct {
	Path   string
	Kind   WarningKind
	Detail string
}

func (w Warning) String() string { return string(w.Kind) + " at " + w.Path + ": " + w.Detail }
