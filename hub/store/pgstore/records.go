package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/document"
)

// The durable records are package record's, shared with boltstore; the
// blob record is PostgreSQL's own.

type blobRecord struct {
	Size    int64     `json:"size"`
	Stored  time.Time `json:"stored,omitzero"`  // the last completed upload of the bytes
	Refs    int       `json:"refs,omitempty"`   // messages carrying it
	Open    int       `json:"open,omitempty"`   // messages carrying it with a delivery still pending
	Settled time.Time `json:"settled,omitzero"` // when Open last fell to 0
	Gone    bool      `json:"gone,omitempty"`   // the retention policy removed the bytes
}

func encode(v any) []byte { return record.Encode(v) }

// dbtx is what the helpers run statements on: a transaction, a batch's
// transaction (logTx) or, for a read of one statement, the pool (read).
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// read runs fn, which reads with one statement, on the pool outside a
// transaction: the statement sees a snapshot of its own, as in view, and
// it saves view's BEGIN and COMMIT, two round trips.
func (s *Store) read(ctx context.Context, fn func(q dbtx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	err := fn(s.pool)
	if err != nil && s.closed.Load() {
		return store.ErrClosed
	}
	return unavailable(err)
}

// getRec decodes the rec column the query selects into v; found is false
// when there is no row.
func getRec(ctx context.Context, tx dbtx, v any, sql string, args ...any) (found bool, err error) {
	var raw []byte
	err = tx.QueryRow(ctx, sql, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %T: %w", v, err)
	}
	return true, nil
}

// scanRec decodes the rec column of row into v; found is false when there
// is no row.
func scanRec(row pgx.Row, v any) (found bool, err error) {
	var raw []byte
	err = row.Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decodeRec(raw, v)
}

// forRecs decodes the rec column of each row the query selects.
func forRecs[T any](ctx context.Context, tx dbtx, each func(*T) error, sql string, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	var raws [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return err
		}
		raws = append(raws, raw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, raw := range raws {
		var r T
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decode %T: %w", r, err)
		}
		if err := each(&r); err != nil {
			return err
		}
	}
	return nil
}

func getMessage(ctx context.Context, tx dbtx, id string) (*record.Message, error) {
	var m record.Message
	found, err := getRec(ctx, tx, &m, `SELECT rec FROM messages WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("message %s: %w", id, store.ErrNotFound)
	}
	return &m, nil
}

func getDelivery(ctx context.Context, tx dbtx, recipient certs.AgencyCode, id string) (d record.Delivery, found bool, err error) {
	found, err = getRec(ctx, tx, &d, `SELECT rec FROM deliveries WHERE msg = $1 AND recipient = $2`, id, string(recipient))
	return d, found, err
}

func putDelivery(ctx context.Context, tx dbtx, d *record.Delivery) error {
	_, err := tx.Exec(ctx, `UPDATE deliveries SET state = $3, rec = $4 WHERE msg = $1 AND recipient = $2`,
		d.MessageID, string(d.Recipient), int(d.State), encode(d))
	return err
}

// bumpStats adds one to a counter of agency's statistics: field is
// "sent", "received", "acked" or "withdrawn", or "statuses" with the
// status's code. The record is changed in SQL, with no read.
//
// In a batch of log appends the counts are added up instead, and written
// once per agency at the batch's commit (logTx.countStats, addStats).
func bumpStats(ctx context.Context, tx dbtx, agency certs.AgencyCode, field string, code ...document.Status) error {
	if lt, ok := tx.(*logTx); ok && lt.batched() {
		return lt.countStats(agency, field, code...)
	}
	var first record.Stats
	switch field {
	case "sent":
		first.Sent = 1
	case "received":
		first.Received = 1
	case "acked":
		first.Acked = 1
	case "withdrawn":
		first.Withdrawn = 1
	case "statuses":
		first.Statuses = map[document.Status]uint64{code[0]: 1}
		_, err := tx.Exec(ctx, `INSERT INTO stats (agency, rec) VALUES ($1, $2) ON CONFLICT (agency) DO UPDATE SET rec = convert_to((
			jsonb_set(convert_from(stats.rec, 'UTF8')::jsonb, '{statuses}',
				coalesce(convert_from(stats.rec, 'UTF8')::jsonb -> 'statuses', '{}') ||
				jsonb_build_object($3::text, coalesce((convert_from(stats.rec, 'UTF8')::jsonb -> 'statuses' ->> $3::text)::bigint, 0) + 1))
			)::text, 'UTF8')`, string(agency), encode(&first), string(code[0]))
		return err
	default:
		return fmt.Errorf("stats of %s: no counter %q", agency, field)
	}
	_, err := tx.Exec(ctx, `INSERT INTO stats (agency, rec) VALUES ($1, $2) ON CONFLICT (agency) DO UPDATE SET rec = convert_to((
		jsonb_set(convert_from(stats.rec, 'UTF8')::jsonb, ARRAY[$3::text],
			to_jsonb(coalesce((convert_from(stats.rec, 'UTF8')::jsonb ->> $3::text)::bigint, 0) + 1))
		)::text, 'UTF8')`, string(agency), encode(&first), field)
	return err
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error) {
	out := store.AgencyStats{Agency: agency, Statuses: map[document.Status]uint64{}}
	err := s.read(ctx, func(tx dbtx) error {
		var st record.Stats
		if _, err := getRec(ctx, tx, &st, `SELECT rec FROM stats WHERE agency = $1`, string(agency)); err != nil {
			return err
		}
		out.Sent, out.Received, out.Acked, out.Withdrawn = st.Sent, st.Received, st.Acked, st.Withdrawn
		for k, v := range st.Statuses {
			out.Statuses[k] = v
		}
		return nil
	})
	if err != nil {
		return store.AgencyStats{}, fmt.Errorf("stats of %s: %w", agency, err)
	}
	return out, nil
}

func decodeRec(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}
