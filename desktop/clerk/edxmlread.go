package clerk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// The checks an edXML packet passes before it is filed, the same whether
// it came in a file (ImportEdXML) or from the hub (receiveEdXML): its
// signature (readEdXML), then for a document what fileEdXML checks, for a
// status what edxmlStatus checks. A check that fails returns a *refusal
// with its cause, which the hub's path sends back to the sender and the
// file's path shows as the error it wraps (unrefused); an error that is
// not a refusal (the disk) is no verdict on the packet.

// edxmlRead is a packet whose signature was checked and whose attachments
// are spooled. close removes the spool files.
type edxmlRead struct {
	c      *Clerk
	data   []byte
	pkt    *edxml.Packet
	check  EdXMLCheck
	signer certs.AgencyCode // "" when not verified (ImportOptions.UnsignedOK)
	sinks  []*spooled
	parts  []string
}

func (r *edxmlRead) close() {
	for i, s := range r.sinks {
		s.Close()
		r.c.removeSpool(r.parts[i])
	}
}

// unrefused returns the error a refusal wraps, for a caller that shows it
// as it is (an import from a file).
func unrefused(err error) error {
	var ref *refusal
	if errors.As(err, &ref) {
		return ref.err
	}
	return err
}

// readEdXML checks the packet's size and signature (its XML signature, or
// sig, a detached CMS signature over its bytes, when not nil) and reads
// it, spooling its attachments.
func (c *Clerk) readEdXML(ctx context.Context, data, sig []byte, opts ImportOptions) (*edxmlRead, error) {
	lim := opts.Limits
	max := lim.MaxPacketSize
	if max <= 0 {
		max = edxml.DefaultMaxPacketSize
	}
	if int64(len(data)) > max {
		return nil, refuse(store.CauseInvalid, nil, fmt.Errorf("%w: %d bytes, more than %d", edxml.ErrTooLarge, len(data), max))
	}
	if err := c.RefreshCRLs(ctx); err != nil {
		c.log.Warn("CRLs not refreshed; verifying with the cached ones", "err", err)
	}
	r := &edxmlRead{c: c, data: data}
	var err error
	if len(sig) > 0 {
		r.check, r.signer, err = c.checkEdXMLCMS(data, sig, opts)
	} else {
		r.check, r.signer, err = c.checkEdXMLSignature(data, opts)
	}
	if err != nil {
		return nil, err
	}
	tag := envelope.NewMessageID()
	var over, disk error
	r.pkt, err = edxml.Read(bytes.NewReader(data), edxml.Options{Limits: lim, Attachment: func(i int) (io.Writer, error) {
		part := "edxml-" + tag + "-" + strconv.Itoa(i) + ".part"
		f, err := c.spoolFile(part)
		if err != nil {
			disk = err
			return nil, err
		}
		r.sinks, r.parts = append(r.sinks, f), append(r.parts, part)
		return &limitedWriter{w: f, max: c.opts.MaxAttachment, over: &over, disk: &disk}, nil
	}})
	switch {
	case over != nil:
		// edxml reports a sink's error as text: say why ourselves.
		err = refuse(store.CauseTooLarge, nil, over, "> "+megabytes(c.opts.MaxAttachment), megabytes(c.opts.MaxAttachment))
	case disk != nil:
		err = fmt.Errorf("spool an attachment: %w", disk)
	case err != nil:
		err = refuse(store.CauseInvalid, nil, err)
	}
	if err != nil {
		r.close()
		return nil, err
	}
	for _, w := range r.pkt.Warnings {
		r.check.Warnings = append(r.check.Warnings, fmt.Sprintf("%s %s: %s", w.Kind, w.Path, w.Detail))
	}
	return r, nil
}

