package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
)

// Submitted is the answer to a submission.
type Submitted struct {
	MessageID string
	Existed   bool   // a retry of a submission accepted before
	Receipt   []byte // the hub's signed "accepted" receipt
	// Recalls holds, for a recall, what happened to each target.
	Recalls []store.RecallOutcome
}

// Inline holds attachments that came with their packet instead of an
// upload, by lower-case hex SHA-256.
type Inline map[string][]byte

// Submit takes a signed document packet from agency: a new document, or a
// recall, update or replacement of the messages it targets (a recall
// withdraws the targets' deliveries not yet acknowledged). inline holds
// attachments that came with the packet; the others must have been
// uploaded. maxAttachment bounds each attachment of this agency. A retry
// of an accepted packet answers the original result; the same message id
// with another packet is store.ErrConflict.
func (r *Relay) Submit(ctx context.Context, agency certs.AgencyCode, packet []byte, inline Inline, maxAttachment int64) (*Submitted, error) {
	sum := sha256.Sum256(packet)
	envHash := hex.EncodeToString(sum[:])
	doc, err := r.openSubmission(agency, packet, maxAttachment)
	var sub *store.Submission
	if err == nil {
		sub, err = r.checkSubmission(ctx, agency, doc, packet, envHash, inline)
	}
	if err != nil {
		// A retry of an accepted submission, byte for byte and from its
		// sender, gets the first answer whatever the checks say now: they
		// were made when it was accepted, and the signer's certificate,
		// this hub's limits or the directory may have changed since. A
		// client that lost the answer must get the first one, not a
		// refusal of what the hub holds. Looked up only when a check
		// fails: Accept answers a retry that passes them, at no extra read
		// of the store for a new document.
		prior, perr := r.priorMessage(ctx, packet)
		switch {
		case perr != nil:
			return nil, perr
		case prior != nil && prior.EnvelopeSHA256 == envHash && prior.Sender == agency:
			return r.retried(ctx, &prior.Submission)
		case prior != nil && doc != nil:
			return nil, fmt.Errorf("message id %s was already used for another packet: %w", doc.MessageID, store.ErrConflict)
		}
		return nil, err
	}
	return r.accept(ctx, sub)
}

// openSubmission verifies a packet's signature and that agency signed it.
func (r *Relay) openSubmission(agency certs.AgencyCode, packet []byte, maxAttachment int64) (*envelope.Document, error) {
	doc, signer, err := envelope.OpenDocument(packet, r.verifier, maxAttachment)
	if err != nil {
		return nil, err
	}
	if signer.Agency != agency {
		return nil, fmt.Errorf("%w: the packet is signed by %s but the connection is %s", ErrSenderMismatch, signer.Agency, agency)
	}
	return doc, nil
}

// checkSubmission checks an opened packet against this hub's rules, its
// directory and its attachments, stored or inline, and returns it as a
// submission.
func (r *Relay) checkSubmission(ctx context.Context, agency certs.AgencyCode, doc *envelope.Document, packet []byte, envHash string, inline Inline) (*store.Submission, error) {
	if err := r.secrecyAllowed(doc.Metadata); err != nil {
		return nil, err
	}
	recipients, err := r.recipients(ctx, doc.Metadata)
	if err != nil {
		return nil, err
	}
	report, err := r.checkAttachments(ctx, doc, inline)
	if err != nil {
		return nil, err
	}
	sub := &store.Submission{
		MessageID:      doc.MessageID,
		Sender:         agency,
		Recipients:     recipients,
		EnvelopeSHA256: envHash,
		Envelope:       packet,
		DocumentID:     doc.Metadata.ID().String(),
		Kind:           doc.Metadata.Business.Type,
		Targets:        doc.Targets,
		Received:       r.now(),
		Report:         report,
		DueDate:        dueDate(doc.Metadata),
	}
	for _, a := range doc.Attachments {
		sub.BlobDigests = append(sub.BlobDigests, a.SHA256)
		if b, ok := inline[a.SHA256]; ok {
			if _, dup := sub.Inlined(a.SHA256); !dup {
				sub.Inline = append(sub.Inline, store.InlineBlob{Digest: a.SHA256, Data: b})
			}
		}
	}
	return sub, nil
}

// retried answers a retry of an accepted submission: Accept answers it
// with the original result, recall outcomes included.
func (r *Relay) retried(ctx context.Context, sub *store.Submission) (*Submitted, error) {
	res, _, err := r.st.Accept(ctx, sub, nil)
	if err != nil {
		return nil, err
	}
	return r.submitted(ctx, sub, res, true, nil)
}

