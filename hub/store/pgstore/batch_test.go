package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	st "lienthong/hub/store/storetest"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// sealer seals accepted receipts that name their log index, and counts
// its calls (one per run of the operation).
type sealer struct{ calls atomic.Int64 }

func (s *sealer) seal(id string) store.Seal {
	return func(logIndex int64) (*store.Receipt, error) {
		s.calls.Add(1)
		return &store.Receipt{MessageID: id, Event: "accepted", Party: st.Quangninh, At: st.T0,
			Signed: fmt.Appendf(nil, "accepted at %d", logIndex)}, nil
	}
}

// wantLogged checks that the entry at the log index of each accepted
// message names it, and that its receipt names that index.
func wantLogged(t *testing.T, s *pgstore.Store, idx map[string]int64) {
	t.Helper()
	size, err := s.LogSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.LogEntries(context.Background(), 0, size)
	if err != nil {
		t.Fatal(err)
	}
	for id, i := range idx {
		if i < 0 || i >= size {
			t.Fatalf("message %s at log index %d of a log of size %d", id, i, size)
		}
		e, err := auditlog.DecodeEntry(entries[i])
		if err != nil || e.MessageID != id || e.Kind != auditlog.KindAccepted {
			t.Fatalf("log entry %d = %+v (%v), want the acceptance of %s", i, e, err, id)
		}
		rs, err := s.Receipts(context.Background(), id)
		if err != nil || len(rs) != 1 || string(rs[0].Signed) != fmt.Sprintf("accepted at %d", i) {
			t.Fatalf("receipts of %s = %+v (%v), want one naming index %d", id, rs, err, i)
		}
	}
}

