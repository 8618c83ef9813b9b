package relay

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"lienthong/certs"
	"lienthong/hub/store"
)

// Party loads a message for agency and decides whether it may see it: its
// sender may (isSender), and so may each recipient, unless the recipient's
// copy was withdrawn by a recall before it was delivered
// (store.ErrWithdrawn). To any other agency the message does not exist
// (store.ErrNotFound): an agency learns nothing of others' mail. The
// message comes without its envelope and report (see Message), in one read
// of the store.
func (r *Relay) Party(ctx context.Context, agency certs.AgencyCode, messageID string) (m store.Message, isSender bool, err error) {
	m, d, err := r.st.MessageParty(ctx, messageID, agency)
	if err != nil {
		return store.Message{}, false, err
	}
	if m.Sender == agency {
		return m, true, nil
	}
	if d == nil {
		return store.Message{}, false, fmt.Errorf("no message %s for %s: %w", messageID, agency, store.ErrNotFound)
	}
	if d.State == store.Withdrawn {
		return store.Message{}, false, fmt.Errorf("message %s was recalled by its sender (%s) before %s received it: %w", messageID, d.WithdrawnBy, agency, store.ErrWithdrawn)
	}
	return m, false, nil
}

// Message returns a message's signed packet to one of its parties.
func (r *Relay) Message(ctx context.Context, agency certs.AgencyCode, messageID string) ([]byte, error) {
	if _, _, err := r.Party(ctx, agency, messageID); err != nil {
		return nil, err
	}
	m, err := r.st.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	return m.Envelope, nil
}

// mayUseBlob decides whether agency may name the attachment digest in a
// submission or read it: only if it uploaded the bytes itself, or is a
// party to a message carrying them and was not withdrawn from it by a
// recall. The store keeps these grants (store.Blobs.BlobGranted), writes
// them when an upload completes and when a message is accepted, and
// revokes them in a recall's transaction. To an agency that may not use a
// blob, the blob does not exist: no answer tells it the blob is there, or
// its size.
func (r *Relay) mayUseBlob(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error) {
	return r.st.BlobGranted(ctx, agency, digest)
}

// Attachment opens one attachment of a message for one of its parties.
// Bytes removed by the retention policy are store.ErrGone. isPacket says
// the blob is the edXML packet the message came as (its stored envelope
// an edxmlRef naming it), not a checked PDF: the caller labels it so.
func (r *Relay) Attachment(ctx context.Context, agency certs.AgencyCode, messageID, digest string) (f io.ReadSeekCloser, isPacket bool, err error) {
	m, _, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, false, err
	}
	if !slices.Contains(m.BlobDigests, digest) {
		return nil, false, fmt.Errorf("message %s has no attachment %s: %w", m.MessageID, digest, store.ErrNotFound)
	}
	if ok, err := r.mayUseBlob(ctx, agency, digest); err != nil {
		return nil, false, err
	} else if !ok {
		return nil, false, fmt.Errorf("attachment %s of message %s for %s: %w", digest, messageID, agency, store.ErrNotFound)
	}
	// A message sent as edXML has its packet's digest begin with its id
	// (EdXMLMessageID); only then is the stored envelope worth reading.
	if strings.HasPrefix(digest, m.MessageID) {
		full, err := r.st.Message(ctx, messageID)
		if err != nil {
			return nil, false, err
		}
		ref, ok := parseEdXMLRef(full.Envelope)
		isPacket = ok && ref.SHA256 == digest
	}
	f, err = r.st.OpenBlob(ctx, digest)
	return f, isPacket, err
}
