package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/strictjson"
)

// Payload kinds.
const (
	KindDocument = "document"
	KindStatus   = "status"
)

// Limits on attachments.
const (
	MaxAttachments       = 50
	MaxAttachmentName    = 255 // characters
	DefaultMaxAttachment = 100 << 20
)

// Document is the payload that sends a document: its metadata and the
// attachments it consists of, by SHA-256.
type Document struct {
	Kind        string             `json:"kind"` // KindDocument
	MessageID   string             `json:"message_id"`
	Created     time.Time          `json:"created"`
	Metadata    *document.Metadata `json:"metadata"`
	Attachments []Attachment       `json:"attachments"`
	// Targets are the message ids of the documents a recall, update or
	// replacement concerns (the same documents Metadata.Business names by
	// DocumentID), so the hub can act on them without searching.
	Targets []string `json:"targets,omitempty"`
}

// Attachment is one file of a document. The first is the main document;
// the others are appendices or annexes.
type Attachment struct {
	Name        string `json:"name"`         // file name shown to the clerk, e.g. "1234-STTTT-CNTT.pdf"
	ContentType string `json:"content_type"` // "application/pdf"
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // lower-case hexadecimal
	Description string `json:"description,omitempty"`
}

// Status is the payload that carries a status update from a recipient (or,
// for a recall, the sender) about a document, named by the message that
// carried it.
type Status struct {
	Kind      string                `json:"kind"` // KindStatus
	MessageID string                `json:"message_id"`
	Regarding string                `json:"regarding"` // the document's message id
	Update    document.StatusUpdate `json:"update"`
}

// ErrInvalid is wrapped by validation errors of a payload.
var ErrInvalid = errors.New("invalid payload")

// Validate checks the document payload: its kind and id, the metadata
// (document.Metadata.Validate, whose *ValidationError comes back wrapped),
// and the attachments against maxSize bytes each (0: the default 100 MB):
// each of a known type (Types) and named with its extension, the first a
// PDF. Whether a party accepts the other types is its Policy's decision
// (Policy.Check), made apart.
func (d *Document) Validate(maxSize int64) error {
	if maxSize <= 0 {
		maxSize = DefaultMaxAttachment
	}
	if d.Kind != KindDocument {
		return fmt.Errorf("%w: kind %q, want %q", ErrInvalid, d.Kind, KindDocument)
	}
	if !ValidMessageID(d.MessageID) {
		return fmt.Errorf("%w: message id %q is not 32 hexadecimal digits", ErrInvalid, d.MessageID)
	}
	if d.Created.IsZero() {
		return fmt.Errorf("%w: no creation time", ErrInvalid)
	}
	if d.Metadata == nil {
		return fmt.Errorf("%w: no metadata", ErrInvalid)
	}
	if err := d.Metadata.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if (d.Metadata.Business.Type == document.BusinessNew) != (len(d.Targets) == 0) {
		return fmt.Errorf("%w: a recall, update or replacement names its target messages, a new document none", ErrInvalid)
	}
	for _, id := range d.Targets {
		if !ValidMessageID(id) || id == d.MessageID {
			return fmt.Errorf("%w: target %q is not another message's id", ErrInvalid, id)
		}
	}
	if len(d.Attachments) == 0 && d.Metadata.Business.Type != document.BusinessRecall {
		return fmt.Errorf("%w: a document needs at least one attachment", ErrInvalid)
	}
	if len(d.Attachments) > MaxAttachments {
		return fmt.Errorf("%w: %d attachments, at most %d", ErrInvalid, len(d.Attachments), MaxAttachments)
	}
	var problems []document.Problem
	for i, a := range d.Attachments {
		// The format's rule: a known type, the main document a PDF.
		// Which other types a party takes is its Policy's to say.
		if p := anyType.CheckType(fmt.Sprintf("attachments[%d].content_type", i), i, a.ContentType); p != nil {
			problems = append(problems, *p)
		} else if p := CheckAttachmentName(fmt.Sprintf("attachments[%d].name", i), a.Name, a.ContentType); p != nil {
			problems = append(problems, *p)
		}
		if p := checkDescription(fmt.Sprintf("attachments[%d].description", i), a.Description); p != nil {
			problems = append(problems, *p)
		}
	}
	if len(problems) > 0 {
		// The problems name the attachment by its place, not its name:
		// a hostile name stays out of logs and error messages.
		return fmt.Errorf("%w: %w", ErrInvalid, &document.ValidationError{Problems: problems})
	}
	seen := map[string]bool{}
	for i, a := range d.Attachments {
		switch {
		case !ValidSHA256(a.SHA256):
			return fmt.Errorf("%w: attachment %d: sha256 must be 64 lower-case hexadecimal digits", ErrInvalid, i+1)
		case a.Size <= 0 || a.Size > maxSize:
			return fmt.Errorf("%w: attachment %d: size %d, want 1 to %d bytes", ErrInvalid, i+1, a.Size, maxSize)
		case seen[a.SHA256]:
			return fmt.Errorf("%w: attachment %d: the same file is attached twice", ErrInvalid, i+1)
		}
		seen[a.SHA256] = true
	}
	return nil
}

