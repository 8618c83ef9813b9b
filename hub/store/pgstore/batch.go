package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/store"
)

// logTx is the transaction of a batch of log appends (Store.logUpdate),
// as one operation of the batch sees it. appendLog takes one, so that the
// compiler sees every append made under the log lock.
//
// Its statements that return no rows (Exec) are pipelined: queued and
// sent together, in the round trip of the next query (Query, QueryRow,
// SendBatch); those after the operation's last query go with the next
// operation's first (tryBatch). The batch holds the log lock of every
// node while its operations run one statement after another, so its
// round trips, not the server's work, bound the rate of log appends. An
// error of a queued statement is returned by the query that sends it,
// within the same operation, or makes the batch run again with each
// operation's writes sent at its end; Exec's command tag is empty.
//
// The batch begins and ends the transaction itself (tryBatch), with the
// lock and the log head's update in the same round trips, so an operation
// has no Commit or Rollback: its errors roll back its savepoint.
type logTx struct {
	conn   *pgx.Conn
	queued *pgx.Batch
	sent   bool // some statements were sent
	// carried is how many statements at the head of queued are the
	// previous operation's last writes (tryBatch), and carryFailed is set
	// when one of them failed: that error is not this operation's.
	carried     int
	carryFailed bool
	// edge is the log's size and right edge as the batch's operations so
	// far left them, so that only the first to append reads the head and
	// its hashes (appendLog); an operation works on a copy, which becomes
	// the batch's when it succeeds.
	edge logEdge
	// stats is what the batch's operations so far add to statistics,
	// likewise a copy; nil outside a batch of log appends (pipelined),
	// where bumpStats writes them at once.
	stats statsDelta
}

// logEdge is what a batch knows of the log: its size (-1 before the first
// append read it) and the stored hashes read or written; and what its
// operations appended, written at the batch's commit (commitBatch): the
// entries from index start on, the indexes of the hashes added, and the
// agencies to wake.
type logEdge struct {
	size    int64
	hashes  map[int64]tlog.Hash
	start   int64
	entries [][]byte
	added   []int64
	wake    []string
}

func (e logEdge) clone() logEdge {
	return logEdge{size: e.size, hashes: maps.Clone(e.hashes), start: e.start,
		entries: slices.Clip(e.entries), added: slices.Clip(e.added), wake: slices.Clip(e.wake)}
}

func newLogTx(conn *pgx.Conn, edge logEdge, stats statsDelta) *logTx {
	return &logTx{conn: conn, queued: &pgx.Batch{}, edge: edge.clone(), stats: stats.clone()}
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
	return t.conn.SendBatch(ctx, b).Close()
}

