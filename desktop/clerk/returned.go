package clerk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// Documents the hub returns. An answer to a document's submission whose
// code refuses it for good (wire.Code.Returns: a closed or unknown
// recipient, a document that breaks the hub's rules) takes the document
// out of the outbox in the same store transaction that records it as
// returned, with the hub's code, message and details: it is never retried,
// and stays in the register as returned. A crash before that transaction
// leaves it queued, and the retry gets the same refusal. A refusal is
// never an acceptance, and the hub answers a retry of an accepted packet
// "existed" — except when a check it makes before looking the message up
// (the signer's certificate, the size limits) changed its answer since:
// so before returning a document the clerk asks the hub for the message's
// receipts, and a verified "accepted" receipt of this very packet makes
// it sent, not returned. The clerk sends a returned document again,
// re-addressed, with Resend.

// ErrNotReturned: Resend was asked for a document the hub has not
// returned, or one already sent again.
var ErrNotReturned = store.ErrNotReturned

// returnDocument records the hub's final refusal of a queued document
// and takes it out of the outbox, once the hub has confirmed that it
// holds no accepted copy of this very packet: a hub older than
// 2026-12-05 checked a retry (the signer's certificate, the size limits)
// before it looked the message up, and a document accepted once whose
// answer was lost is sent, not returned.
func (c *Clerk) returnDocument(ctx context.Context, cl *hubclient.Client, it store.OutboxItem, answer error) error {
	var we *wire.Error
	if !errors.As(answer, &we) {
		return answer
	}
	accepted, err := c.acceptedBefore(ctx, cl, it)
	if err != nil {
		return fmt.Errorf("ask whether the hub holds %s: %w", it.Doc, err)
	}
	if accepted != nil {
		c.log.Warn("hub refused a retry of a document it accepted before", "doc", it.Doc, "code", string(we.Code))
		if err := c.doneWithReceipt(it, store.Completion{At: accepted.at, Receipt: accepted.raw}); err != nil {
			return err
		}
		c.emit(DocumentChanged{ID: it.Doc})
		return nil
	}
	r := store.Returned{At: c.now(), Code: string(we.Code), Message: we.Message}
	if we.Details != nil {
		if d, err := json.Marshal(we.Details); err == nil {
			r.Details = d
		}
	}
	if err := c.st.Return(it.ID, r); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("record the hub's refusal of %s: %w", it.Doc, err)
	}
	c.log.Warn("hub returned a document", "doc", it.Doc, "code", string(we.Code))
	c.emit(DocumentReturned{ID: it.Doc, Err: answer})
	c.emit(DocumentChanged{ID: it.Doc})
	return nil
}

// acceptedReceipt is the hub's verified "accepted" receipt of a packet.
type acceptedReceipt struct {
	raw []byte
	at  time.Time
}

// acceptedBefore asks the hub for the receipts of the item's message: its
// verified "accepted" receipt for this packet (by its SHA-256) if the hub
// holds it, nil if the hub has no such message or holds another packet
// under its id (a conflict).
func (c *Clerk) acceptedBefore(ctx context.Context, cl *hubclient.Client, it store.OutboxItem) (*acceptedReceipt, error) {
	rs, err := cl.Receipts(ctx, it.Message)
	c.noteResult(cl, err)
	if wire.CodeOf(err) == wire.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	packet, err := c.st.Packet(it.Doc)
	if err != nil {
		return nil, permanent(err)
	}
	sum := sha256.Sum256(packet)
	for _, raw := range rs {
		r, _, err := receipt.Verify(raw, c.v, c.receiptSigner)
		if err == nil && r.Event == receipt.EventAccepted && r.MessageID == it.Message && r.EnvelopeSHA256 == hex.EncodeToString(sum[:]) {
			return &acceptedReceipt{raw: raw, at: r.At}, nil
		}
	}
	return nil, nil
}

// ReturnedError is the hub's answer recorded with a returned document, as
// the error it was (RecipientClosedOf and Explain read it); nil for a
// document not returned.
func ReturnedError(d *store.Document) error {
	if d == nil || d.Returned == nil {
		return nil
	}
	e := &wire.Error{Code: wire.Code(d.Returned.Code), Message: d.Returned.Message}
	if len(d.Returned.Details) > 0 {
		var v any
		if json.Unmarshal(d.Returned.Details, &v) == nil {
			e.Details = v
		}
	}
	return e
}

