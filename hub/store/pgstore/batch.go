package pgstore

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/store"
)

// logTx is the transaction of a batch of log appends (Store.logUpdate).
// appendLog takes one, so that the compiler sees every append made under
// the log lock.
//
// Its statements that return no rows (Exec) are pipelined: queued and
// sent together, in one round trip, before the next query and at the end
// of the operation. The batch holds the log lock of every node while its
// operations run one statement after another, so its round trips, not
// the server's work, bound the rate of log appends. An error of a queued
// statement is returned by the query or the end that sends it, within the
// same operation; Exec's command tag is empty.
type logTx struct {
	pgx.Tx
	queued *pgx.Batch
	sent   bool // some statements were sent
	// edge is the log's size and right edge as the batch's operations so
	// far left them, so that only the first to append reads the head and
	// its hashes (appendLog); an operation works on a copy, which becomes
	// the batch's when it succeeds.
	edge logEdge
}

// logEdge is what a batch knows of the log: its size (-1 before the first
// append read it) and the stored hashes read or written.
type logEdge struct {
	size   int64
	hashes map[int64]tlog.Hash
}

func (e logEdge) clone() logEdge {
	return logEdge{size: e.size, hashes: maps.Clone(e.hashes)}
}

func newLogTx(tx pgx.Tx, edge logEdge) *logTx {
	return &logTx{Tx: tx, queued: &pgx.Batch{}, edge: edge.clone()}
}

// Exec queues the statement; its error, if any, comes with the next
// query or the operation's end.
func (t *logTx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.queued.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// flush sends the queued statements.
func (t *logTx) flush(ctx context.Context) error {
	if t.queued.Len() == 0 {
		return nil
	}
	b := t.queued
	t.queued, t.sent = &pgx.Batch{}, true
	return t.Tx.SendBatch(ctx, b).Close()
}

func (t *logTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *logTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

// SendBatch sends the queued statements, then b.
func (t *logTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.flush(ctx); err != nil {
		return errBatch{err: err}
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t *logTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.Tx.CopyFrom(ctx, table, columns, src)
}

func (t *logTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Begin(ctx)
}

// errRow is a row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errBatch is the results of a batch not sent: each reports err.
type errBatch struct {
	pgx.BatchResults
	err error
}

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }

// logLockKey names the session-level advisory lock that serialises the
// batches of log appends of every hub node on the database.
const logLockKey int64 = 7152024016

// maxBatch bounds the operations of one batch. Each runs in a savepoint,
// a subtransaction with an id of its own once it writes; PostgreSQL keeps
// 64 of them per backend in shared memory (PGPROC_MAX_CACHED_SUBXIDS), and
// a transaction with more makes every other session's snapshots slower
// while it runs.
const maxBatch = 64

// lockSession takes the log lock, with keepalives: the batch's connection
// holds a lock every node waits for, so that a hub node that vanishes
// without closing its TCP connection (a power cut) is found out in about
// half a minute rather than the system's two hours. Unix sockets ignore
// them.
var lockSession = fmt.Sprintf(`SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3; SELECT pg_advisory_lock(%d)`, logLockKey)

// batcher collects the operations that append to the log while a batch is
// in flight, and runs them together in the next one: a group commit
// without a timer, as boltstore's committer. A lone operation waits for
// one commit; under load a batch holds what arrived during the previous
// one, up to maxBatch.
type batcher struct {
	mu      sync.Mutex
	queue   []*batchCall
	running bool
	// beforeCommit, when set (by tests), is called before each COMMIT
	// with the attempt's number and the batch's size; an error fails the
	// attempt as a failed COMMIT does.
	beforeCommit func(attempt, size int) error
}

type batchCall struct {
	ctx context.Context
	fn  func(ctx context.Context, tx *logTx) error
	err chan error
}

// logUpdate runs fn, which appends to the log, in a batch: one
// SERIALIZABLE transaction shared with the other operations that arrived
// meanwhile, on this node's connection holding the log lock, so that one
// commit (one WAL flush, one standby's acknowledgement) serves them all.
//
// Each operation runs in a savepoint of its own: an error from fn rolls
// back fn's writes only and is returned to its caller alone. A failure of
// the transaction itself (a serialization failure, a lost connection, a
// failed COMMIT) runs the whole batch again, so fn may run more than once,
// as with update. fn must use the ctx it is given, not its caller's: a
// query cancelled by one caller would break the connection of all.
//
// When ctx ends first logUpdate returns its error, and fn may still run
// and commit, as when a connection is lost during a COMMIT: the outcome is
// unknown and the operation's idempotency settles it.
func (s *Store) logUpdate(ctx context.Context, fn func(ctx context.Context, tx *logTx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, fn: fn, err: make(chan error, 1)}
	b := &s.batch
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.running {
		b.running = true
		go s.runBatches()
	}
	b.mu.Unlock()
	select {
	case err := <-c.err:
		if err != nil && s.closed.Load() {
			return store.ErrClosed
		}
		return unavailable(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runBatches runs batches until the queue is empty.
func (s *Store) runBatches() {
	b := &s.batch
	for {
		s.runBatch()
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
}

// take removes up to maxBatch operations from the queue.
func (b *batcher) take() []*batchCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.queue), maxBatch)
	calls := b.queue[:n:n]
	b.queue = b.queue[n:]
	if len(b.queue) == 0 {
		b.queue = nil
	}
	return calls
}

// runBatch takes the log lock, then the operations queued by then (those
// that arrived while it waited for another node's batch go too), and runs
// them in one transaction, retrying it whole when it fails as a
// transaction.
//
// The lock is a session-level advisory lock taken before BEGIN, so the
// transaction's snapshot, taken at its first statement, sees every batch
// committed before: the log head's FOR UPDATE never meets a concurrent
// update and never fails for it, on any node. The lock is held across
// the COMMIT and released after it.
func (s *Store) runBatch() {
	ctx := context.Background()
	conn, err := s.lockLog(ctx)
	calls := s.batch.take()
	if err != nil {
		deliver(calls, nil, err)
		return
	}
	committed := false
	for attempt := 1; ; attempt++ {
		errs, err := s.tryBatch(ctx, conn, calls, attempt)
		if err == nil {
			committed = true
			deliver(calls, errs, nil)
			break
		}
		lost := conn.Conn().IsClosed()
		if (!lost && !retryable(err)) || attempt == maxAttempts || s.closed.Load() {
			deliver(calls, nil, err)
			break
		}
		s.log.Debug("retrying a batch of log appends", "attempt", attempt, "size", len(calls), "err", err)
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20))))
		if lost {
			// PostgreSQL released the lock with the session.
			unlockLog(ctx, conn)
			time.Sleep(backoff)
			if conn, err = s.lockLog(ctx); err != nil {
				deliver(calls, nil, err)
				return
			}
			continue
		}
		time.Sleep(backoff)
	}
	if committed {
		// The COMMIT released the lock (commitAndUnlock).
		conn.Release()
		return
	}
	unlockLog(ctx, conn)
}

