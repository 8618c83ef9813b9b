package clerk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/xmlsig"
)

// edXML import and export: papers moved by file to and from a document
// system that is not connected to the hub.
//
// Import (ImportEdXML) applies the checks of a packet from the hub: the
// XML signature verified against the clerk's roots and cached CRLs, the
// signer an agency certificate allowed to issue documents and naming the
// packet's sender, this agency among the recipients, the metadata valid,
// every attachment a PDF under a good name and the clerk's size limit, each
// PDF's signatures verified. The document is filed in the incoming box
// with its 01, registered at once (03, the next số đến: the clerk who
// imports a paper is receiving it), and kept with the packet's bytes as
// received, so that the evidence stays and an export writes its extras
// back. A status packet about one of this agency's documents is added to
// that recipient's history with the packet.
//
// A document filed from edXML has no copy at the hub: its statuses are not
// queued for the hub; the clerk exports them (ExportEdXMLStatus) and hands
// them over the way the paper came.
//
// Export (ExportEdXML, ExportEdXMLStatus) writes a stored document, sent or
// received, or one of its statuses, as an edXML packet signed with this
// agency's key (xmlsig.Sign: RSA-SHA256 or ECDSA-SHA256, exclusive C14N).

// Errors of import a caller decides on.
var (
	// ErrEdXMLUnsigned: the packet carries no XML signature, and the
	// import was not told to take unverified packets.
	ErrEdXMLUnsigned = errors.New("edXML packet is not signed")
	// ErrEdXMLUntrusted: the signer's chain leads to none of this
	// clerk's roots, and the import was not told to take unverified
	// packets.
	ErrEdXMLUntrusted = errors.New("edXML packet's signer is not under this clerk's roots")
	// ErrEdXMLSigner: the signer's certificate is invalid under the roots
	// (expired, revoked), may not issue documents, or names another
	// agency than the packet's sender.
	ErrEdXMLSigner = errors.New("edXML packet is not signed by its sender's valid certificate")
	// ErrEdXMLNotForUs: this agency is not among the packet's recipients
	// (a status: the document it answers is not one this agency sent
	// to that agency).
	ErrEdXMLNotForUs = errors.New("edXML packet is not addressed to this agency")
	// ErrEdXMLAttachment: an attachment is not in the packet, is not a
	// PDF, has a name the clerk refuses, or is over the size limit.
	ErrEdXMLAttachment = errors.New("edXML attachment refused")
)

// ImportOptions tune ImportEdXML.
type ImportOptions struct {
	// UnsignedOK takes a packet without an XML signature, or signed under
	// roots this clerk does not trust, and records that it was not
	// verified. A signature that does not match the packet, or a signer
	// invalid under the roots, is refused all the same.
	UnsignedOK bool
	// RefuseWeak refuses SHA-1 signatures instead of warning.
	RefuseWeak bool
	// Limits bound the packet (edxml's defaults: 50 MB).
	Limits edxml.Limits
}

// Imported is what ImportEdXML filed.
type Imported struct {
	// ID is the stored document's message id: for a document, the one it
	// was filed under; for a status, the document it was added to.
	ID string
	// Status is set for a status packet.
	Status *document.StatusUpdate
	// Arrival is the số đến a document was registered under.
	Arrival int
	// Check is how the packet was verified, also kept in the store.
	Check EdXMLCheck
	// Reports are the PDF signature reports of the attachments, nil
	// where a file is not a readable PDF.
	Reports []*pades.Report
}

// EdXMLCheck records how an imported packet's XML signature was checked.
type EdXMLCheck struct {
	// Verified is true when the signature matched and the signer's chain
	// led to this clerk's roots.
	Verified bool `json:"verified"`
	// Trust is xmlsig's verdict ("verified", "not-under-roots"), or
	// "unsigned".
	Trust       string `json:"trust"`
	TrustDetail string `json:"trust_detail,omitempty"`
	Signer      string `json:"signer,omitempty"`
	// Warnings are edxml's and xmlsig's, as "kind path: detail".
	Warnings []string `json:"warnings,omitempty"`
}

// settingEdXML prefixes the setting that keeps an imported document's
// EdXMLCheck (settings are sealed like the rest of the store).
const settingEdXML = "edxml_check:"

// EdXMLCheckOf returns how the document was checked when it was imported
// from edXML, and false for a document that came another way.
func (c *Clerk) EdXMLCheckOf(id string) (EdXMLCheck, bool) {
	var ch EdXMLCheck
	s, err := c.st.Setting(settingEdXML + id)
	if err != nil || s == "" || json.Unmarshal([]byte(s), &ch) != nil {
		return EdXMLCheck{}, false
	}
	return ch, true
}

