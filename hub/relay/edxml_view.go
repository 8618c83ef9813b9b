package relay

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// The edXML view hands documents and statuses out as edXML packets, from
// the same queues as Inbox and Statuses: an item is acknowledged or
// refused with Ack and Refuse, a status removed with AckStatuses, and
// either way it leaves both views.
//
// A document or status that came as edXML is handed out as the sender's
// own packet, byte for byte (wire.OriginSender). One that came as a
// Lienthong packet is rendered by the hub (wire.OriginHub): its metadata
// and attachments written with package edxml, and the packet signed with
// the hub's receipt identity (xmlsig.Sign), with the sender's signed
// packet beside it so that the reader can verify the sender itself.
//
// Renditions are not cached: they are built on each call, in memory under
// the edXML budget. The same document always gives the same bytes outside
// the SignatureValue (the trace's one hop is the sender at the hub's time
// of receipt), and an RSA identity gives the same signature too; an ECDSA
// signature differs from call to call, and both verify. Caching would
// keep up to EdXMLOptions.MaxPacket per document on the hub to save a
// signature and a base64 pass, for a reader that fetches a document once.

// ErrRenditionTooLarge: the edXML packet the hub would build of a
// Lienthong document is over EdXMLOptions.MaxPacket.
var ErrRenditionTooLarge = errors.New("the document's edXML packet would be over the hub's edXML size limit: fetch it with GET /v1/messages/{id} and its attachments")

// EdXMLInboxItem is a document queued to its recipient, as the edXML
// inbox lists it.
type EdXMLInboxItem struct {
	Cursor    uint64
	MessageID string
	Sender    certs.AgencyCode
	Origin    string        // wire.OriginSender or wire.OriginHub
	Ref       wire.EdXMLRef // OriginSender: the sender's own packet
	Packet    []byte        // OriginHub: the sender's signed Lienthong packet
}

// EdXMLInbox lists the documents waiting for agency after cursor, as Inbox
// does (the same queue, cursors, limits and long poll), each saying
// whether its edXML packet is the sender's own or the hub's rendition. An
// answer holds at most Options.MaxInboxBytes of packets and signatures (at
// least one item).
func (r *Relay) EdXMLInbox(ctx context.Context, agency certs.AgencyCode, after uint64, limit int, wait time.Duration) ([]EdXMLInboxItem, uint64, error) {
	return inboxPage(ctx, r, agency, after, limit, wait, func(d store.Delivery, m store.Message) (EdXMLInboxItem, int) {
		if ref, ok := parseEdXMLRef(m.Envelope); ok {
			return EdXMLInboxItem{Cursor: d.Cursor, MessageID: d.MessageID, Sender: d.Sender, Origin: wire.OriginSender, Ref: ref}, len(ref.Signature)
		}
		return EdXMLInboxItem{Cursor: d.Cursor, MessageID: d.MessageID, Sender: d.Sender, Origin: wire.OriginHub, Packet: m.Envelope}, len(m.Envelope)
	})
}

// EdXMLPacket is a document as an edXML packet, to be read once and
// closed.
type EdXMLPacket struct {
	Origin string // wire.OriginSender or wire.OriginHub
	Body   io.ReadCloser
	Size   int64
	// SHA256 is the packet's, for OriginSender (a rendition's changes
	// with its signature).
	SHA256 string
	// Signature is the detached CMS signature the sender gave with a
	// packet that has no XML signature of its own.
	Signature []byte
}

// EdXMLMessage returns a message as an edXML packet to one of its parties
// (Party decides, as for Message and Attachment): for a document sent as
// edXML the sender's own packet, streamed from the store, with its
// detached signature if it had one; for a document sent as a Lienthong
// packet the hub's rendition, signed with its receipt identity. A
// rendition over EdXMLOptions.MaxPacket is ErrRenditionTooLarge, a secret
// document (edXML has no element for độ mật) ErrSecretNotAllowed, and a
// hub whose edXML memory is taken ErrEdXMLBusy.
func (r *Relay) EdXMLMessage(ctx context.Context, agency certs.AgencyCode, messageID string) (*EdXMLPacket, error) {
	if _, _, err := r.Party(ctx, agency, messageID); err != nil {
		return nil, err
	}
	m, err := r.st.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if ref, ok := parseEdXMLRef(m.Envelope); ok {
		f, err := r.st.OpenBlob(ctx, ref.SHA256)
		if err != nil {
			return nil, fmt.Errorf("the edXML packet of %s: %w", messageID, err)
		}
		return &EdXMLPacket{Origin: wire.OriginSender, Body: f, Size: ref.Size, SHA256: ref.SHA256, Signature: ref.Signature}, nil
	}
	return r.renderDocument(ctx, &m)
}