// ResendRecipients is whom a returned document goes to when sent again
// unless the clerk says otherwise: its recipients, each closed one (as
// the hub named it) replaced by its successor. ok is false when the hub
// named no successor, and the clerk must choose.
func ResendRecipients(d *store.Document) (to []document.Recipient, ok bool) {
	rc, ok := RecipientClosedOf(ReturnedError(d))
	if !ok {
		return nil, false
	}
	for _, r := range d.Payload.Metadata.To {
		i := slices.IndexFunc(rc.Closed, func(cl ClosedRecipient) bool { return cl.Code == r.Code })
		if i >= 0 {
			r = document.Recipient{Code: rc.Closed[i].Successor, Name: rc.Closed[i].SuccessorName}
		}
		if !slices.ContainsFunc(to, func(x document.Recipient) bool { return x.Code == r.Code }) {
			to = append(to, r)
		}
	}
	return to, true
}

// Resend sends a document the hub returned again, to (nil: the
// successors the hub named, ResendRecipients), as a new message: a new
// message id, the same number, notation, date and signed attachments,
// since the document never reached anyone (the PDFs' signatures and
// stamps carry the number, not the addressees). The returned document
// stays in the register, marked with the new message id. It returns that
// id.
func (c *Clerk) Resend(ctx context.Context, id string, to []document.Recipient) (string, error) {
	doc, err := c.st.Get(id)
	if err != nil {
		return "", fmt.Errorf("resend %s: %w", id, err)
	}
	if doc.Box != store.Outgoing || doc.Returned == nil || doc.Returned.ResentAs != "" {
		return "", fmt.Errorf("resend %s: %w", id, ErrNotReturned)
	}
	if len(to) == 0 {
		var ok bool
		if to, ok = ResendRecipients(doc); !ok {
			return "", fmt.Errorf("resend %s: name the recipients: the hub named no successor", id)
		}
	}
	if rc := c.closedRecipients(to); rc != nil {
		return "", fmt.Errorf("resend %s: %w", id, rc)
	}
	m := *doc.Payload.Metadata
	m.To = slices.Clone(to)
	for i, r := range m.To {
		if a, err := c.st.Agency(r.Code); err == nil {
			m.To[i].Name = a.Name
		}
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("resend %s: %w", id, err)
	}
	now := c.now()
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: now,
		Metadata: &m, Targets: doc.Payload.Targets, Attachments: doc.Payload.Attachments}
	var blobs []store.Blob
	for i := range doc.Payload.Attachments {
		b, err := c.copyAttachment(ctx, id, i)
		if err != nil {
			return "", fmt.Errorf("resend %s: %w", id, err)
		}
		blobs = append(blobs, b)
	}
	packet, err := c.seal(env)
	if err != nil {
		return "", fmt.Errorf("resend %s: %w", id, err)
	}
	err = c.st.Resend(id, store.NewDocument{Packet: packet, Payload: env, Blobs: blobs, Read: true, Now: now,
		Queue: []store.OutboxItem{{Kind: store.SendDocument, Doc: env.MessageID, Message: env.MessageID}}})
	if err != nil {
		return "", fmt.Errorf("resend %s: %w", id, err)
	}
	c.log.Info("returned document sent again", "doc", env.MessageID, "returned", id)
	c.emit(DocumentChanged{ID: id})
	c.emit(DocumentChanged{ID: env.MessageID})
	c.wake()
	return env.MessageID, nil
}

// copyAttachment stages a copy of a stored document's attachment for
// another document (a blob has one owner).
func (c *Clerk) copyAttachment(ctx context.Context, id string, i int) (store.Blob, error) {
	rc, _, err := c.st.OpenAttachment(id, i)
	if err != nil {
		return store.Blob{}, err
	}
	defer rc.Close()
	w, err := c.st.NewAttachment()
	if err != nil {
		return store.Blob{}, err
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return store.Blob{}, err
	}
	if _, err := io.Copy(w, rc); err != nil {
		w.Abort()
		return store.Blob{}, err
	}
	return w.Close()
}
