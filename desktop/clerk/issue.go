package clerk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
)

// StampKind is how the agency's signature shows on the PDF.
type StampKind int

// The stamps.
const (
	StampNone  StampKind = iota // an invisible signature
	StampText                   // the text stamp: number, notation and time, top right of the page (ND30 Appendix I)
	StampImage                  // the seal image, where Rect says
)

// Stamp is the visible part of the agency's signature on every PDF of a
// document.
type Stamp struct {
	Kind    StampKind
	SealPNG []byte     // StampImage: the agency's seal
	Page    int        // 1-based; 0 means page 1
	Rect    [4]float64 // x1 y1 x2 y2 in page space; zero: top right for text, a 4 cm seal top right for the image
}

// Draft is a document to issue. Metadata comes without CodeNumber, which
// the outgoing register assigns, and without From, which comes from the
// identity; a zero promulgation date means today.
type Draft struct {
	Metadata document.Metadata
	Files    []string // the PDFs; the first is the main document
	Stamp    Stamp
	Series   string // the register series: "" the main one
}

// sealSize is the default seal image size: 4 cm in points.
const sealSize = 113

// prepare completes a copy of the draft's metadata with the identity and
// number.
func (c *Clerk) prepare(d *Draft, number int) *document.Metadata {
	m := d.Metadata
	m.To = slices.Clone(m.To)
	m.Version = document.SchemaVersion
	m.From = document.Organ{Code: c.code, Name: c.name}
	m.CodeNumber = strconv.Itoa(number)
	if m.Promulgation.Date.IsZero() {
		m.Promulgation.Date = document.DateOf(c.now())
	}
	// Fill recipients' names from the directory when the caller gave only codes.
	for i, r := range m.To {
		if r.Name == "" {
			if a, err := c.st.Agency(r.Code); err == nil {
				m.To[i].Name = a.Name
			}
		}
	}
	m.Normalize()
	return &m
}

// Validate checks a draft as the clerk types: every metadata problem at
// once, the files, and a duplicate number warning, without taking a
// number. Problems come back in a *document.ValidationError.
func (c *Clerk) Validate(d *Draft) error {
	n, err := c.NextNumber(d.Series)
	if err != nil {
		return err
	}
	m := c.prepare(d, n)
	var ve *document.ValidationError
	if err := m.Validate(); err != nil && !errors.As(err, &ve) {
		return err
	}
	if ve == nil {
		ve = &document.ValidationError{}
	}
	if len(d.Files) == 0 {
		ve.Problems = append(ve.Problems, document.Problem{Field: "files", Code: document.ProblemRequired,
			Message: "no PDF attached", MessageVI: "Chưa chọn tệp PDF của văn bản."})
	}
	for i, f := range d.Files {
		field := fmt.Sprintf("files[%d]", i)
		if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
			ve.Problems = append(ve.Problems, document.Problem{Field: field, Code: document.ProblemRequired,
				Message: "file not found", MessageVI: "Không tìm thấy tệp."})
		} else if p := allTypes.CheckType(field, i, fileType(f).ContentType); p != nil {
			ve.Problems = append(ve.Problems, *p)
		} else if p := envelope.CheckAttachmentName(field, attachmentName(f), fileType(f).ContentType); p != nil {
			ve.Problems = append(ve.Problems, *p)
		}
	}
	if m.Secrecy != document.SecrecyNone && !c.opts.AllowSecret {
		ve.Problems = append(ve.Problems, document.Problem{Field: "secrecy", Code: document.ProblemNotAllowed,
			Message: "documents marked Mật or above are not sent through the hub: they are not encrypted from end to end",
			MessageVI: "Không gửi văn bản mật (Mật, Tối mật, Tuyệt mật) qua trục liên thông: văn bản chưa được mã hóa từ nơi gửi đến nơi nhận. " +
				"Hãy gửi theo quy định về bảo vệ bí mật nhà nước."})
	}
	if len(d.Series) > store.MaxSeries {
		ve.Problems = append(ve.Problems, document.Problem{Field: "series", Code: document.ProblemTooLong,
			Message: "series name too long", MessageVI: "Tên sổ quá dài."})
	}
	if rc := c.closedRecipients(m.To); rc != nil {
		ve.Problems = append(ve.Problems, closedProblems(m.To, rc)...)
	}
	var de *store.DuplicateError
	if err := c.st.CheckDuplicate(m); errors.As(err, &de) {
		ve.Problems = append(ve.Problems, document.Problem{Field: "code_number", Code: document.ProblemDuplicate,
			Message:   "a document with this number and notation was already issued this year",
			MessageVI: "Số và ký hiệu này đã được dùng cho một văn bản khác trong năm."})
	} else if err != nil {
		return err
	}
	if len(ve.Problems) > 0 {
		return ve
	}
	return nil
}

