package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
)

// PutReceipt implements store.Receipts.
func (s *Store) PutReceipt(ctx context.Context, r *store.Receipt) (store.Receipt, bool, error) {
	if err := r.Validate(); err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt: %w", err)
	}
	var (
		out     store.Receipt
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.Receipt{}, false, nil
		if _, err := getMessage(tx, r.MessageID); err != nil {
			refusal = err
			return nil
		}
		var err error
		out, existed, err = putReceiptTx(tx, r)
		return err
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt %s for %s: %w", r.Event, r.MessageID, err)
	}
	return out, existed, nil
}

// putReceiptTx stores r unless a receipt for its (message, event, party)
// is stored, which it returns instead with existed=true.
func putReceiptTx(tx *bolt.Tx, r *store.Receipt) (out store.Receipt, existed bool, err error) {
	b := tx.Bucket(bucketReceipts)
	key := join(r.MessageID, r.Event, string(r.Party))
	if raw := b.Get(key); raw != nil {
		var rec record.Receipt
		if err := decode(raw, &rec); err != nil {
			return out, false, fmt.Errorf("decode receipt: %w", err)
		}
		return rec.Domain(), true, nil
	}
	rec := record.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
	if err := b.Put(key, encode(&rec)); err != nil {
		return out, false, err
	}
	return rec.Domain(), false, nil
}

// sealTx stores the receipt that seal makes for the event at logIndex of
// message id, inside the event's transaction, and returns it; a nil seal
// stores nothing and returns nil. Any failure aborts the transaction.
func sealTx(tx *bolt.Tx, seal store.Seal, id string, logIndex int64) (*store.Receipt, error) {
	if seal == nil {
		return nil, nil
	}
	r, err := seal(logIndex)
	if err != nil {
		return nil, fmt.Errorf("seal the receipt: %w", err)
	}
	if r == nil || r.MessageID != id {
		return nil, fmt.Errorf("seal the receipt: %w: a receipt of another message", store.ErrInvalid)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("seal the receipt: %w", err)
	}
	if _, _, err = putReceiptTx(tx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Receipts implements store.Receipts.
func (s *Store) Receipts(ctx context.Context, messageID string) ([]store.Receipt, error) {
	var out []store.Receipt
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getMessage(tx, messageID); err != nil {
			return err
		}
		return forPrefix(tx, bucketReceipts, join(messageID, ""), "receipt", func(r *record.Receipt) { out = append(out, r.Domain()) })
	})
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	return out, nil
}
