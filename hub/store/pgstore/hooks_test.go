package pgstore

import (
	"context"

	"lienthong/certs"
)

// SetBeforeCommit sets a function called before each COMMIT of a batch of
// log appends, with the attempt's number and the batch's size; an error
// fails the attempt as a failed COMMIT would. Set it before the store is
// used.
func SetBeforeCommit(s *Store, f func(attempt, size int) error) { s.batch.beforeCommit = f }

// Querier is what an operation of a batch of log appends queries with.
type Querier = dbtx

// InBatch runs fn in a batch of log appends, as the store's own
// operations that append to the log do.
func InBatch(ctx context.Context, s *Store, fn func(ctx context.Context, tx Querier) error) error {
	return s.logUpdate(ctx, func(ctx context.Context, tx *logTx) error { return fn(ctx, tx) })
}

// Prefetched is how many operations committed with their first round
// trip sent with their batch's.
func Prefetched(s *Store) int64 { return s.batch.prefetched.Load() }

// EdgeIndexes is edgeIndexes, for a test of its arithmetic.
func EdgeIndexes(n string) string { return edgeIndexes(n) }

// Queued is how many operations wait for the next batch.
func Queued(s *Store) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.queue)
}

// URL is the database's connection string.
func URL(s *Store) string { return s.url }

// LogLockKey is the advisory lock's key.
const LogLockKey = logLockKey

// Unavailable is unavailable, for the tests of its classification.
func Unavailable(err error) error { return unavailable(err) }

// SchemaV1 is the first layout, for the tests of migrations from it.
const SchemaV1 = schemaV1

// UploadID names the owner's upload of digest.
func UploadID(owner certs.AgencyCode, digest string, size int64) string {
	return uploadID(owner, digest, size)
}

// RuntimeParams are the settings a store's connections to url send at
// startup.
func RuntimeParams(url string) (map[string]string, error) {
	cfg, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	return cfg.ConnConfig.RuntimeParams, nil
}

// ReadWindow is the least a read at a random offset fetches.
const ReadWindow = readWindow

// Fetched is how many bytes of its blob an OpenBlob's reader holds: what
// it fetched last.
func Fetched(r any) int {
	b := r.(*blobReader)
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.span)
}
