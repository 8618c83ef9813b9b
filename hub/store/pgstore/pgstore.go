// Package pgstore is the hub's store on PostgreSQL: metadata, queues,
// statuses, receipts, the directory, the transparency log and the
// attachment bytes all live in one database, so that one replication
// protocol protects everything and a hub node keeps nothing of its own. It
// implements store.Store and passes hub/store/storetest.
//
// # Transactions
//
// Every state change is one SERIALIZABLE transaction, but for the
// uploads' (locked: READ COMMITTED with the upload's and the blob's rows
// locked, which is as strict for them and spares them SERIALIZABLE's
// false conflicts); a serialization failure or deadlock (SQLSTATE 40001,
// 40P01) is retried, with a short random backoff, in the transaction
// helpers and nowhere else: update, for changes that do not touch the log,
// locked, and logUpdate, for those that append to it (below). A function run by either may therefore run more than
// once and recomputes its results each time; a refusal (conflict, not
// found) is returned as an error, which rolls back what the function
// wrote, so that a refused operation writes nothing. Durability is
// PostgreSQL's: a commit returns once its WAL is flushed (synchronous_commit
// as the server is configured).
//
// # The transparency log
//
// The log lives in the same database: an event's entry and its Merkle
// hashes are written in the event's transaction (appendLog), so nothing
// commits without its entry, and receipts are sealed (store.Seal) in that
// transaction too. The one row of log_head holds the size.
//
// Appends are group-committed (logUpdate, batch.go). The operations that
// append (Accept, Ack, Refuse, AppendStatus, UpsertAgency) queue up while
// a batch is in flight and run together in the next: one transaction, each
// operation in a savepoint of its own, so that one refused rolls back its
// own writes only and gets its own error, and one COMMIT (one WAL flush,
// one standby's acknowledgement) serves them all. What the operations
// add to rows every one of them touches is added up in memory and written
// once per batch, with the COMMIT: the log's entries, hashes and size,
// the statistics (one row per agency) and the wake-ups (one per agency).
// A failure of the
// transaction itself (a serialization failure caused elsewhere, at a
// statement or at COMMIT; a lost connection) runs the whole batch again;
// after a connection lost during COMMIT the batch may have committed, and
// its operations, idempotent, then find their work done. A batch holds
// at most 64 operations, the subtransactions PostgreSQL tracks per session
// in shared memory.
//
// Batches serialise, on one node and across nodes, on a session-level
// advisory lock that the batch's connection takes before BEGIN, in the
// BEGIN's round trip, and releases after COMMIT, in the COMMIT's
// (closing the connection when the release cannot be confirmed). The transaction's snapshot is therefore taken after the
// previous batch committed: it reads the head's size with SELECT … FOR
// UPDATE, which never meets a concurrent update, and the log's order is
// the commit order. The lock is held across the commit's flush, so one
// batch commits at a time; throughput comes from the batch's size, which
// grows with the load (a batch takes what queued while it waited for the
// lock). The lock's holder runs its operations' statements one after
// another, so its round trips bound the rate: the first round trips of
// its acceptances and acknowledgements (their checks, the numbers of a new
// message) go together in one, with the read of the head's size, unless
// one reads what another before it writes (the same message, an
// attachment of both), which then runs after the others; a batch's writes
// are pipelined (sent with the next query, the last operation's with the
// COMMIT); the tree's right edge is read with the head's size (its
// indexes computed in SQL from the size, edgeIndexes); and the head's new
// size is written once, in the COMMIT's round trip. The lock's
// connection sets TCP keepalives, so that a node that
// vanishes without closing its connection holds the lock for about half a
// minute; a node that stops (SIGSTOP, a frozen VM) while holding it stops
// every node's appends until it resumes or its connection is killed.
//
// # Blobs
//
// Attachment bytes are rows of blob_chunks, pieces of at most ChunkSize
// bytes keyed by (digest, offset), written and read one piece at a time so
// that a large attachment never sits whole in memory; the pieces of a
// partial upload are rows of the same table under a key of the upload's
// own ("upload:" and its id), by offset since appends come in any size.
// Committing an upload hashes its pieces and re-keys them to the blob with
// one UPDATE, which leaves their TOAST-ed bytes in place (the bytes are
// written once), in the transaction that writes the blob's record (blobs)
// and grant (blob_grants): a record always names present bytes, and a collection removes both together. A whole
// upload (PutBlob) of one piece skips the staging: its bytes are checked in
// memory and written once, with the record and the grant, in one
// transaction. The pieces are stored as they come, not compressed (schema
// version 3): signed PDFs are compressed already, and TOAST's compression
// would spend the database's CPU finding that out for every piece. Reads
// fetch parts of pieces (substring, which reads only the TOAST chunks that
// hold the bytes of an uncompressed value): opening a blob fetches its
// first 64 KiB with its record, a read at a random offset a window (the
// PDF check reads a signed PDF's end and a few objects), and a read in
// order the rest of the piece. The signed records of messages, receipts
// and statuses (a packet about 4.3 KB, a receipt or status 4.8 KB) stay in
// their rows up to a page (schema version 4): at TOAST's default target of
// 2 KB each was tried for compression, which signatures defeat, then moved
// to a table of its own, a write more for each and a lookup more for each
// read.
//
// # PostgreSQL-only features relied on
//
// So that a port to another SQL engine knows its cost: INSERT … ON
// CONFLICT (counters, upserts, idempotent grants); SELECT … FOR UPDATE
// (the log head, an upload's row); SERIALIZABLE isolation reporting
// conflicts as SQLSTATE 40001/40P01; INSERT/UPDATE/DELETE … RETURNING;
// array parameters (= ANY($1), unnest for many rows in one INSERT);
// data-modifying WITH (an accepted attachment's writes); jsonb (adding up
// statistics records); bytea, and ALTER COLUMN … SET STORAGE EXTERNAL to
// keep the pieces' bytes uncompressed, and the storage parameter
// toast_tuple_target to keep signed records in their rows; COLLATE "C" for byte-order listings as
// bbolt gives; pg_advisory_xact_lock in Migrate, so that two hubs starting
// on an empty database create the schema once; pg_try_advisory_lock for
// singleton jobs (RunAlone); pg_advisory_lock, a session-level lock taken
// outside a transaction, and SAVEPOINT for the group commit of log
// appends; generate_series, LATERAL and casts of bigint to bit(64) and
// text to compute the log's right edge from its size (edgeIndexes);
// pg_notify and LISTEN for wake-ups across hub nodes (Listen);
// to_regclass for the mark of an unfinished import (export.go). No stored
// procedures, triggers or extensions.
//
// # Several hub nodes
//
// Hub nodes on one database share everything through it. A transaction
// that queues a delivery or a status for an agency names the agency with
// pg_notify on WakeChannel, which PostgreSQL delivers at commit to every
// session listening; Listen is that session for one node, reconnecting
// when it is lost (notifications sent meanwhile are lost: the long polls'
// re-check covers them). RunAlone runs a job (the storage collection) on
// one node at a time under a session-level advisory lock on a connection
// of its own; a node that does not get the lock skips the job.
//
// # Not done yet
//
// Operations that do not append to the log (Lease, Release, AckStatus,
// uploads and the collections) still commit one transaction each, and a
// resumable upload, or a whole one of more than a piece, commits three
// (begin, pieces, commit) and writes its bytes twice; a whole upload of
// one piece makes one round trip for a new blob (one statement writing
// record, piece, grant and usage: putNewPiece) and three for a blob with
// a record (that statement finding it, then the lock with the BEGIN, then
// the writes with the COMMIT: pipelined). Inside the
// log lock an Accept makes two round trips (the message's existence with
// its attachments' checks and its numbers; its writes, with its
// savepoint's release), an Ack two (the delivery with its message, the
// message's pending count and whether the recipient's history has begun;
// the sender's status counter) and a third, the attachments' records,
// when it ends the message's last pending delivery, plus the first
// append's read of the head in each batch. Statistics rows are
// updated once per batch and agency by the operations that append to the
// log, and once per counted event by the others (a dead tuple of a hot
// row each).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lienthong/hub/store"
)