// Query sends the queued statements and the query in one round trip.
func (t *logTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.queued.Len() == 0 {
		return t.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow sends the queued statements and the query in one round trip.
func (t *logTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.queued.Len() == 0 {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.SendBatch(ctx, b)
	return batchRow{row: br.QueryRow(), br: br}
}

// SendBatch sends the queued statements and b in one round trip; the
// results are b's, an error of a queued statement coming with the first.
func (t *logTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	n := t.queued.Len()
	if n == 0 {
		return t.conn.SendBatch(ctx, b)
	}
	all := t.queued
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	t.queued, t.sent = &pgx.Batch{}, true
	carried := t.carried
	t.carried = 0
	return &queuedResults{BatchResults: t.conn.SendBatch(ctx, all), queued: n, carried: carried, carryFailed: &t.carryFailed}
}

// queuedResults are the results of a batch sent after the statements
// queued before it: reading the first of the batch's reads theirs.
type queuedResults struct {
	pgx.BatchResults
	queued int // results of queued statements not read yet
	err    error
	// carried is how many of the first queued statements are another
	// operation's; carryFailed is set when one of them fails.
	carried     int
	carryFailed *bool
}

// skip reads the results of the queued statements, once.
func (r *queuedResults) skip() error {
	for ; r.queued > 0 && r.err == nil; r.queued-- {
		_, r.err = r.BatchResults.Exec()
		if r.err != nil && r.carried > 0 {
			*r.carryFailed = true
		}
		r.carried--
	}
	return r.err
}

func (r *queuedResults) Exec() (pgconn.CommandTag, error) {
	if err := r.skip(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return r.BatchResults.Exec()
}

func (r *queuedResults) Query() (pgx.Rows, error) {
	if err := r.skip(); err != nil {
		return nil, err
	}
	return r.BatchResults.Query()
}

func (r *queuedResults) QueryRow() pgx.Row {
	if err := r.skip(); err != nil {
		return errRow{err}
	}
	return r.BatchResults.QueryRow()
}

func (r *queuedResults) Close() error {
	err := r.skip()
	if cerr := r.BatchResults.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRow is a row of a batch, which its Scan closes.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRows are rows of a batch, which their Close closes.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error // of closing br
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.err, r.br = r.br.Close(), nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// Next closes the batch with the rows' end, as pgx closes rows.
func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// errRow is a row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errCarryFailed is tryBatch's answer when the last writes of one
// operation, sent with the next one's, failed: the batch runs again
// without carrying writes, so that the failure is its operation's alone.
var errCarryFailed = errors.New("an operation's writes failed in the round trip of the next")

// errPrefetchFailed is tryBatch's answer when an operation whose first
// round trip went with the others' failed: the batch runs again with each
// operation's round trips its own, so that the failure is its alone.
var errPrefetchFailed = errors.New("an operation of a batch with its reads sent together failed")

// logLockKey names the session-level advisory lock that serialises the
// batches of log appends of every hub node on the database.
const logLockKey int64 = 7152024016

// maxBatch bounds the operations of one batch. Each runs in a savepoint,
// a subtransaction with an id of its own once it writes; PostgreSQL keeps
// 64 of them per backend in shared memory (PGPROC_MAX_CACHED_SUBXIDS), and
// a transaction with more makes every other session's snapshots slower
// while it runs.
const maxBatch = 64

// lockAndBegin takes the log lock and begins a batch's transaction, in
// one round trip: one simple-protocol query, whose statements PostgreSQL
// runs in order, stopping at the first error. The lock is taken in a
// transaction of its own, committed before the batch's begins (a session
// lock outlives it), so the batch's snapshot, taken at its first
// statement, is taken after the lock was granted and sees every batch
// committed before. (SELECT pg_advisory_lock before a BEGIN in one query
// is refused: the implicit transaction of the query has taken its
// snapshot; a COMMIT of that implicit one is accepted with a warning in
// the server's log at every batch; the explicit BEGIN … COMMIT around the
// lock is neither.) The lock is the same session-level advisory lock as
// before, so hub nodes of the releases before this one, which take it in
// a round trip of its own, exclude the nodes of this one as before: a
// rolling upgrade needs nothing.
var lockAndBegin = fmt.Sprintf(`BEGIN; SELECT pg_advisory_lock(%d); COMMIT; %s`, logLockKey, beginBatch)

// beginBatch begins the transaction of a batch whose connection holds the
// log lock.
const beginBatch = `BEGIN ISOLATION LEVEL SERIALIZABLE`

// retryBatch ends a failed attempt of a batch and begins the next, the
// log lock kept, in one round trip.
const retryBatch = `ROLLBACK; ` + beginBatch

// keepalives are the TCP keepalives of every connection of the pool, sent
// in its startup message (no statement), unless the database URL sets
// them: a batch's connection holds a lock every node waits for, so that a
// hub node that vanishes without closing its TCP connection (a power
// cut) is found out in about half a minute rather than the system's two
// hours. Unix sockets ignore them.
var keepalives = map[string]string{"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}

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
	// prefetched counts the operations committed whose first round trip
	// went with their batch's (prefetch), for tests.
	prefetched atomic.Int64
}

type batchCall struct {
	ctx context.Context
	pre *prefetch // nil: fn asks for everything itself
	fn  func(ctx context.Context, tx *logTx) error
	err chan error
}

// prefetch is the first round trip of an operation of a batch of log
// appends, declared apart from the rest of it (logUpdateAfter), so that a
// batch sends those of all its operations in one (tryBatch) instead of one
// round trip each while it holds the log lock.
//
// Those round trips go before every operation's writes, so an operation's
// first reads do not see the writes of the operations before it in the
// batch: keys name what they read that another operation may write (a
// message's id, an attachment's digest), and of two operations with a key
// in common the second is run after the others, in the usual way. An
// operation whose first round trip was sent with the others runs in its
// savepoint after it, as the round trip comes before any: should it fail
// after its round trip wrote, the whole batch runs again in the usual way
// (errPrefetchFailed).
type prefetch struct {
	keys []string
	// writes is set when the round trip writes: those writes are then
	// not the operation's savepoint's to undo.
	writes bool
	// queue queues the statements of the round trip.
	queue func(b *pgx.Batch)
	// read reads their results, in order, every one of them unless it
	// returns an error; fn may then use what it read.
	read func(br pgx.BatchResults) error
}

// run sends the round trip on its own, in the transaction of tx, and reads
// it.
func (p *prefetch) run(ctx context.Context, tx *logTx) error {
	b := &pgx.Batch{}
	p.queue(b)
	br := tx.SendBatch(ctx, b)
	err := p.read(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
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
	return s.logUpdateAfter(ctx, nil, fn)
}

// logUpdateAfter is logUpdate of an operation whose first round trip is
// pre, run before fn, in the round trip of the other operations' when it
// can (prefetch). pre may be nil.
func (s *Store) logUpdateAfter(ctx context.Context, pre *prefetch, fn func(ctx context.Context, tx *logTx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, pre: pre, fn: fn, err: make(chan error, 1)}
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
// The lock is a session-level advisory lock taken before the
// transaction's snapshot (lockAndBegin), so the snapshot sees every batch
// committed before: the log head's FOR UPDATE never meets a concurrent
// update and never fails for it, on any node. The lock is held across
// the COMMIT and released after it (commitBatch).
func (s *Store) runBatch() {
	ctx := context.Background()
	conn, err := s.lockLog(ctx)
	calls := s.batch.take()
	if err != nil {
		deliver(calls, nil, err)
		return
	}
	m := batchMode{prefetch: true, carry: true}
	for attempt := 1; ; attempt++ {
		errs, err := s.tryBatch(ctx, conn, calls, attempt, m)
		if err == nil {
			// The COMMIT released the lock (commitBatch).
			deliver(calls, errs, nil)
			conn.Release()
			return
		}
		again := false
		switch {
		case errors.Is(err, errPrefetchFailed):
			m.prefetch, again = false, true // each operation's round trips its own
		case errors.Is(err, errCarryFailed):
			m.carry, again = false, true // each operation's writes sent at its end
		}
		lost := conn.Conn().IsClosed()
		if (!lost && !retryable(err) && !again) || attempt == maxAttempts || s.closed.Load() {
			deliver(calls, nil, err)
			unlockLog(ctx, conn)
			return
		}
		s.log.Debug("retrying a batch of log appends", "attempt", attempt, "size", len(calls), "err", err)
		time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20)))))
		if !lost {
			if _, err = conn.Exec(ctx, retryBatch); err == nil {
				continue
			}
		}
		// PostgreSQL releases the lock with a lost session; one whose
		// ROLLBACK failed is closed, which releases it too.
		unlockLog(ctx, conn)
		if conn, err = s.lockLog(ctx); err != nil {
			deliver(calls, nil, err)
			return
		}
	}
}

// commitBatch ends a batch: the writes of its last operation not sent yet
// (pending: should one fail, the batch runs again without carry), the log
// entries and hashes its operations appended and the log head's size as
// they left it (appendLog writes them only here, one statement each per
// batch), its wake-ups (one notification per agency), the statistics it
// counted (one row per agency, addStats), then the COMMIT and the release
// of the log lock, in one round trip, pipelined: PostgreSQL skips the
// statements after one that fails, so the unlock runs only after the
// COMMIT succeeded and the lock is held across the COMMIT (the next
// batch's snapshot sees this one), and when the COMMIT fails the lock is
// still held for the retry. A connection lost between the two leaves the
// outcome unknown, as one lost during a COMMIT always did: the batch runs
// again and idempotency settles it.
func commitBatch(ctx context.Context, conn *pgx.Conn, pending []*pgx.QueuedQuery, edge logEdge, stats statsDelta) error {
	b := &pgx.Batch{QueuedQueries: slices.Clip(pending)}
	if len(edge.entries) > 0 {
		idx := make([]int64, len(edge.entries))
		for i := range idx {
			idx[i] = edge.start + int64(i)
		}
		b.Queue(`INSERT INTO log_entries (idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, edge.entries)
		hashes := make([][]byte, len(edge.added))
		for i, h := range edge.added {
			v := edge.hashes[h]
			hashes[i] = v[:]
		}
		b.Queue(`INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, edge.added, hashes)
		b.Queue(`UPDATE log_head SET size = $1 WHERE id = 1`, edge.size)
	}
	if len(edge.wake) > 0 {
		b.Queue(`SELECT pg_notify($1, a) FROM unnest($2::text[]) AS a`, WakeChannel, edge.wake)
	}
	addStats(b, stats)
	b.Queue(`COMMIT`)
	b.Queue(`SELECT pg_advisory_unlock($1)`, logLockKey)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	for i := range b.Len() - 2 {
		if _, err := br.Exec(); err != nil {
			if i < len(pending) && !retryable(err) && !conn.IsClosed() {
				return errCarryFailed // the batch runs again, the lock kept
			}
			return err
		}
	}
	// A COMMIT of a failed transaction answers ROLLBACK, not an error.
	if tag, err := br.Exec(); err != nil {
		return err
	} else if tag.String() != "COMMIT" {
		return fmt.Errorf("commit a batch of log appends: %s", tag)
	}
	return br.Close()
}

// lockLog returns a connection of the pool holding the log lock, in a
// batch's transaction (lockAndBegin).
func (s *Store) lockLog(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock the log: %w", err)
	}
	if _, err := conn.Exec(ctx, lockAndBegin); err != nil {
		conn.Conn().Close(ctx) // never back to the pool unsure whether it holds the lock
		conn.Release()
		return nil, fmt.Errorf("lock the log: %w", err)
	}
	return conn, nil
}

// unlockLog ends the batch's transaction, releases the log lock and
// returns conn to the pool; when the release cannot be confirmed it
// closes the connection instead, which releases the lock with the
// session.
func unlockLog(ctx context.Context, conn *pgxpool.Conn) {
	if !conn.Conn().IsClosed() {
		q := fmt.Sprintf(`SELECT pg_advisory_unlock(%d)`, logLockKey)
		if conn.Conn().PgConn().TxStatus() != 'I' {
			q = `ROLLBACK; ` + q
		}
		var released bool
		err := conn.QueryRow(ctx, q).Scan(&released)
		if err != nil || !released {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			conn.Conn().Close(cctx)
			cancel()
		}
	}
	conn.Release()
}

// batchMode is how tryBatch runs a batch's operations: with their first
// round trips together (prefetch) and with an operation's last writes sent
// with the next one's first query (carry). A batch tries both first, and
// runs again without the one that made an operation's failure another's.
type batchMode struct{ prefetch, carry bool }

// tryBatch runs calls in the transaction open on conn and commits it,
// which releases the log lock (commitBatch). It returns each call's own
// error, or the error that failed the transaction (the lock still held);
// a call whose caller has gone is not run.
//
// With m.prefetch the first round trips of the operations that declare
// one go together, first (prefetchAll), and those operations run first.
// Each operation runs in a savepoint, so that its error rolls back its
// writes alone; but the writes of a prefetch precede every savepoint, so
// the failure of an operation whose prefetch writes makes the batch run
// again without prefetch (errPrefetchFailed). With m.carry an operation's
// last writes and the release of its savepoint are not sent on their own:
// they go with the next operation's first query (or with the COMMIT), one
// round trip per operation fewer while the batch holds the log lock.
// Should a carried write fail, the error is not the next operation's: the
// batch runs again whole without carry (errCarryFailed), where each
// operation's writes are sent at its end and their errors are its own.
func (s *Store) tryBatch(ctx context.Context, conn *pgxpool.Conn, calls []*batchCall, attempt int, m batchMode) ([]error, error) {
	errs := make([]error, len(calls))
	edge := logEdge{size: -1, hashes: map[int64]tlog.Hash{}}
	stats := statsDelta{}
	var picked []bool
	if m.prefetch {
		var err error
		if picked, err = prefetchAll(ctx, conn.Conn(), calls, &edge, errs); err != nil {
			return nil, err
		}
	}
	// The operations prefetched first, in order, then the others.
	order := make([]int, 0, len(calls))
	for _, first := range []bool{true, false} {
		for i := range calls {
			if (picked != nil && picked[i]) == first {
				order = append(order, i)
			}
		}
	}
	var pending []*pgx.QueuedQuery
	for _, i := range order {
		c, prefetched := calls[i], picked != nil && picked[i]
		if errs[i] != nil {
			continue // its prefetch refused it
		}
		if err := c.ctx.Err(); err != nil && !prefetched {
			errs[i] = err
			continue
		}
		op := newLogTx(conn.Conn(), edge, stats)
		op.queued.QueuedQueries = slices.Clone(pending)
		op.carried = len(pending)
		op.Exec(ctx, `SAVEPOINT op`) // sent with the operation's first query
		err := safeCall(func() error { return c.run(ctx, op, prefetched) })
		if op.carryFailed {
			return nil, errCarryFailed
		}
		if err == nil {
			op.Exec(ctx, `RELEASE SAVEPOINT op`)
			if m.carry {
				pending = op.queued.QueuedQueries
			} else if err = op.flush(ctx); err == nil {
				pending = nil // sent fn's last writes: their errors are fn's
			}
		}
		if err == nil {
			edge, stats = op.edge, op.stats
			continue
		}
		if retryable(err) || conn.Conn().IsClosed() {
			// The transaction is doomed, not the operation.
			return nil, err
		}
		if prefetched && c.pre.writes {
			return nil, errPrefetchFailed // its prefetch's writes are before its savepoint
		}
		// Undo what was sent; when nothing was (not even the savepoint),
		// the queue is dropped with op, but what it carried is kept.
		if op.sent {
			pending = nil // sent, and succeeded: the failure was after
			if _, rerr := conn.Exec(ctx, `ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op`); rerr != nil {
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
	// A COMMIT of a failed transaction answers ROLLBACK, not an error:
	// such a transaction is not committed at all. (Each operation's error
	// was rolled back to its savepoint, so this is a defect, never the
	// normal path.)
	if st := conn.Conn().PgConn().TxStatus(); st != 'T' {
		return nil, fmt.Errorf("commit a batch of log appends: the transaction is in state %q", st)
	}
	if err := commitBatch(ctx, conn.Conn(), pending, edge, stats); err != nil {
		return nil, err
	}
	for i, p := range picked {
		if p && errs[i] == nil {
			s.batch.prefetched.Add(1)
		}
	}
	return errs, nil
}

// prefetchAll sends, in one round trip, the read of the log head's size
// and of the tree's right edge (into edge) and the first round trips of
// the calls that declare one, whose caller is still there and which read
// nothing an operation before them in the round trip may write (their
// keys); and reads them. It returns which calls it ran so, nil when none
// could be. The refusal of a prefetch that writes nothing is its
// operation's error, in errs; any other failure but the transaction's is
// errPrefetchFailed.
func prefetchAll(ctx context.Context, conn *pgx.Conn, calls []*batchCall, edge *logEdge, errs []error) ([]bool, error) {
	picked := make([]bool, len(calls))
	seen := map[string]bool{}
	n := 0
	for i, c := range calls {
		if c.pre == nil || c.ctx.Err() != nil || slices.ContainsFunc(c.pre.keys, func(k string) bool { return seen[k] }) {
			continue
		}
		for _, k := range c.pre.keys {
			seen[k] = true
		}
		picked[i] = true
		n++
	}
	if n == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT size FROM log_head WHERE id = 1 FOR UPDATE`)
	b.Queue(readEdgeSQL)
	spans := make([]int, len(calls))
	for i, c := range calls {
		if picked[i] {
			before := b.Len()
			c.pre.queue(b)
			spans[i] = b.Len() - before
		}
	}
	br := conn.SendBatch(ctx, b)
	err := br.QueryRow().Scan(&edge.size)
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			err = scanHashes(rows, edge.hashes)
		}
	}
	for i, c := range calls {
		if err != nil || !picked[i] {
			continue
		}
		sp := &spanResults{BatchResults: br, left: spans[i]}
		rerr := safeCall(func() error { return c.pre.read(sp) })
		if rerr == nil {
			err = sp.drain()
			continue
		}
		var pe *pgconn.PgError
		if c.pre.writes || errors.As(rerr, &pe) || errors.Is(rerr, errPastSpan) {
			err = rerr
			break
		}
		errs[i] = rerr // the refusal of a read: nothing to undo
		err = sp.drain()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if retryable(err) || conn.IsClosed() {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errPrefetchFailed, err)
	}
	return picked, nil
}

// spanResults are the results of one operation's statements in a batch
// of several operations': reading past them is an error, and drain reads
// those it left.
type spanResults struct {
	pgx.BatchResults
	left int
}

var errPastSpan = errors.New("read past the results of an operation's statements")

func (r *spanResults) Exec() (pgconn.CommandTag, error) {
	if r.left == 0 {
		return pgconn.CommandTag{}, errPastSpan
	}
	r.left--
	return r.BatchResults.Exec()
}

func (r *spanResults) Query() (pgx.Rows, error) {
	if r.left == 0 {
		return nil, errPastSpan
	}
	r.left--
	return r.BatchResults.Query()
}

func (r *spanResults) QueryRow() pgx.Row {
	if r.left == 0 {
		return errRow{errPastSpan}
	}
	r.left--
	return r.BatchResults.QueryRow()
}

// Close must not close the batch of the others' results.
func (r *spanResults) Close() error { return r.drain() }

func (r *spanResults) drain() error {
	for ; r.left > 0; r.left-- {
		if _, err := r.BatchResults.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// run runs the call's operation in op: its prefetch first, unless it was
// sent with the batch's reads (prefetched), then fn.
func (c *batchCall) run(ctx context.Context, op *logTx, prefetched bool) error {
	if c.pre != nil && !prefetched {
		if err := c.pre.run(ctx, op); err != nil {
			return err
		}
	}
	return c.fn(ctx, op)
}

// safeCall runs fn, turning a panic into its error.
func safeCall(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	return fn()
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
