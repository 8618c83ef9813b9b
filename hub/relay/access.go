package relay

import (
	"context"
	"fmt"
	"io"
	"slices"

	"lienthong/certs"
	"lienthong/hub/store"
)

// Party loads a message for agency and decides whether it may see it: its
// sender may (isSender), and so may each recipient, unless the recipient's
// copy was withdrawn by a recall before it was delivered
// (store.ErrWithdrawn). To any other agency the message does not exist
// (store.ErrNotFound): an agency learns nothing of others' mail.
func (r *Relay) Party(ctx context.Context, agency certs.AgencyCode, messageID string) (m store.Message, isSender bool, err error) {
	m, err = r.st.Message(ctx, messageID)
	if err != nil {
		return m, false, err
	}
	if m.Sender == agency {
		return m, true, nil
	}
	if !slices.Contains(m.Recipients, agency) {
		return store.Message{}, false, fmt.Errorf("no message %s for %s: %w", messageID, agency, store.ErrNotFound)
	}
	deliveries, err := r.st.Deliveries(ctx, messageID)
	if err != nil {
		return m, false, err
	}
	for _, d := range deliveries {
		if d.Recipient == agency && d.State == store.Withdrawn {
			return m, false, fmt.Errorf("message %s was recalled by its sender (%s) before %s received it: %w", messageID, d.WithdrawnBy, agency, store.ErrWithdrawn)
		}
	}
	return m, false, nil
}

// Message returns a message's signed packet to one of its parties.
func (r *Relay) Message(ctx context.Context, agency certs.AgencyCode, messageID string) ([]byte, error) {
	m, _, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, err
	}
	return m.Envelope, nil
}

// Attachment opens one attachment of a message for one of its parties.
func (r *Relay) Attachment(ctx context.Context, agency certs.AgencyCode, messageID, digest string) (io.ReadSeekCloser, error) {
	m, _, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(m.BlobDigests, digest) {
		return nil, fmt.Errorf("message %s has no attachment %s: %w", m.MessageID, digest, store.ErrNotFound)
	}
	return r.st.OpenBlob(ctx, digest)
}
