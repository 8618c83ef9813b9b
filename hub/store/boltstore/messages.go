package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// Accept implements store.Messages.
func (s *Store) Accept(ctx context.Context, sub *store.Submission, seal store.Seal) (store.AcceptResult, bool, error) {
	if err := sub.Validate(); err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept: %w", err)
	}
	// Inline attachments' files are written first, as an upload's are:
	// a blob's record exists only while its bytes are durable.
	unlock, err := s.putInline(ctx, sub.Inline)
	if err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, err)
	}
	defer unlock()
	var (
		res     store.AcceptResult
		existed bool
		refusal error
	)
	err = s.update(ctx, func(tx *bolt.Tx) (err error) {
		res, existed, refusal, err = acceptTx(tx, sub, seal)
		return err
	})
	if err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, err)
	}
	if refusal != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, refusal)
	}
	return res, existed, nil
}

// acceptTx is Accept's transaction: it reports a refusal (conflict, unknown
// or foreign target) without writing anything, and returns err only for a
// failure of the database.
func acceptTx(tx *bolt.Tx, sub *store.Submission, seal store.Seal) (res store.AcceptResult, existed bool, refusal, err error) {
	msgs := tx.Bucket(bucketMessages)
	if raw := msgs.Get([]byte(sub.MessageID)); raw != nil {
		var m record.Message
		if err := decode(raw, &m); err != nil {
			return res, false, nil, fmt.Errorf("decode message %s: %w", sub.MessageID, err)
		}
		if m.EnvSHA256 != sub.EnvelopeSHA256 {
			return res, false, fmt.Errorf("message id %s already names envelope %s: %w", sub.MessageID, m.EnvSHA256, store.ErrConflict), nil
		}
		return m.Result(), true, nil, nil
	}
	// Blobs may be collected: their presence and the sender's grants are
	// checked here, in the transaction, where a collection cannot
	// interleave.
	if refusal, err := checkBlobsTx(tx, sub); refusal != nil || err != nil {
		return res, false, refusal, err
	}
	// Check every target before writing anything.
	targets := make([]record.Message, len(sub.Targets))
	for i, id := range sub.Targets {
		raw := msgs.Get([]byte(id))
		if raw == nil {
			return res, false, fmt.Errorf("target %s: %w", id, store.ErrNotFound), nil
		}
		if err := decode(raw, &targets[i]); err != nil {
			return res, false, nil, fmt.Errorf("decode message %s: %w", id, err)
		}
		if targets[i].Sender != sub.Sender {
			return res, false, fmt.Errorf("target %s was sent by another agency: %w", id, store.ErrForbidden), nil
		}
	}
	// Checked: the inline attachments become the sender's uploads.
	for _, b := range sub.Inline {
		if err := grantUploadTx(tx, sub.Sender, store.BlobInfo{Digest: b.Digest, Size: int64(len(b.Data)), Present: true}, sub.Received); err != nil {
			return res, false, nil, err
		}
	}
	rec := record.Message{
		ID: sub.MessageID, Sender: sub.Sender, Recipients: sub.Recipients, EnvSHA256: sub.EnvelopeSHA256,
		Blobs: sub.BlobDigests, DocumentID: sub.DocumentID, Kind: sub.Kind, Targets: sub.Targets,
		Received: sub.Received, Due: sub.DueDate,
	}
	if sub.Kind == document.BusinessRecall {
		for i := range targets {
			rc, err := withdraw(tx, &targets[i], sub.MessageID, sub.Received)
			if err != nil {
				return res, false, nil, err
			}
			rec.Recalls = append(rec.Recalls, rc)
		}
	}
	if rec.Seq, err = next(tx, "sent", string(sub.Sender)); err != nil {
		return res, false, nil, err
	}
	rec.LogIndex, err = appendLog(tx, &auditlog.Entry{
		Kind: auditlog.KindAccepted, At: sub.Received, MessageID: sub.MessageID, EnvelopeSHA256: sub.EnvelopeSHA256,
		Business: sub.Kind.String(), Targets: sub.Targets, Sender: string(sub.Sender), Recipients: store.CodeStrings(sub.Recipients), Due: sub.DueDate,
	})
	if err != nil {
		return res, false, nil, err
	}
	if err := acceptWrites(tx, sub, &rec); err != nil {
		return res, false, nil, err
	}
	if err := referenceBlobsTx(tx, sub); err != nil {
		return res, false, nil, err
	}
	if _, err := sealTx(tx, seal, sub.MessageID, rec.LogIndex); err != nil {
		return res, false, nil, err
	}
	return rec.Result(), false, nil, nil
}