// TestGroupCommitAcrossNodes accepts from several goroutines on each of
// two stores on one database, two hub nodes: every accept gets its own
// log index, the indexes have no gap, an accept that returned before
// another was called has the smaller index (the log's order is the commit
// order), and each receipt names its entry.
func TestGroupCommitAcrossNodes(t *testing.T) {
	url := cluster.NewDatabase(t)
	nodes := []*pgstore.Store{openAt(t, url).Store, openAt(t, url).Store}
	const workers, each = 4, 15
	type call struct {
		id               string
		idx              int64
		called, returned int64
	}
	var (
		clock atomic.Int64 // orders calls and returns
		mu    sync.Mutex
		calls []call
		wg    sync.WaitGroup
		errs  = make(chan error, len(nodes)*workers)
		seal  sealer
	)
	for _, s := range nodes {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					sub := st.NewSubmission(st.Quangninh, 100, st.Govoffice, st.Nghean)
					c := call{id: sub.MessageID, called: clock.Add(1)}
					res, existed, err := s.Accept(context.Background(), sub, seal.seal(sub.MessageID))
					c.returned = clock.Add(1)
					if err != nil || existed {
						errs <- fmt.Errorf("accept: existed %v, %v", existed, err)
						return
					}
					c.idx = res.LogIndex
					mu.Lock()
					calls = append(calls, c)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := len(nodes) * workers * each
	idx := map[string]int64{}
	var got []int64
	for _, c := range calls {
		idx[c.id] = c.idx
		got = append(got, c.idx)
	}
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("log indexes %v: want 0 to %d, each once", got, n-1)
		}
	}
	for _, a := range calls {
		for _, b := range calls {
			if a.returned < b.called && a.idx >= b.idx {
				t.Fatalf("%s returned before %s was called, at log index %d ≥ %d", a.id, b.id, a.idx, b.idx)
			}
		}
	}
	for _, s := range nodes {
		wantLogged(t, s, idx)
		if err := s.Verify(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// inOneBatch runs first, which the store's first batch holds in flight
// until ops are all queued behind it; ops then share the second batch. It
// returns the batch sizes seen before each COMMIT.
func inOneBatch(t *testing.T, s *pgstore.Store, fail func(attempt, size int) error, first func(), ops ...func()) []int {
	t.Helper()
	var (
		mu      sync.Mutex
		sizes   []int
		entered = make(chan struct{})
		release = make(chan struct{})
		once    sync.Once
	)
	pgstore.SetBeforeCommit(s, func(attempt, size int) error {
		once.Do(func() { close(entered); <-release })
		mu.Lock()
		sizes = append(sizes, size)
		mu.Unlock()
		if fail != nil {
			return fail(attempt, size)
		}
		return nil
	})
	var wg sync.WaitGroup
	wg.Go(first)
	<-entered
	for i, op := range ops {
		wg.Go(op)
		for pgstore.Queued(s) < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
	return sizes
}

// acceptInto returns an op accepting sub with seal, which records its
// error in errs[i] and its log index in idx.
func acceptInto(s *pgstore.Store, mu *sync.Mutex, errs []error, idx map[string]int64, i int, sub *store.Submission, seal store.Seal) func() {
	return func() {
		res, _, err := s.Accept(context.Background(), sub, seal)
		mu.Lock()
		defer mu.Unlock()
		errs[i] = err
		if err == nil {
			idx[sub.MessageID] = res.LogIndex
		}
	}
}

// TestGroupCommitRefusalAlone: an operation refused inside a batch after
// it wrote and appended to the log, one that panics and one whose last
// write fails leave nothing (nor statistics), each gets its own error,
// and their batch-mates commit with consecutive indexes.
func TestGroupCommitRefusalAlone(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	var (
		seal    sealer
		mu      sync.Mutex
		errs    = make([]error, 6)
		idx     = map[string]int64{}
		errSeal = errors.New("the signer is gone")
	)
	first, a, refused, b := st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Govoffice),
		st.NewSubmission(st.Quangninh, 100, st.Nghean), st.NewSubmission(st.Nghean, 100, st.Caobang)
	sizes := inOneBatch(t, s, nil,
		acceptInto(s, &mu, errs, idx, 0, first, seal.seal(first.MessageID)),
		acceptInto(s, &mu, errs, idx, 1, a, seal.seal(a.MessageID)),
		acceptInto(s, &mu, errs, idx, 2, refused, func(int64) (*store.Receipt, error) { return nil, errSeal }),
		func() {
			errs[3] = pgstore.InBatch(context.Background(), s, func(ctx context.Context, tx pgstore.Querier) error {
				if _, err := tx.Exec(ctx, `INSERT INTO counters VALUES ('panicked', 1)`); err != nil {
					return err
				}
				panic("a bug in an operation")
			})
		},
		func() {
			// Its writes are pipelined: the failure comes with its end.
			errs[5] = pgstore.InBatch(context.Background(), s, func(ctx context.Context, tx pgstore.Querier) error {
				for range 2 {
					if _, err := tx.Exec(ctx, `INSERT INTO counters VALUES ('twice', 1)`); err != nil {
						return err
					}
				}
				return nil
			})
		},
		acceptInto(s, &mu, errs, idx, 4, b, seal.seal(b.MessageID)),
	)
	if !slices.Equal(sizes, []int{1, 5}) {
		t.Fatalf("batch sizes %v, want [1 5]", sizes)
	}
	if pe := (*pgconn.PgError)(nil); !errors.As(errs[5], &pe) || pe.Code != "23505" {
		t.Fatalf("the operation inserting twice: %v, want its unique violation", errs[5])
	}
	if errs[0] != nil || errs[1] != nil || errs[4] != nil {
		t.Fatalf("errors of the batch-mates: %v", errs)
	}
	if !errors.Is(errs[2], errSeal) {
		t.Fatalf("the refused accept: %v, want its seal's error", errs[2])
	}
	if errs[3] == nil {
		t.Fatal("the panicking operation returned no error")
	}
	if idx[first.MessageID] != 0 || idx[a.MessageID] != 1 || idx[b.MessageID] != 2 {
		t.Fatalf("log indexes %v, want 0, 1, 2", idx)
	}
	wantLogged(t, s, idx)
	if _, err := s.Message(context.Background(), refused.MessageID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused message: %v, want not found", err)
	}
	if n, err := s.LogSize(context.Background()); err != nil || n != 3 {
		t.Fatalf("log size %d (%v), want 3", n, err)
	}
	conn := connect(t, s)
	var panicked int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM counters WHERE name IN ('panicked', 'twice')`).Scan(&panicked); err != nil || panicked != 0 {
		t.Fatalf("the failed operations' rows: %d (%v)", panicked, err)
	}
	// The statistics a batch adds up count its batch-mates, not the
	// refused accept (Quangninh's second, to Nghean).
	for _, want := range []store.AgencyStats{
		{Agency: st.Quangninh, Sent: 1},
		{Agency: st.Nghean, Sent: 1, Received: 1},
		{Agency: st.Caobang, Sent: 1, Received: 1},
		{Agency: st.Govoffice, Received: 1},
	} {
		got, err := s.Stats(context.Background(), want.Agency)
		if err != nil || got.Sent != want.Sent || got.Received != want.Received || got.Acked != 0 || len(got.Statuses) != 0 {
			t.Fatalf("statistics %+v (%v), want %+v", got, err, want)
		}
	}
	if err := s.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// connect opens a connection of its own to s's database.
func connect(t *testing.T, s *pgstore.Store) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), pgstore.URL(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestGroupCommitRetriesWhole: a batch whose COMMIT fails with a
// serialization failure is run again whole, every operation of it once
// more, and commits each once.
func TestGroupCommitRetriesWhole(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	var (
		seal sealer
		mu   sync.Mutex
		errs = make([]error, 4)
		idx  = map[string]int64{}
	)
	subs := []*store.Submission{st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Govoffice),
		st.NewSubmission(st.Quangninh, 100, st.Nghean), st.NewSubmission(st.Nghean, 100, st.Caobang)}
	var ops []func()
	for i, sub := range subs {
		ops = append(ops, acceptInto(s, &mu, errs, idx, i, sub, seal.seal(sub.MessageID)))
	}
	sizes := inOneBatch(t, s, func(attempt, size int) error {
		if size == 3 && attempt == 1 {
			return &pgconn.PgError{Code: "40001", Message: "could not serialize access (the test's)"}
		}
		return nil
	}, ops[0], ops[1:]...)
	if !slices.Equal(sizes, []int{1, 3, 3}) {
		t.Fatalf("batch sizes %v, want [1 3 3]: the second run twice", sizes)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := seal.calls.Load(); n != 7 {
		t.Fatalf("%d seals, want 7: one for the first batch, two for each of the second's", n)
	}
	for i, sub := range subs {
		if idx[sub.MessageID] != int64(i) {
			t.Fatalf("log indexes %v, want 0 to 3 in the order queued", idx)
		}
	}
	wantLogged(t, s, idx)
	if n, err := s.LogSize(context.Background()); err != nil || n != 4 {
		t.Fatalf("log size %d (%v), want 4", n, err)
	}
}

// TestGroupCommitRealConflict: an operation that meets a real
// serialization failure (another transaction updated a row it read)
// fails its batch, not its caller: the batch runs again, its mate
// commits once.
func TestGroupCommitRealConflict(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	other := connect(t, s)
	if _, err := other.Exec(context.Background(), `INSERT INTO counters VALUES ('probe', 0)`); err != nil {
		t.Fatal(err)
	}
	var (
		seal  sealer
		mu    sync.Mutex
		errs  = make([]error, 3)
		idx   = map[string]int64{}
		runs  atomic.Int64
		first = st.NewSubmission(st.Caobang, 100, st.Nghean)
		mate  = st.NewSubmission(st.Quangninh, 100, st.Govoffice)
	)
	inOneBatch(t, s, nil,
		acceptInto(s, &mu, errs, idx, 0, first, seal.seal(first.MessageID)),
		acceptInto(s, &mu, errs, idx, 1, mate, seal.seal(mate.MessageID)),
		func() {
			errs[2] = pgstore.InBatch(context.Background(), s, func(ctx context.Context, tx pgstore.Querier) error {
				var n int64
				if err := tx.QueryRow(ctx, `SELECT n FROM counters WHERE name = 'probe'`).Scan(&n); err != nil {
					return err
				}
				if runs.Add(1) == 1 {
					if _, err := other.Exec(ctx, `UPDATE counters SET n = n + 1 WHERE name = 'probe'`); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, `UPDATE counters SET n = n + 10 WHERE name = 'probe'`)
				return err
			})
		},
	)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 2 || seal.calls.Load() != 3 {
		t.Fatalf("the conflicting operation ran %d times, seals %d; want 2 and 3", runs.Load(), seal.calls.Load())
	}
	var n int64
	if err := other.QueryRow(context.Background(), `SELECT n FROM counters WHERE name = 'probe'`).Scan(&n); err != nil || n != 11 {
		t.Fatalf("probe = %d (%v), want 11", n, err)
	}
	wantLogged(t, s, idx)
}

// TestGroupCommitLostConnection: when the session holding the log lock
// is killed before its COMMIT, the batch runs again on a new connection,
// under the lock again, and commits once.
func TestGroupCommitLostConnection(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	other := connect(t, s)
	var (
		seal   sealer
		mu     sync.Mutex
		errs   = make([]error, 3)
		idx    = map[string]int64{}
		killed int
	)
	subs := []*store.Submission{st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Govoffice),
		st.NewSubmission(st.Quangninh, 100, st.Nghean)}
	var ops []func()
	for i, sub := range subs {
		ops = append(ops, acceptInto(s, &mu, errs, idx, i, sub, seal.seal(sub.MessageID)))
	}
	inOneBatch(t, s, func(attempt, size int) error {
		if size != 2 || attempt != 1 {
			return nil
		}
		return other.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND (classid::bigint << 32 | objid::bigint) = $1`,
			pgstore.LogLockKey).Scan(&killed)
	}, ops[0], ops[1:]...)
	if killed != 1 {
		t.Fatalf("%d sessions held the log lock, want 1", killed)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := seal.calls.Load(); n != 5 {
		t.Fatalf("%d seals, want 5", n)
	}
	wantLogged(t, s, idx)
	if n, err := s.LogSize(context.Background()); err != nil || n != 3 {
		t.Fatalf("log size %d (%v), want 3", n, err)
	}
}

