package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutboxKind is what an outbox item asks the sync engine to do.
type OutboxKind string

// The outbox actions.
const (
	SendDocument    OutboxKind = "send_document"     // upload a stored outgoing document and its attachments
	SendStatus      OutboxKind = "send_status"       // upload a signed status packet
	SendEdXMLStatus OutboxKind = "send_edxml_status" // post a signed edXML status packet about a document that came as edXML (regarding Message)
	Ack             OutboxKind = "ack"               // acknowledge to the hub that an incoming message is stored
	Refuse          OutboxKind = "refuse"            // tell the hub this clerk cannot take an incoming message (see SetAside)
)

// OutboxItem is one action waiting for the hub. Items are done in the order
// they were queued.
type OutboxItem struct {
	ID      uint64     // assigned when queued; increasing
	Kind    OutboxKind //
	Doc     string     // the document concerned (message id)
	Message string     // the message id of the packet to send or acknowledge
	Packet  []byte     // SendStatus, SendEdXMLStatus: the signed status packet
	Reason  string     `json:",omitempty"` // Refuse: why, for the sender
	Queued  time.Time  // set when queued
}

func (k OutboxKind) valid() bool {
	return k == SendDocument || k == SendStatus || k == SendEdXMLStatus || k == Ack || k == Refuse
}

func decodeOutboxItem(b []byte) (*OutboxItem, error) {
	var it OutboxItem
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, fmt.Errorf("%w: outbox item: %w", ErrCorrupt, err)
	}
	if !it.Kind.valid() {
		return nil, fmt.Errorf("%w: outbox item kind %q", ErrCorrupt, it.Kind)
	}
	return &it, nil
}

func (s *Store) enqueue(tx *bolt.Tx, items []OutboxItem) error {
	b := tx.Bucket(bucketOutbox)
	for _, it := range items {
		if !it.Kind.valid() {
			return fmt.Errorf("outbox item kind %q unknown", it.Kind)
		}
		if it.Kind == SendDocument {
			if _, box, err := lookup(tx, it.Doc); err != nil {
				return fmt.Errorf("queue document: %w", err)
			} else if box != Outgoing {
				return fmt.Errorf("queue document %s: not outgoing", it.Doc)
			}
		}
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		it.ID = n
		if it.Queued.IsZero() {
			it.Queued = time.Now().UTC()
		}
		pt, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode outbox item: %w", err)
		}
		if err := s.putSealed(tx, bucketOutbox, u64(n), pt); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue adds items to the outbox in one transaction.
func (s *Store) Enqueue(items ...OutboxItem) error {
	return s.update("enqueue", func(tx *bolt.Tx) error { return s.enqueue(tx, items) })
}

// Outbox returns up to limit waiting items (all if limit <= 0), oldest first.
func (s *Store) Outbox(limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.view("read outbox", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			pt, err := s.c.open(bucketOutbox, k, v)
			if err != nil {
				return err
			}
			it, err := decodeOutboxItem(pt)
			if err != nil {
				return err
			}
			if len(k) != 8 || it.ID != binary.BigEndian.Uint64(k) {
				return fmt.Errorf("%w: outbox key", ErrCorrupt)
			}
			out = append(out, *it)
		}
		return nil
	})
	return out, err
}

// OutboxLen returns the number of waiting items.
func (s *Store) OutboxLen() (int, error) {
	n := 0
	err := s.view("count outbox", func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n, err
}

// Completion is what the hub answered to an outbox item.
type Completion struct {
	At      time.Time // when the hub accepted it
	Receipt []byte    // the hub's signed receipt, stored with the document
}

// Done removes a finished item from the outbox and records its effect in
// the same transaction: a sent document gets its sending time, the
// receipt is stored with the document, and a refusal's receipt with the
// refused document's record. An item already done gives
// ErrNotFound, so a retried completion changes nothing.
func (s *Store) Done(id uint64, c Completion) error {
	return s.update("complete outbox item", func(tx *bolt.Tx) error {
		pt, err := s.getSealed(tx, bucketOutbox, u64(id))
		if err != nil {
			return fmt.Errorf("outbox item %d: %w", id, err)
		}
		it, err := decodeOutboxItem(pt)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutbox).Delete(u64(id)); err != nil {
			return err
		}
		if it.Doc == "" {
			return nil
		}
		if it.Kind == Refuse {
			if c.At.IsZero() {
				c.At = time.Now()
			}
			return s.told(tx, it.Doc, c)
		}
		seq, _, err := lookup(tx, it.Doc)
		if err != nil {
			return err
		}
		if len(c.Receipt) > 0 {
			if err := s.addReceipt(tx, seq, c.Receipt); err != nil {
				return err
			}
		}
		if it.Kind == SendDocument {
			r, err := s.loadRecord(tx, seq)
			if err != nil {
				return err
			}
			at := c.At
			if at.IsZero() {
				at = time.Now()
			}
			r.SentAt = at.UTC()
			return s.putRecord(tx, seq, r)
		}
		return nil
	})
}