// priorMessage returns the message stored under the message id a packet's
// payload names, read without verifying anything (the caller compares the
// stored packet's digest with this one's), and nil when there is none or
// the packet names no id.
func (r *Relay) priorMessage(ctx context.Context, packet []byte) (*store.Message, error) {
	p, err := envelope.Decode(packet)
	if err != nil {
		return nil, nil // refused with its reason by the checks
	}
	var head struct {
		MessageID string `json:"message_id"`
	}
	if json.Unmarshal(p.Payload, &head) != nil || !envelope.ValidMessageID(head.MessageID) {
		return nil, nil
	}
	m, err := r.st.Message(ctx, head.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// secrecyAllowed decides whether the hub carries a document of this
// secrecy. Until documents are encrypted from end to end, the hub carries
// a classified one only where its operator allowed it. A recall carries no
// file and must stay possible for a document accepted while it was.
func (r *Relay) secrecyAllowed(m *document.Metadata) error {
	if m.Secrecy != document.SecrecyNone && m.Business.Type != document.BusinessRecall && !r.secret {
		return fmt.Errorf("%w: the document is marked %s", ErrSecretNotAllowed, m.Secrecy.NameVI())
	}
	return nil
}

// accept stores a checked submission with its signed "accepted" receipt
// and the log entry (one store transaction), and answers it: whichever
// packet the document came in, Lienthong's or edXML.
func (r *Relay) accept(ctx context.Context, sub *store.Submission) (*Submitted, error) {
	seal, sealed := r.sealer(sub, receipt.EventAccepted, sub.Sender, sub.Recipients, sub.Received)
	res, existed, err := r.st.Accept(ctx, sub, seal)
	if err != nil {
		return nil, err
	}
	if existed {
		*sealed = nil // a concurrent retry won: its receipt is the one kept
	} else {
		r.obs.Accepted()
		for _, b := range sub.Inline {
			r.stored(sub.Sender, b.Digest, int64(len(b.Data)))
		}
	}
	r.log.Info("document accepted", "agency", sub.Sender, "doc", sub.MessageID, "kind", sub.Kind.String(), "recipients", len(sub.Recipients), "existed", existed)
	return r.submitted(ctx, sub, res, existed, *sealed)
}

// submitted answers a submission with its receipt (rec when the acceptance
// just stored it, else the stored one) and wakes the recipients.
func (r *Relay) submitted(ctx context.Context, sub *store.Submission, res store.AcceptResult, existed bool, rec []byte) (*Submitted, error) {
	if rec == nil {
		var err error
		if rec, err = r.ensureReceipt(ctx, sub, receipt.EventAccepted, sub.Sender, sub.Recipients, sub.Received, res.LogIndex); err != nil {
			return nil, err
		}
	}
	r.wakeup.Notify(sub.Recipients...)
	return &Submitted{MessageID: sub.MessageID, Existed: existed, Receipt: rec, Recalls: res.Recalls}, nil
}

// checkAttachments makes sure every attachment is of a type this hub
// accepts, uploaded whole and usable by the sender or in inline, matches
// its content type and, if a PDF, passes CheckAttachment, and returns the
// reports as one JSON object keyed by SHA-256.
func (r *Relay) checkAttachments(ctx context.Context, doc *envelope.Document, inline Inline) ([]byte, error) {
	// Every type problem at once, before any file is read.
	if err := r.types.Check(doc.Attachments); err != nil {
		return nil, fmt.Errorf("%w: %w", envelope.ErrInvalid, err)
	}
	for d := range inline {
		if !slices.ContainsFunc(doc.Attachments, func(a envelope.Attachment) bool { return a.SHA256 == d }) {
			return nil, fmt.Errorf("%w: a file sent with the packet (%s) is not one of its attachments", envelope.ErrInvalid, d)
		}
	}
	reports := map[string]json.RawMessage{}
	for i, a := range doc.Attachments {
		var report []byte
		var err error
		if b, ok := inline[a.SHA256]; ok {
			report, err = r.checkInline(ctx, i, a, b)
		} else {
			report, err = r.checkStored(ctx, doc.Sender(), i, a)
		}
		if err != nil {
			return nil, err
		}
		if report != nil {
			reports[a.SHA256] = report
		}
	}
	if len(reports) == 0 {
		return nil, nil
	}
	return json.Marshal(reports)
}

// checkStored checks attachment i (0 is the main document) of sender's
// packet, stored as a blob, and returns its report: first its type
// (checkType, before the blob is opened), then that the blob is present
// and the sender may use it (else ErrMissingBlob: to an agency that may
// not use a blob, it is not uploaded; see mayUseBlob) with the size the
// envelope names (else ErrAttachmentSize), then its bytes (checkBytes)
// and its report (see report). All is read through one opening of the
// blob, as the edXML path reads a packet's attachment: the blob found and
// its size are those of the bytes checked.
func (r *Relay) checkStored(ctx context.Context, sender certs.AgencyCode, i int, a envelope.Attachment) ([]byte, error) {
	if err := r.checkType(i, a); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", i+1, err)
	}
	f, err := r.st.OpenGranted(ctx, sender, a.SHA256)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return nil, fmt.Errorf("attachment %q (%s): %w", a.Name, a.SHA256, store.ErrMissingBlob)
	}
	if err != nil {
		return nil, fmt.Errorf("attachment %d: %w", i+1, err)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("attachment %d: %w", i+1, err)
	}
	if size != a.Size {
		return nil, fmt.Errorf("%w: attachment %q is %d bytes on the hub, the envelope says %d", ErrAttachmentSize, a.Name, size, a.Size)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil, fmt.Errorf("attachment %d: the blob store does not allow random access", i+1)
	}
	return r.checkContent(ctx, i, a, ra, r.prehashed(a.SHA256, a.Size, ra)) // f is closed once this returns
}