// checkEdXMLSignature verifies the packet's XML signature and returns what
// the check found and the signing agency ("" when not verified).
func (c *Clerk) checkEdXMLSignature(data []byte, opts ImportOptions) (EdXMLCheck, certs.AgencyCode, error) {
	res, err := xmlsig.Verify(data, xmlsig.Options{Limits: opts.Limits, Verifier: c.v, Now: c.now, RefuseWeak: opts.RefuseWeak})
	switch {
	case errors.Is(err, xmlsig.ErrUnsigned):
		if !opts.UnsignedOK {
			return EdXMLCheck{}, "", refuse(store.CauseSignature, nil, ErrEdXMLUnsigned)
		}
		return EdXMLCheck{Trust: "unsigned"}, "", nil
	case errors.Is(err, xmlsig.ErrBadSignature), errors.Is(err, xmlsig.ErrWeakAlgorithm), errors.Is(err, xmlsig.ErrUnsupported):
		return EdXMLCheck{}, "", refuse(store.CauseSignature, nil, err)
	case err != nil:
		return EdXMLCheck{}, "", refuse(store.CauseInvalid, nil, err)
	}
	ch := EdXMLCheck{Method: "xmldsig", Trust: string(res.Trust), TrustDetail: res.TrustDetail, Signer: res.Signer.Subject.String()}
	for _, w := range res.Warnings {
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s: %s", w.Kind, w.Detail))
	}
	switch res.Trust {
	case xmlsig.TrustVerified:
	case xmlsig.TrustNotUnderRoots:
		if !opts.UnsignedOK {
			return EdXMLCheck{}, "", refuse(store.CauseSigner, nil, fmt.Errorf("%w: %s", ErrEdXMLUntrusted, res.TrustDetail))
		}
		return ch, "", nil
	default:
		return EdXMLCheck{}, "", refuse(store.CauseSigner, nil, fmt.Errorf("%w: %s", ErrEdXMLSigner, res.TrustDetail))
	}
	agency, err := c.documentSigner(res.Signer)
	if err != nil {
		return EdXMLCheck{}, "", err
	}
	ch.Verified = true
	return ch, agency, nil
}

// checkEdXMLCMS verifies sig, a detached CMS signature over the packet's
// bytes (for a packet without an XML signature of its own), as the hub's
// packets are: signing-certificate-v2, a chain to this clerk's roots. A
// packet that carries an XML signature all the same must match it: one
// that does not was changed after it was signed, whoever signed the
// changed bytes.
func (c *Clerk) checkEdXMLCMS(data, sig []byte, opts ImportOptions) (EdXMLCheck, certs.AgencyCode, error) {
	_, err := xmlsig.Verify(data, xmlsig.Options{Limits: opts.Limits, RefuseWeak: opts.RefuseWeak})
	switch {
	case errors.Is(err, xmlsig.ErrUnsigned):
		// The usual case: the detached signature is its only one.
	case errors.Is(err, xmlsig.ErrBadSignature), errors.Is(err, xmlsig.ErrWeakAlgorithm), errors.Is(err, xmlsig.ErrUnsupported):
		return EdXMLCheck{}, "", refuse(store.CauseSignature, nil, fmt.Errorf("its own XML signature: %w", err))
	case err != nil:
		return EdXMLCheck{}, "", refuse(store.CauseInvalid, nil, err)
	}
	p := &envelope.Packet{Payload: data, Signature: sig}
	s, err := p.Verify(c.v, c.now())
	switch {
	case err == nil:
	case errors.Is(err, envelope.ErrUntrusted):
		return EdXMLCheck{}, "", refuse(store.CauseSigner, nil, fmt.Errorf("%w: %w", ErrEdXMLSigner, err))
	case err != nil:
		return EdXMLCheck{}, "", refuse(store.CauseSignature, nil, fmt.Errorf("detached signature: %w", err))
	}
	agency, err := c.documentSigner(s.Chain[0])
	if err != nil {
		return EdXMLCheck{}, "", err
	}
	return EdXMLCheck{Verified: true, Method: "cms", Trust: string(xmlsig.TrustVerified), Signer: s.Chain[0].Subject.String(), Signature: sig}, agency, nil
}

// documentSigner returns the agency of a verified signer allowed to sign
// documents and their statuses: the agency itself (its certificate or
// seal, by our URI or the directory's registration), never a person.
func (c *Clerk) documentSigner(leaf *x509.Certificate) (certs.AgencyCode, error) {
	id, err := c.v.DocumentSigner(leaf)
	if err == nil && id.Role == certs.RolePerson {
		err = fmt.Errorf("%w: %q is a person's certificate, not the agency's", certs.ErrWrongRole, leaf.Subject.CommonName)
	}
	if err != nil {
		return "", refuse(store.CauseSigner, nil, fmt.Errorf("%w: %w", ErrEdXMLSigner, err))
	}
	return id.Agency, nil
}

