package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
)

// Bounds of what is kept of refused documents: the newest MaxRefusals
// records, each with its packet only if it is at most MaxRefusalPacket
// bytes, so that an agency sending documents this clerk cannot take fills
// at most a few MiB of the store.
const (
	MaxRefusals      = 500
	MaxRefusalPacket = 64 << 10
)

// maxRefusals is MaxRefusals, lowered by tests.
var maxRefusals = MaxRefusals

// RefusalCause says, for the clerk and in its language, why an incoming
// document was set aside.
type RefusalCause string

// The causes of a refusal.
const (
	CauseSignature RefusalCause = "signature" // the packet's signature does not verify
	CauseSigner    RefusalCause = "signer"    // the signer's certificate is not trusted: expired, revoked, unknown
	CauseTooLarge  RefusalCause = "too_large" // an attachment is over this clerk's limit
	CauseInvalid   RefusalCause = "invalid"   // the packet cannot be read or breaks the rules
	CauseMismatch  RefusalCause = "mismatch"  // the packet is not the one the hub announced
	// CausePDFTooComplex: an attachment asks more of a PDF reader than its
	// size justifies (a decompression or object bomb a hub let through).
	CausePDFTooComplex RefusalCause = "pdf_too_complex"
	// CauseType: an attachment is of a type this clerk does not take
	// (its policy of attachment types). Bytes that do not match their
	// type are CauseInvalid.
	CauseType RefusalCause = "attachment_type"
)

// Refusal is an incoming document this clerk could not take and set
// aside, so that later ones are received: why, from whom, and whether the
// hub has recorded the refusal (it then told the sender, with status 02).
type Refusal struct {
	MessageID string
	Sender    certs.AgencyCode // as the hub announced it
	Subject   string           // from the packet, only when its signature verified
	Cause     RefusalCause
	Reason    string    // what the sender is told
	At        time.Time // when it was set aside
	// Packet is the signed packet as the hub served it, kept as evidence
	// if it is at most MaxRefusalPacket bytes.
	Packet []byte `json:",omitempty"`
	// Receipt is the hub's signed "refused" receipt, and Told when the hub
	// gave it; both empty while the refusal waits in the outbox.
	Receipt []byte    `json:",omitempty"`
	Told    time.Time `json:",omitzero"`
}

// SetAside records an incoming document as refused, queues the refusal
// for the hub (a Refuse outbox item with the reason) and moves the inbox
// cursor past it, in one transaction. A document set aside before changes
// nothing but the cursor; one stored as received is ErrExists. Beyond
// MaxRefusals records the oldest is dropped.
func (s *Store) SetAside(r Refusal, inboxCursor string) error {
	if r.MessageID == "" || r.Reason == "" {
		return errors.New("set aside: a refusal needs its message id and reason")
	}
	if len(r.Packet) > MaxRefusalPacket {
		r.Packet = nil
	}
	return s.update("set aside a refused document", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketIDs).Get([]byte(r.MessageID)) != nil {
			return fmt.Errorf("document %s: %w", r.MessageID, ErrExists)
		}
		b := tx.Bucket(bucketRefused)
		found, _, err := s.findRefusal(tx, r.MessageID)
		if err != nil {
			return err
		}
		if found == nil {
			n, err := b.NextSequence()
			if err != nil {
				return err
			}
			pt, err := json.Marshal(&r)
			if err != nil {
				return fmt.Errorf("encode refusal: %w", err)
			}
			if err := s.putSealed(tx, bucketRefused, u64(n), pt); err != nil {
				return err
			}
			if err := s.enqueue(tx, []OutboxItem{{Kind: Refuse, Doc: r.MessageID, Message: r.MessageID, Reason: r.Reason}}); err != nil {
				return err
			}
			// Counted with a cursor: a bucket's Stats do not see this
			// transaction's writes.
			kept := 0
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				kept++
			}
			for k, _ := c.First(); k != nil && kept > maxRefusals; k, _ = c.First() {
				if err := b.Delete(k); err != nil {
					return err
				}
				kept--
			}
		}
		if inboxCursor != "" {
			return s.putSealed(tx, bucketSettings, []byte(cursorPrefix+CursorInbox), []byte(inboxCursor))
		}
		return nil
	})
}

// Refusals lists the documents set aside, newest first.
func (s *Store) Refusals() ([]Refusal, error) {
	var out []Refusal
	err := s.view("list refused documents", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRefused).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			r, err := s.openRefusal(k, v)
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return nil
	})
	return out, err
}

func (s *Store) openRefusal(k, v []byte) (*Refusal, error) {
	pt, err := s.c.open(bucketRefused, k, v)
	if err != nil {
		return nil, err
	}
	var r Refusal
	if err := json.Unmarshal(pt, &r); err != nil {
		return nil, fmt.Errorf("%w: refusal record: %w", ErrCorrupt, err)
	}
	return &r, nil
}

// findRefusal returns the record of a message id and its key, nil if none.
func (s *Store) findRefusal(tx *bolt.Tx, id string) (*Refusal, []byte, error) {
	c := tx.Bucket(bucketRefused).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		r, err := s.openRefusal(k, v)
		if err != nil {
			return nil, nil, err
		}
		if r.MessageID == id {
			return r, append([]byte(nil), k...), nil
		}
	}
	return nil, nil, nil
}

// told keeps the hub's receipt of a refusal with its record (Done of a
// Refuse item); a record dropped meanwhile is no error.
func (s *Store) told(tx *bolt.Tx, id string, c Completion) error {
	r, k, err := s.findRefusal(tx, id)
	if err != nil || r == nil {
		return err
	}
	r.Receipt, r.Told = c.Receipt, c.At.UTC()
	pt, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode refusal: %w", err)
	}
	return s.putSealed(tx, bucketRefused, k, pt)
}
