package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// Acked is the answer to an acknowledgement.
type Acked struct {
	MessageID string
	Existed   bool   // acknowledged before
	Receipt   []byte // the hub's signed "delivered" receipt
}

// Ack records that agency, a recipient of the message, has stored it. The
// store keeps the signed "delivered" receipt and status 01 (Đã đến), which
// that receipt carries to the sender, in the acknowledgement's own
// transaction. A withdrawn copy is store.ErrWithdrawn.
func (r *Relay) Ack(ctx context.Context, agency certs.AgencyCode, messageID string) (*Acked, error) {
	m, isSender, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, err
	}
	if isSender && !slices.Contains(m.Recipients, agency) {
		return nil, fmt.Errorf("%w: %s sent %s", ErrNotRecipient, agency, messageID)
	}
	now := r.now()
	to := []certs.AgencyCode{agency}
	seal, sealed := r.sealer(&m.Submission, receipt.EventDelivered, agency, to, now)
	d, existed, err := r.st.Ack(ctx, agency, m.MessageID, "", now, seal)
	if err != nil {
		return nil, err
	}
	rec := *sealed
	if existed || rec == nil {
		if rec, err = r.ensureReceipt(ctx, &m.Submission, receipt.EventDelivered, agency, to, d.AckedAt, d.LogIndex); err != nil {
			return nil, err
		}
		r.repairArrival(ctx, m.MessageID, agency, d.AckedAt, rec)
	}
	r.wakeup.Notify(m.Sender)
	if !existed {
		r.obs.Delivered()
	}
	r.log.Info("document delivered", "agency", agency, "doc", m.MessageID, "existed", existed)
	return &Acked{MessageID: m.MessageID, Existed: existed, Receipt: rec}, nil
}

// Refused is the answer to a refusal.
type Refused struct {
	MessageID string
	Existed   bool   // refused before
	Reason    string // the reason stored the first time
	Receipt   []byte // the hub's signed "refused" receipt
}

// Refuse records that agency, a recipient of the message, could not take
// it, for reason: the store ends the delivery refused (never listed
// again), with the hub's signed "refused" receipt and status 02 (Từ chối
// tiếp nhận) with the reason, which that receipt carries to the sender, in
// one transaction. A retry answers the first refusal. The sender is
// ErrNotRecipient; to an agency that is neither party the message does not
// exist; an acknowledged delivery is store.ErrConflict, a withdrawn one
// store.ErrWithdrawn.
func (r *Relay) Refuse(ctx context.Context, agency certs.AgencyCode, messageID, reason string) (*Refused, error) {
	if err := store.ValidReason(reason); err != nil {
		return nil, err
	}
	m, isSender, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, err
	}
	if isSender && !slices.Contains(m.Recipients, agency) {
		return nil, fmt.Errorf("%w: %s sent %s", ErrNotRecipient, agency, messageID)
	}
	now := r.now()
	seal, sealed := r.refusalSealer(&m.Submission, agency, reason, now)
	d, existed, err := r.st.Refuse(ctx, agency, m.MessageID, reason, now, seal)
	if err != nil {
		return nil, err
	}
	rec := *sealed
	if existed {
		if rec, err = r.storedReceipt(ctx, m.MessageID, receipt.EventRefused, agency); err != nil {
			return nil, err
		}
	}
	r.wakeup.Notify(m.Sender)
	if !existed {
		r.obs.Status(document.StatusRefused)
	}
	r.log.Info("document refused by its recipient", "agency", agency, "doc", m.MessageID, "existed", existed)
	return &Refused{MessageID: m.MessageID, Existed: existed, Reason: d.Reason, Receipt: rec}, nil
}

// refusedByStatus refuses a posted 02 that would begin the agency's
// history of a message: a document not yet acknowledged is refused with
// Refuse, which also ends its delivery, never by a status that would leave
// it queued. After 01 a posted 02 is the clerk's own refusal, as before.
func (r *Relay) refusedByStatus(ctx context.Context, agency certs.AgencyCode, messageID string, code document.Status) error {
	if code != document.StatusRefused {
		return nil
	}
	history, err := r.st.StatusHistory(ctx, messageID)
	if err != nil {
		return nil // the store's own check answers
	}
	for _, h := range history {
		if h.From == agency {
			return nil
		}
	}
	return &document.TransitionError{Next: code, Reason: "a document not yet acknowledged is refused with POST /v1/messages/{id}/refuse"}
}

