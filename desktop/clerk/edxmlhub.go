package clerk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// edXML through the hub. A document system that speaks edXML sends its
// own signed packet to the hub (POST /v1/edxml), and the hub lists it in
// this agency's inbox with InboxItem.EdXML set: receiveEdXML fetches the
// sender's packet, checks it as ImportEdXML checks a file (readEdXML,
// fileEdXML: the sender's XML signature or the detached CMS signature it
// gave, the signer naming the sender, this agency among the recipients,
// the attachments and their PDF signatures), files it under the hub's
// message id and acknowledges it (the hub's "delivered" receipt is the
// 01), or refuses it through the hub with the reason, as for a native
// packet it cannot take.
//
// This agency's statuses about such a document (03 on registration, 04 to
// 06, 02, 15 and 16) go back as edXML status packets signed with the
// agency's key (statusFor, statusRoute), so that the sending system
// verifies the clerk's own signature; and a status a document system
// posts about a document this agency sent arrives as an edXML status
// packet (StatusItem.Format "edxml"), verified the same way before it is
// recorded (applyEdXMLStatus).

// receiveEdXML receives an inbox item that came as an edXML packet; a
// refusal keeps the packet fetched (the store keeps it if small).
func (c *Clerk) receiveEdXML(ctx context.Context, cl *hubclient.Client, item wire.InboxItem) error {
	var data []byte
	err := c.takeEdXML(ctx, cl, item, &data)
	var ref *refusal
	if errors.As(err, &ref) && ref.packet == nil {
		ref.packet = data
	}
	return err
}

// takeEdXML fetches, checks and files an edXML inbox item, leaving the
// packet's bytes in data.
func (c *Clerk) takeEdXML(ctx context.Context, cl *hubclient.Client, item wire.InboxItem, data *[]byte) error {
	ref := item.EdXML
	limit := c.opts.MaxEdXMLPacket
	if ref.Size > limit {
		return tooLargeEdXML(ref.Size, limit)
	}
	var buf bytes.Buffer
	buf.Grow(int(max(ref.Size, 0)))
	p, err := cl.EdXMLMessage(ctx, item.MessageID, &buf, limit)
	if err != nil {
		return edxmlFetchRefusal(fmt.Errorf("fetch the edXML packet: %w", err))
	}
	*data = buf.Bytes()
	sum := sha256.Sum256(*data)
	if int64(len(*data)) != ref.Size || hex.EncodeToString(sum[:]) != ref.SHA256 || hubMessageID(*data) != item.MessageID {
		return refuse(store.CauseMismatch, nil, errors.New("edXML packet does not match its inbox entry"))
	}
	if p.Origin != wire.OriginSender {
		return refuse(store.CauseMismatch, nil, fmt.Errorf("edXML packet of origin %q, not the sender's", p.Origin))
	}
	sig := ref.Signature
	if len(sig) == 0 {
		sig = p.Signature
	}
	r, err := c.readEdXML(ctx, *data, sig, ImportOptions{Limits: edxml.Limits{MaxPacketSize: limit}})
	if err != nil {
		return err
	}
	defer r.close()
	if r.pkt.Document == nil {
		return refuse(store.CauseInvalid, nil, errors.New("a status packet listed as a document"))
	}
	in := &Imported{Check: r.check}
	if err := c.fileEdXML(ctx, r, &item, in); err != nil {
		return err
	}
	if in.ID != item.MessageID {
		return nil // held already: heldDelivered said so
	}
	m := r.pkt.Document.Metadata
	c.log.Info("document received as edXML", "doc", in.ID, "agency", string(m.From.Code), "method", in.Check.Method)
	c.emit(DocumentArrived{ID: in.ID, Urgency: m.Priority, Secrecy: m.Secrecy, Subject: m.Subject, From: m.From.Name})
	c.wake()
	return nil
}