// limitedWriter refuses more than max bytes: an attachment over the
// clerk's limit (Options.MaxAttachment) stops the read at once, and the
// refusal is kept in over; an error of w (the disk) is kept in disk.
type limitedWriter struct {
	w    io.Writer
	n    int64
	max  int64
	over *error
	disk *error
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > l.max {
		*l.over = fmt.Errorf("%w: an attachment over the limit of %s", ErrEdXMLAttachment, megabytes(l.max))
		return 0, *l.over
	}
	l.n += int64(len(p))
	n, err := l.w.Write(p)
	if err != nil {
		*l.disk = err
	}
	return n, err
}

// fileEdXML checks a document packet and files it in the incoming box:
// the one place a document that came as edXML is filed, from a file (hub
// nil: filed under edxmlMessageID, for ImportEdXML to register) or from
// the hub (hub: its inbox item, filed under its message id with the
// acknowledgement queued). in gets the id and the PDF reports.
//
// ND30 gives a document one số đến: a document this store holds already
// (the same DocumentId and business type) is not filed again. From a file
// that is a *store.DuplicateError; from the hub it is acknowledged (this
// agency has it) and linked to the document held (heldDelivered), and the
// clerk is told (DocumentDuplicate).
func (c *Clerk) fileEdXML(ctx context.Context, r *edxmlRead, hub *wire.InboxItem, in *Imported) error {
	d := r.pkt.Document
	m := d.Metadata
	if r.signer != "" && r.signer != m.From.Code {
		return refuse(store.CauseSigner, nil, fmt.Errorf("%w: signed by %s, sent as %s", ErrEdXMLSigner, r.signer, m.From.Code))
	}
	if hub != nil && string(m.From.Code) != hub.Sender {
		return refuse(store.CauseMismatch, nil, fmt.Errorf("packet sent as %s by %s", m.From.Code, hub.Sender))
	}
	if !slices.ContainsFunc(m.To, func(r document.Recipient) bool { return r.Code == c.code }) {
		return refuse(store.CauseMismatch, nil, ErrEdXMLNotForUs)
	}
	if err := m.Validate(); err != nil {
		return refuse(store.CauseInvalid, nil, err)
	}
	id := edxmlMessageID(&m)
	if hub != nil {
		id = hub.MessageID
	}
	held := ""
	if _, err := c.st.Get(id); err == nil {
		held = id
	} else if held, err = c.heldIncoming(&m); err != nil {
		return err
	}
	if held != "" {
		if hub == nil {
			return &store.DuplicateError{Existing: held, SameID: true}
		}
		in.ID = held
		return c.heldDelivered(held, m.From.Code, hub, routeEdXML)
	}
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: id, Created: c.now().UTC(), Metadata: &m}
	for i, a := range d.Attachments {
		field := fmt.Sprintf("attachments[%d]", i+1)
		if !a.Included || a.Index < 0 || a.Index >= len(r.sinks) {
			return refuse(store.CauseInvalid, env, fmt.Errorf("%w: %s %q is not in the packet", ErrEdXMLAttachment, field, a.ContentID))
		}
		if p := envelope.CheckAttachmentName(field, a.Name, a.ContentType); p != nil {
			return refuse(store.CauseInvalid, env, fmt.Errorf("%w: %s", ErrEdXMLAttachment, p.Message))
		}
		if p := c.AttachmentTypes().CheckType(field, i, a.ContentType); p != nil {
			return refuse(store.CauseType, env, fmt.Errorf("%w: %w: %s", ErrEdXMLAttachment, envelope.ErrTypeNotAllowed, p.Message),
				envelope.Extension(a.ContentType), strings.Join(c.AttachmentTypes().Names(), ", "))
		}
		f := r.sinks[a.Index]
		if err := envelope.CheckFile(a.ContentType, f, f.Size()); err != nil {
			return refuse(store.CauseInvalid, env, fmt.Errorf("%s: %w", field, err))
		}
		rep, err := c.verifyAttachment(ctx, a.ContentType, f, f.Size())
		switch {
		case errors.Is(err, pades.ErrBudget):
			return refuse(store.CausePDFTooComplex, env, fmt.Errorf("%s: %w", field, err), a.Name)
		case err != nil:
			c.log.Warn("attachment is not a readable PDF", "doc", id, "err", err)
			rep = nil
		}
		in.Reports = append(in.Reports, rep)
		env.Attachments = append(env.Attachments, envelope.Attachment{Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, SHA256: hex.EncodeToString(a.SHA256[:]), Description: a.Description})
	}
	if len(env.Attachments) == 0 {
		return refuse(store.CauseInvalid, env, fmt.Errorf("%w: the packet has no attachment", ErrEdXMLAttachment))
	}
	for _, ref := range m.Business.Documents {
		if t, _ := c.heldIncoming(&document.Metadata{From: document.Organ{Code: ref.Organ}, Promulgation: document.Promulgation{Date: ref.Date},
			CodeNumber: ref.Number, CodeNotation: ref.Notation}); t != "" {
			env.Targets = append(env.Targets, t)
		}
	}
	if err := env.Validate(c.opts.MaxAttachment); err != nil {
		return refuse(store.CauseInvalid, env, err)
	}
	reportJSON, err := encodeReports(in.Reports)
	if err != nil {
		return err
	}
	checkJSON, err := json.Marshal(r.check)
	if err != nil {
		return err
	}
	// Staged blobs that no document claims (a save that fails) are
	// collected by the store.
	var blobs []store.Blob
	for _, a := range d.Attachments {
		f := r.sinks[a.Index]
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
	// The check is kept first: a document is never filed without it (a
	// save that fails leaves a setting no document names).
	if err := c.st.SetSetting(settingEdXML+id, string(checkJSON)); err != nil {
		return fmt.Errorf("keep the check: %w", err)
	}
	now := c.now()
	nd := store.NewDocument{Packet: r.data, Payload: env, Blobs: blobs, Report: reportJSON, Now: now,
		Statuses: []store.StatusEntry{{Copy: c.code, Update: document.StatusUpdate{Document: m.ID(), From: c.code, Code: document.StatusArrived, Time: now}}},
		Recalls:  c.recallTargets(env, now)}
	if hub != nil {
		nd.Queue = []store.OutboxItem{{Kind: store.Ack, Doc: id, Message: id}}
		nd.InboxCursor = strconv.FormatUint(hub.Cursor, 10)
	}
	switch err := c.st.SaveIncoming(nd); {
	case err == nil, hub != nil && errors.Is(err, store.ErrExists):
	case hub != nil && (errors.Is(err, document.ErrInvalid) || errors.Is(err, document.ErrTransition)):
		return refuse(store.CauseInvalid, env, fmt.Errorf("save: %w", err))
	default:
		return fmt.Errorf("save: %w", err)
	}
	in.ID = id
	for _, rt := range nd.Recalls {
		c.emit(StatusChanged{ID: rt.Doc, Agency: c.code, Code: document.StatusRecalled})
	}
	return nil
}