// isEdXML reports whether a stored packet is an edXML file (a document
// filed by ImportEdXML) rather than a sealed envelope (JSON).
func isEdXML(packet []byte) bool {
	p := bytes.TrimLeft(bytes.TrimPrefix(packet, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(p) > 0 && p[0] == '<'
}

// fromEdXML reports whether a stored document came from an edXML import:
// it has no copy at the hub.
func (c *Clerk) fromEdXML(id string) bool {
	p, err := c.st.Packet(id)
	return err == nil && isEdXML(p)
}

// ImportEdXML checks an edXML packet and files it: a document in the
// incoming box, registered; a status in the history of the document it
// answers. Nothing is stored when a check fails.
func (c *Clerk) ImportEdXML(ctx context.Context, data []byte, opts ImportOptions) (*Imported, error) {
	lim := opts.Limits
	max := lim.MaxPacketSize
	if max <= 0 {
		max = edxml.DefaultMaxPacketSize
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("import edXML: %w: %d bytes, more than %d", edxml.ErrTooLarge, len(data), max)
	}
	if err := c.RefreshCRLs(ctx); err != nil {
		c.log.Warn("CRLs not refreshed; verifying with the cached ones", "err", err)
	}
	check, signer, err := c.checkEdXMLSignature(data, opts)
	if err != nil {
		return nil, fmt.Errorf("import edXML: %w", err)
	}
	in := &Imported{Check: check}
	var sinks []*spooled
	var parts []string
	defer func() {
		for i, s := range sinks {
			s.Close()
			c.removeSpool(parts[i])
		}
	}()
	tag := envelope.NewMessageID()
	var over error
	pkt, err := edxml.Read(bytes.NewReader(data), edxml.Options{Limits: lim, Attachment: func(i int) (io.Writer, error) {
		part := "edxml-" + tag + "-" + strconv.Itoa(i) + ".part"
		f, err := c.spoolFile(part)
		if err != nil {
			return nil, err
		}
		sinks, parts = append(sinks, f), append(parts, part)
		return &limitedWriter{w: f, max: c.opts.MaxAttachment, over: &over}, nil
	}})
	if over != nil {
		// edxml reports a sink's error as text: say why ourselves.
		return nil, fmt.Errorf("import edXML: %w", over)
	}
	if err != nil {
		return nil, fmt.Errorf("import edXML: %w", err)
	}
	for _, w := range pkt.Warnings {
		in.Check.Warnings = append(in.Check.Warnings, fmt.Sprintf("%s %s: %s", w.Kind, w.Path, w.Detail))
	}
	if pkt.Status != nil {
		return in, c.importStatus(data, pkt.Status, signer, in)
	}
	return in, c.importDocument(ctx, data, pkt.Document, signer, sinks, in)
}

// checkEdXMLSignature verifies the packet's XML signature and returns what
// the check found and the signing agency ("" when not verified).
func (c *Clerk) checkEdXMLSignature(data []byte, opts ImportOptions) (EdXMLCheck, certs.AgencyCode, error) {
	res, err := xmlsig.Verify(data, xmlsig.Options{Limits: opts.Limits, Verifier: c.v, Now: c.now, RefuseWeak: opts.RefuseWeak})
	switch {
	case errors.Is(err, xmlsig.ErrUnsigned):
		if !opts.UnsignedOK {
			return EdXMLCheck{}, "", ErrEdXMLUnsigned
		}
		return EdXMLCheck{Trust: "unsigned"}, "", nil
	case err != nil:
		return EdXMLCheck{}, "", err
	}
	ch := EdXMLCheck{Trust: string(res.Trust), TrustDetail: res.TrustDetail, Signer: res.Signer.Subject.String()}
	for _, w := range res.Warnings {
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s: %s", w.Kind, w.Detail))
	}
	switch res.Trust {
	case xmlsig.TrustVerified:
	case xmlsig.TrustNotUnderRoots:
		if !opts.UnsignedOK {
			return EdXMLCheck{}, "", fmt.Errorf("%w: %s", ErrEdXMLUntrusted, res.TrustDetail)
		}
		return ch, "", nil
	default:
		return EdXMLCheck{}, "", fmt.Errorf("%w: %s", ErrEdXMLSigner, res.TrustDetail)
	}
	if err := certs.MayIssueDocuments(res.Signer); err != nil {
		return EdXMLCheck{}, "", fmt.Errorf("%w: %w", ErrEdXMLSigner, err)
	}
	agency, err := certs.AgencyOf(res.Signer)
	if err != nil {
		return EdXMLCheck{}, "", fmt.Errorf("%w: %w", ErrEdXMLSigner, err)
	}
	ch.Verified = true
	return ch, agency, nil
}

// limitedWriter refuses more than max bytes: an attachment over the
// clerk's limit (Options.MaxAttachment) stops the read at once, and the
// refusal is kept in over.
type limitedWriter struct {
	w    io.Writer
	n    int64
	max  int64
	over *error
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > l.max {
		*l.over = fmt.Errorf("%w: an attachment over the limit of %s", ErrEdXMLAttachment, megabytes(l.max))
		return 0, *l.over
	}
	l.n += int64(len(p))
	return l.w.Write(p)
}

// importDocument files a document packet whose attachments are in sinks.
func (c *Clerk) importDocument(ctx context.Context, data []byte, d *edxml.Document, signer certs.AgencyCode, sinks []*spooled, in *Imported) error {
	m := d.Metadata
	if signer != "" && signer != m.From.Code {
		return fmt.Errorf("import edXML: %w: signed by %s, sent as %s", ErrEdXMLSigner, signer, m.From.Code)
	}
	if !slices.ContainsFunc(m.To, func(r document.Recipient) bool { return r.Code == c.code }) {
		return fmt.Errorf("import edXML: %w", ErrEdXMLNotForUs)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("import edXML: %w", err)
	}
	id := edxmlMessageID(&m)
	if _, err := c.st.Get(id); err == nil {
		return fmt.Errorf("import edXML: %w", &store.DuplicateError{Existing: id, SameID: true})
	}
	if dup, err := c.heldIncoming(&m); err != nil {
		return fmt.Errorf("import edXML: %w", err)
	} else if dup != "" {
		return fmt.Errorf("import edXML: %w", &store.DuplicateError{Existing: dup, SameID: true})
	}
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: id, Created: c.now().UTC(), Metadata: &m}
	for i, a := range d.Attachments {
		field := fmt.Sprintf("attachments[%d]", i+1)
		if !a.Included || a.Index < 0 || a.Index >= len(sinks) {
			return fmt.Errorf("import edXML: %w: %s %q is not in the packet", ErrEdXMLAttachment, field, a.ContentID)
		}
		if p := envelope.CheckAttachmentName(field, a.Name, a.ContentType); p != nil {
			return fmt.Errorf("import edXML: %w: %s", ErrEdXMLAttachment, p.Message)
		}
		f := sinks[a.Index]
		head := make([]byte, envelope.ContentHead)
		n, _ := f.ReadAt(head, 0)
		if err := envelope.CheckContent(a.ContentType, head[:n]); err != nil {
			return fmt.Errorf("import edXML: %s: %w", field, err)
		}
		rep, err := c.verifyPDF(ctx, f, f.Size())
		switch {
		case errors.Is(err, pades.ErrBudget):
			return fmt.Errorf("import edXML: %s: %w", field, err)
		case err != nil:
			c.log.Warn("attachment is not a readable PDF", "doc", id, "err", err)
			rep = nil
		}
		in.Reports = append(in.Reports, rep)
		env.Attachments = append(env.Attachments, envelope.Attachment{Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, SHA256: hex.EncodeToString(a.SHA256[:]), Description: a.Description})
	}
	if len(env.Attachments) == 0 {
		return fmt.Errorf("import edXML: %w: the packet has no attachment", ErrEdXMLAttachment)
	}
	for _, ref := range m.Business.Documents {
		if t, _ := c.heldIncoming(&document.Metadata{From: document.Organ{Code: ref.Organ}, Promulgation: document.Promulgation{Date: ref.Date},
			CodeNumber: ref.Number, CodeNotation: ref.Notation}); t != "" {
			env.Targets = append(env.Targets, t)
		}
	}
	if err := env.Validate(c.opts.MaxAttachment); err != nil {
		return fmt.Errorf("import edXML: %w", err)
	}
	reportJSON, err := json.Marshal(in.Reports)
	if err != nil {
		return err
	}
	checkJSON, err := json.Marshal(in.Check)
	if err != nil {
		return err
	}
	// Staged blobs that no document claims (a save that fails) are
	// collected by the store.
	var blobs []store.Blob
	for _, a := range d.Attachments {
		f := sinks[a.Index]
		w, err := c.st.NewAttachment()
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, io.NewSectionReader(f, 0, f.Size())); err != nil {
			w.Abort()
			return err
		}
		b, err := w.Close()
		if err != nil {
			return err
		}
		blobs = append(blobs, b)
	}
	now := c.now()
	first := store.StatusEntry{Copy: c.code, Update: document.StatusUpdate{Document: m.ID(), From: c.code, Code: document.StatusArrived, Time: now}}
	recalls := c.recallTargets(env, now)
	err = c.st.SaveIncoming(store.NewDocument{Packet: data, Payload: env, Blobs: blobs, Report: reportJSON,
		Statuses: []store.StatusEntry{first}, Recalls: recalls, Now: now})
	if err != nil {
		return fmt.Errorf("import edXML: save: %w", err)
	}
	in.ID = id
	if err := c.st.SetSetting(settingEdXML+id, string(checkJSON)); err != nil {
		return fmt.Errorf("import edXML: keep the check: %w", err)
	}
	// Registering is the clerk's act of receiving the paper: the 03 is
	// recorded, not queued (the hub has no copy of this document).
	u := document.StatusUpdate{Document: m.ID(), From: c.code, Code: document.StatusReceived, Time: c.now()}
	n, err := c.st.Register(store.Registration{Doc: id, At: u.Time, Entry: store.StatusEntry{Copy: c.code, Update: u}})
	if err != nil {
		return fmt.Errorf("import edXML: register %s: %w", id, err)
	}
	in.Arrival = n
	c.log.Info("document imported from edXML", "doc", id, "agency", string(m.From.Code), "verified", in.Check.Verified)
	c.emit(DocumentArrived{ID: id, Urgency: m.Priority, Secrecy: m.Secrecy, Subject: m.Subject, From: m.From.Name})
	return nil
}

