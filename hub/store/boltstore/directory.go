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
	err := s.update(ctx, func(tx *bolt.Tx) error {
		cur, found, err := getAgency(tx, a.Code)
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
		changed, err = putAgency(tx, a, at)
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
	err := s.update(ctx, func(tx *bolt.Tx) error {
		changed = 0
		plan, err := store.PlanSuccessions(succ, func(code certs.AgencyCode) (store.Agency, bool, error) {
			return getAgency(tx, code)
		})
		if err != nil {
			return err
		}
		for i := range plan {
			if err := plan[i].Validate(); err != nil {
				return err
			}
			ok, err := putAgency(tx, &plan[i], at)
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
func getAgency(tx *bolt.Tx, code certs.AgencyCode) (store.Agency, bool, error) {
	raw := tx.Bucket(bucketAgencies).Get([]byte(code))
	if raw == nil {
		return store.Agency{}, false, nil
	}
	var rec record.Agency
	if err := decode(raw, &rec); err != nil {
		return store.Agency{}, false, fmt.Errorf("decode agency: %w", err)
	}
	return rec.Domain(), true, nil
}

// putAgency makes a the current entry of its code with a history entry
// and a log entry, unless it is the current one already.
func putAgency(tx *bolt.Tx, a *store.Agency, at time.Time) (bool, error) {
	rec := record.FromAgency(a)
	enc := encode(&rec)
	b := tx.Bucket(bucketAgencies)
	if bytes.Equal(b.Get([]byte(a.Code)), enc) {
		return false, nil
	}
	seq, err := next(tx, "agency", string(a.Code))
	if err != nil {
		return false, err
	}
	if err := b.Put([]byte(a.Code), enc); err != nil {
		return false, err
	}
	idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindDirectory, At: at, Agency: string(a.Code), PacketSHA256: hexSHA256(enc)})
	if err != nil {
		return false, err
	}
	ch := record.AgencyChange{Agency: rec, Seq: seq, At: at, LogIndex: idx}
	if err := tx.Bucket(bucketAgencyHist).Put(seqKey(seq, string(a.Code)), encode(&ch)); err != nil {
		return false, err
	}
	return true, nil
}

// Agency implements store.Directory.
func (s *Store) Agency(ctx context.Context, code certs.AgencyCode) (store.Agency, error) {
	var out store.Agency
	err := s.view(ctx, func(tx *bolt.Tx) error {
		a, found, err := getAgency(tx, code)
		if err == nil && !found {
			err = store.ErrNotFound
		}
		out = a
		return err
	})
	if err != nil {
		return store.Agency{}, fmt.Errorf("get agency %s: %w", code, err)
	}
	return out, nil
}

// Agencies implements store.Directory.
func (s *Store) Agencies(ctx context.Context) ([]store.Agency, error) {
	var out []store.Agency
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAgencies).ForEach(func(_, v []byte) error {
			var rec record.Agency
			if err := decode(v, &rec); err != nil {
				return fmt.Errorf("decode agency: %w", err)
			}
			out = append(out, rec.Domain())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", err)
	}
	return out, nil
}

// AgencyHistory implements store.Directory.
func (s *Store) AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error) {
	var out []store.AgencyChange
	err := s.view(ctx, func(tx *bolt.Tx) error {
		err := forPrefix(tx, bucketAgencyHist, join(string(code), ""), "agency change", func(ch *record.AgencyChange) {
			out = append(out, store.AgencyChange{Agency: ch.Agency.Domain(), Seq: ch.Seq, At: ch.At, LogIndex: ch.LogIndex, Record: encode(&ch.Agency)})
		})
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
