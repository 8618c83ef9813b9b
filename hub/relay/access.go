package relay

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
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
// revokes them in a recall's transaction (a submission's check reads the
// grant with the blob: store.Blobs.OpenGranted). To an agency that may not use a
// blob, the blob does not exist: no answer tells it the blob is there, or
// its size.
func (r *Relay) mayUseBlob(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error) {
	return r.st.BlobGranted(ctx, agency, digest)
}

// Attachment opens one attachment of a message for one of its parties,
// with its content type as the sender signed it (a PDF, an allowed office
// file) or, for the edXML packet the message came as, wire.ContentEdXML:
// the caller labels the bytes by it. Bytes removed by the retention policy
// are store.ErrGone.
func (r *Relay) Attachment(ctx context.Context, agency certs.AgencyCode, messageID, digest string) (f io.ReadSeekCloser, contentType string, err error) {
	m, _, err := r.Party(ctx, agency, messageID)
	if err != nil {
		return nil, "", err
	}
	if !slices.Contains(m.BlobDigests, digest) {
		return nil, "", fmt.Errorf("message %s has no attachment %s: %w", m.MessageID, digest, store.ErrNotFound)
	}
	if ok, err := r.mayUseBlob(ctx, agency, digest); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", fmt.Errorf("attachment %s of message %s for %s: %w", digest, messageID, agency, store.ErrNotFound)
	}
	if contentType, err = r.attachmentType(ctx, messageID, digest); err != nil {
		return nil, "", err
	}
	f, err = r.st.OpenBlob(ctx, digest)
	return f, contentType, err
}

// attachmentType is the content type of a message's blob: the edXML
// packet the message came as, or an attachment its sealed envelope lists
// (checked by content when the hub accepted it).
func (r *Relay) attachmentType(ctx context.Context, messageID, digest string) (string, error) {
	m, err := r.st.Message(ctx, messageID)
	if err != nil {
		return "", err
	}
	if ref, ok := parseEdXMLRef(m.Envelope); ok {
		if ref.SHA256 == digest {
			return wire.ContentEdXML, nil
		}
		return "", fmt.Errorf("message %s came as edXML: its attachments are in its packet: %w", messageID, store.ErrNotFound)
	}
	p, err := envelope.Decode(m.Envelope)
	if err != nil {
		return "", fmt.Errorf("message %s's stored envelope: %w", messageID, err)
	}
	doc, err := envelope.ParseDocument(p.Payload, math.MaxInt64)
	if err != nil {
		return "", fmt.Errorf("message %s's stored envelope: %w", messageID, err)
	}
	for _, a := range doc.Attachments {
		if a.SHA256 == digest {
			return a.ContentType, nil
		}
	}
	return "", fmt.Errorf("message %s lists no attachment %s: %w", messageID, digest, store.ErrNotFound)
}