// NextNumber previews the number the next document of the series would
// get this year; it does not take it.
func (c *Clerk) NextNumber(series string) (int, error) {
	out, _, err := c.st.LastNumbers(series, document.RegisterYear(c.now()))
	if err != nil {
		return 0, fmt.Errorf("next number: %w", err)
	}
	return out + 1, nil
}

// Issue numbers the draft from the outgoing register, signs each PDF with
// the agency's key (keeping earlier signatures valid: the signature is an
// incremental update), seals the envelope and saves and queues it in one
// store transaction. It needs no network. It returns the message id.
// Before a number is taken the main PDF's person signature is checked as
// SettingPersonSignature says: a *PersonSignatureError under refuse, a
// PersonSignatureWarning event under warn.
func (c *Clerk) Issue(ctx context.Context, d *Draft) (string, error) {
	if rc := c.closedRecipients(d.Metadata.To); rc != nil {
		return "", fmt.Errorf("issue: %w", rc) // typed, so that the successor can be offered
	}
	if err := c.Validate(d); err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	return c.issue(ctx, d, nil)
}

// business is what an update or a replacement adds to a draft.
type business struct {
	block   document.Business
	targets []string // their message ids
	number  string   // kept from the updated document; empty takes a new number
}

// Update sends a corrected version of one of this agency's documents
// (edXML business type 2, cập nhật): the draft's metadata and files under
// the original's number and notation, to its recipients, who answer 15 or
// 16. It returns the update's message id.
func (c *Clerk) Update(ctx context.Context, id string, d *Draft, reason string) (string, error) {
	orig, err := c.ownDocument(id)
	if err != nil {
		return "", fmt.Errorf("update %s: %w", id, err)
	}
	if reason == "" {
		return "", fmt.Errorf("update %s: %w", id, ErrReasonNeeded)
	}
	om := orig.Payload.Metadata
	upd := *d
	upd.Metadata.Type, upd.Metadata.TypeName = om.Type, om.TypeName
	upd.Metadata.CodeNotation, upd.Metadata.Promulgation = om.CodeNotation, om.Promulgation
	if len(upd.Metadata.To) == 0 {
		upd.Metadata.To = om.To
	}
	return c.issue(ctx, &upd, &business{
		block:   document.Business{Type: document.BusinessUpdate, Documents: []document.DocumentRef{om.ID()}, Reason: reason},
		targets: []string{id}, number: om.CodeNumber,
	})
}

// Replace issues the draft as a new numbered document that replaces
// earlier ones of this agency (edXML business type 3, thay thế), naming
// them. It returns the replacement's message id.
func (c *Clerk) Replace(ctx context.Context, ids []string, d *Draft, reason string) (string, error) {
	if len(ids) == 0 {
		return "", errors.New("replace: name the documents replaced")
	}
	b := &business{block: document.Business{Type: document.BusinessReplace, Reason: reason}, targets: ids}
	for _, id := range ids {
		orig, err := c.ownDocument(id)
		if err != nil {
			return "", fmt.Errorf("replace %s: %w", id, err)
		}
		b.block.Documents = append(b.block.Documents, orig.Payload.Metadata.ID())
	}
	rep := *d
	rep.Metadata.Business = b.block
	if err := c.Validate(&rep); err != nil {
		return "", fmt.Errorf("replace: %w", err)
	}
	return c.issue(ctx, &rep, b)
}