// repairArrival makes sure a delivery acknowledged before the store kept
// status 01 with its acknowledgement (when the two were separate
// transactions, and the second might be lost) has it: the store recognises
// the receipt's bytes when the status is there, and refuses a second 01
// when the recipient sent its own.
func (r *Relay) repairArrival(ctx context.Context, messageID string, agency certs.AgencyCode, at time.Time, rec []byte) {
	_, existed, err := r.st.AppendStatus(ctx, &store.StatusUpdate{
		MessageID: messageID, From: agency, Code: document.StatusArrived, At: at, Signed: rec,
	})
	switch {
	case err == nil && !existed:
		r.log.Info("status 01 restored", "agency", agency, "doc", messageID)
	case err != nil && !errors.Is(err, document.ErrTransition):
		r.log.Warn("status 01 not restored", "agency", agency, "doc", messageID, "err", err)
	}
}

// InboxItem is a document waiting for its recipient.
type InboxItem struct {
	Cursor    uint64
	MessageID string
	Sender    certs.AgencyCode
	Packet    []byte   // the signed envelope
	Report    []byte   // the hub's verification report of its attachments
	Blobs     []string // the digests of its attachments (or of its edXML packet)
	// Inline are its attachments' bytes, when InlineAttachments put them
	// in.
	Inline []store.InlineBlob
}

// Inbox lists up to limit documents waiting for agency after cursor, and
// at most Options.MaxInboxBytes of their packets and reports (at least one
// document whatever its size); with
// a wait it long-polls until one arrives, the wait is over or ctx ends. It
// returns the items and the cursor to ask from next.
func (r *Relay) Inbox(ctx context.Context, agency certs.AgencyCode, after uint64, limit int, wait time.Duration) ([]InboxItem, uint64, error) {
	return inboxPage(ctx, r, agency, after, limit, wait, inboxItem)
}

// inboxItem is a delivery as Inbox lists it, and its bytes in the answer.
func inboxItem(d store.Delivery, m store.Message) (InboxItem, int) {
	return InboxItem{Cursor: d.Cursor, MessageID: d.MessageID, Sender: d.Sender, Packet: m.Envelope, Report: m.Report, Blobs: m.BlobDigests},
		len(m.Envelope) + len(m.Report)
}

// InlineAttachments puts into each of items, in order, the bytes of all
// its attachments when together they are at most wire.MaxInline, as long
// as all it put in stays within wire.MaxInlineAnswer: an item over
// wire.MaxInline, or sent as edXML, keeps none, and from the first item
// that does not fit in what is left of the answer's bound on, none does
// (so that a long page costs no reads past it). Their attachments are
// downloaded. It reads each through agency's grant
// (store.Blobs.OpenGranted), as a download would: bytes agency may not
// read, or that the retention policy removed, are left out, and their
// download answers why.
func (r *Relay) InlineAttachments(ctx context.Context, agency certs.AgencyCode, items []InboxItem) error {
	budget := int64(wire.MaxInlineAnswer)
	for i := range items {
		it := &items[i]
		if _, ok := parseEdXMLRef(it.Packet); ok || len(it.Blobs) == 0 {
			continue
		}
		limit := min(budget, wire.MaxInline)
		blobs, err := r.readInline(ctx, agency, it.Blobs, limit)
		if err != nil {
			return fmt.Errorf("attachments of message %s: %w", it.MessageID, err)
		}
		if blobs == nil && limit < wire.MaxInline {
			return nil // the answer's bound is reached
		}
		for _, b := range blobs {
			budget -= int64(len(b.Data))
		}
		it.Inline = blobs
	}
	return nil
}

// readInline reads the blobs digests names, all of them if together they
// are at most limit bytes and agency may read each; else none.
func (r *Relay) readInline(ctx context.Context, agency certs.AgencyCode, digests []string, limit int64) ([]store.InlineBlob, error) {
	out := make([]store.InlineBlob, 0, len(digests))
	for _, digest := range digests {
		f, err := r.st.OpenGranted(ctx, agency, digest)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := readAtMost(f, limit)
		f.Close()
		if err != nil || b == nil {
			return nil, err
		}
		limit -= int64(len(b))
		out = append(out, store.InlineBlob{Digest: digest, Data: b})
	}
	return out, nil
}

