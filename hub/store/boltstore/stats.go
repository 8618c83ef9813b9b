package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/document"
)

func bumpStats(tx *bolt.Tx, agency certs.AgencyCode, fn func(*record.Stats)) error {
	b := tx.Bucket(bucketStats)
	var st record.Stats
	if raw := b.Get([]byte(agency)); raw != nil {
		if err := decode(raw, &st); err != nil {
			return fmt.Errorf("decode stats of %s: %w", agency, err)
		}
	}
	fn(&st)
	return b.Put([]byte(agency), encode(&st))
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error) {
	out := store.AgencyStats{Agency: agency, Statuses: map[document.Status]uint64{}}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketStats).Get([]byte(agency))
		if raw == nil {
			return nil
		}
		var st record.Stats
		if err := decode(raw, &st); err != nil {
			return fmt.Errorf("decode stats: %w", err)
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