// edxmlMessageID is the message id a document imported from edXML is
// filed under: derived from its DocumentId and business type, so that the
// same packet imported twice is found.
func edxmlMessageID(m *document.Metadata) string {
	sum := sha256.Sum256([]byte("lienthong edxml import\x00" + m.ID().String() + "\x00" + strconv.Itoa(int(m.Business.Type))))
	return hex.EncodeToString(sum[:16])
}

// heldIncoming returns the message id of an incoming document of this
// store with m's DocumentId and business type (received from the hub or
// imported), or "".
func (c *Clerk) heldIncoming(m *document.Metadata) (string, error) {
	docs, err := c.all(store.Incoming)
	if err != nil {
		return "", err
	}
	want := m.ID()
	for _, d := range docs {
		if d.Payload.Metadata.ID() == want && d.Payload.Metadata.Business.Type == m.Business.Type {
			return d.ID, nil
		}
	}
	return "", nil
}

// importStatus adds a status packet to the history of the outgoing
// document it answers, at the copy of the agency that sent it.
func (c *Clerk) importStatus(data []byte, st *edxml.Status, signer certs.AgencyCode, in *Imported) error {
	u := st.Update
	if signer != "" && signer != u.From {
		return fmt.Errorf("import edXML status: %w: signed by %s, sent as %s", ErrEdXMLSigner, signer, u.From)
	}
	if err := u.Validate(); err != nil {
		return fmt.Errorf("import edXML status: %w", err)
	}
	docs, err := c.all(store.Outgoing)
	if err != nil {
		return err
	}
	var doc *store.Document
	for _, d := range docs {
		if d.Payload.Metadata.ID() == u.Document && d.Payload.Metadata.Business.Type == document.BusinessNew {
			doc = d
		}
	}
	if doc == nil || !slices.ContainsFunc(doc.Payload.Metadata.To, func(r document.Recipient) bool { return r.Code == u.From }) {
		return fmt.Errorf("import edXML status: %w: no document %s sent to %s", ErrEdXMLNotForUs, u.Document, u.From)
	}
	err = c.st.AddStatus(store.StatusChange{Doc: doc.ID, Entry: store.StatusEntry{Copy: u.From, Update: u, Packet: data}})
	if errors.Is(err, document.ErrTransition) && u.Code != document.StatusArrived && c.copyEmpty(doc.ID, u.From) {
		// A paper handed over by file has no 01 from the hub: the
		// recipient's status shows that it arrived, at the latest when
		// it was set. The 01 is recorded as implied, without a packet.
		arrived := document.StatusUpdate{Document: u.Document, From: u.From, Code: document.StatusArrived,
			Description: "edXML: implied by status " + string(u.Code), Time: u.Time}
		if err = c.st.AddStatus(store.StatusChange{Doc: doc.ID, Entry: store.StatusEntry{Copy: u.From, Update: arrived}}); err == nil {
			err = c.st.AddStatus(store.StatusChange{Doc: doc.ID, Entry: store.StatusEntry{Copy: u.From, Update: u, Packet: data}})
		}
	}
	if err != nil {
		return fmt.Errorf("import edXML status: %w", err)
	}
	in.ID, in.Status = doc.ID, &u
	c.emit(StatusChanged{ID: doc.ID, Agency: u.From, Code: u.Code})
	c.emit(DocumentChanged{ID: doc.ID})
	return nil
}