// renditionOverhead bounds what a rendition holds beyond its attachments'
// base64 and twice its payload (the metadata written as XML): the
// envelope's elements and the signature with the hub's chain.
const renditionOverhead = 64 << 10

// renderDocument builds, signs and holds a Lienthong document's edXML
// packet under the edXML memory budget, released when the body is closed.
func (r *Relay) renderDocument(ctx context.Context, m *store.Message) (*EdXMLPacket, error) {
	p, err := envelope.Decode(m.Envelope)
	if err != nil {
		return nil, fmt.Errorf("the stored packet of %s: %w", m.MessageID, err)
	}
	d, err := envelope.ParseDocument(p.Payload, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("the stored packet of %s: %w", m.MessageID, err)
	}
	if d.Metadata.Secrecy != document.SecrecyNone {
		return nil, fmt.Errorf("%w: edXML has no element for độ mật; fetch %s with GET /v1/messages/{id}", ErrSecretNotAllowed, m.MessageID)
	}
	expected := int64(renditionOverhead + 2*len(p.Payload))
	doc := &edxml.Document{Metadata: *d.Metadata, Trace: []edxml.Hop{{Organ: string(m.Sender), Time: m.Received.UTC()}}}
	for i, a := range d.Attachments {
		sum, err := hex.DecodeString(a.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("the stored packet of %s: attachment %d has no SHA-256", m.MessageID, i+1)
		}
		ea := edxml.Attachment{ContentID: strconv.Itoa(i + 1), Name: a.Name, ContentType: a.ContentType,
			Description: a.Description, Included: true, Index: i, Size: a.Size}
		copy(ea.SHA256[:], sum)
		doc.Attachments = append(doc.Attachments, ea)
		expected += 4 * ((a.Size + 2) / 3)
	}
	if expected > r.edxml.MaxPacket {
		return nil, fmt.Errorf("%w: about %d bytes, the limit is %d", ErrRenditionTooLarge, expected, r.edxml.MaxPacket)
	}
	release, err := r.edxmlMem.take(expected)
	if err != nil {
		return nil, err
	}
	signed, err := r.buildDocument(ctx, m.MessageID, doc, d.Attachments, expected)
	if err != nil {
		release()
		return nil, err
	}
	return &EdXMLPacket{Origin: wire.OriginHub, Body: &heldBytes{Reader: bytes.NewReader(signed), release: release}, Size: int64(len(signed))}, nil
}

// buildDocument writes doc with its attachments streamed from the store,
// and signs it.
func (r *Relay) buildDocument(ctx context.Context, id string, doc *edxml.Document, atts []envelope.Attachment, expected int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(expected))
	lw := &limitWriter{w: &buf, left: r.edxml.MaxPacket}
	err := edxml.WriteDocument(lw, doc, func(i int) (io.Reader, error) {
		f, err := r.st.OpenBlob(ctx, atts[i].SHA256)
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i+1, err)
		}
		return f, nil // WriteDocument closes it
	})
	if lw.over {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrRenditionTooLarge, r.edxml.MaxPacket)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s as edXML: %w", id, err)
	}
	signed, err := xmlsig.Sign(buf.Bytes(), r.identity)
	if err != nil {
		return nil, fmt.Errorf("sign the edXML packet of %s: %w", id, err)
	}
	if int64(len(signed)) > r.edxml.MaxPacket {
		return nil, fmt.Errorf("%w: %d bytes signed, the limit is %d", ErrRenditionTooLarge, len(signed), r.edxml.MaxPacket)
	}
	return signed, nil
}

// limitWriter fails a write that would take it past left bytes, and says
// so in over.
type limitWriter struct {
	w    io.Writer
	left int64
	over bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		l.over = true
		return 0, errors.New("over the edXML packet limit")
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// heldBytes is a rendition in memory; closing it gives its memory back to
// the edXML budget, once.
type heldBytes struct {
	*bytes.Reader
	release func()
	once    sync.Once
}

func (h *heldBytes) Close() error {
	h.once.Do(h.release)
	return nil
}