// Validate checks the status payload and its update.
func (s *Status) Validate() error {
	if s.Kind != KindStatus {
		return fmt.Errorf("%w: kind %q, want %q", ErrInvalid, s.Kind, KindStatus)
	}
	if !ValidMessageID(s.MessageID) || !ValidMessageID(s.Regarding) {
		return fmt.Errorf("%w: message ids must be 32 hexadecimal digits", ErrInvalid)
	}
	if err := s.Update.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Kind reads only the kind of a payload.
func Kind(payload []byte) (string, error) {
	var k struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(payload, &k); err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return k.Kind, nil
}

// ParseDocument decodes a document payload strictly and validates it.
func ParseDocument(payload []byte, maxAttachment int64) (*Document, error) {
	var d Document
	if err := strictjson.Unmarshal(payload, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.Metadata != nil {
		d.Metadata.Normalize()
	}
	if err := d.Validate(maxAttachment); err != nil {
		return nil, err
	}
	return &d, nil
}

// ParseStatus decodes a status payload strictly and validates it.
func ParseStatus(payload []byte) (*Status, error) {
	var s Status
	if err := strictjson.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	s.Update.Normalize()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Sender is the agency a payload says sent it: the metadata's issuing
// agency for a document, the update's author for a status. The hub checks
// it against the packet's verified signer and the connection's identity.
func (d *Document) Sender() certs.AgencyCode { return d.Metadata.From.Code }

// Sender returns the agency that sent the status.
func (s *Status) Sender() certs.AgencyCode { return s.Update.From }

// OpenDocument decodes a document packet, verifies its signature against v
// now, parses the payload, and checks that the signing agency is the
// document's issuing agency.
func OpenDocument(wire []byte, v *certs.Verifier, maxAttachment int64) (*Document, *Signer, error) {
	p, signer, err := open(wire, v, KindDocument)
	if err != nil {
		return nil, nil, err
	}
	d, err := ParseDocument(p.Payload, maxAttachment)
	if err != nil {
		return nil, nil, err
	}
	if d.Sender() != signer.Agency {
		return nil, nil, fmt.Errorf("%w: the document names %s as its sender, the signature is by %s", ErrWrongSigner, d.Sender(), signer.Agency)
	}
	return d, signer, nil
}

// OpenStatus is OpenDocument for status packets.
func OpenStatus(wire []byte, v *certs.Verifier) (*Status, *Signer, error) {
	p, signer, err := open(wire, v, KindStatus)
	if err != nil {
		return nil, nil, err
	}
	s, err := ParseStatus(p.Payload)
	if err != nil {
		return nil, nil, err
	}
	if s.Sender() != signer.Agency {
		return nil, nil, fmt.Errorf("%w: the status names %s as its sender, the signature is by %s", ErrWrongSigner, s.Sender(), signer.Agency)
	}
	return s, signer, nil
}

func open(wire []byte, v *certs.Verifier, kind string) (*Packet, *Signer, error) {
	p, err := Decode(wire)
	if err != nil {
		return nil, nil, err
	}
	k, err := Kind(p.Payload)
	if err != nil {
		return nil, nil, err
	}
	if k != kind {
		return nil, nil, fmt.Errorf("%w: a %q packet where a %q packet was expected", ErrMalformed, k, kind)
	}
	signer, err := p.Verify(v, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	return p, signer, nil
}
