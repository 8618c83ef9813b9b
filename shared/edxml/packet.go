package edxml

import (
	"time"

	"lienthong/shared/document"
)

// Packet is what [Read] found in one edXML file: a document or a status,
// the deviations it accepted, and where the XML signature lies.
type Packet struct {
	// Document is set for a document packet, Status for a status packet.
	Document *Document
	Status   *Status
	// Legacy reports the older SOAP form (namespace
	// http://www.e-doc.vn/Schema/).
	Legacy bool
	// Warnings lists every deviation from the standard that was accepted.
	Warnings []Warning
	// Signature is where the enveloped XML-DSig Signature element lies in
	// the input, for a verifier; nil when there is none.
	Signature *Span
	// Size is the packet's length in bytes.
	Size int64
}

// Span is a range of byte offsets [Start, End) in the input.
type Span struct{ Start, End int64 }

// Document is a document packet mapped to Lienthong's model.
type Document struct {
	// Metadata holds every field that Lienthong's model and edXML share.
	Metadata document.Metadata
	// Trace lists the TraceHeaders, one per system the packet passed.
	Trace []Hop
	// Attachments lists the attachments in the order they came, then the
	// manifest references that had no attachment.
	Attachments []Attachment
	// Extras keeps every element and attribute that has no field above,
	// to be written back on export.
	Extras []Extra
}

// Status is a status packet mapped to Lienthong's model.
type Status struct {
	Update document.StatusUpdate
	// Element is the block's name: "Status" (written by this package) or
	// "MessageHeader" (a MessageHeader carrying a StatusCode).
	Element string
	Extras  []Extra
}

// Hop is one TraceHeader: the system's OrganId (kept as written: some are
// system names rather than agency codes) and when it handled the packet.
type Hop struct {
	Organ string
	Time  time.Time
}

// Attachment describes one attachment; its bytes went to the sink the
// caller gave [Read] (or come from the source given to the writer).
type Attachment struct {
	// ContentID is the id without "cid:" or angle brackets.
	ContentID   string
	Name        string
	ContentType string
	Description string
	// Included is false for a manifest reference whose content is not in
	// the packet (the older form sent it as a MIME part).
	Included bool
	// Index is the attachment's position among the packet's contents, the
	// i given to the sink; -1 when not included.
	Index int
	// Size and SHA256 are those of the decoded content.
	Size   int64
	SHA256 [32]byte
}

// Extra is a piece of a packet that has no field in Lienthong's model,
// kept so that export writes it back: an element (XML, a canonical
// fragment whose edXML elements use the prefix "edXML") or an attribute
// (Attr "{namespace}name" and Value) of the element at Path. Path is the
// logical path of the parent element (or of the element carrying the
// attribute), e.g. "edXMLEnvelope/edXMLHeader/MessageHeader/To[2]";
// repeated elements carry a 1-based index.
type Extra struct {
	Path  string
	Name  string // the element's local name, for an element
	XML   string
	Attr  string
	Value string
}