// TestGroupCommitReleasesTheLockWithItsCommit: a batch's update of the
// log head, its COMMIT and the release of the log lock go in one round
// trip (the release the session's last statement), the lock is free
// afterwards and the session is kept.
func TestGroupCommitReleasesTheLockWithItsCommit(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	other := connect(t, s)
	sub := st.NewSubmission(st.Caobang, 100, st.Nghean)
	var seal sealer
	if _, _, err := s.Accept(context.Background(), sub, seal.seal(sub.MessageID)); err != nil {
		t.Fatal(err)
	}
	var held, sessions int
	if err := other.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND (classid::bigint << 32 | objid::bigint) = $1`, pgstore.LogLockKey).Scan(&held); err != nil || held != 0 {
		t.Fatalf("%d sessions hold the log lock after the batch (%v), want 0", held, err)
	}
	if err := other.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = $1`,
		`SELECT pg_advisory_unlock($1)`).Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("%d sessions last ran the COMMIT with the unlock (%v), want 1: the batch's, kept", sessions, err)
	}
}

// TestGroupCommitExcludesEarlierNodes: hub nodes of the releases before
// the lock and the BEGIN went in one round trip take the same log lock in
// a query of its own and release it after their COMMIT; a batch waits
// for such a node's lock and such a node cannot take it during a batch,
// so a rolling upgrade keeps the appends of both serialised.
func TestGroupCommitExcludesEarlierNodes(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	earlier, other := connect(t, s), connect(t, s)
	ctx := context.Background()
	// An earlier node holds the lock, its batch open.
	if _, err := earlier.Exec(ctx, `SELECT pg_advisory_lock($1)`, pgstore.LogLockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := earlier.Exec(ctx, `BEGIN ISOLATION LEVEL SERIALIZABLE`); err != nil {
		t.Fatal(err)
	}
	var seal sealer
	first := st.NewSubmission(st.Caobang, 100, st.Nghean)
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Accept(ctx, first, seal.seal(first.MessageID))
		done <- err
	}()
	// The batch waits for the lock (no timing: until PostgreSQL shows the
	// wait, or the accept returns, which fails the test).
	for waiting := 0; waiting == 0; {
		select {
		case err := <-done:
			t.Fatalf("an accept returned (%v) while an earlier node held the log lock", err)
		default:
		}
		if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND (classid::bigint << 32 | objid::bigint) = $1`, pgstore.LogLockKey).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := earlier.Exec(ctx, `COMMIT`); err != nil {
		t.Fatal(err)
	}
	if _, err := earlier.Exec(ctx, `SELECT pg_advisory_unlock($1)`, pgstore.LogLockKey); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// During a batch, an earlier node cannot take the lock.
	var took []bool
	pgstore.SetBeforeCommit(s, func(attempt, size int) error {
		var ok bool
		err := earlier.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, pgstore.LogLockKey).Scan(&ok)
		took = append(took, ok)
		return err
	})
	second := st.NewSubmission(st.Quangninh, 100, st.Govoffice)
	if _, _, err := s.Accept(ctx, second, seal.seal(second.MessageID)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(took, []bool{false}) {
		t.Fatalf("an earlier node's tries of the log lock during a batch: %v, want [false]", took)
	}
	wantLogged(t, s, map[string]int64{first.MessageID: 0, second.MessageID: 1})
}

// TestGroupCommitQueuedGoWithTheQuery: an operation's queued writes go
// in its next query's round trip: the query sees them, and when one fails
// the query returns its error and the operation is refused alone.
func TestGroupCommitQueuedGoWithTheQuery(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	ctx := context.Background()
	var got []int64
	err := pgstore.InBatch(ctx, s, func(ctx context.Context, tx pgstore.Querier) error {
		tx.Exec(ctx, `INSERT INTO counters VALUES ('a', 1)`)
		tx.Exec(ctx, `INSERT INTO counters VALUES ('b', 2)`)
		var n int64
		if err := tx.QueryRow(ctx, `SELECT sum(n) FROM counters WHERE name IN ('a', 'b')`).Scan(&n); err != nil {
			return err
		}
		got = append(got, n)
		tx.Exec(ctx, `UPDATE counters SET n = n + 10 WHERE name = 'a'`)
		rows, err := tx.Query(ctx, `SELECT n FROM counters WHERE name IN ('a', 'b') ORDER BY name`)
		if err != nil {
			return err
		}
		ns, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		got = append(got, ns...)
		return err
	})
	if err != nil || !slices.Equal(got, []int64{3, 11, 2}) {
		t.Fatalf("reads %v (%v), want [3 11 2]: each query sees the writes queued before it", got, err)
	}
	for _, tc := range []struct {
		name  string
		query func(ctx context.Context, tx pgstore.Querier) error
	}{
		{"QueryRow", func(ctx context.Context, tx pgstore.Querier) error {
			var n int64
			return tx.QueryRow(ctx, `SELECT n FROM counters WHERE name = 'a'`).Scan(&n)
		}},
		{"Query", func(ctx context.Context, tx pgstore.Querier) error {
			rows, err := tx.Query(ctx, `SELECT n FROM counters`)
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		}},
		{"SendBatch", func(ctx context.Context, tx pgstore.Querier) error {
			b := &pgx.Batch{}
			b.Queue(`SELECT n FROM counters WHERE name = 'a'`)
			br := tx.SendBatch(ctx, b)
			var n int64
			err := br.QueryRow().Scan(&n)
			if cerr := br.Close(); err == nil {
				err = cerr
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pgstore.InBatch(ctx, s, func(ctx context.Context, tx pgstore.Querier) error {
				tx.Exec(ctx, `INSERT INTO counters VALUES ('c', 1)`)
				tx.Exec(ctx, `INSERT INTO counters VALUES ('a', 1)`) // a duplicate key
				return tc.query(ctx, tx)
			})
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
				t.Fatalf("the operation returned %v, want the queued insert's unique violation", err)
			}
			var n int
			if err := connect(t, s).QueryRow(ctx, `SELECT count(*) FROM counters WHERE name = 'c'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d counters c (%v), want 0: the refused operation's writes rolled back", n, err)
			}
		})
	}
}

