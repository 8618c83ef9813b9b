package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// AppendStatus implements store.Statuses.
func (s *Store) AppendStatus(ctx context.Context, st *store.StatusUpdate) (store.StatusUpdate, bool, error) {
	if err := st.Validate(); err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status: %w", err)
	}
	var (
		out     store.StatusUpdate
		existed bool
	)
	err := s.logUpdate(ctx, func(ctx context.Context, tx *logTx) error {
		m, err := getMessage(ctx, tx, st.MessageID)
		if err != nil {
			return err
		}
		if _, found, err := getDelivery(ctx, tx, st.From, st.MessageID); err != nil {
			return err
		} else if !found {
			return fmt.Errorf("%s is not a recipient of %s: %w", st.From, st.MessageID, store.ErrForbidden)
		}
		if st.Document != "" && st.Document != m.DocumentID {
			return fmt.Errorf("%w: the status names %q, message %s carries %q", store.ErrWrongDocument, st.Document, st.MessageID, m.DocumentID)
		}
		var refusal error
		out, existed, refusal, err = appendStatusTx(ctx, tx, m, st)
		return errors.Join(err, refusal)
	})
	if err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status %s on %s: %w", st.Code, st.MessageID, err)
	}
	return out, existed, nil
}

// appendStatusTx appends st, from a recipient of m, unless its signed bytes
// are stored already (existed). The status must be one the recipient's
// history allows next (document.Lifecycle), checked here in the
// serializable transaction that stores it, so that two statuses racing
// cannot both pass against the same history.
func appendStatusTx(ctx context.Context, tx *logTx, m *record.Message, st *store.StatusUpdate) (out store.StatusUpdate, existed bool, refusal, err error) {
	sum := sha256.Sum256(st.Signed)
	from := string(st.From)
	// The status's signed bytes, and the history, in one round trip.
	var r record.Status
	b := &pgx.Batch{}
	b.Queue(`SELECT rec FROM statuses WHERE msg = $1 AND from_agency = $2 AND sig_sha = $3`, st.MessageID, from, sum[:])
	b.Queue(`SELECT rec FROM statuses WHERE msg = $1 AND from_agency = $2 ORDER BY seq`, st.MessageID, from)
	br := tx.SendBatch(ctx, b)
	found, err := scanRec(br.QueryRow(), &r)
	var history []document.Status
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			var raws [][]byte
			raws, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
			for _, raw := range raws {
				var h record.Status
				if err == nil {
					err = decodeRec(raw, &h)
				}
				history = append(history, h.Code)
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, false, nil, err
	}
	if found {
		return r.Domain(), true, nil, nil
	}
	return appendNewStatusTx(ctx, tx, m, st, history)
}

