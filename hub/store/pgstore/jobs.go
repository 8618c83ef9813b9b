package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
)

// ErrLocked is returned by RunAlone when another session holds the job's
// lock: another hub node is running the job.
var ErrLocked = errors.New("another hub node holds the lock")

// RunAlone runs fn while holding a session-level advisory lock named job
// on a connection of its own, so that of several hub nodes on this
// database one at a time runs the job; when another node holds it, RunAlone
// returns ErrLocked at once without running fn. The lock is released
// when fn returns, or by PostgreSQL when the connection is lost.
func (s *Store) RunAlone(ctx context.Context, job string, fn func(context.Context) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("lock %s: %w", job, err)
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte("lienthong/job/" + job))
	key := int64(h.Sum64())
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return fmt.Errorf("lock %s: %w", job, err)
	}
	if !got {
		return ErrLocked
	}
	defer func() {
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Unlock on a broken connection fails; PostgreSQL has released
			// the lock with the session. Never return it to the pool
			// holding the lock.
			conn.Conn().Close(context.Background())
		}
	}()
	return fn(ctx)
}
