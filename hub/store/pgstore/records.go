package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// The records below are the durable format of the rec columns: their JSON
// field names must not change without a schema migration. JSON keeps a
// time's zone and nanoseconds, which timestamptz would not.

type messageRecord struct {
	ID         string                `json:"id"`
	Sender     certs.AgencyCode      `json:"sender"`
	Recipients []certs.AgencyCode    `json:"recipients"`
	EnvSHA256  string                `json:"env_sha256"`
	Blobs      []string              `json:"blobs,omitempty"`
	DocumentID string                `json:"doc_id,omitempty"`
	Kind       document.BusinessType `json:"kind"`
	Targets    []string              `json:"targets,omitempty"`
	Received   time.Time             `json:"received"`
	Seq        uint64                `json:"seq"`
	Recalls    []recallRecord        `json:"recalls,omitempty"`
	Due        string                `json:"due,omitempty"`
	LogIndex   int64                 `json:"log"`
}

type recallRecord struct {
	Target       string             `json:"target"`
	Withdrawn    []certs.AgencyCode `json:"withdrawn,omitempty"`
	AlreadyAcked []certs.AgencyCode `json:"already_acked,omitempty"`
}

func (m *messageRecord) result() store.AcceptResult {
	r := store.AcceptResult{MessageID: m.ID, Seq: m.Seq, Received: m.Received, LogIndex: m.LogIndex}
	for _, rc := range m.Recalls {
		r.Recalls = append(r.Recalls, store.RecallOutcome{Target: rc.Target, Withdrawn: rc.Withdrawn, AlreadyAcked: rc.AlreadyAcked})
	}
	return r
}

type deliveryRecord struct {
	Recipient   certs.AgencyCode      `json:"recipient"`
	MessageID   string                `json:"msg"`
	Sender      certs.AgencyCode      `json:"sender"`
	Cursor      uint64                `json:"cursor"`
	EnvSHA256   string                `json:"env_sha256"`
	Kind        document.BusinessType `json:"kind"`
	State       store.DeliveryState   `json:"state"`
	LeaseToken  string                `json:"lease,omitempty"`
	LeaseExpiry time.Time             `json:"lease_expiry,omitzero"`
	Leases      int                   `json:"leases,omitempty"`
	AckedAt     time.Time             `json:"acked_at,omitzero"`
	WithdrawnBy string                `json:"withdrawn_by,omitempty"`
	LogIndex    int64                 `json:"log,omitempty"`
	RefusedAt   time.Time             `json:"refused_at,omitzero"`
	Reason      string                `json:"reason,omitempty"`
}

func (d *deliveryRecord) delivery() store.Delivery {
	return store.Delivery{
		Recipient: d.Recipient, MessageID: d.MessageID, Sender: d.Sender, Cursor: d.Cursor,
		EnvelopeSHA256: d.EnvSHA256, Kind: d.Kind, State: d.State, LeaseToken: d.LeaseToken,
		LeaseExpiry: d.LeaseExpiry, Leases: d.Leases, AckedAt: d.AckedAt, WithdrawnBy: d.WithdrawnBy,
		LogIndex: d.LogIndex, RefusedAt: d.RefusedAt, Reason: d.Reason,
	}
}

// visible reports whether a pending delivery may be listed or leased.
func (d *deliveryRecord) visible(now time.Time) bool {
	return d.State == store.Pending && (d.LeaseToken == "" || !now.Before(d.LeaseExpiry))
}

type statusRecord struct {
	MessageID string           `json:"msg"`
	From      certs.AgencyCode `json:"from"`
	Code      document.Status  `json:"code"`
	Reason    string           `json:"reason,omitempty"`
	Staff     string           `json:"staff,omitempty"`
	At        time.Time        `json:"at"`
	Signed    []byte           `json:"signed"`
	Sender    certs.AgencyCode `json:"sender"`
	Seq       uint64           `json:"seq"`
	Cursor    uint64           `json:"cursor"`
	LogIndex  int64            `json:"log"`
}

func (s *statusRecord) status() store.StatusUpdate {
	return store.StatusUpdate{
		MessageID: s.MessageID, From: s.From, Code: s.Code, Reason: s.Reason, Staff: s.Staff,
		At: s.At, Signed: s.Signed, Sender: s.Sender, Seq: s.Seq, Cursor: s.Cursor, LogIndex: s.LogIndex,
	}
}