// acceptWrites stores a new message, its deliveries and statistics.
func acceptWrites(tx *bolt.Tx, sub *store.Submission, rec *record.Message) error {
	id := []byte(sub.MessageID)
	// Envelopes and reports are keyed by a hub-wide sequence so that they
	// are appended at the right edge of their B+tree: a random key would
	// rewrite a whole leaf of other envelopes on every insert.
	bodySeq, err := next(tx, "body")
	if err != nil {
		return err
	}
	rec.BodyKey = bodySeq
	if err := tx.Bucket(bucketMessages).Put(id, encode(rec)); err != nil {
		return err
	}
	envs := tx.Bucket(bucketEnvelopes)
	envs.FillPercent = 1
	if err := envs.Put(seqKey(bodySeq), sub.Envelope); err != nil {
		return err
	}
	if len(sub.Report) > 0 {
		reps := tx.Bucket(bucketReports)
		reps.FillPercent = 1
		if err := reps.Put(seqKey(bodySeq), sub.Report); err != nil {
			return err
		}
	}
	if sub.DocumentID != "" {
		if err := tx.Bucket(bucketDocIDs).Put(join(sub.DocumentID, sub.MessageID), nil); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketSent).Put(seqKey(rec.Seq, string(sub.Sender)), id); err != nil {
		return err
	}
	for _, r := range sub.Recipients {
		cur, err := next(tx, "queue", string(r))
		if err != nil {
			return err
		}
		d := record.Delivery{Recipient: r, MessageID: sub.MessageID, Sender: sub.Sender, Cursor: cur,
			EnvSHA256: sub.EnvelopeSHA256, Kind: sub.Kind, State: store.Pending}
		if err := tx.Bucket(bucketDeliveries).Put(deliveryKey(r, sub.MessageID), encode(&d)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketQueue).Put(seqKey(cur, string(r)), id); err != nil {
			return err
		}
		if err := bumpStats(tx, r, func(st *record.Stats) { st.Received++ }); err != nil {
			return err
		}
	}
	return bumpStats(tx, sub.Sender, func(st *record.Stats) { st.Sent++ })
}

// withdraw applies a recall to one target: every pending delivery is
// withdrawn and leaves its queue, and its recipient loses the grants of
// the target's attachments it held through the target; acknowledged ones
// are reported, refused ones left as they are. The target is then
// settled, at at, if this recall ended its last pending delivery.
func withdraw(tx *bolt.Tx, target *record.Message, recallID string, at time.Time) (record.Recall, error) {
	rc := record.Recall{Target: target.ID}
	newly := uint64(0)
	dels := tx.Bucket(bucketDeliveries)
	for _, r := range target.Recipients {
		key := deliveryKey(r, target.ID)
		var d record.Delivery
		if err := decode(dels.Get(key), &d); err != nil {
			return rc, fmt.Errorf("decode delivery %s to %s: %w", target.ID, r, err)
		}
		switch d.State {
		case store.Acked:
			rc.AlreadyAcked = append(rc.AlreadyAcked, r)
			continue
		case store.Withdrawn:
			rc.Withdrawn = append(rc.Withdrawn, r)
			continue
		case store.Refused:
			continue // it never had the document: nothing to withdraw
		}
		d.State, d.WithdrawnBy, d.LeaseToken, d.LeaseExpiry = store.Withdrawn, recallID, "", time.Time{}
		if err := dels.Put(key, encode(&d)); err != nil {
			return rc, err
		}
		if err := tx.Bucket(bucketQueue).Delete(seqKey(d.Cursor, string(r))); err != nil {
			return rc, err
		}
		if err := bumpStats(tx, r, func(st *record.Stats) { st.Withdrawn++ }); err != nil {
			return rc, err
		}
		if err := revokeTx(tx, target, r); err != nil {
			return rc, err
		}
		rc.Withdrawn = append(rc.Withdrawn, r)
		newly++
	}
	if newly > 0 {
		return rc, deliveredTx(tx, target, newly, at)
	}
	return rc, nil
}

