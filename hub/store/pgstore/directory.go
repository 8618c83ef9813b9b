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
)

// UpsertAgency implements store.Directory.
func (s *Store) UpsertAgency(ctx context.Context, a *store.Agency, at time.Time) (bool, error) {
	if err := a.Validate(); err != nil {
		return false, fmt.Errorf("upsert agency: %w", err)
	}
	if at.IsZero() {
		return false, fmt.Errorf("upsert agency %s: %w: no time", a.Code, store.ErrInvalid)
	}
	var changed bool
	err := s.logUpdate(ctx, func(ctx context.Context, tx *logTx) error {
		cur, found, err := getAgency(ctx, tx, a.Code)
		if err != nil {
			return err
		}
		var curp *store.Agency
		if found {
			curp = &cur
		}
		if err := store.CheckUpsert(a, curp); err != nil {
			return err
		}
		changed, err = putAgency(ctx, tx, a, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("upsert agency %s: %w", a.Code, err)
	}
	return changed, nil
}

// CloseAgencies implements store.Directory.
func (s *Store) CloseAgencies(ctx context.Context, succ []store.Succession, at time.Time) (int, error) {
	if at.IsZero() {
		return 0, fmt.Errorf("close agencies: %w: no time", store.ErrInvalid)
	}
	var changed int
	err := s.logUpdate(ctx, func(ctx context.Context, tx *logTx) error {
		changed = 0
		plan, err := store.PlanSuccessions(succ, func(code certs.AgencyCode) (store.Agency, bool, error) {
			return getAgency(ctx, tx, code)
		})
		if err != nil {
			return err
		}
		for i := range plan {
			if err := plan[i].Validate(); err != nil {
				return err
			}
			ok, err := putAgency(ctx, tx, &plan[i], at)
			if err != nil {
				return err
			}
			if ok {
				changed++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("close agencies: %w", err)
	}
	return changed, nil
}

// getAgency reads a code's current entry in tx.
func getAgency(ctx context.Context, tx dbtx, code certs.AgencyCode) (store.Agency, bool, error) {
	var rec record.Agency
	found, err := getRec(ctx, tx, &rec, `SELECT rec FROM agencies WHERE code = $1`, string(code))
	if err != nil || !found {
		return store.Agency{}, false, err
	}
	return rec.Domain(), true, nil
}

// putAgency makes a the current entry of its code with a history entry
// and a log entry, unless it is the current one already.
func putAgency(ctx context.Context, tx *logTx, a *store.Agency, at time.Time) (bool, error) {
	rec := record.FromAgency(a)
	enc := encode(&rec)
	var cur []byte
	err := tx.QueryRow(ctx, `SELECT rec FROM agencies WHERE code = $1`, string(a.Code)).Scan(&cur)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, err
	}
	if err == nil && string(cur) == string(enc) {
		return false, nil
	}
	seq, err := next(ctx, tx, "agency/"+string(a.Code))
	if err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agencies (code, rec) VALUES ($1, $2)
		ON CONFLICT (code) DO UPDATE SET rec = EXCLUDED.rec`, string(a.Code), enc); err != nil {
		return false, err
	}
	idx, err := appendLog(ctx, tx, &auditlog.Entry{Kind: auditlog.KindDirectory, At: at, Agency: string(a.Code), PacketSHA256: hexSHA256(enc)})
	if err != nil {
		return false, err
	}
	ch := record.AgencyChange{Agency: rec, Seq: seq, At: at, LogIndex: idx}
	if _, err := tx.Exec(ctx, `INSERT INTO agency_history (code, seq, rec) VALUES ($1, $2, $3)`,
		string(a.Code), int64(seq), encode(&ch)); err != nil {
		return false, err
	}
	return true, nil
}

// Agency implements store.Directory.
func (s *Store) Agency(ctx context.Context, code certs.AgencyCode) (store.Agency, error) {
	var out store.Agency
	err := s.read(ctx, func(tx dbtx) error {
		var rec record.Agency
		found, err := getRec(ctx, tx, &rec, `SELECT rec FROM agencies WHERE code = $1`, string(code))
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		out = rec.Domain()
		return nil
	})
	if err != nil {
		return store.Agency{}, fmt.Errorf("get agency %s: %w", code, err)
	}
	return out, nil
}

// Agencies implements store.Directory.
func (s *Store) Agencies(ctx context.Context) ([]store.Agency, error) {
	var out []store.Agency
	err := s.read(ctx, func(tx dbtx) error {
		return forRecs(ctx, tx, func(rec *record.Agency) error {
			out = append(out, rec.Domain())
			return nil
		}, `SELECT rec FROM agencies ORDER BY code COLLATE "C"`)
	})
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", err)
	}
	return out, nil
}

// AgencyHistory implements store.Directory.
func (s *Store) AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error) {
	var out []store.AgencyChange
	err := s.read(ctx, func(tx dbtx) error {
		err := forRecs(ctx, tx, func(ch *record.AgencyChange) error {
			out = append(out, store.AgencyChange{Agency: ch.Agency.Domain(), Seq: ch.Seq, At: ch.At, LogIndex: ch.LogIndex, Record: encode(&ch.Agency)})
			return nil
		}, `SELECT rec FROM agency_history WHERE code = $1 ORDER BY seq`, string(code))
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agency history of %s: %w", code, err)
	}
	return out, nil
}
