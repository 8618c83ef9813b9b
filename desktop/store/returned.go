package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Returned is the hub's final refusal of an outgoing document: it never
// reached its recipients, so the clerk may send it again, re-addressed
// (Resend).
type Returned struct {
	At      time.Time       `json:"at"`                // when the refusal was recorded
	Code    string          `json:"code"`              // the hub's error code (wire.Code)
	Message string          `json:"message,omitempty"` // the hub's message, English
	Details json.RawMessage `json:"details,omitempty"` // the hub's details as it sent them (recipient_closed: the successors)
	// ResentAs is the message id of the document that went in its place,
	// once re-sent.
	ResentAs string `json:"resent_as,omitempty"`
}

// ErrNotReturned: Resend was asked for a document the hub has not
// returned, or one already sent again.
var ErrNotReturned = errors.New("document not returned by the hub, or already sent again")

// Return removes a SendDocument item the hub refused for good from the
// outbox and records the refusal on its document, in one transaction. An
// item already done or returned gives ErrNotFound, so a retried return
// changes nothing.
func (s *Store) Return(id uint64, r Returned) error {
	return s.update("return outbox item", func(tx *bolt.Tx) error {
		pt, err := s.getSealed(tx, bucketOutbox, u64(id))
		if err != nil {
			return fmt.Errorf("outbox item %d: %w", id, err)
		}
		it, err := decodeOutboxItem(pt)
		if err != nil {
			return err
		}
		if it.Kind != SendDocument {
			return fmt.Errorf("outbox item %d is %s, not a document", id, it.Kind)
		}
		seq, _, err := lookup(tx, it.Doc)
		if err != nil {
			return err
		}
		rec, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		if r.At.IsZero() {
			r.At = time.Now()
		}
		r.At, r.ResentAs = r.At.UTC(), ""
		rec.Returned = &r
		if err := s.putRecord(tx, seq, rec); err != nil {
			return err
		}
		old, err := s.loadSumm(tx, seq)
		if err != nil {
			return err
		}
		m := old
		m.flags |= flagReturned
		if err := s.updateSumm(tx, seq, old, m); err != nil {
			return err
		}
		return tx.Bucket(bucketOutbox).Delete(u64(id))
	})
}

// Resend saves nd, a returned document sent again (a new message with the
// same number, notation and date, re-addressed), and queues it, in one
// transaction: the returned document stays, marked ResentAs, and the
// duplicate check's keys move to the new one. It gives ErrNotReturned
// when the document old was not returned or was sent again already.
func (s *Store) Resend(old string, nd NewDocument) error {
	return s.update("resend returned document", func(tx *bolt.Tx) error {
		if nd.Payload == nil || nd.Payload.Metadata == nil {
			return errors.New("document without metadata")
		}
		oseq, box, err := lookup(tx, old)
		if err != nil {
			return err
		}
		orec, err := s.loadRecord(tx, oseq)
		if err != nil {
			return err
		}
		if box != Outgoing || orec.Returned == nil || orec.Returned.ResentAs != "" {
			return fmt.Errorf("resend %s: %w", old, ErrNotReturned)
		}
		m, om := nd.Payload.Metadata, orec.Payload.Metadata
		if m.ID() != om.ID() || m.Business.Type != om.Business.Type {
			return fmt.Errorf("resend %s: the new message must keep the document's id and business type", old)
		}
		seq, err := s.putDocument(tx, Outgoing, &nd)
		if err != nil {
			return err
		}
		orec.Returned.ResentAs = nd.Payload.MessageID
		if err := s.putRecord(tx, oseq, orec); err != nil {
			return err
		}
		idk, nk := s.dupKeys(m)
		for _, k := range [][]byte{idk, nk} {
			if v := tx.Bucket(bucketDup).Get(k); !bytes.Equal(v, u64(oseq)) {
				continue // a recall or an update: never indexed
			}
			if err := tx.Bucket(bucketDup).Put(k, u64(seq)); err != nil {
				return err
			}
		}
		return nil
	})
}