// ownDocument returns one of this agency's issued documents that a
// recall, update or replacement may name.
func (c *Clerk) ownDocument(id string) (*store.Document, error) {
	doc, err := c.st.Get(id)
	if err != nil {
		return nil, err
	}
	if doc.Box != store.Outgoing || doc.Payload.Metadata.Business.Type == document.BusinessRecall {
		return nil, ErrWrongBox
	}
	return doc, nil
}

// issue signs, seals, saves and queues a draft the caller validated. An
// office appendix (fileType) is checked by its content and sent as it is.
func (c *Clerk) issue(ctx context.Context, d *Draft, b *business) (string, error) {
	// Never sign a document to a code the directory knows closed: the
	// addressee is part of what is signed.
	if rc := c.closedRecipients(d.Metadata.To); rc != nil {
		return "", fmt.Errorf("issue: %w", rc)
	}
	for _, f := range d.Files {
		if fileType(f).ContentType != envelope.ContentTypePDF {
			continue // stageFile checks it
		}
		if err := checkPDF(f); err != nil {
			return "", fmt.Errorf("issue: %s: %w", filepath.Base(f), err)
		}
	}
	// The person's signature is checked before a number is taken: a
	// refusal consumes nothing.
	warn, err := c.personGate(ctx, d)
	if err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	now := c.now()
	var m *document.Metadata
	if b != nil && b.number != "" {
		m = c.prepare(d, 0)
		m.CodeNumber = b.number
	} else {
		n, err := c.st.NextNumber(d.Series, now)
		if err != nil {
			return "", fmt.Errorf("issue: take a number: %w", err)
		}
		m = c.prepare(d, n)
	}
	var targets []string
	if b != nil {
		m.Business, targets = b.block, b.targets
	}
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: now, Metadata: m, Targets: targets}
	// Staged blobs that no document claims are removed when the store is
	// next opened: a failure below leaves nothing to undo.
	var blobs []store.Blob
	for _, f := range d.Files {
		var a envelope.Attachment
		var blob store.Blob
		var err error
		if t := fileType(f); t.ContentType == envelope.ContentTypePDF {
			a, blob, err = c.signInto(ctx, f, m, d.Stamp, now)
		} else {
			a, blob, err = c.stageFile(f, t)
		}
		if err != nil {
			return "", fmt.Errorf("issue: sign %s: %w", filepath.Base(f), err)
		}
		env.Attachments = append(env.Attachments, a)
		blobs = append(blobs, blob)
	}
	packet, err := c.seal(env)
	if err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	err = c.st.SaveOutgoing(store.NewDocument{
		Packet: packet, Payload: env, Blobs: blobs, Series: d.Series, Read: true, Now: now,
		Queue: []store.OutboxItem{{Kind: store.SendDocument, Doc: env.MessageID, Message: env.MessageID}},
	})
	if err != nil {
		return "", fmt.Errorf("issue: save: %w", err)
	}
	c.log.Info("document issued", "doc", env.MessageID, "number", m.CodeNumber, "business", m.Business.Type)
	if warn != nil {
		c.log.Warn("document issued without a valid signature of a competent person of this agency", "doc", env.MessageID, "problem", warn.Problem.String())
		c.emit(PersonSignatureWarning{ID: env.MessageID, File: d.Files[0], Check: *warn})
	}
	c.emit(DocumentChanged{ID: env.MessageID})
	c.wake()
	return env.MessageID, nil
}

// attachmentName is the name a file is sent under: its own, in Unicode NFC
// (macOS file names are decomposed), with ".pdf" added when it has another
// extension than its type's (fileType) or none, since the file is checked
// to be a PDF. Validate reports a name envelope.CheckAttachmentName
// refuses.
func attachmentName(path string) string {
	name := norm.NFC.String(filepath.Base(path))
	if ext := fileType(path).Extension; !strings.EqualFold(filepath.Ext(name), ext) {
		name += ext
	}
	return name
}

func checkPDF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = pades.PageBox(f, fi.Size(), 1)
	return err
}