// tooLargeEdXML refuses a document whose edXML packet of size bytes is
// over this clerk's limit.
func tooLargeEdXML(size, limit int64) error {
	r := refuse(store.CauseTooLarge, nil, fmt.Errorf("%w: a packet of %d bytes, more than %d", edxml.ErrTooLarge, size, limit),
		megabytes(size), megabytes(limit)).(*refusal)
	r.key = i18n.RefusedReasonPacketTooLarge
	return r
}

// edxmlFetchRefusal turns the hub's answer that it will never hand an
// edXML packet out into the document's refusal, so that the inbox moves
// past it and the sender is told: the packet is over the hub's limit
// (too_large), is marked secret on a hub that carries no such document,
// or its bytes were removed (gone). Anything else (the network, a busy
// hub, not_found or forbidden, which may be the hub's passing trouble)
// comes back as it is, to be retried.
func edxmlFetchRefusal(err error) error {
	var cause store.RefusalCause
	var word string
	switch {
	case errors.Is(err, hubclient.ErrTooLarge):
		cause, word = store.CauseTooLarge, string(wire.CodeTooLarge)
	case errors.Is(err, hubclient.ErrSecretNotAllowed):
		cause, word = store.CauseInvalid, string(wire.CodeSecretNotAllowed)
	case errors.Is(err, hubclient.ErrGone):
		cause, word = store.CauseInvalid, string(wire.CodeGone)
	default:
		return err
	}
	r := refuse(cause, nil, err, word).(*refusal)
	r.key = i18n.RefusedReasonHubCannotServe
	return r
}

// edxmlStatusPacket writes a status of this agency as an edXML status
// packet signed with its key.
func (c *Clerk) edxmlStatusPacket(u document.StatusUpdate) ([]byte, error) {
	var buf bytes.Buffer
	if err := edxml.WriteStatus(&buf, &edxml.Status{Update: u}); err != nil {
		return nil, fmt.Errorf("edXML status: %w", err)
	}
	signed, err := xmlsig.Sign(buf.Bytes(), c.signer())
	if err != nil {
		return nil, fmt.Errorf("edXML status: sign: %w", err)
	}
	return signed, nil
}

// applyEdXMLStatus verifies a status a document system posted as an edXML
// status packet about doc, a document this agency sent: its signature
// (XML-DSig, or the detached CMS signature it came with) by the agency it
// comes from, about this document. A packet that fails is a *refusal; any
// other error (the disk) is no verdict on it.
func (c *Clerk) applyEdXMLStatus(ctx context.Context, it wire.StatusItem, doc *store.Document) (document.StatusUpdate, error) {
	r, err := c.readEdXML(ctx, it.Packet, it.Signature, ImportOptions{})
	if err != nil {
		return document.StatusUpdate{}, err
	}
	defer r.close()
	if r.pkt.Status == nil {
		return document.StatusUpdate{}, refuse(store.CauseMismatch, nil, errors.New("a document packet listed as a status"))
	}
	u, err := c.edxmlStatus(r)
	if err != nil {
		return u, err
	}
	if string(u.From) != it.From || u.Document != doc.Payload.Metadata.ID() {
		return u, refuse(store.CauseMismatch, nil, fmt.Errorf("edXML status %s from %s about %s does not match its entry", u.Code, u.From, u.Document))
	}
	return u, nil
}

// statusEvidence is what a status's history entry keeps of the packet it
// came as: the packet itself, or for an edXML status packet signed with a
// detached CMS signature both, as the JSON
// {"edxml_status":{"packet":...,"signature":...}} (the form the hub keeps
// them in), so that the signature stays with what it signs.
func statusEvidence(it wire.StatusItem) []byte {
	if it.Format != wire.FormatEdXML || len(it.Signature) == 0 {
		return it.Packet
	}
	type body struct {
		Packet    []byte `json:"packet"`
		Signature []byte `json:"signature"`
	}
	b, err := json.Marshal(struct {
		EdXML body `json:"edxml_status"`
	}{body{it.Packet, it.Signature}})
	if err != nil {
		panic(err) // bytes always marshal
	}
	return b
}