// Options tune a Store. The zero value is sensible.
type Options struct {
	// MaxBlobSize limits attachments; 0 means 100 MiB.
	MaxBlobSize int64
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// DefaultMaxBlobSize is the largest attachment accepted by default.
const DefaultMaxBlobSize = 100 << 20

// Store is the PostgreSQL-backed store.Store.
type Store struct {
	pool    *pgxpool.Pool
	url     string
	opts    Options
	maxBlob int64
	log     *slog.Logger
	closed  atomic.Bool
	batch   batcher // the group commit of log appends (logUpdate)
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a libpq URL or key=value string),
// creates or checks its schema, and returns the store. It refuses, with
// what to do about it, a database the hub cannot use: a URL that does not
// parse, a server that cannot be reached or does not answer within the
// URL's connect_timeout (DefaultConnectTimeout when it sets none), refused
// credentials, a missing database, a standby (ErrStandby) or read-only
// server (ErrReadOnly), a schema of a newer hub (ErrSchema).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	warnings, err := checkServer(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if opts.Logger != nil {
		for _, w := range warnings {
			opts.Logger.Warn(w)
		}
	}
	if err := Migrate(ctx, url); err != nil {
		return nil, explainMigrate(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	// An interrupted copy (package storecopy) is not a store to serve.
	if err := checkImport(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{pool: pool, url: url, opts: opts, maxBlob: opts.MaxBlobSize, log: opts.Logger}
	if s.maxBlob <= 0 {
		s.maxBlob = DefaultMaxBlobSize
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Close closes the connections. Using the store afterwards is ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// maxAttempts bounds the retries of one transaction.
const maxAttempts = 100

// retryable reports a serialization failure or deadlock, after which the
// whole transaction may be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// update runs fn in a SERIALIZABLE transaction, retrying serialization
// failures. An error from fn rolls back and is returned as it is.
func (s *Store) update(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
}

// locked runs fn in a READ COMMITTED transaction, retrying deadlocks.
// It is for the uploads, whose invariants are those of one upload's row
// and one blob's row: fn locks each row it reads to change (SELECT … FOR
// UPDATE, lockBlobTx) before reading what hangs on it (its pieces, its
// grants), so each statement after the lock sees the latest commit of
// everything keyed by that row, and no other transaction changes it until
// this one ends — the outcome of SERIALIZABLE, without its predicate locks,
// which on the small and busy uploads tables report conflicts between
// unrelated uploads and made concurrent uploads retry by the thousand. A
// SERIALIZABLE transaction that changes the same blob row (Accept, the
// collections) still meets this one's write as a serialization failure
// and runs again.
func (s *Store) locked(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}

// pipelined runs fn as locked does, in a READ COMMITTED transaction whose
// BEGIN goes with fn's first query and whose COMMIT goes with fn's
// queued writes: two round trips for a lock and the writes after it,
// where locked makes four. fn's Execs are queued (logTx), so it cannot
// read their command tags.
func (s *Store) pipelined(ctx context.Context, fn func(tx *logTx) error) error {
	return s.retrying(ctx, func() error { return s.pipelinedOnce(ctx, fn) })
}

func (s *Store) pipelinedOnce(ctx context.Context, fn func(tx *logTx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx := newLogTx(conn.Conn(), logEdge{}, nil)
	tx.Exec(ctx, `BEGIN ISOLATION LEVEL READ COMMITTED`)
	err = fn(tx)
	if err == nil {
		tx.Exec(ctx, `COMMIT`)
		err = tx.flush(ctx)
	}
	if st := conn.Conn().PgConn().TxStatus(); err == nil && st != 'I' {
		err = fmt.Errorf("commit: the transaction is in state %q", st)
	}
	if err != nil && tx.sent && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
		if _, rerr := conn.Exec(ctx, `ROLLBACK`); rerr != nil {
			conn.Conn().Close(ctx) // never back to the pool inside a transaction
		}
	}
	return err
}

// view runs fn in a read-only REPEATABLE READ transaction: one snapshot.
func (s *Store) view(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (s *Store) inTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	return s.retrying(ctx, func() error { return pgx.BeginTxFunc(ctx, s.pool, opts, fn) })
}

// retrying runs one transaction (once) until it commits, fails for a
// reason a retry cannot mend, or has failed maxAttempts times, with a
// random pause between attempts that grows with them (serialization
// failures, deadlocks, a connection lost before COMMIT: retryable).
func (s *Store) retrying(ctx context.Context, once func() error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := once()
		if err == nil || !retryable(err) || attempt == maxAttempts {
			if err != nil && s.closed.Load() {
				return store.ErrClosed
			}
			return unavailable(err)
		}
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20))))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// next increments and returns a named counter.
func next(ctx context.Context, tx dbtx, name string) (uint64, error) {
	var n int64
	err := tx.QueryRow(ctx, `INSERT INTO counters (name, n) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET n = counters.n + 1 RETURNING n`, name).Scan(&n)
	return uint64(n), err
}

// queueNextAll queues the increment of the named counters, which must
// differ, unless the message named unless exists (a retry of its
// accept); readNextAll reads their new values.
func queueNextAll(b *pgx.Batch, names []string, unless string) {
	b.Queue(`INSERT INTO counters (name, n) SELECT unnest($1::text[]), 1
		WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id = $2)
		ON CONFLICT (name) DO UPDATE SET n = counters.n + 1 RETURNING name, n`, names, unless)
}

func readNextAll(br pgx.BatchResults, names []string) ([]uint64, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	got := make(map[string]int64, len(names))
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return nil, err
		}
		got[name] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]uint64, len(names))
	for i, name := range names {
		n, ok := got[name]
		if !ok {
			return nil, fmt.Errorf("counter %q was not incremented", name)
		}
		out[i] = uint64(n)
	}
	return out, nil
}

// counter reads a named counter, 0 when never incremented.
func counter(ctx context.Context, tx dbtx, name string) (uint64, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT n FROM counters WHERE name = $1`, name).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(n), err
}
