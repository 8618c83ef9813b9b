package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Buckets are token buckets shared by every hub node on one database: the
// agencies' rate limits (server.SharedRate). Each bucket is one row of the
// UNLOGGED table rate_buckets holding its theoretical arrival time (GCRA,
// the generic cell rate algorithm): taking a token is one autocommit
// INSERT … ON CONFLICT DO UPDATE … RETURNING, timed by the database's
// clock so that the nodes' clocks do not matter.
//
// An unlogged table writes no WAL, so taking a token waits for no disk
// flush and no standby; in exchange PostgreSQL empties the table after a
// crash, and a standby promoted by a failover starts with it empty. For a
// rate limit that is harmless: every agency starts again with a full
// bucket. The table is created, if missing, when Buckets open; it is not
// part of the versioned schema (it holds nothing to migrate), so a
// database of schema 1 serves hubs with and without it.
//
// Buckets have a small connection pool of their own, so that a token is
// never queued behind the store's transactions.
type Buckets struct {
	pool *pgxpool.Pool
}

// bucketConns bounds the connections of Buckets: a token takes well under
// a millisecond.
const bucketConns = 4

// bucketsTable is created by OpenBuckets. A row is a bucket: tat its
// theoretical arrival time and seen the time of its last take, in
// microseconds of the database's clock, took the tokens that take got.
// fillfactor leaves room in each page for the updated row, so that
// updates stay on the page (HOT).
const bucketsTable = `CREATE UNLOGGED TABLE IF NOT EXISTS rate_buckets (
	key text COLLATE "C" PRIMARY KEY, tat bigint NOT NULL, seen bigint NOT NULL, took bigint NOT NULL)
	WITH (fillfactor = 50)`

// takeTokens is GCRA in one statement, taking up to $4 tokens at once
// from bucket $1; $2 is the interval between tokens and $3 the tolerance
// (interval × burst), in microseconds. A bucket's tat moves on by one
// interval per token taken, never from before now; the tokens there are
// those that fit between it and now plus the tolerance. A bucket seen
// first starts full. No row returned means no token; otherwise took is
// how many were taken.
const takeTokens = `
INSERT INTO rate_buckets AS b (key, tat, seen, took)
SELECT $1, c.now + $2 * c.took, c.now, c.took
FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint AS now, least($4::bigint, $3::bigint / $2::bigint) AS took) AS c
ON CONFLICT (key) DO UPDATE SET
	took = least($4, (excluded.seen + $3 - greatest(b.tat, excluded.seen)) / $2),
	tat = greatest(b.tat, excluded.seen) + $2 * least($4, (excluded.seen + $3 - greatest(b.tat, excluded.seen)) / $2),
	seen = excluded.seen
WHERE excluded.seen + $3 - greatest(b.tat, excluded.seen) >= $2
RETURNING took`

// OpenBuckets connects to the database at url (as Open does) and creates
// the buckets' table if missing.
func OpenBuckets(ctx context.Context, url string) (*Buckets, error) {
	cfg, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = bucketConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open rate buckets: %w", err)
	}
	// Under Migrate's lock: two nodes creating the table at once would
	// collide in the catalog.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7152024015)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, bucketsTable)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open rate buckets: %w", err)
	}
	return &Buckets{pool: pool}, nil
}

// Take takes up to n tokens (at least 1) from the bucket named key, which
// gains one every interval and holds at most burst, and returns how many
// it took: 0 when the bucket is empty.
func (b *Buckets) Take(ctx context.Context, key string, interval time.Duration, burst, n int) (int, error) {
	step := max(interval.Microseconds(), 1)
	var took int64
	err := b.pool.QueryRow(ctx, takeTokens, key, step, step*int64(max(burst, 1)), int64(max(n, 1))).Scan(&took)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("rate bucket %s: %w", key, err)
	}
	return int(took), nil
}

// Close closes the buckets' connections.
func (b *Buckets) Close() { b.pool.Close() }
