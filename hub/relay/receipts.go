package relay

import (
	"context"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/receipt"
)

// Receipts returns the hub's signed receipts of a message that agency may
// see: the sender sees all of them, a recipient the acceptance and its own
// delivery, not the other recipients'.
func (r *Relay) Receipts(ctx context.Context, agency certs.AgencyCode, messageID string) ([][]byte, error) {
	m, isSender, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, err
	}
	list, err := r.st.Receipts(ctx, m.MessageID)
	if err != nil {
		return nil, err
	}
	out := [][]byte{}
	for _, rc := range list {
		if isSender || rc.Event == receipt.EventAccepted || rc.Party == agency {
			out = append(out, rc.Signed)
		}
	}
	return out, nil
}

// signReceipt signs the hub's receipt of an event.
func (r *Relay) signReceipt(sub *store.Submission, event string, recipients []certs.AgencyCode, at time.Time, logIndex int64) ([]byte, error) {
	return r.signReceiptReason(sub, event, recipients, "", at, logIndex)
}

// signReceiptReason signs the hub's receipt of an event with a reason (a
// refusal's).
func (r *Relay) signReceiptReason(sub *store.Submission, event string, recipients []certs.AgencyCode, reason string, at time.Time, logIndex int64) ([]byte, error) {
	signed, err := receipt.Sign(&receipt.Receipt{
		Event: event, MessageID: sub.MessageID, EnvelopeSHA256: sub.EnvelopeSHA256,
		Sender: string(sub.Sender), Recipients: store.CodeStrings(recipients), At: at, Hub: r.identity.Certificates()[0].Subject.CommonName, LogIndex: logIndex,
		Reason: reason,
	}, r.identity)
	if err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	return signed, nil
}

// sealer returns the store.Seal that signs the receipt of an event in the
// event's own transaction, and where the signed bytes of the run that
// committed end up (nil until then).
func (r *Relay) sealer(sub *store.Submission, event string, party certs.AgencyCode, recipients []certs.AgencyCode, at time.Time) (store.Seal, *[]byte) {
	sealed := new([]byte)
	return func(logIndex int64) (*store.Receipt, error) {
		*sealed = nil
		signed, err := r.signReceipt(sub, event, recipients, at, logIndex)
		if err != nil {
			return nil, err
		}
		*sealed = signed
		return &store.Receipt{MessageID: sub.MessageID, Event: event, Party: party, At: at, Signed: signed}, nil
	}, sealed
}

// refusalSealer is sealer for a refusal, whose receipt carries the reason.
func (r *Relay) refusalSealer(sub *store.Submission, party certs.AgencyCode, reason string, at time.Time) (store.Seal, *[]byte) {
	sealed := new([]byte)
	return func(logIndex int64) (*store.Receipt, error) {
		*sealed = nil
		signed, err := r.signReceiptReason(sub, receipt.EventRefused, []certs.AgencyCode{party}, reason, at, logIndex)
		if err != nil {
			return nil, err
		}
		*sealed = signed
		return &store.Receipt{MessageID: sub.MessageID, Event: receipt.EventRefused, Party: party, At: at, Signed: signed}, nil
	}, sealed
}

// storedReceipt returns the stored receipt for (message, event, party).
func (r *Relay) storedReceipt(ctx context.Context, messageID, event string, party certs.AgencyCode) ([]byte, error) {
	stored, err := r.st.Receipts(ctx, messageID)
	if err != nil {
		return nil, err
	}
	for _, rc := range stored {
		if rc.Event == event && rc.Party == party {
			return rc.Signed, nil
		}
	}
	return nil, fmt.Errorf("the %s receipt of %s for %s is missing", event, messageID, party)
}

// ensureReceipt returns the stored receipt for (message, event, party),
// signing and storing one first if there is none: events are stored with
// their receipts, but messages accepted before receipts were (or by a
// store call without a seal) may lack one, which the client's retry
// repairs here.
func (r *Relay) ensureReceipt(ctx context.Context, sub *store.Submission, event string, party certs.AgencyCode, recipients []certs.AgencyCode, at time.Time, logIndex int64) ([]byte, error) {
	stored, err := r.st.Receipts(ctx, sub.MessageID)
	if err != nil {
		return nil, err
	}
	for _, rc := range stored {
		if rc.Event == event && rc.Party == party {
			return rc.Signed, nil
		}
	}
	signed, err := r.signReceipt(sub, event, recipients, at, logIndex)
	if err != nil {
		return nil, err
	}
	rc, _, err := r.st.PutReceipt(ctx, &store.Receipt{MessageID: sub.MessageID, Event: event, Party: party, At: at, Signed: signed})
	if err != nil {
		return nil, err
	}
	return rc.Signed, nil
}
