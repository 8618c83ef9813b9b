package store

import (
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrDestroyed reports an attachment whose bytes were destroyed because the
// document was recalled and the recall accepted.
var ErrDestroyed = errors.New("attachment destroyed after an accepted recall")

// DestroyAttachments deletes a document's attachment bytes for good and
// keeps the rest: metadata, packet, status history and receipts. It is what
// Decree 30 asks of a recipient that accepts a recall ("the recipient's copy
// is destroyed, keeping the recall's metadata"). Destroying twice is fine.
// The chunks were encrypted; bbolt reuses their freed pages.
func (s *Store) DestroyAttachments(id string) error {
	return s.update("destroy attachments", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		changed := false
		for i, b := range r.Blobs {
			if b == "" {
				continue
			}
			bid, err := hex.DecodeString(b)
			if err != nil || len(bid) != blobIDSize {
				return fmt.Errorf("%w: blob id", ErrCorrupt)
			}
			if err := deleteBlob(tx, bid); err != nil {
				return err
			}
			r.Blobs[i], changed = "", true
		}
		if !changed {
			return nil
		}
		return s.putRecord(tx, seq, r)
	})
}
