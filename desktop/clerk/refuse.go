package clerk

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"lienthong/certs"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// An incoming document fails in one of two ways. A transient failure (the
// network, a hub answer worth retrying, a full disk, a download that did
// not hash right) keeps the inbox cursor before the document, and the
// engine tries again with backoff. A refusal is about the document itself,
// as this clerk verified it, and no retry changes it: a packet whose
// signature does not verify, a signer whose certificate is expired,
// revoked or not under the roots, a packet that cannot be read or breaks
// the rules, one that is not what the hub announced, an attachment over
// this clerk's limit or a PDF too complex to check safely. Such a
// document is set aside as refused (kept with its reason, the sender and,
// if small, the packet), the cursor moves past it, and the refusal goes to
// the hub through the outbox
// (POST /v1/messages/{id}/refuse), which tells the sender with status 02
// and never lists the document again.
//
// A check added to the receive path refuses by returning refuse(cause,
// ...) for a precise cause; an error it marks permanent() is taken as a
// refusal with CauseInvalid, never as a reason to stop receiving.
//
// Only what the clerk checked itself refuses: a hub that cannot serve an
// attachment (not_found, forbidden) is a transient failure, since refusing
// is for good and the sender would be told of the hub's trouble as the
// recipient's. The one exception is an edXML packet the hub says it will
// never hand out (too_large, secret_not_allowed, gone): retrying would
// hold the inbox forever, so it is refused with the hub's code as the
// reason (edxmlFetchRefusal).

// refusal is why this clerk can never take an incoming document.
type refusal struct {
	cause store.RefusalCause
	env   *envelope.Document // the packet, when its signature verified
	args  []any              // the reason's arguments
	err   error              // the technical cause, for the log
	// packet is what is kept of a document that came without a packet in
	// its inbox item (an edXML packet fetched apart); nil: the item's.
	packet []byte
	// key, when set, is the reason's text instead of the cause's.
	key i18n.Key
}

func (r *refusal) Error() string { return fmt.Sprintf("refused (%s): %v", r.cause, r.err) }
func (r *refusal) Unwrap() error { return r.err }

// refuse makes the refusal of an incoming document for cause.
func refuse(cause store.RefusalCause, env *envelope.Document, err error, args ...any) error {
	return &refusal{cause: cause, env: env, args: args, err: err}
}

// packetRefusal classifies why a packet did not open.
func packetRefusal(err error) error {
	cause := store.CauseInvalid
	switch {
	case errors.Is(err, envelope.ErrUntrusted), errors.Is(err, certs.ErrRevoked), errors.Is(err, certs.ErrExpired), errors.Is(err, certs.ErrUntrusted):
		cause = store.CauseSigner
	case errors.Is(err, envelope.ErrBadSignature), errors.Is(err, envelope.ErrWrongSigner):
		cause = store.CauseSignature
	}
	return refuse(cause, nil, fmt.Errorf("open packet: %w", err))
}

// checkLimits refuses a document with an attachment over this clerk's
// limit: the hub may allow larger ones than this clerk takes.
func (c *Clerk) checkLimits(env *envelope.Document) error {
	for _, a := range env.Attachments {
		if a.Size > c.opts.MaxAttachment {
			return refuse(store.CauseTooLarge, env, fmt.Errorf("attachment of %d bytes over the limit of %d", a.Size, c.opts.MaxAttachment),
				megabytes(a.Size), megabytes(c.opts.MaxAttachment))
		}
	}
	return nil
}

// attachmentRefusal turns a fetch error that no retry will mend into the
// refusal of the document: an attachment over the PDF reader's budget (a
// decompression or object bomb, which a hub should have refused). Other
// errors come back as they are.
func attachmentRefusal(env *envelope.Document, a envelope.Attachment, err error) error {
	if errors.Is(err, pades.ErrBudget) {
		return refuse(store.CausePDFTooComplex, env, err, a.Name)
	}
	return err
}