type receiptRecord struct {
	MessageID string           `json:"msg"`
	Event     string           `json:"event"`
	Party     certs.AgencyCode `json:"party"`
	At        time.Time        `json:"at"`
	Signed    []byte           `json:"signed"`
}

func (r *receiptRecord) receipt() store.Receipt {
	return store.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
}

type agencyRecord struct {
	Code         certs.AgencyCode `json:"code"`
	Name         string           `json:"name"`
	Parent       certs.AgencyCode `json:"parent,omitempty"`
	Level        int              `json:"level"`
	Active       bool             `json:"active"`
	SupersededBy certs.AgencyCode `json:"superseded_by,omitempty"`
	CertPEM      []byte           `json:"cert_pem,omitempty"`
}

func agencyRec(a *store.Agency) agencyRecord {
	return agencyRecord{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, CertPEM: a.CertPEM}
}

func (a *agencyRecord) agency() store.Agency {
	return store.Agency{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, CertPEM: a.CertPEM}
}

type agencyChangeRecord struct {
	Agency   agencyRecord `json:"agency"`
	Seq      uint64       `json:"seq"`
	At       time.Time    `json:"at"`
	LogIndex int64        `json:"log"`
}

type statsRecord struct {
	Sent      uint64                     `json:"sent,omitempty"`
	Received  uint64                     `json:"received,omitempty"`
	Acked     uint64                     `json:"acked,omitempty"`
	Withdrawn uint64                     `json:"withdrawn,omitempty"`
	Statuses  map[document.Status]uint64 `json:"statuses,omitempty"`
}

type blobRecord struct {
	Size    int64     `json:"size"`
	Stored  time.Time `json:"stored,omitzero"`  // the last completed upload of the bytes
	Refs    int       `json:"refs,omitempty"`   // messages carrying it
	Open    int       `json:"open,omitempty"`   // messages carrying it with a delivery still pending
	Settled time.Time `json:"settled,omitzero"` // when Open last fell to 0
	Gone    bool      `json:"gone,omitempty"`   // the retention policy removed the bytes
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings, numbers, times and bytes are
		// encoded here; Marshal cannot fail on them.
		panic("pgstore: encode record: " + err.Error())
	}
	return b
}

// getRec decodes the rec column the query selects into v; found is false
// when there is no row.
func getRec(ctx context.Context, tx pgx.Tx, v any, sql string, args ...any) (found bool, err error) {
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

// forRecs decodes the rec column of each row the query selects.
func forRecs[T any](ctx context.Context, tx pgx.Tx, each func(*T) error, sql string, args ...any) error {
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

func getMessage(ctx context.Context, tx pgx.Tx, id string) (*messageRecord, error) {
	var m messageRecord
	found, err := getRec(ctx, tx, &m, `SELECT rec FROM messages WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("message %s: %w", id, store.ErrNotFound)
	}
	return &m, nil
}

func getDelivery(ctx context.Context, tx pgx.Tx, recipient certs.AgencyCode, id string) (d deliveryRecord, found bool, err error) {
	found, err = getRec(ctx, tx, &d, `SELECT rec FROM deliveries WHERE msg = $1 AND recipient = $2`, id, string(recipient))
	return d, found, err
}

func putDelivery(ctx context.Context, tx pgx.Tx, d *deliveryRecord) error {
	_, err := tx.Exec(ctx, `UPDATE deliveries SET state = $3, rec = $4 WHERE msg = $1 AND recipient = $2`,
		d.MessageID, string(d.Recipient), int(d.State), encode(d))
	return err
}

func bumpStats(ctx context.Context, tx pgx.Tx, agency certs.AgencyCode, fn func(*statsRecord)) error {
	var st statsRecord
	if _, err := getRec(ctx, tx, &st, `SELECT rec FROM stats WHERE agency = $1`, string(agency)); err != nil {
		return fmt.Errorf("stats of %s: %w", agency, err)
	}
	fn(&st)
	_, err := tx.Exec(ctx, `INSERT INTO stats (agency, rec) VALUES ($1, $2)
		ON CONFLICT (agency) DO UPDATE SET rec = EXCLUDED.rec`, string(agency), encode(&st))
	return err
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error) {
	out := store.AgencyStats{Agency: agency, Statuses: map[document.Status]uint64{}}
	err := s.view(ctx, func(tx pgx.Tx) error {
		var st statsRecord
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