// checkContent is the end of checkStored and checkInline, once attachment
// i is found with its size: its bytes in ra (checkBytes), then its report
// from src, ra with the signed ranges' digests where they are known.
func (r *Relay) checkContent(ctx context.Context, i int, a envelope.Attachment, ra, src io.ReaderAt) ([]byte, error) {
	if err := checkBytes(a, ra); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", i+1, err)
	}
	report, err := r.report(ctx, a, func() (io.ReaderAt, io.Closer, error) { return src, io.NopCloser(nil), nil })
	if err != nil {
		return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
	}
	return report, nil
}

// checkInline checks attachment i (0 is the main document) of a packet,
// whose bytes b came with it, as checkStored checks a stored one: its
// size, its SHA-256 (hashed with the signed ranges of a PDF, as an upload
// is), its bytes and its report.
func (r *Relay) checkInline(ctx context.Context, i int, a envelope.Attachment, b []byte) ([]byte, error) {
	if err := r.checkType(i, a); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", i+1, err)
	}
	if int64(len(b)) != a.Size {
		return nil, fmt.Errorf("%w: attachment %q came with %d bytes, the envelope says %d", ErrAttachmentSize, a.Name, len(b), a.Size)
	}
	h := pades.NewRangeHasher()
	h.Write(b)
	if hex.EncodeToString(h.Sum(nil)) != a.SHA256 {
		return nil, fmt.Errorf("attachment %q: %w: its bytes do not hash to %s", a.Name, store.ErrDigestMismatch, a.SHA256)
	}
	ra := io.ReaderAt(pades.Bytes(b))
	src := ra
	if rd := h.Ranges(); rd != nil {
		src = &pades.Prehashed{ReaderAt: ra, Ranges: rd}
	}
	return r.checkContent(ctx, i, a, ra, src)
}

// checkType refuses attachment i if its type is not one this hub accepts
// (Options.AttachmentTypes; the main document a PDF): an
// envelope.ErrInvalid whose problem names the attachment.
func (r *Relay) checkType(i int, a envelope.Attachment) error {
	if p := r.types.CheckType(fmt.Sprintf("attachments[%d].content_type", i), i, a.ContentType); p != nil {
		return fmt.Errorf("%w: %w: %w", envelope.ErrInvalid, envelope.ErrTypeNotAllowed, &document.ValidationError{Problems: []document.Problem{*p}})
	}
	return nil
}

// checkFile is the one check of attachment i's bytes, read through ra, for
// a native attachment and an attachment of an edXML packet alike: its type
// is one this hub accepts (checkType) and its bytes match that type
// (envelope.CheckFile: an ErrNotPDF otherwise).
func (r *Relay) checkFile(i int, a envelope.Attachment, ra io.ReaderAt) error {
	if err := r.checkType(i, a); err != nil {
		return err
	}
	return checkBytes(a, ra)
}

// checkBytes is envelope.CheckFile of a's a.Size bytes in ra, as an
// ErrNotPDF.
func checkBytes(a envelope.Attachment, ra io.ReaderAt) error {
	if err := envelope.CheckFile(a.ContentType, ra, a.Size); err != nil {
		return fmt.Errorf("%w: %w", ErrNotPDF, err)
	}
	return nil
}

// unsignedReport is the report kept for an attachment whose type carries
// no signature the hub checks (an office file): it says so, so that no
// reader takes the absence of a PDF report for a check that passed.
type unsignedReport struct {
	ContentType      string `json:"content_type"`
	Size             int64  `json:"size"`
	SignatureChecked bool   `json:"signature_checked"` // always false
	Note             string `json:"note"`
}

// report is the report kept for attachment a, whose bytes open gives: a
// PDF's signature verification by CheckAttachment (nil when the relay has
// none), or for an office file the unsignedReport saying that no
// signature was checked (open is not called).
func (r *Relay) report(ctx context.Context, a envelope.Attachment, open func() (io.ReaderAt, io.Closer, error)) ([]byte, error) {
	if a.ContentType != envelope.ContentTypePDF {
		return json.Marshal(unsignedReport{ContentType: a.ContentType, Size: a.Size,
			Note: "not a PDF: its content type was checked, no signature was checked"})
	}
	if r.check == nil {
		return nil, nil
	}
	return r.check.run(ctx, a.SHA256, a.Size, open)
}

// dueDate is the document's deadline as the log records it.
func dueDate(m *document.Metadata) string {
	if m.DueDate.IsZero() {
		return ""
	}
	return m.DueDate.String()
}