// readAtMost reads f whole when it holds at most limit bytes; nil when it
// holds more.
func readAtMost(f io.ReadSeeker, limit int64) ([]byte, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if size > limit {
		return nil, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// inboxPage long-polls agency's queue of documents after cursor (see
// Inbox) and makes each waiting delivery an item with item (see
// listInbox). It is the one long poll of the inbox queue alone, for every
// view of it.
func inboxPage[T any](ctx context.Context, r *Relay, agency certs.AgencyCode, after uint64, limit int, wait time.Duration, item func(store.Delivery, store.Message) (T, int)) ([]T, uint64, error) {
	items, next := []T{}, after
	err := r.longPoll(ctx, agency, wait, func() (int, error) {
		var err error
		items, next, err = listInbox(ctx, r, agency, after, limit, item)
		return len(items), err
	})
	return items, next, err
}

// listInbox lists agency's queue of documents after cursor, without
// waiting, and makes each waiting delivery an item with item, which also
// says how many bytes the item adds to the answer: an answer stops before
// the item that would take it over Options.MaxInboxBytes, but always holds
// one. It is the one reading of the inbox queue.
func listInbox[T any](ctx context.Context, r *Relay, agency certs.AgencyCode, after uint64, limit int, item func(store.Delivery, store.Message) (T, int)) ([]T, uint64, error) {
	list, err := r.st.Inbox(ctx, agency, after, limit, r.now())
	if err != nil {
		return nil, after, err
	}
	items, next, size := []T{}, after, 0
	for _, d := range list {
		m, err := r.st.Message(ctx, d.MessageID)
		if err != nil {
			return nil, after, err
		}
		it, n := item(d, m)
		// Bound the answer's bytes, not only its items: 500 packets of
		// 2 MiB would make one answer of a gigabyte.
		if size += n; len(items) > 0 && size > r.inboxMax {
			break
		}
		items = append(items, it)
		next = d.Cursor
	}
	return items, next, nil
}

// Updates is what Updates found: the inbox's items and the statuses, each
// with the cursor to ask from next time.
type Updates struct {
	Inbox        []InboxItem
	InboxNext    uint64
	Statuses     []store.StatusUpdate
	StatusesNext uint64
}

// Updates long-polls agency's inbox after inboxAfter and the statuses
// about its documents after statusesAfter at once: it answers as soon as
// either holds something, each part as Inbox and Statuses would. One
// request waits where two did, for a system that waits for both.
func (r *Relay) Updates(ctx context.Context, agency certs.AgencyCode, inboxAfter, statusesAfter uint64, limit int, wait time.Duration) (Updates, error) {
	u := Updates{InboxNext: inboxAfter, StatusesNext: statusesAfter}
	err := r.longPoll(ctx, agency, wait, func() (int, error) {
		var err error
		if u.Inbox, u.InboxNext, err = listInbox(ctx, r, agency, inboxAfter, limit, inboxItem); err != nil {
			return 0, err
		}
		if u.Statuses, u.StatusesNext, err = r.listStatuses(ctx, agency, statusesAfter, limit); err != nil {
			return 0, err
		}
		return len(u.Inbox) + len(u.Statuses), nil
	})
	return u, err
}

// longPoll calls list until it finds something, the wait is over, the
// client goes away, or the relay drains (ErrDraining).
func (r *Relay) longPoll(ctx context.Context, agency certs.AgencyCode, wait time.Duration, list func() (int, error)) error {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	r.obs.Polling(1)
	defer r.obs.Polling(-1)
	var recheck <-chan time.Time
	if r.recheck > 0 {
		t := time.NewTicker(r.recheck)
		defer t.Stop()
		recheck = t.C
	}
	for {
		woken := r.wakeup.Wait(agency)
		n, err := list()
		if err != nil || n > 0 || wait == 0 {
			return err
		}
		select {
		case <-r.draining:
			return ErrDraining
		case <-woken:
		case <-recheck:
		case <-deadline.C:
			_, err := list()
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Drain ends the long polls waiting now and those to come with
// ErrDraining once they find nothing: the node is stopping, and their
// clients should ask another node at once rather than wait out the
// shutdown's grace. Other calls go on as before. Drain may be called more
// than once.
func (r *Relay) Drain() { r.drain.Do(func() { close(r.draining) }) }

// Wake wakes the long polls waiting for these agencies, for an event this
// relay did not see: one committed by another hub node on the same store.
// The relay wakes its own polls for its own events.
func (r *Relay) Wake(agencies ...certs.AgencyCode) { r.wakeup.Notify(agencies...) }

// WakeAll makes every long poll waiting now look at the store again: what
// another hub node committed may not have been announced to this one (its
// listener was not yet listening, or was reconnecting).
func (r *Relay) WakeAll() { r.wakeup.NotifyAll() }

// Draining is closed once Drain is called.
func (r *Relay) Draining() <-chan struct{} { return r.draining }

// Watch calls wake with the agencies whose long polls are woken from now
// on, nil meaning all of them, whether or not a poll of this relay waits
// for them, until stop is called (wakeup.Set.Watch, which says what wake
// may do). A long-poll front (package front) holds its polls on this.
func (r *Relay) Watch(wake func(agencies []certs.AgencyCode)) (stop func()) {
	return r.wakeup.Watch(wake)
}