// commitAndUnlock commits a batch and releases the log lock in one round
// trip, as one simple-protocol query: PostgreSQL runs the unlock only
// after the COMMIT succeeded (an error ends the query string), so the lock
// is still held across the COMMIT (the next batch's snapshot sees this
// one), and when the COMMIT fails the lock is still held for the retry.
// The other nodes wait one round trip less for the lock. A connection lost
// between the two leaves the outcome unknown, as one lost during a COMMIT
// always did: the batch runs again and idempotency settles it.
var commitAndUnlock = fmt.Sprintf(`COMMIT; SELECT pg_advisory_unlock(%d)`, logLockKey)

// lockLog returns a connection of the pool holding the log lock.
func (s *Store) lockLog(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock the log: %w", err)
	}
	if _, err := conn.Exec(ctx, lockSession); err != nil {
		conn.Conn().Close(ctx) // never back to the pool unsure whether it holds the lock
		conn.Release()
		return nil, fmt.Errorf("lock the log: %w", err)
	}
	return conn, nil
}

// unlockLog releases the log lock and returns conn to the pool; when the
// release cannot be confirmed it closes the connection instead, which
// releases the lock with the session.
func unlockLog(ctx context.Context, conn *pgxpool.Conn) {
	var released bool
	if !conn.Conn().IsClosed() {
		err := conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, logLockKey).Scan(&released)
		if err != nil || !released {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			conn.Conn().Close(cctx)
			cancel()
		}
	}
	conn.Release()
}

// tryBatch runs calls in one transaction on conn and commits it, which
// releases the log lock (commitAndUnlock). It returns each call's own
// error, or the error that failed the transaction (the lock still held); a
// call whose caller has gone is not run.
func (s *Store) tryBatch(ctx context.Context, conn *pgxpool.Conn, calls []*batchCall, attempt int) ([]error, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, CommitQuery: commitAndUnlock})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) // after a COMMIT, nothing
	errs := make([]error, len(calls))
	edge := logEdge{size: -1, hashes: map[int64]tlog.Hash{}}
	for i, c := range calls {
		if err := c.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		op := newLogTx(tx, edge)
		op.Exec(ctx, `SAVEPOINT op`) // sent with the operation's first query
		err := safeCall(ctx, c.fn, op)
		if err == nil {
			// Sends fn's last writes: their errors are fn's.
			op.Exec(ctx, `RELEASE SAVEPOINT op`)
			err = op.flush(ctx)
		}
		if err == nil {
			edge = op.edge
			continue
		}
		if retryable(err) || conn.Conn().IsClosed() {
			// The transaction is doomed, not the operation.
			return nil, err
		}
		// Undo what was sent; when nothing was (not even the savepoint),
		// the queue is dropped with op.
		if op.sent {
			if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op`); rerr != nil {
				return nil, fmt.Errorf("roll back an operation of the batch: %w", rerr)
			}
		}
		errs[i] = err
	}
	if b := s.batch.beforeCommit; b != nil {
		if err := b(attempt, len(calls)); err != nil {
			return nil, err
		}
	}
	// A COMMIT of a failed transaction answers ROLLBACK, not an error, and
	// the unlock after it would hide that tag: such a transaction is not
	// committed at all. (Each operation's error was rolled back to its
	// savepoint, so this is a defect, never the normal path.)
	if st := conn.Conn().PgConn().TxStatus(); st != 'T' {
		return nil, fmt.Errorf("commit a batch of log appends: the transaction is in state %q", st)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return errs, nil
}

// safeCall runs fn, turning a panic into its error.
func safeCall(ctx context.Context, fn func(context.Context, *logTx) error, tx *logTx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	return fn(ctx, tx)
}

// deliver answers each call with its own error, or all with err.
func deliver(calls []*batchCall, errs []error, err error) {
	for i, c := range calls {
		if err == nil {
			c.err <- errs[i]
		} else {
			c.err <- err
		}
	}
}