// copyEmpty reports whether the history of agency's copy of a document
// holds no status yet.
func (c *Clerk) copyEmpty(id string, agency certs.AgencyCode) bool {
	hist, err := c.st.History(id)
	if err != nil {
		return false
	}
	for _, h := range hist {
		if h.Copy == agency && len(h.Entries) > 0 {
			return false
		}
	}
	return true
}

// ExportEdXML writes a stored document, sent or received, as an edXML
// packet signed with this agency's key. A document imported from edXML
// keeps the elements that have no field in the model (its extras) and its
// trace; a received one gains a TraceHeader for this agency.
func (c *Clerk) ExportEdXML(id string, w io.Writer) error {
	doc, err := c.st.Get(id)
	if err != nil {
		return fmt.Errorf("export edXML %s: %w", id, err)
	}
	ed := &edxml.Document{Metadata: *doc.Payload.Metadata}
	if p, err := c.st.Packet(id); err == nil && isEdXML(p) {
		if pkt, err := edxml.Read(bytes.NewReader(p), edxml.Options{}); err == nil && pkt.Document != nil {
			ed.Extras, ed.Trace = pkt.Document.Extras, pkt.Document.Trace
		}
	}
	ed.Trace = append(ed.Trace, edxml.Hop{Organ: string(c.code), Time: c.now()})
	for i, a := range doc.Payload.Attachments {
		sum, err := hex.DecodeString(a.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("export edXML %s: attachment %d: bad SHA-256", id, i+1)
		}
		ea := edxml.Attachment{ContentID: strconv.Itoa(i + 1), Name: a.Name, ContentType: a.ContentType,
			Description: a.Description, Included: true, Index: i, Size: a.Size}
		copy(ea.SHA256[:], sum)
		ed.Attachments = append(ed.Attachments, ea)
	}
	var opened []io.Closer
	defer func() {
		for _, o := range opened {
			o.Close()
		}
	}()
	var buf bytes.Buffer
	err = edxml.WriteDocument(&buf, ed, func(i int) (io.Reader, error) {
		rc, _, err := c.st.OpenAttachment(id, i)
		if err != nil {
			return nil, err
		}
		opened = append(opened, rc)
		return rc, nil
	})
	if err != nil {
		return fmt.Errorf("export edXML %s: %w", id, err)
	}
	return c.signEdXML(id, buf.Bytes(), w)
}