// appendNewStatusTx appends st, whose signed bytes are not stored, after
// history, the codes of its sender's history of m as this transaction
// reads them.
func appendNewStatusTx(ctx context.Context, tx *logTx, m *record.Message, st *store.StatusUpdate, history []document.Status) (out store.StatusUpdate, existed bool, refusal, err error) {
	sum := sha256.Sum256(st.Signed)
	from := string(st.From)
	life, err := document.ReplayHistory(m.Kind, history)
	if err != nil {
		return out, false, fmt.Errorf("the stored history of %s at %s: %w", st.MessageID, st.From, err), nil
	}
	if _, err := life.Next(st.Code); err != nil {
		return out, false, err, nil
	}
	seq := uint64(len(history) + 1)
	cur, err := next(ctx, tx, "status-queue/"+string(m.Sender))
	if err != nil {
		return out, false, nil, err
	}
	idx, err := appendLog(ctx, tx, &auditlog.Entry{Kind: auditlog.KindStatus, At: st.At, MessageID: st.MessageID,
		EnvelopeSHA256: m.EnvSHA256, Agency: from, Status: string(st.Code), PacketSHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return out, false, nil, err
	}
	r := record.Status{MessageID: st.MessageID, From: st.From, Code: st.Code, Reason: st.Reason, Staff: st.Staff,
		At: st.At, Signed: st.Signed, Sender: m.Sender, Seq: seq, Cursor: cur, LogIndex: idx}
	if _, err := tx.Exec(ctx, `INSERT INTO statuses (msg, from_agency, seq, sig_sha, sender, cursor, queued, rec)
		VALUES ($1, $2, $3, $4, $5, $6, true, $7)`,
		st.MessageID, from, int64(seq), sum[:], string(m.Sender), int64(cur), encode(&r)); err != nil {
		return out, false, nil, err
	}
	if err := notify(ctx, tx, m.Sender); err != nil {
		return out, false, nil, err
	}
	if err := bumpStats(ctx, tx, st.From, "statuses", st.Code); err != nil {
		return out, false, nil, err
	}
	return r.Domain(), false, nil, nil
}

// historyTx returns the codes of a message's history at one recipient, in
// order.
func historyTx(ctx context.Context, tx dbtx, messageID string, from certs.AgencyCode) ([]document.Status, error) {
	var codes []document.Status
	err := forRecs(ctx, tx, func(r *record.Status) error {
		codes = append(codes, r.Code)
		return nil
	}, `SELECT rec FROM statuses WHERE msg = $1 AND from_agency = $2 ORDER BY seq`, messageID, string(from))
	return codes, err
}

// StatusHistory implements store.Statuses.
func (s *Store) StatusHistory(ctx context.Context, messageID string) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx pgx.Tx) error {
		if _, err := getMessage(ctx, tx, messageID); err != nil {
			return err
		}
		return forRecs(ctx, tx, func(r *record.Status) error {
			out = append(out, r.Domain())
			return nil
		}, `SELECT rec FROM statuses WHERE msg = $1 ORDER BY from_agency COLLATE "C", seq`, messageID)
	})
	if err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	return out, nil
}

// StatusInbox implements store.Statuses.
func (s *Store) StatusInbox(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx pgx.Tx) error {
		return forRecs(ctx, tx, func(r *record.Status) error {
			out = append(out, r.Domain())
			return nil
		}, `SELECT rec FROM statuses WHERE sender = $1 AND cursor > $2 AND queued ORDER BY cursor LIMIT $3`,
			string(sender), int64(after), max(limit, 0))
	})
	if err != nil {
		return nil, fmt.Errorf("status inbox of %s: %w", sender, err)
	}
	return out, nil
}

