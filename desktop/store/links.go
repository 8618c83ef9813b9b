package store

import (
	"errors"
	"fmt"
	"slices"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

// ErrNotRecall is returned by LinkRecall when the recall does not name the
// document, or either is not an incoming document of the right kind.
var ErrNotRecall = errors.New("not a recall of this document")

// LinkRecall records recall (an incoming recall packet) as the open recall
// of target, an incoming document it names, replacing an earlier link. The
// clerk answers the recall from the recalled document through this link.
func (s *Store) LinkRecall(target, recall string) error {
	return s.update("link recall", func(tx *bolt.Tx) error {
		tseq, tbox, err := lookup(tx, target)
		if err != nil {
			return err
		}
		rseq, rbox, err := lookup(tx, recall)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, rseq)
		if err != nil {
			return err
		}
		if tbox != Incoming || rbox != Incoming || r.Payload.Metadata.Business.Type != document.BusinessRecall ||
			!slices.Contains(r.Payload.Targets, target) {
			return fmt.Errorf("%s and %s: %w", recall, target, ErrNotRecall)
		}
		return s.putSealed(tx, bucketRecalls, u64(tseq), []byte(recall))
	})
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
// record proves every receipt stored so far: the document then stops
// awaiting proofs, in the same transaction.
func (s *Store) KeepProofs(id string, record []byte, complete bool) error {
	return s.update("keep log proofs", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		if complete {
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