// ExportEdXMLStatus writes a status of a document as a signed edXML
// status packet: this agency's latest status with that code on a received
// document (to hand to its sender), or on a sent document a recipient's
// latest with that code (recipient empty: the first that has one).
func (c *Clerk) ExportEdXMLStatus(id string, code document.Status, recipient certs.AgencyCode, w io.Writer) error {
	doc, err := c.st.Get(id)
	if err != nil {
		return fmt.Errorf("export edXML status %s: %w", id, err)
	}
	hist, err := c.st.History(id)
	if err != nil {
		return fmt.Errorf("export edXML status %s: %w", id, err)
	}
	if doc.Box == store.Incoming {
		recipient = c.code
	}
	var found *document.StatusUpdate
	for _, h := range hist {
		if recipient != "" && h.Copy != recipient {
			continue
		}
		for _, e := range h.Entries {
			if e.Update.Code == code {
				u := e.Update
				found = &u
			}
		}
		if found != nil {
			break
		}
	}
	if found == nil {
		return fmt.Errorf("export edXML status %s: %w: no status %s", id, store.ErrNotFound, code)
	}
	var buf bytes.Buffer
	if err := edxml.WriteStatus(&buf, &edxml.Status{Update: *found}); err != nil {
		return fmt.Errorf("export edXML status %s: %w", id, err)
	}
	return c.signEdXML(id, buf.Bytes(), w)
}

func (c *Clerk) signEdXML(id string, packet []byte, w io.Writer) error {
	signed, err := xmlsig.Sign(packet, c.kp)
	if err != nil {
		return fmt.Errorf("export edXML %s: sign: %w", id, err)
	}
	if _, err := w.Write(signed); err != nil {
		return fmt.Errorf("export edXML %s: %w", id, err)
	}
	return nil
}
