package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/shared/auditlog"
)

// appendLog appends e inside tx and returns its index. The first append
// of a batch locks the tree head's row and reads the hashes of the tree's
// right edge; the batch's next appends know both (logTx.edge), and the
// batch writes the entries, their hashes and the head's new size once,
// with its COMMIT. Appends
// serialise on the log lock (logUpdate), so the log's order is the order
// in which their transactions commit.
func appendLog(ctx context.Context, tx *logTx, e *auditlog.Entry) (int64, error) {
	n := tx.edge.size
	if n < 0 {
		if err := tx.QueryRow(ctx, `SELECT size FROM log_head WHERE id = 1 FOR UPDATE`).Scan(&n); err != nil {
			return 0, fmt.Errorf("lock the log head: %w", err)
		}
	}
	enc := e.Encode()
	hashes, err := auditlog.Append(n, enc, edgeHashes{ctx, tx})
	if err != nil {
		return 0, fmt.Errorf("append log entry %d: %w", n, err)
	}
	// Written with the batch's COMMIT (commitBatch), with the head's size.
	if len(tx.edge.entries) == 0 {
		tx.edge.start = n
	}
	tx.edge.entries = append(tx.edge.entries, enc)
	first := auditlog.FirstStoredIndex(n)
	for i, h := range hashes {
		tx.edge.hashes[first+int64(i)] = h
		tx.edge.added = append(tx.edge.added, first+int64(i))
	}
	tx.edge.size = n + 1
	return n, nil
}

// edgeHashes reads stored hashes inside a batch's transaction, those the
// batch knows from its edge and the others from the database, which it
// then knows too.
type edgeHashes struct {
	ctx context.Context
	tx  *logTx
}

func (r edgeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, idx := range indexes {
		if _, ok := r.tx.edge.hashes[idx]; !ok {
			missing = append(missing, idx)
		}
	}
	if len(missing) > 0 {
		got, err := readHashes(r.ctx, r.tx, missing)
		if err != nil {
			return nil, err
		}
		for i, idx := range missing {
			r.tx.edge.hashes[idx] = got[i]
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		out[i] = r.tx.edge.hashes[idx]
	}
	return out, nil
}

func readHashes(ctx context.Context, tx dbtx, indexes []int64) ([]tlog.Hash, error) {
	rows, err := tx.Query(ctx, `SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)`, indexes)
	if err != nil {
		return nil, err
	}
	got := make(map[int64]tlog.Hash, len(indexes))
	if err := scanHashes(rows, got); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := got[idx]
		if !ok {
			return nil, fmt.Errorf("log hash %d is missing", idx)
		}
		out[i] = h
	}
	return out, nil
}

// scanHashes reads rows of log_hashes (idx, hash) into hashes.
func scanHashes(rows pgx.Rows, hashes map[int64]tlog.Hash) error {
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return err
		}
		if len(h) != tlog.HashSize {
			return fmt.Errorf("log hash %d has %d bytes", idx, len(h))
		}
		hashes[idx] = tlog.Hash(h)
	}
	return rows.Err()
}

// edgeIndexes is a query of the indexes of the stored hashes on the right
// edge of the tree of n entries, n the one value of the query size: its
// largest complete subtrees, one per bit of n that is set. Appending
// entries to the log reads, of the hashes stored before, only those
// (tlog.StoredHashes). StoredHashIndex(l, k) is 2m - popcount(m) + l with
// m = ((k+1) << l) - 1, since the sum of m >> j over j is 2m - popcount(m).
func edgeIndexes(size string) string {
	return `SELECT 2 * m - length(replace(m::bit(64)::text, '0', '')) + l
		FROM ` + size + ` AS h (n), generate_series(0, 62) AS l, LATERAL (SELECT ((n >> l) << l) - 1 AS m) AS x
		WHERE (n >> l) & 1 = 1`
}

// readEdgeSQL reads the stored hashes of the log's right edge: a batch
// sends it with its reads (prefetchAll), so that its appends need not
// read them in a round trip of their own.
var readEdgeSQL = `SELECT idx, hash FROM log_hashes WHERE idx IN (` +
	edgeIndexes(`(SELECT size FROM log_head WHERE id = 1)`) + `)`

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func logSize(ctx context.Context, tx dbtx) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT size FROM log_head WHERE id = 1`).Scan(&n)
	return n, err
}

// LogSize implements store.Log.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.read(ctx, func(tx dbtx) (err error) {
		n, err = logSize(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("log size: %w", err)
	}
	return n, nil
}

// LogEntries implements store.Log.
func (s *Store) LogEntries(ctx context.Context, from, to int64) ([][]byte, error) {
	var out [][]byte
	err := s.view(ctx, func(tx pgx.Tx) error {
		size, err := logSize(ctx, tx)
		if err != nil {
			return err
		}
		if from < 0 || to < from || to > size {
			return fmt.Errorf("log entries [%d, %d) of a log of size %d: out of range", from, to, size)
		}
		rows, err := tx.Query(ctx, `SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, from, to)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("log entries: %w", err)
	}
	return out, nil
}

// ReadHashes implements store.Log (tlog.HashReader).
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	ctx := context.Background()
	var out []tlog.Hash
	err := s.view(ctx, func(tx pgx.Tx) (err error) {
		out, err = readHashes(ctx, tx, indexes)
		return err
	})
	return out, err
}

// PutCheckpoint implements store.Log.
func (s *Store) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	err := s.update(ctx, func(tx pgx.Tx) error {
		n, err := logSize(ctx, tx)
		if err != nil {
			return err
		}
		if size > n {
			return fmt.Errorf("checkpoint of size %d beyond the log", size)
		}
		_, err = tx.Exec(ctx, `INSERT INTO log_checkpoints (size, signed) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING`, size, signed)
		return err
	})
	if err != nil {
		return fmt.Errorf("put checkpoint: %w", err)
	}
	return nil
}

// LatestCheckpoint implements store.Log.
func (s *Store) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var signed []byte
	err := s.view(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT size, signed FROM log_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &signed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("latest checkpoint: %w", err)
	}
	return size, signed, nil
}
