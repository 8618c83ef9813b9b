package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// queuePage is how many deliveries a queue's scan reads at a time.
const queuePage = 256

// scanQueue calls fn for each pending delivery of recipient after cursor,
// in cursor order, until fn returns false. It reads in pages so that a
// long queue of leased deliveries is not read whole.
func scanQueue(ctx context.Context, tx dbtx, recipient certs.AgencyCode, after uint64, fn func(d *record.Delivery) (bool, error)) error {
	const page = queuePage
	for {
		var batch []record.Delivery
		err := forRecs(ctx, tx, func(d *record.Delivery) error {
			batch = append(batch, *d)
			return nil
		}, `SELECT rec FROM deliveries WHERE recipient = $1 AND cursor > $2 AND state = 0 ORDER BY cursor LIMIT $3`,
			string(recipient), int64(after), page)
		if err != nil {
			return err
		}
		for i := range batch {
			more, err := fn(&batch[i])
			if err != nil || !more {
				return err
			}
			after = batch[i].Cursor
		}
		if len(batch) < page {
			return nil
		}
	}
}

// Inbox implements store.Queues.
func (s *Store) Inbox(ctx context.Context, recipient certs.AgencyCode, after uint64, limit int, now time.Time) ([]store.Delivery, error) {
	var out []store.Delivery
	if limit <= 0 {
		return out, s.check(ctx)
	}
	// Most answers come from the queue's first page: one statement, with
	// a snapshot of its own. An answer that needs more pages is read again
	// in one transaction, for one snapshot.
	var more bool
	err := s.read(ctx, func(q dbtx) error {
		out = nil
		var n int
		err := forRecs(ctx, q, func(d *record.Delivery) error {
			n++
			if len(out) < limit {
				if dv, ok := d.Listed(now); ok {
					out = append(out, dv)
				}
			}
			return nil
		}, `SELECT rec FROM deliveries WHERE recipient = $1 AND cursor > $2 AND state = 0 ORDER BY cursor LIMIT $3`,
			string(recipient), int64(after), queuePage)
		more = len(out) < limit && n == queuePage
		return err
	})
	if err != nil || !more {
		if err != nil {
			return nil, fmt.Errorf("inbox of %s: %w", recipient, err)
		}
		return out, nil
	}
	err = s.view(ctx, func(tx pgx.Tx) error {
		out = nil
		return scanQueue(ctx, tx, recipient, after, func(d *record.Delivery) (bool, error) {
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
	err := s.update(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		return scanQueue(ctx, tx, recipient, 0, func(d *record.Delivery) (bool, error) {
			if !d.Visible(now) {
				return true, nil
			}
			d.LeaseToken, d.LeaseExpiry = record.NewToken(), now.Add(ttl)
			d.Leases++
			if err := putDelivery(ctx, tx, d); err != nil {
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
		d       record.Delivery
		m       record.Message
		pending int  // the message's deliveries pending
		begun   bool // the recipient's history of the message has begun
	)
	// The delivery, its message (whose record does not change once
	// accepted), how many of the message's deliveries are pending and
	// whether the recipient has a status of it, in one round trip, with
	// the other operations' of the batch when it can: what the
	// acknowledgement then writes needs no round trip of its own to
	// read them while the batch holds the log lock. The message's key
	// keeps from the batch's round trip any operation before it that
	// writes them (another acknowledgement or a recall of the message).
	pre := &prefetch{keys: []string{"message/" + messageID},
		queue: func(b *pgx.Batch) {
			b.Queue(`SELECT d.rec, m.rec, m.pending,
					EXISTS (SELECT 1 FROM statuses s WHERE s.msg = d.msg AND s.from_agency = d.recipient)
				FROM deliveries d JOIN messages m ON m.id = d.msg
				WHERE d.msg = $1 AND d.recipient = $2`, messageID, string(recipient))
		},
		read: func(br pgx.BatchResults) error {
			var draw, mraw []byte
			err := br.QueryRow().Scan(&draw, &mraw, &pending, &begun)
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			if err != nil {
				return err
			}
			d, m = record.Delivery{}, record.Message{}
			return errors.Join(decodeRec(draw, &d), decodeRec(mraw, &m))
		}}
	err := s.logUpdateAfter(ctx, pre, func(ctx context.Context, tx *logTx) error {
		out, existed = store.Delivery{}, false
		if done, err := d.Settle(store.Acked); done || err != nil {
			out, existed = d.Domain(), done
			return err
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			return store.ErrLeaseLost
		}
		d.State, d.AckedAt = store.Acked, now
		idx, err := settleDelivery(ctx, tx, &d, auditlog.KindDelivered, now)
		if err != nil {
			return err
		}
		if err := bumpStats(ctx, tx, recipient, "acked"); err != nil {
			return err
		}
		if err := deliveredOneTx(ctx, tx, &m, pending, now); err != nil {
			return err
		}
		rc, err := sealTx(ctx, tx, seal, messageID, idx)
		if err != nil {
			return err
		}
		if err := arrivedTx(ctx, tx, &m, recipient, now, rc, begun); err != nil {
			return err
		}
		out = d.Domain()
		return nil
	})
	if err != nil {
		return store.Delivery{}, false, fmt.Errorf("ack %s for %s: %w", messageID, recipient, err)
	}
	return out, existed, nil
}

// settleDelivery ends a pending delivery whose new state the caller has
// set (acknowledged or refused): it logs the event as kind and stores the
// delivery with its log index and no lease, off the queue for good. It
// returns the log index.
func settleDelivery(ctx context.Context, tx *logTx, d *record.Delivery, kind string, now time.Time) (int64, error) {
	d.LeaseToken, d.LeaseExpiry = "", time.Time{}
	idx, err := appendLog(ctx, tx, &auditlog.Entry{Kind: kind, At: now, MessageID: d.MessageID, EnvelopeSHA256: d.EnvSHA256, Agency: string(d.Recipient)})
	if err != nil {
		return 0, err
	}
	d.LogIndex = idx
	return idx, putDelivery(ctx, tx, d)
}

// Release implements store.Queues.
func (s *Store) Release(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string) error {
	err := s.update(ctx, func(tx pgx.Tx) error {
		d, found, err := getDelivery(ctx, tx, recipient, messageID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if d.State != store.Pending || d.LeaseToken == "" {
			return nil
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			return store.ErrLeaseLost
		}
		d.LeaseToken, d.LeaseExpiry = "", time.Time{}
		return putDelivery(ctx, tx, &d)
	})
	if err != nil {
		return fmt.Errorf("release %s for %s: %w", messageID, recipient, err)
	}
	return nil
}

// arrivedTx appends status 01 (Đã đến) from the recipient, carried by the
// delivery's receipt rc, in the acknowledgement's own transaction, unless
// the recipient's history of the message has begun already (begun, read
// in the same transaction). Without a receipt there is nothing to carry
// it.
func arrivedTx(ctx context.Context, tx *logTx, m *record.Message, recipient certs.AgencyCode, now time.Time, rc *store.Receipt, begun bool) error {
	if rc == nil || begun {
		return nil
	}
	// No status of the recipient is stored: nor is this one.
	st := &store.StatusUpdate{MessageID: m.ID, From: recipient, Code: document.StatusArrived, At: now, Signed: rc.Signed}
	_, _, refusal, err := appendNewStatusTx(ctx, tx, m, st, nil)
	if err == nil && refusal != nil {
		err = fmt.Errorf("status 01 of the acknowledgement: %w", refusal)
	}
	return err
}
