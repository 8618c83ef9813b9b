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
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
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
// A document filed from an edXML file has no copy at the hub: its
// statuses are not queued for the hub; the clerk exports them
// (ExportEdXMLStatus) and hands them over the way the paper came. If the
// hub delivers the same document later, it is linked to that delivery
// and its statuses go through the hub (heldDelivered). The checks and the
// filing are those of a packet from the hub (edxmlread.go).
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
	// Method is how the packet was signed: "xmldsig" (its enveloped XML
	// signature), "cms" (a detached CMS signature given with it), or ""
	// when it was not verified.
	Method string `json:"method,omitempty"`
	// Signature is the detached CMS signature a packet of Method "cms"
	// was verified with, kept with the packet as its evidence.
	Signature []byte `json:"signature,omitempty"`
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

// ImportEdXML checks an edXML packet and files it: a document in the
// incoming box, registered; a status in the history of the document it
// answers. Nothing is stored when a check fails.
func (c *Clerk) ImportEdXML(ctx context.Context, data []byte, opts ImportOptions) (*Imported, error) {
	r, err := c.readEdXML(ctx, data, nil, opts)
	if err != nil {
		return nil, fmt.Errorf("import edXML: %w", unrefused(err))
	}
	defer r.close()
	in := &Imported{Check: r.check}
	if r.pkt.Status != nil {
		u, err := c.edxmlStatus(r)
		if err != nil {
			return in, fmt.Errorf("import edXML status: %w", unrefused(err))
		}
		return in, c.importStatus(data, u, in)
	}
	if err := c.fileEdXML(ctx, r, nil, in); err != nil {
		return in, fmt.Errorf("import edXML: %w", unrefused(err))
	}
	// Registering is the clerk's act of receiving the paper: the 03 is
	// recorded, not queued (the hub has no copy of this document).
	m := r.pkt.Document.Metadata
	u := document.StatusUpdate{Document: m.ID(), From: c.code, Code: document.StatusReceived, Time: c.now()}
	n, err := c.st.Register(store.Registration{Doc: in.ID, At: u.Time, Entry: store.StatusEntry{Copy: c.code, Update: u}})
	if err != nil {
		return in, fmt.Errorf("import edXML: register %s: %w", in.ID, err)
	}
	in.Arrival = n
	c.log.Info("document imported from edXML", "doc", in.ID, "agency", string(m.From.Code), "verified", in.Check.Verified)
	c.emit(DocumentArrived{ID: in.ID, Urgency: m.Priority, Secrecy: m.Secrecy, Subject: m.Subject, From: m.From.Name})
	return in, nil
}

// importStatus adds a status packet, verified by edxmlStatus, to the
// history of the outgoing document it answers, at the copy of the agency
// that sent it.
func (c *Clerk) importStatus(data []byte, u document.StatusUpdate, in *Imported) error {
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
	signed, err := xmlsig.Sign(packet, c.signer())
	if err != nil {
		return fmt.Errorf("export edXML %s: sign: %w", id, err)
	}
	if _, err := w.Write(signed); err != nil {
		return fmt.Errorf("export edXML %s: %w", id, err)
	}
	return nil
}

// EdXMLCheckText says, in the clerk's words, how a document's edXML
// packet was checked: verified and by whom, or NOT VERIFIED (taken with
// ImportOptions.UnsignedOK) and why.
func EdXMLCheckText(cat *i18n.Catalog, ch EdXMLCheck) string {
	if ch.Verified {
		return cat.T(i18n.DocEdXMLVerified, ch.Signer)
	}
	why := ch.Trust
	if ch.TrustDetail != "" {
		why += ": " + ch.TrustDetail
	}
	return cat.T(i18n.DocEdXMLNotVerified, why)
}