// TestGroupCommitRetryTakesNoNumber: an accept's retry, which finds its
// message, takes no number from its sender's list (the numbers are taken
// in the round trip that finds it, unless it exists), so the sender's
// next message follows the first without a gap.
func TestGroupCommitRetryTakesNoNumber(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	ctx := context.Background()
	first, next := st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Caobang, 101, st.Nghean)
	var seal sealer
	for i, want := range []bool{false, true, true} {
		res, existed, err := s.Accept(ctx, first, seal.seal(first.MessageID))
		if err != nil || existed != want || res.Seq != 1 {
			t.Fatalf("accept %d: %+v, existed %v (%v), want sequence 1, existed %v", i, res, existed, err, want)
		}
	}
	res, _, err := s.Accept(ctx, next, seal.seal(next.MessageID))
	if err != nil || res.Seq != 2 {
		t.Fatalf("the next message: %+v (%v), want sequence 2", res, err)
	}
}

// storeWithAttachment opens a store on a new database in which Quảng
// Ninh has uploaded a 5,000-byte attachment, and returns its digest.
func storeWithAttachment(t *testing.T) (*pgstore.Store, string) {
	t.Helper()
	s := openAt(t, cluster.NewDatabase(t)).Store
	pdf := st.RandomBytes(5000)
	if _, err := s.PutBlob(context.Background(), st.Quangninh, st.Digest(pdf), bytes.NewReader(pdf), st.T0); err != nil {
		t.Fatal(err)
	}
	return s, st.Digest(pdf)
}