func getMessage(tx *bolt.Tx, id string) (*record.Message, error) {
	raw := tx.Bucket(bucketMessages).Get([]byte(id))
	if raw == nil {
		return nil, fmt.Errorf("message %s: %w", id, store.ErrNotFound)
	}
	var m record.Message
	if err := decode(raw, &m); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	return &m, nil
}

// Message implements store.Messages.
func (s *Store) Message(ctx context.Context, id string) (store.Message, error) {
	var msg store.Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		msg = store.Message{Seq: m.Seq, LogIndex: m.LogIndex, Submission: store.Submission{
			MessageID: m.ID, Sender: m.Sender, Recipients: m.Recipients, EnvelopeSHA256: m.EnvSHA256,
			BlobDigests: m.Blobs, DocumentID: m.DocumentID, Kind: m.Kind, Targets: m.Targets, Received: m.Received,
			DueDate:  m.Due,
			Envelope: bytes.Clone(tx.Bucket(bucketEnvelopes).Get(seqKey(m.BodyKey))),
			Report:   bytes.Clone(tx.Bucket(bucketReports).Get(seqKey(m.BodyKey))),
		}}
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("get message: %w", err)
	}
	return msg, nil
}

// MessageParty implements store.Messages.
func (s *Store) MessageParty(ctx context.Context, id string, agency certs.AgencyCode) (store.Message, *store.Delivery, error) {
	var (
		msg store.Message
		del *store.Delivery
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		msg = store.Message{Seq: m.Seq, LogIndex: m.LogIndex, Submission: store.Submission{
			MessageID: m.ID, Sender: m.Sender, Recipients: m.Recipients, EnvelopeSHA256: m.EnvSHA256,
			BlobDigests: m.Blobs, DocumentID: m.DocumentID, Kind: m.Kind, Targets: m.Targets, Received: m.Received,
			DueDate: m.Due,
		}}
		if !slices.Contains(m.Recipients, agency) {
			return nil
		}
		var d record.Delivery
		if err := decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(agency, id)), &d); err != nil {
			return fmt.Errorf("decode delivery %s to %s: %w", id, agency, err)
		}
		dd := d.Domain()
		del = &dd
		return nil
	})
	if err != nil {
		return store.Message{}, nil, fmt.Errorf("get message for %s: %w", agency, err)
	}
	return msg, del, nil
}

// MessagesByDocumentID lists the ids of messages that carry a DocumentID,
// for the duplicate warning of ND30.
func (s *Store) MessagesByDocumentID(ctx context.Context, docID string) ([]string, error) {
	var ids []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := append([]byte(docID), 0)
		c := tx.Bucket(bucketDocIDs).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages by document id: %w", err)
	}
	return ids, nil
}

// Sent implements store.Messages.
func (s *Store) Sent(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.SentRecord, error) {
	var out []store.SentRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := join(string(sender), "")
		c := tx.Bucket(bucketSent).Cursor()
		for k, v := c.Seek(seqKey(after+1, string(sender))); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			m, err := getMessage(tx, string(v))
			if err != nil {
				return err
			}
			out = append(out, store.SentRecord{Cursor: m.Seq, MessageID: m.ID, Recipients: m.Recipients, Kind: m.Kind, Received: m.Received})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sent of %s: %w", sender, err)
	}
	return out, nil
}

// Deliveries implements store.Messages.
func (s *Store) Deliveries(ctx context.Context, id string) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.view(ctx, func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		for _, r := range m.Recipients {
			var d record.Delivery
			if err := decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(r, id)), &d); err != nil {
				return fmt.Errorf("decode delivery %s to %s: %w", id, r, err)
			}
			out = append(out, d.Domain())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