// edxmlMessageID is the message id a document imported from an edXML
// file is filed under: derived from its DocumentId and business type, so
// that the same packet imported twice is found. (One the hub delivers is
// filed under the hub's id, hubMessageID of its packet.)
func edxmlMessageID(m *document.Metadata) string {
	sum := sha256.Sum256([]byte("lienthong edxml import\x00" + m.ID().String() + "\x00" + strconv.Itoa(int(m.Business.Type))))
	return hex.EncodeToString(sum[:16])
}

// hubMessageID is the message id the hub gives a document sent as an
// edXML packet: the first 32 hex digits of the packet's SHA-256
// (wire.EdXMLAccepted).
func hubMessageID(packet []byte) string {
	sum := sha256.Sum256(packet)
	return hex.EncodeToString(sum[:16])
}

// heldIncoming returns the message id of an incoming document of this
// store with m's DocumentId and business type (received from the hub or
// imported), or "".
func (c *Clerk) heldIncoming(m *document.Metadata) (string, error) {
	ids, err := c.st.WithNumber(store.Incoming, m.CodeNumber)
	if err != nil {
		return "", err
	}
	want := m.ID()
	for _, id := range ids {
		d, err := c.st.Get(id)
		if err != nil {
			return "", err
		}
		if d.Payload.Metadata.ID() == want && d.Payload.Metadata.Business.Type == m.Business.Type {
			return d.ID, nil
		}
	}
	return "", nil
}

// edxmlStatus checks a status packet read by readEdXML: signed by the
// agency it comes from, valid.
func (c *Clerk) edxmlStatus(r *edxmlRead) (document.StatusUpdate, error) {
	u := r.pkt.Status.Update
	if r.signer != "" && r.signer != u.From {
		return u, refuse(store.CauseSigner, nil, fmt.Errorf("%w: signed by %s, sent as %s", ErrEdXMLSigner, r.signer, u.From))
	}
	if err := u.Validate(); err != nil {
		return u, refuse(store.CauseInvalid, nil, err)
	}
	return u, nil
}