// AckStatus implements store.Statuses.
func (s *Store) AckStatus(ctx context.Context, sender certs.AgencyCode, cursor uint64) error {
	err := s.update(ctx, func(tx pgx.Tx) error {
		n, err := counter(ctx, tx, "status-queue/"+string(sender))
		if err != nil {
			return err
		}
		if cursor == 0 || cursor > n {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE statuses SET queued = false WHERE sender = $1 AND cursor = $2 AND queued`, string(sender), int64(cursor))
		return err
	})
	if err != nil {
		return fmt.Errorf("ack status %d for %s: %w", cursor, sender, err)
	}
	return nil
}

// PutReceipt implements store.Receipts.
func (s *Store) PutReceipt(ctx context.Context, r *store.Receipt) (store.Receipt, bool, error) {
	if err := r.Validate(); err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt: %w", err)
	}
	var (
		out     store.Receipt
		existed bool
	)
	err := s.update(ctx, func(tx pgx.Tx) (err error) {
		if _, err := getMessage(ctx, tx, r.MessageID); err != nil {
			return err
		}
		out, existed, err = putReceiptTx(ctx, tx, r)
		return err
	})
	if err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt %s for %s: %w", r.Event, r.MessageID, err)
	}
	return out, existed, nil
}

// putReceiptTx stores r unless a receipt for its (message, event, party)
// is stored, which it returns instead with existed=true.
func putReceiptTx(ctx context.Context, tx dbtx, r *store.Receipt) (out store.Receipt, existed bool, err error) {
	var rec record.Receipt
	found, err := getRec(ctx, tx, &rec, `SELECT rec FROM receipts WHERE msg = $1 AND event = $2 AND party = $3`, r.MessageID, r.Event, string(r.Party))
	if err != nil {
		return out, false, err
	}
	if found {
		return rec.Domain(), true, nil
	}
	rec = record.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
	if _, err := tx.Exec(ctx, `INSERT INTO receipts (msg, event, party, rec) VALUES ($1, $2, $3, $4)`,
		r.MessageID, r.Event, string(r.Party), encode(&rec)); err != nil {
		return out, false, err
	}
	return rec.Domain(), false, nil
}

// sealTx stores the receipt that seal makes for the event at logIndex of
// message id, inside the event's transaction, and returns it; a nil seal
// stores nothing and returns nil. Any failure aborts the transaction.
func sealTx(ctx context.Context, tx dbtx, seal store.Seal, id string, logIndex int64) (*store.Receipt, error) {
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
	// As putReceiptTx, a receipt stored for the same event stays; without
	// its read (in a batch, the insert goes with the next query).
	rec := record.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
	if _, err := tx.Exec(ctx, `INSERT INTO receipts (msg, event, party, rec) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		r.MessageID, r.Event, string(r.Party), encode(&rec)); err != nil {
		return nil, err
	}
	return r, nil
}

// Receipts implements store.Receipts.
func (s *Store) Receipts(ctx context.Context, messageID string) ([]store.Receipt, error) {
	var out []store.Receipt
	err := s.read(ctx, func(tx dbtx) error {
		if _, err := getMessage(ctx, tx, messageID); err != nil {
			return err
		}
		return forRecs(ctx, tx, func(r *record.Receipt) error {
			out = append(out, r.Domain())
			return nil
		}, `SELECT rec FROM receipts WHERE msg = $1 ORDER BY event COLLATE "C", party COLLATE "C"`, messageID)
	})
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	return out, nil
}

// Refuse implements store.Refusals.
func (s *Store) Refuse(ctx context.Context, recipient certs.AgencyCode, messageID, reason string, now time.Time, seal store.Seal) (store.Delivery, bool, error) {
	if err := store.ValidReason(reason); err != nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w", messageID, recipient, err)
	}
	if seal == nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w: a refusal is stored with its receipt", messageID, recipient, store.ErrInvalid)
	}
	var (
		out     store.Delivery
		existed bool
	)
	err := s.logUpdate(ctx, func(ctx context.Context, tx *logTx) error {
		out, existed = store.Delivery{}, false
		d, found, err := getDelivery(ctx, tx, recipient, messageID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if done, err := d.Settle(store.Refused); done || err != nil {
			out, existed = d.Domain(), done
			return err
		}
		m, err := getMessage(ctx, tx, messageID)
		if err != nil {
			return err
		}
		history, err := historyTx(ctx, tx, messageID, recipient)
		if err != nil {
			return err
		}
		if life, err := document.ReplayHistory(m.Kind, history); err != nil {
			return fmt.Errorf("the stored history of %s at %s: %w", messageID, recipient, err)
		} else if _, err := life.Next(document.StatusRefused); err != nil {
			return err
		}
		d.State, d.RefusedAt, d.Reason = store.Refused, now, reason
		idx, err := settleDelivery(ctx, tx, &d, auditlog.KindRefused, now)
		if err != nil {
			return err
		}
		if err := deliveredTx(ctx, tx, m, 1, now); err != nil {
			return err
		}
		rc, err := sealTx(ctx, tx, seal, messageID, idx)
		if err != nil {
			return err
		}
		// Status 02 travels to the sender carried by the refusal's receipt.
		st := &store.StatusUpdate{MessageID: messageID, From: recipient, Code: document.StatusRefused, Reason: reason, At: now, Signed: rc.Signed}
		if _, _, refused, err := appendStatusTx(ctx, tx, m, st); err != nil || refused != nil {
			return fmt.Errorf("status 02 of the refusal: %w", errors.Join(err, refused))
		}
		out = d.Domain()
		return nil
	})
	if err != nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w", messageID, recipient, err)
	}
	return out, existed, nil
}