// megabytes writes a size for the sender's clerk: in MB, or in KB below
// one MB so that a limit and a size near it read apart.
func megabytes(n int64) string {
	if n < 1e6 {
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

var reasonKeys = map[store.RefusalCause]i18n.Key{
	store.CauseSignature:     i18n.RefusedReasonSignature,
	store.CauseSigner:        i18n.RefusedReasonSigner,
	store.CauseTooLarge:      i18n.RefusedReasonTooLarge,
	store.CauseInvalid:       i18n.RefusedReasonInvalid,
	store.CauseMismatch:      i18n.RefusedReasonMismatch,
	store.CausePDFTooComplex: i18n.RefusedReasonPDFTooComplex,
	store.CauseType:          i18n.RefusedReasonType,
}

var causeKeys = map[store.RefusalCause]i18n.Key{
	store.CauseSignature:     i18n.RefusedCauseSignature,
	store.CauseSigner:        i18n.RefusedCauseSigner,
	store.CauseTooLarge:      i18n.RefusedCauseTooLarge,
	store.CauseInvalid:       i18n.RefusedCauseInvalid,
	store.CauseMismatch:      i18n.RefusedCauseMismatch,
	store.CausePDFTooComplex: i18n.RefusedCausePDFTooComplex,
	store.CauseType:          i18n.RefusedCauseType,
}

// reason is what the sender is told, in Vietnamese whatever this clerk's
// language: it goes to another agency's clerk.
func (r *refusal) reason() string {
	key, ok := reasonKeys[r.cause]
	if r.key != "" {
		key, ok = r.key, true
	}
	if !ok {
		key = i18n.RefusedReasonInvalid
	}
	return i18n.New(i18n.Vietnamese).T(key, r.args...)
}

// CauseText is a refusal's cause in the clerk's words.
func CauseText(cat *i18n.Catalog, cause store.RefusalCause) string {
	key, ok := causeKeys[cause]
	if !ok {
		key = i18n.RefusedCauseInvalid
	}
	return cat.T(key)
}

// setAside keeps an incoming document this clerk cannot take as refused,
// queues the refusal for the hub and moves the inbox cursor past it, in
// one transaction; an error is the disk's, and transient.
func (c *Clerk) setAside(item wire.InboxItem, r *refusal) error {
	rec := store.Refusal{MessageID: item.MessageID, Sender: certs.AgencyCode(item.Sender), Cause: r.cause,
		Reason: r.reason(), At: c.now(), Packet: item.Packet}
	if r.packet != nil {
		rec.Packet = r.packet
	}
	if r.env != nil && r.cause != store.CauseMismatch {
		rec.Subject = r.env.Metadata.Subject
	}
	err := c.st.SetAside(rec, strconv.FormatUint(item.Cursor, 10))
	if errors.Is(err, store.ErrExists) {
		// Stored as received before: nothing to refuse.
		return c.st.SetCursor(store.CursorInbox, strconv.FormatUint(item.Cursor, 10))
	}
	if err != nil {
		return fmt.Errorf("set aside %s: %w", item.MessageID, err)
	}
	c.log.Warn("incoming document refused", "doc", item.MessageID, "peer", item.Sender, "cause", string(r.cause), "err", r.err)
	c.emit(DocumentRefused{ID: item.MessageID, From: rec.Sender, Cause: r.cause})
	c.wake()
	return nil
}

// tellRefusal does a Refuse outbox item: the hub records the refusal,
// tells the sender, and answers its signed receipt, kept with the record.
func (c *Clerk) tellRefusal(ctx context.Context, cl *hubclient.Client, it store.OutboxItem) error {
	res, err := cl.Refuse(ctx, it.Message, it.Reason)
	if err != nil && wire.CodeOf(err) == wire.CodeWithdrawn {
		// Recalled meanwhile: the sender needs no word from us.
		return c.done(it.ID, store.Completion{At: c.now()})
	}
	if err != nil {
		return err
	}
	if err := c.done(it.ID, store.Completion{At: c.now(), Receipt: res.Receipt}); err != nil {
		return err
	}
	c.log.Info("refusal recorded by the hub", "doc", it.Message, "existed", res.Existed)
	c.emit(DocumentRefused{ID: it.Message, Told: true})
	return nil
}

// Refusals lists the incoming documents set aside as refused, newest
// first.
func (c *Clerk) Refusals() ([]store.Refusal, error) { return c.st.Refusals() }

// refusedStatus reads status 02 carried by the hub's "refused" receipt
// (a recipient's system refused the document without its arriving);
// ok is false for any other packet.
func refusedStatus(doc *store.Document, it wire.StatusItem, r *receipt.Receipt) (document.StatusUpdate, bool) {
	if r == nil || r.Event != receipt.EventRefused || r.MessageID != it.MessageID || len(r.Recipients) != 1 {
		return document.StatusUpdate{}, false
	}
	code, err := parseCode(r.Recipients[0])
	if err != nil {
		return document.StatusUpdate{}, false
	}
	return document.StatusUpdate{Document: doc.Payload.Metadata.ID(), From: code, Code: document.StatusRefused, Reason: r.Reason, Time: r.At}, true
}