func (c *Clerk) seal(env *envelope.Document) ([]byte, error) {
	payload, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if err := env.Validate(0); err != nil {
		return nil, err
	}
	packet, err := envelope.Seal(payload, c.signer())
	if err != nil {
		return nil, fmt.Errorf("seal envelope: %w", err)
	}
	return packet, nil
}

// signInto signs the PDF at path with the agency's key into a spool file
// and streams the result into the store.
func (c *Clerk) signInto(ctx context.Context, path string, m *document.Metadata, st Stamp, now time.Time) (envelope.Attachment, store.Blob, error) {
	var att envelope.Attachment
	src, err := os.Open(path)
	if err != nil {
		return att, store.Blob{}, err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return att, store.Blob{}, err
	}
	opts := pades.Options{Signer: c.signer(), Name: c.name, Time: now, Page: st.Page,
		Reason: "Ban hành " + document.FormatNumberNotation(m.CodeNumber, m.CodeNotation)}
	page := max(st.Page, 1)
	switch st.Kind {
	case StampNone:
	case StampText, StampImage:
		var app *stamp.Appearance
		if st.Kind == StampText {
			app, err = stamp.AgencyText(m.CodeNumber, m.CodeNotation, now)
		} else {
			app, err = stamp.ImageStamp(nil, st.SealPNG, sealSize, sealSize)
		}
		if err != nil {
			return att, store.Blob{}, fmt.Errorf("stamp: %w", err)
		}
		opts.Appearance, opts.Rect = app, st.Rect
		if st.Rect == ([4]float64{}) {
			box, err := pades.PageBox(src, fi.Size(), page)
			if err != nil {
				return att, store.Blob{}, err
			}
			opts.Rect = pades.TopRight(box, app.Width, app.Height, 20)
		}
	default:
		return att, store.Blob{}, fmt.Errorf("unknown stamp kind %d", st.Kind)
	}
	tmp, err := c.spoolFile("sign-" + envelope.NewMessageID() + ".pdf")
	if err != nil {
		return att, store.Blob{}, err
	}
	defer tmp.discard()
	if err := pades.Sign(ctx, tmp, src, fi.Size(), opts); err != nil {
		return att, store.Blob{}, err
	}
	size := tmp.Size()
	w, err := c.st.NewAttachment()
	if err != nil {
		return att, store.Blob{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), io.NewSectionReader(tmp, 0, size)); err != nil {
		w.Abort()
		return att, store.Blob{}, err
	}
	b, err := w.Close()
	if err != nil {
		return att, store.Blob{}, err
	}
	att = envelope.Attachment{Name: attachmentName(path), ContentType: envelope.ContentTypePDF, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
	if b.SHA256 != att.SHA256 || b.Size != size {
		return att, store.Blob{}, errors.New("staged attachment differs from the signed file")
	}
	return att, b, nil
}

// Recall queues a recall (thu hồi, business type 1) of an outgoing
// document, with the reason, and returns the recall's message id.
// Recipients that already have the document are asked to answer 15 or 16;
// the others never get it.
func (c *Clerk) Recall(ctx context.Context, id, reason string) (string, error) {
	if reason == "" {
		return "", fmt.Errorf("recall: %w", ErrReasonNeeded)
	}
	doc, err := c.ownDocument(id)
	if err != nil {
		return "", fmt.Errorf("recall %s: %w", id, err)
	}
	m := *doc.Payload.Metadata
	m.Business = document.Business{Type: document.BusinessRecall, Documents: []document.DocumentRef{doc.Payload.Metadata.ID()}, Reason: reason}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("recall: %w", err)
	}
	now := c.now()
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: now, Metadata: &m, Targets: []string{id}}
	packet, err := c.seal(env)
	if err != nil {
		return "", fmt.Errorf("recall: %w", err)
	}
	err = c.st.SaveOutgoing(store.NewDocument{Packet: packet, Payload: env, Read: true, Now: now,
		Queue: []store.OutboxItem{{Kind: store.SendDocument, Doc: env.MessageID, Message: env.MessageID}}})
	if err != nil {
		return "", fmt.Errorf("recall: save: %w", err)
	}
	c.emit(DocumentChanged{ID: env.MessageID})
	c.wake()
	return env.MessageID, nil
}