// TestGroupCommitPrefetch: the acceptances of a batch send their checks
// together, except one that reads what another before it writes: the same
// message again, or an attachment of another; those run after, and see
// what the others wrote. Every acceptance is numbered without a gap, each
// message once, each attachment counted by both its messages.
func TestGroupCommitPrefetch(t *testing.T) {
	s, digest := storeWithAttachment(t)
	ctx := context.Background()
	var (
		seal sealer
		mu   sync.Mutex
		errs = make([]error, 6)
		idx  = map[string]int64{}
	)
	first, a, b := st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Nghean)
	withPDF, alsoPDF := st.NewSubmission(st.Quangninh, 100, st.Govoffice), st.NewSubmission(st.Quangninh, 100, st.Caobang)
	withPDF.BlobDigests, alsoPDF.BlobDigests = []string{digest}, []string{digest}
	again := *a
	var existed atomic.Bool
	before := pgstore.Prefetched(s)
	sizes := inOneBatch(t, s, nil,
		acceptInto(s, &mu, errs, idx, 0, first, seal.seal(first.MessageID)),
		acceptInto(s, &mu, errs, idx, 1, a, seal.seal(a.MessageID)),
		func() {
			_, ex, err := s.Accept(ctx, &again, seal.seal(a.MessageID))
			existed.Store(ex)
			errs[2] = err
		},
		acceptInto(s, &mu, errs, idx, 3, withPDF, seal.seal(withPDF.MessageID)),
		acceptInto(s, &mu, errs, idx, 4, b, seal.seal(b.MessageID)),
		acceptInto(s, &mu, errs, idx, 5, alsoPDF, seal.seal(alsoPDF.MessageID)),
	)
	if !slices.Equal(sizes, []int{1, 5}) {
		t.Fatalf("batch sizes %v, want [1 5]", sizes)
	}
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("errors: %v", errs)
	}
	if !existed.Load() {
		t.Fatal("the same message again was not found accepted")
	}
	// The first alone, then three of the five: the second of a message
	// and of an attachment run after.
	if n := pgstore.Prefetched(s) - before; n != 4 {
		t.Fatalf("%d acceptances with their checks sent with their batch's reads, want 4", n)
	}
	wantLogged(t, s, idx)
	if n, err := s.LogSize(ctx); err != nil || n != 5 {
		t.Fatalf("log size %d (%v), want 5", n, err)
	}
	sent, err := s.Sent(ctx, st.Quangninh, 0, 10)
	if err != nil || len(sent) != 4 {
		t.Fatalf("Quangninh's sent list: %d (%v), want 4", len(sent), err)
	}
	for i, r := range sent {
		if r.Cursor != uint64(i+1) {
			t.Fatalf("Quangninh's sent list numbered %d at %d", r.Cursor, i)
		}
	}
	var refs, open int
	if err := connect(t, s).QueryRow(ctx, `SELECT (convert_from(rec, 'UTF8')::jsonb->>'refs')::int, (convert_from(rec, 'UTF8')::jsonb->>'open')::int
		FROM blobs WHERE digest = $1`, digest).Scan(&refs, &open); err != nil || refs != 2 || open != 2 {
		t.Fatalf("the attachment of two messages: refs %d, open %d (%v), want 2 and 2", refs, open, err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitPrefetchRefusal: an acceptance refused on its checks,
// sent with the others', makes the batch run again each on its own, so
// that it leaves nothing, not even a number in its recipient's queue, and
// its batch-mates commit.
func TestGroupCommitPrefetchRefusal(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	ctx := context.Background()
	var (
		seal sealer
		mu   sync.Mutex
		errs = make([]error, 4)
		idx  = map[string]int64{}
	)
	first, a, missing, b := st.NewSubmission(st.Caobang, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Nghean),
		st.NewSubmission(st.Quangninh, 100, st.Nghean), st.NewSubmission(st.Govoffice, 100, st.Nghean)
	missing.BlobDigests = []string{st.Digest([]byte("never uploaded"))}
	inOneBatch(t, s, nil,
		acceptInto(s, &mu, errs, idx, 0, first, seal.seal(first.MessageID)),
		acceptInto(s, &mu, errs, idx, 1, a, seal.seal(a.MessageID)),
		acceptInto(s, &mu, errs, idx, 2, missing, seal.seal(missing.MessageID)),
		acceptInto(s, &mu, errs, idx, 3, b, seal.seal(b.MessageID)),
	)
	if errs[0] != nil || errs[1] != nil || errs[3] != nil || !errors.Is(errs[2], store.ErrMissingBlob) {
		t.Fatalf("errors %v, want the refusal of the third alone", errs)
	}
	ds, err := s.Inbox(ctx, st.Nghean, 0, 10, st.T0)
	if err != nil || len(ds) != 3 {
		t.Fatalf("Nghean's inbox: %d (%v), want 3", len(ds), err)
	}
	for i, d := range ds {
		if d.Cursor != uint64(i+1) {
			t.Fatalf("Nghean's queue numbered %d at %d", d.Cursor, i)
		}
	}
	if sent, err := s.Sent(ctx, st.Quangninh, 0, 10); err != nil || len(sent) != 1 || sent[0].Cursor != 1 {
		t.Fatalf("Quangninh's sent list: %+v (%v), want the one accepted, numbered 1", sent, err)
	}
	wantLogged(t, s, idx)
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// ackOf is an acknowledgement by recipient of message id.
type ackOf struct {
	recipient certs.AgencyCode
	id        string
}

// acksAfterAnAcceptance runs the acceptance of a new message and then
// acks, sealed by seal, as one batch's operations (inOneBatch), and
// returns the batches' sizes and each acknowledgement's error.
func acksAfterAnAcceptance(t *testing.T, s *pgstore.Store, seal *sealer, acks ...ackOf) ([]int, []error) {
	t.Helper()
	ctx := context.Background()
	errs := make([]error, len(acks))
	var ops []func()
	for i, a := range acks {
		ops = append(ops, func() { _, _, errs[i] = s.Ack(ctx, a.recipient, a.id, "", st.T0, seal.seal(a.id)) })
	}
	accept := func() {
		if _, _, err := s.Accept(ctx, st.NewSubmission(st.Govoffice, 100, st.Nghean), nil); err != nil {
			t.Error(err)
		}
	}
	return inOneBatch(t, s, nil, accept, ops...), errs
}

// TestGroupCommitPrefetchAcks: acknowledgements read their deliveries
// together; one of a message that does not exist, whose read writes
// nothing, is refused alone, without running its batch-mates again.
func TestGroupCommitPrefetchAcks(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	ctx := context.Background()
	toNghean, toCaobang := st.NewSubmission(st.Quangninh, 100, st.Nghean), st.NewSubmission(st.Quangninh, 100, st.Caobang)
	for _, sub := range []*store.Submission{toNghean, toCaobang} {
		if _, _, err := s.Accept(ctx, sub, nil); err != nil {
			t.Fatal(err)
		}
	}
	var seal sealer
	before := pgstore.Prefetched(s)
	sizes, errs := acksAfterAnAcceptance(t, s, &seal,
		ackOf{st.Nghean, toNghean.MessageID}, ackOf{st.Nghean, st.NewID()}, ackOf{st.Caobang, toCaobang.MessageID})
	if !slices.Equal(sizes, []int{1, 3}) {
		t.Fatalf("batch sizes %v, want [1 3]", sizes)
	}
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], store.ErrNotFound) {
		t.Fatalf("errors %v, want the second's not found alone", errs)
	}
	if n := pgstore.Prefetched(s) - before; n != 3 {
		t.Fatalf("%d operations with their reads sent with their batch's, want 3 (the first acceptance, two acknowledgements)", n)
	}
	if n := seal.calls.Load(); n != 2 {
		t.Fatalf("the acknowledgements were sealed %d times, want 2: their batch ran again", n)
	}
	for _, sub := range []*store.Submission{toNghean, toCaobang} {
		ds, err := s.Deliveries(ctx, sub.MessageID)
		if err != nil || len(ds) != 1 || ds[0].State != store.Acked {
			t.Fatalf("deliveries of %s: %+v (%v), want acknowledged", sub.MessageID, ds, err)
		}
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitAcksOfOneMessage: the two recipients of one message with
// an attachment acknowledge it in one batch. The second's read of the
// message's pending deliveries and of its own history must come after the
// first's writes (the message's key keeps it from the batch's round
// trip): each appends its status 01 once, the message ends with none
// pending and its attachment is settled.
func TestGroupCommitAcksOfOneMessage(t *testing.T) {
	s, digest := storeWithAttachment(t)
	ctx := context.Background()
	both := st.NewSubmission(st.Quangninh, 100, st.Nghean, st.Caobang)
	both.BlobDigests = []string{digest}
	if _, _, err := s.Accept(ctx, both, nil); err != nil {
		t.Fatal(err)
	}
	var seal sealer
	before := pgstore.Prefetched(s)
	sizes, errs := acksAfterAnAcceptance(t, s, &seal, ackOf{st.Nghean, both.MessageID}, ackOf{st.Caobang, both.MessageID})
	if !slices.Equal(sizes, []int{1, 2}) {
		t.Fatalf("batch sizes %v, want [1 2]", sizes)
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v", errs)
	}
	// The first acceptance and the first acknowledgement.
	if n := pgstore.Prefetched(s) - before; n != 2 {
		t.Fatalf("%d operations with their reads sent with their batch's, want 2", n)
	}
	history, err := s.StatusHistory(ctx, both.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	arrived := map[certs.AgencyCode]int{}
	for _, h := range history {
		if h.Code == document.StatusArrived {
			arrived[h.From]++
		}
	}
	if len(history) != 2 || arrived[st.Nghean] != 1 || arrived[st.Caobang] != 1 {
		t.Fatalf("history %+v, want status 01 once from each recipient", history)
	}
	var pending, open int
	var settled string
	if err := connect(t, s).QueryRow(ctx, `SELECT m.pending, coalesce((convert_from(b.rec, 'UTF8')::jsonb->>'open')::int, 0),
			coalesce(convert_from(b.rec, 'UTF8')::jsonb->>'settled', '')
		FROM messages m, blobs b WHERE m.id = $1 AND b.digest = $2`, both.MessageID, digest).Scan(&pending, &open, &settled); err != nil {
		t.Fatal(err)
	}
	if pending != 0 || open != 0 || settled == "" {
		t.Fatalf("after both acknowledgements: pending %d, the attachment open %d, settled %q; want 0, 0 and a time", pending, open, settled)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// hashReads records the stored hashes' indexes tlog reads.
type hashReads map[int64]bool

func (r hashReads) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	for _, i := range indexes {
		r[i] = true
	}
	return make([]tlog.Hash, len(indexes)), nil
}

// TestEdgeIndexes: the query a batch reads the tree's right edge with
// names every hash stored before its entries that appending them reads,
// and one hash per bit of the log's size, for logs of every size up to
// 1,100 and a few past 2^40.
func TestEdgeIndexes(t *testing.T) {
	conn, err := pgx.Connect(context.Background(), cluster.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	q := `SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM (` + pgstore.EdgeIndexes("(SELECT $1::bigint)") + `) AS e (x)`
	sizes := []int64{1<<40 - 3, 1<<40 + 5, 3<<40 + 1}
	for n := range int64(1100) {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		var got []int64
		if err := conn.QueryRow(context.Background(), q, n).Scan(&got); err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if len(got) != bits.OnesCount64(uint64(n)) {
			t.Fatalf("size %d: %d hashes on the right edge, want %d", n, len(got), bits.OnesCount64(uint64(n)))
		}
		reads := hashReads{}
		for i := n; i < n+64; i++ {
			if _, err := tlog.StoredHashes(i, []byte("entry"), reads); err != nil {
				t.Fatal(err)
			}
		}
		for i := range reads {
			if i < tlog.StoredHashIndex(0, n) && !slices.Contains(got, i) {
				t.Fatalf("size %d: appending reads hash %d, stored before, which the query %v does not name", n, i, got)
			}
		}
	}
}
