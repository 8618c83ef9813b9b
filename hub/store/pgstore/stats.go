package pgstore

import (
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/document"
)

// statsDelta is what a batch of log appends adds to agencies' statistics:
// each agency's row is written once, at the batch's commit (addStats),
// rather than once per counted event, which made a statement and a dead
// version of a hot row each.
type statsDelta map[certs.AgencyCode]*record.Stats

func (d statsDelta) clone() statsDelta {
	if d == nil {
		return nil
	}
	out := make(statsDelta, len(d))
	for a, st := range d {
		c := *st
		c.Statuses = maps.Clone(st.Statuses)
		out[a] = &c
	}
	return out
}

// batched reports whether t is an operation of a batch of log appends,
// whose statistics and wake-ups the batch writes at its commit.
func (t *logTx) batched() bool { return t.stats != nil }

// countStats adds one to a counter of agency's statistics in the batch,
// as bumpStats does in SQL.
func (t *logTx) countStats(agency certs.AgencyCode, field string, code ...document.Status) error {
	st := t.stats[agency]
	if st == nil {
		st = &record.Stats{}
		t.stats[agency] = st
	}
	switch field {
	case "sent":
		st.Sent++
	case "received":
		st.Received++
	case "acked":
		st.Acked++
	case "withdrawn":
		st.Withdrawn++
	case "statuses":
		if st.Statuses == nil {
			st.Statuses = map[document.Status]uint64{}
		}
		st.Statuses[code[0]]++
	default:
		return fmt.Errorf("stats of %s: no counter %q", agency, field)
	}
	return nil
}

// addStats queues the statement that adds d to the statistics rows, one
// row per agency: a new row is d's record, an existing one gets each of
// its counters added (counters absent or zero are left out, as the
// records' JSON does).
func addStats(b *pgx.Batch, d statsDelta) {
	if len(d) == 0 {
		return
	}
	agencies := make([]string, 0, len(d))
	recs := make([][]byte, 0, len(d))
	for a, st := range d {
		agencies = append(agencies, string(a))
		recs = append(recs, encode(st))
	}
	b.Queue(`INSERT INTO stats (agency, rec) SELECT * FROM unnest($1::text[], $2::bytea[])
		ON CONFLICT (agency) DO UPDATE SET rec = convert_to((
			SELECT jsonb_strip_nulls(jsonb_build_object(
				'sent', nullif(coalesce((o ->> 'sent')::bigint, 0) + coalesce((d ->> 'sent')::bigint, 0), 0),
				'received', nullif(coalesce((o ->> 'received')::bigint, 0) + coalesce((d ->> 'received')::bigint, 0), 0),
				'acked', nullif(coalesce((o ->> 'acked')::bigint, 0) + coalesce((d ->> 'acked')::bigint, 0), 0),
				'withdrawn', nullif(coalesce((o ->> 'withdrawn')::bigint, 0) + coalesce((d ->> 'withdrawn')::bigint, 0), 0),
				'statuses', (SELECT jsonb_object_agg(k, coalesce((o -> 'statuses' ->> k)::bigint, 0) + coalesce((d -> 'statuses' ->> k)::bigint, 0))
					FROM jsonb_object_keys(coalesce(o -> 'statuses', '{}') || coalesce(d -> 'statuses', '{}')) AS k)))
			FROM (SELECT convert_from(stats.rec, 'UTF8')::jsonb AS o, convert_from(EXCLUDED.rec, 'UTF8')::jsonb AS d) AS j
		)::text, 'UTF8')`, agencies, recs)
}
