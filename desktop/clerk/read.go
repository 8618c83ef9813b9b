package clerk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
)

// List returns a page of a box and the number of documents that pass the
// filter.
func (c *Clerk) List(q store.Query) ([]store.Summary, int, error) {
	if q.Now.IsZero() {
		q.Now = c.now()
	}
	rows, err := c.st.List(q)
	if err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	n, err := c.st.Count(q)
	if err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	return c.withSuccessors(rows), n, nil
}

// Search finds documents of a box whose metadata has words starting with
// every word of text, with or without diacritics.
func (c *Clerk) Search(box store.Box, text string, offset, limit int) ([]store.Summary, error) {
	rows, err := c.st.Search(box, text, offset, limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return c.withSuccessors(rows), nil
}

// RecipientStatus is the status history of an outgoing document at one
// recipient.
type RecipientStatus struct {
	Agency  certs.AgencyCode
	Name    string
	History []store.StatusEntry
}

// DocumentView is everything the clerk sees of one document.
type DocumentView struct {
	Doc *store.Document
	// Report is the main attachment's signature report (incoming), nil if
	// none; Reports has one per attachment, nil where the file could not be
	// read as a PDF.
	Report  *pades.Report
	Reports []*pades.Report
	// Signers are the main PDF's signatures in ND30's roles (the
	// competent person, the agency's seal), in signing order: from
	// Report for an incoming document, from the stored file verified
	// with the cached CRLs for an outgoing one; nil when it has none.
	Signers []Signer
	// Recipients is the per-recipient timeline of an outgoing document.
	Recipients []RecipientStatus
	// Statuses is this agency's own history of an incoming document.
	Statuses []store.StatusEntry
	// Receipts are the hub's signed receipts, verified.
	Receipts []*receipt.Receipt
	// EdXML is how the packet of a document that came as edXML (from a
	// file or through the hub) was checked; nil for one that did not.
	// Verified false means it was taken with ImportOptions.UnsignedOK.
	EdXML *EdXMLCheck
	// FromSuccessor is, for an incoming document whose sender's code a
	// reorganisation has since closed, the agency that succeeds it (the
	// document is filed under it); nil otherwise.
	FromSuccessor *store.Agency
}

// Document returns a document with its reports, statuses and receipts.
func (c *Clerk) Document(id string) (*DocumentView, error) {
	doc, err := c.st.Get(id)
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", id, err)
	}
	v := &DocumentView{Doc: doc}
	if ch, ok := c.EdXMLCheckOf(id); ok && doc.Box == store.Incoming {
		v.EdXML = &ch
	}
	if doc.Box == store.Incoming {
		if raw, err := c.st.Report(id); err == nil && len(raw) > 0 {
			if v.Reports, err = decodeReports(raw); err != nil {
				return nil, fmt.Errorf("document %s: report: %w", id, err)
			}
			if len(v.Reports) > 0 {
				v.Report = v.Reports[0]
			}
		}
	}
	switch {
	case v.Report != nil && !lacksCertificates(v.Report):
		v.Signers = c.Signers(v.Report)
	case (doc.Box == store.Outgoing || v.Report != nil) && len(doc.Payload.Attachments) > 0:
		// This agency's own document keeps no report; one received
		// before the certificates were kept has them only in its file.
		if v.Signers, err = c.storedSigners(id); err != nil {
			c.log.Warn("the main PDF's signers cannot be listed", "doc", id, "err", err)
		}
	}
	hist, err := c.st.History(id)
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", id, err)
	}
	byCopy := map[certs.AgencyCode][]store.StatusEntry{}
	for _, h := range hist {
		byCopy[h.Copy] = h.Entries
	}
	if doc.Box == store.Outgoing {
		for _, r := range doc.Payload.Metadata.To {
			v.Recipients = append(v.Recipients, RecipientStatus{Agency: r.Code, Name: r.Name, History: byCopy[r.Code]})
		}
	} else {
		v.Statuses = byCopy[c.code]
		if succ, ok := c.Successor(doc.Payload.Metadata.From.Code); ok {
			v.FromSuccessor = &succ
		}
	}
	raws, err := c.st.Receipts(id)
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", id, err)
	}
	for _, raw := range raws {
		if r, _, err := receipt.Verify(raw, c.v, c.receiptSigner); err == nil {
			v.Receipts = append(v.Receipts, r)
		}
	}
	return v, nil
}

