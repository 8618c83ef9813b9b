package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// scanQueue calls fn for each queued delivery of recipient after cursor,
// in order, until fn returns false.
func scanQueue(tx *bolt.Tx, recipient certs.AgencyCode, after uint64, fn func(key []byte, d *record.Delivery) (bool, error)) error {
	prefix := join(string(recipient), "")
	dels := tx.Bucket(bucketDeliveries)
	c := tx.Bucket(bucketQueue).Cursor()
	for k, v := c.Seek(seqKey(after+1, string(recipient))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		key := deliveryKey(recipient, string(v))
		var d record.Delivery
		if err := decode(dels.Get(key), &d); err != nil {
			return fmt.Errorf("decode delivery %s to %s: %w", v, recipient, err)
		}
		more, err := fn(key, &d)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Inbox implements store.Queues.
func (s *Store) Inbox(ctx context.Context, recipient certs.AgencyCode, after uint64, limit int, now time.Time) ([]store.Delivery, error) {
	var out []store.Delivery
	if limit <= 0 {
		return nil, nil
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return scanQueue(tx, recipient, after, func(_ []byte, d *record.Delivery) (bool, error) {
			if dv, ok := d.Listed(now); ok {
				out = append(out, dv)
			}
			return len(out) < limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", recipient, err)
	}
	return out, nil
}

// Lease implements store.Queues.
func (s *Store) Lease(ctx context.Context, recipient certs.AgencyCode, max int, now time.Time, ttl time.Duration) ([]store.Delivery, error) {
	if max <= 0 || ttl <= 0 {
		return nil, fmt.Errorf("lease for %s: %w: max %d, ttl %s", recipient, store.ErrInvalid, max, ttl)
	}
	var out []store.Delivery
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		dels := tx.Bucket(bucketDeliveries)
		return scanQueue(tx, recipient, 0, func(key []byte, d *record.Delivery) (bool, error) {
			if !d.Visible(now) {
				return true, nil
			}
			d.LeaseToken, d.LeaseExpiry = record.NewToken(), now.Add(ttl)
			d.Leases++
			if err := dels.Put(key, encode(d)); err != nil {
				return false, err
			}
			out = append(out, d.Domain())
			return len(out) < max, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("lease for %s: %w", recipient, err)
	}
	return out, nil
}

// Ack implements store.Queues.
func (s *Store) Ack(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string, now time.Time, seal store.Seal) (store.Delivery, bool, error) {
	var (
		out     store.Delivery
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.Delivery{}, false, nil
		d, found, err := getDelivery(tx, recipient, messageID)
		if err != nil || !found {
			refusal = store.ErrNotFound
			return err
		}
		if done, err := d.Settle(store.Acked); done || err != nil {
			out, existed, refusal = d.Domain(), done, err
			return nil
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			refusal = store.ErrLeaseLost
			return nil
		}
		d.State, d.AckedAt = store.Acked, now
		idx, err := settleDelivery(tx, &d, auditlog.KindDelivered, now)
		if err != nil {
			return err
		}
		if err := bumpStats(tx, recipient, func(st *record.Stats) { st.Acked++ }); err != nil {
			return err
		}
		m, err := getMessage(tx, messageID)
		if err != nil {
			return err
		}
		if err := deliveredTx(tx, m, 1, now); err != nil {
			return err
		}
		rc, err := sealTx(tx, seal, messageID, idx)
		if err != nil {
			return err
		}
		if err := arrivedTx(tx, messageID, recipient, now, rc); err != nil {
			return err
		}
		out = d.Domain()
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.Delivery{}, false, fmt.Errorf("ack %s for %s: %w", messageID, recipient, err)
	}
	return out, existed, nil
}

// getDelivery reads the delivery of messageID to recipient; found is false
// when there is none.
func getDelivery(tx *bolt.Tx, recipient certs.AgencyCode, messageID string) (d record.Delivery, found bool, err error) {
	raw := tx.Bucket(bucketDeliveries).Get(deliveryKey(recipient, messageID))
	if raw == nil {
		return d, false, nil
	}
	if err := decode(raw, &d); err != nil {
		return d, false, fmt.Errorf("decode delivery: %w", err)
	}
	return d, true, nil
}

// settleDelivery ends a pending delivery whose new state the caller has
// set (acknowledged or refused): it logs the event as kind, stores the
// delivery with its log index and no lease, and takes it off the
// recipient's queue for good. It returns the log index.
func settleDelivery(tx *bolt.Tx, d *record.Delivery, kind string, now time.Time) (int64, error) {
	d.LeaseToken, d.LeaseExpiry = "", time.Time{}
	idx, err := appendLog(tx, &auditlog.Entry{Kind: kind, At: now, MessageID: d.MessageID, EnvelopeSHA256: d.EnvSHA256, Agency: string(d.Recipient)})
	if err != nil {
		return 0, err
	}
	d.LogIndex = idx
	if err := tx.Bucket(bucketDeliveries).Put(deliveryKey(d.Recipient, d.MessageID), encode(d)); err != nil {
		return 0, err
	}
	return idx, tx.Bucket(bucketQueue).Delete(seqKey(d.Cursor, string(d.Recipient)))
}

// Release implements store.Queues.
func (s *Store) Release(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string) error {
	var refusal error
	err := s.update(ctx, func(tx *bolt.Tx) error {
		refusal = nil
		d, found, err := getDelivery(tx, recipient, messageID)
		if err != nil || !found {
			refusal = store.ErrNotFound
			return err
		}
		if d.State != store.Pending || d.LeaseToken == "" {
			return nil
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			refusal = store.ErrLeaseLost
			return nil
		}
		d.LeaseToken, d.LeaseExpiry = "", time.Time{}
		return tx.Bucket(bucketDeliveries).Put(deliveryKey(recipient, messageID), encode(&d))
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return fmt.Errorf("release %s for %s: %w", messageID, recipient, err)
	}
	return nil
}

// arrivedTx appends status 01 (Đã đến) from the recipient, carried by the
// delivery's receipt rc, in the acknowledgement's own transaction, unless
// the recipient's history of the message has begun already (it may have
// sent 01 itself). Without a receipt there is nothing to carry it.
func arrivedTx(tx *bolt.Tx, messageID string, recipient certs.AgencyCode, now time.Time, rc *store.Receipt) error {
	if rc == nil {
		return nil
	}
	history, err := historyTx(tx, messageID, recipient)
	if err != nil || len(history) > 0 {
		return err
	}
	m, err := getMessage(tx, messageID)
	if err != nil {
		return err
	}
	st := &store.StatusUpdate{MessageID: messageID, From: recipient, Code: document.StatusArrived, At: now, Signed: rc.Signed}
	_, _, refusal, err := appendStatusTx(tx, m, st)
	if err == nil && refusal != nil {
		err = fmt.Errorf("status 01 of the acknowledgement: %w", refusal)
	}
	return err
}
