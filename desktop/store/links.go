package store

import (
	"errors"
	"fmt"
	"slices"

	"lienthong/shared/document"
	"lienthong/shared/envelope"

	bolt "go.etcd.io/bbolt"
)

// ErrNotRecall is returned when a document saved with Recalls is not an
// incoming recall naming them, or one of them is not an incoming document.
var ErrNotRecall = errors.New("not a recall of this document")

// RecallTarget is a stored incoming document that an incoming recall
// recalls. Saved with the recall (NewDocument.Recalls), in the same
// transaction, the target gets Entry (the sender's 13 on this agency's
// copy), unless its history does not allow it (answered already, say), and
// the recall becomes its open recall (RecallOf), replacing an earlier one.
type RecallTarget struct {
	Doc   string // message id of the recalled document
	Entry StatusEntry
}

// linkRecalls applies a recall's targets; recall is the payload just
// stored in box.
func (s *Store) linkRecalls(tx *bolt.Tx, box Box, recall *envelope.Document, targets []RecallTarget) error {
	for _, t := range targets {
		if box != Incoming || recall.Metadata.Business.Type != document.BusinessRecall || !slices.Contains(recall.Targets, t.Doc) {
			return fmt.Errorf("%s and %s: %w", recall.MessageID, t.Doc, ErrNotRecall)
		}
		seq, tbox, err := lookup(tx, t.Doc)
		if err != nil {
			return err
		}
		if tbox != Incoming {
			return fmt.Errorf("%s and %s: %w", recall.MessageID, t.Doc, ErrNotRecall)
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		// appendStatus checks the transition before it writes anything.
		if err := s.appendStatus(tx, seq, r, t.Entry); err != nil && !errors.Is(err, document.ErrTransition) {
			return err
		}
		if err := s.putSealed(tx, bucketRecalls, u64(seq), []byte(recall.MessageID)); err != nil {
			return err
		}
	}
	return nil
}

// RecallOf returns the message id of the open recall of an incoming
// document, or ErrNotFound.
func (s *Store) RecallOf(target string) (string, error) {
	v, err := s.sealedOf("read recall link", target, bucketRecalls)
	return string(v), err
}

// KeepProofs stores the hub's log proofs of a document: an opaque record
// the caller encodes (receipts, a signed checkpoint, log entries and their
// inclusion proofs), replacing the one kept before. complete says the
// record proves the document's first receipts stored receipts (as
// Receipts returned them): unless more were stored since, the document
// then stops awaiting proofs, in the same transaction.
func (s *Store) KeepProofs(id string, record []byte, complete bool, receipts int) error {
	return s.update("keep log proofs", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		if complete && receiptCount(tx, seq) <= receipts {
			if err := tx.Bucket(bucketProofsDue).Delete(u64(seq)); err != nil {
				return err
			}
		}
		return s.putSealed(tx, bucketProofs, u64(seq), record)
	})
}

// Proofs returns the log proofs kept for a document, or ErrNotFound.
func (s *Store) Proofs(id string) ([]byte, error) {
	return s.sealedOf("read log proofs", id, bucketProofs)
}

// AwaitProofs notes that a document has a receipt whose log proof is still
// to be fetched; noting it twice is fine.
func (s *Store) AwaitProofs(id string) error {
	return s.update("await log proofs", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		return s.putSealed(tx, bucketProofsDue, u64(seq), []byte(id))
	})
}

// AwaitingProofs lists the documents awaiting log proofs, in the order they
// were stored.
func (s *Store) AwaitingProofs() ([]string, error) {
	var out []string
	err := s.view("list documents awaiting log proofs", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProofsDue).ForEach(func(k, v []byte) error {
			id, err := s.c.open(bucketProofsDue, k, v)
			if err != nil {
				return err
			}
			out = append(out, string(id))
			return nil
		})
	})
	return out, err
}