// MarkRead marks a document read or unread.
func (c *Clerk) MarkRead(id string, read bool) error {
	if err := c.st.MarkRead(id, read); err != nil {
		return fmt.Errorf("mark read %s: %w", id, err)
	}
	c.emit(DocumentChanged{ID: id})
	return nil
}

// OpenAttachment streams attachment i (0 is the main document) for the
// system's viewer or a copy: its first bytes are checked against its
// content type first (envelope.CheckContent, an error wrapping
// envelope.ErrContent), so a document stored before that check cannot
// hand another kind of file to the viewer; the reader fails at the end if
// the bytes do not match their SHA-256. Open or save it under
// AttachmentFileName, never under the attachment's own name; hand it to
// the system's viewer only through OpenForViewer, which refuses anything
// but a PDF.
func (c *Clerk) OpenAttachment(id string, i int) (io.ReadCloser, envelope.Attachment, error) {
	rc, a, err := c.st.OpenAttachment(id, i)
	if err != nil {
		return nil, a, err
	}
	head := make([]byte, envelope.ContentHead)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		rc.Close()
		return nil, a, fmt.Errorf("attachment %d of %s: %w", i, id, err)
	}
	if err := envelope.CheckContent(a.ContentType, head[:n]); err != nil {
		rc.Close()
		return nil, a, fmt.Errorf("attachment %d of %s: %w", i, id, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head[:n]), rc), rc}, a, nil
}

// AttachmentLabel is how attachment i of a document is named on screen:
// the sender's name when envelope.CheckAttachmentName accepts it, as it
// does for every document received since that check exists, else
// AttachmentFileName, so that a document stored before cannot show a
// name that displays as another.
func AttachmentLabel(m *document.Metadata, i int, a envelope.Attachment) string {
	if envelope.CheckAttachmentName("", a.Name, a.ContentType) == nil {
		return a.Name
	}
	return AttachmentFileName(m, i, a)
}

// AttachmentFileName is the name under which the app opens or saves
// attachment i (0 is the main document) of a document: its number and
// notation, the attachment's place and the extension of its content type,
// as in "567-QĐ-UBND-1.pdf". The name the sender wrote is shown, never
// used for a file: a name chooses the program that opens a file.
func AttachmentFileName(m *document.Metadata, i int, a envelope.Attachment) string {
	base := "van-ban"
	if m != nil && m.CodeNumber != "" {
		base = m.CodeNumber + "-" + m.CodeNotation
	}
	// Number and notation are validated (digits; letters and digits
	// joined by - / .), but keep only letters and digits whatever they
	// hold, so no separator, dot or invisible character reaches a path.
	safe := []rune{}
	for _, r := range base {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			safe = append(safe, r)
		} else if len(safe) > 0 && safe[len(safe)-1] != '-' {
			safe = append(safe, '-')
		}
	}
	base = strings.Trim(string(safe), "-")
	if base == "" || len(safe) > 64 {
		base = "van-ban"
	}
	ext := envelope.Extension(a.ContentType)
	if ext == "" {
		ext = ".bin"
	}
	return fmt.Sprintf("%s-%d%s", base, i+1, ext)
}

// Directory searches the cached agency directory by name (with or without
// diacritics); an empty query lists it.
func (c *Clerk) Directory(query string, limit int) ([]store.Agency, error) {
	return c.st.SearchAgencies(query, false, limit)
}

// VerifyFile checks every signature of a PDF on disk against the clerk's
// roots.
func (c *Clerk) VerifyFile(path string) (*pades.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep, err := c.verifyPDF(context.Background(), f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	return rep, nil
}

// OutboxLen returns the number of actions waiting for the hub (0 if the
// store cannot say).
func (c *Clerk) OutboxLen() int {
	n, _ := c.st.OutboxLen()
	return n
}

// Outbox lists the actions waiting for the hub, oldest first.
func (c *Clerk) Outbox() ([]store.OutboxItem, error) {
	return c.st.Outbox(0)
}

// Overdue lists up to limit documents of a box past their deadline and not
// done, earliest deadline first.
func (c *Clerk) Overdue(box store.Box, limit int) ([]store.Summary, error) {
	rows, err := c.st.Overdue(box, c.now(), limit)
	return c.withSuccessors(rows), err
}

// DueSoon lists up to limit documents of a box due within the next days
// (0: store.DefaultSoonDays), not done, earliest first.
func (c *Clerk) DueSoon(box store.Box, days, limit int) ([]store.Summary, error) {
	if days <= 0 {
		days = store.DefaultSoonDays
	}
	rows, err := c.st.DueSoon(box, c.now(), days, limit)
	return c.withSuccessors(rows), err
}
