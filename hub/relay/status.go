package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// PostStatus relays a status packet signed by agency, a recipient of the
// message the packet is about, to the message's sender. The store checks,
// in the transaction that stores it, that the packet names the message's
// document and that the recipient's whole history allows the status
// (document.Lifecycle); a resent packet is recognised by its bytes
// (existed). To an agency that is not a recipient the message does not
// exist.
func (r *Relay) PostStatus(ctx context.Context, agency certs.AgencyCode, packet []byte) (existed bool, err error) {
	st, signer, err := envelope.OpenStatus(packet, r.verifier)
	if err != nil {
		return false, err
	}
	if signer.Agency != agency {
		return false, fmt.Errorf("%w: the status is signed by %s but the connection is %s", ErrSenderMismatch, signer.Agency, agency)
	}
	return r.appendStatus(ctx, agency, st.Regarding, &st.Update, packet)
}

// appendStatus stores a status update by agency, a recipient of the
// message regarding, with the signed bytes that carried it, and wakes the
// message's sender: whichever packet the status came in, Lienthong's or
// edXML.
func (r *Relay) appendStatus(ctx context.Context, agency certs.AgencyCode, regarding string, u *document.StatusUpdate, signed []byte) (existed bool, err error) {
	if err := r.refusedByStatus(ctx, agency, regarding, u.Code); err != nil {
		return false, err
	}
	stored, existed, err := r.st.AppendStatus(ctx, &store.StatusUpdate{
		MessageID: regarding, From: agency, Code: u.Code, Reason: u.Reason,
		Staff: u.Staff, Document: u.Document.String(), At: r.now(), Signed: signed,
	})
	if errors.Is(err, store.ErrForbidden) || errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("no message %s addressed to %s: %w", regarding, agency, store.ErrNotFound)
	}
	if err != nil {
		return false, err
	}
	r.wakeup.Notify(stored.Sender)
	if !existed {
		r.obs.Status(u.Code)
	}
	r.log.Info("status", "agency", agency, "doc", regarding, "code", u.Code, "existed", existed)
	return existed, nil
}

// Statuses lists up to limit status updates waiting for agency, as the
// sender of the documents they are about, after cursor, and at most
// Options.MaxInboxBytes of their signed packets (at least one); with a
// wait it long-polls. It returns the updates and the cursor to ask from next.
func (r *Relay) Statuses(ctx context.Context, agency certs.AgencyCode, after uint64, limit int, wait time.Duration) ([]store.StatusUpdate, uint64, error) {
	items, next := []store.StatusUpdate{}, after
	err := r.longPoll(ctx, agency, wait, func() (int, error) {
		var err error
		items, next, err = r.listStatuses(ctx, agency, after, limit)
		return len(items), err
	})
	return items, next, err
}

// listStatuses lists the statuses about agency's documents after cursor,
// without waiting, and bounds the answer's bytes as the inbox's (the edXML
// view reads the queue itself: its items are made from edXML packets).
func (r *Relay) listStatuses(ctx context.Context, agency certs.AgencyCode, after uint64, limit int) ([]store.StatusUpdate, uint64, error) {
	list, err := r.st.StatusInbox(ctx, agency, after, limit)
	if err != nil {
		return nil, after, err
	}
	// The same byte bound as the inbox: a status packet may be as large
	// as a document's.
	size, n := 0, 0
	for ; n < len(list); n++ {
		if size += len(list[n].Signed); n > 0 && size > r.inboxMax {
			break
		}
	}
	if n == 0 {
		// Not list[:0]: a long poll keeps the answer while it waits, and
		// the store's list has room for limit statuses.
		return nil, after, nil
	}
	return list[:n], list[n-1].Cursor, nil
}

// AckStatuses removes status updates the sender has stored from its queue.
func (r *Relay) AckStatuses(ctx context.Context, agency certs.AgencyCode, cursors []uint64) error {
	for _, c := range cursors {
		if err := r.st.AckStatus(ctx, agency, c); err != nil {
			return err
		}
	}
	return nil
}
