package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/shared/auditlog"
)

// The transparency log lives in the same file as the events, so that an
// event and its entry commit together (see store.Log).
var (
	bucketLogEntries     = []byte("log-entries")     // index → encoded entry
	bucketLogHashes      = []byte("log-hashes")      // stored-hash index → 32-byte hash
	bucketLogCheckpoints = []byte("log-checkpoints") // size → signed checkpoint
)

const logCounter = "log"

// appendLog appends e inside tx and returns its index.
func appendLog(tx *bolt.Tx, e *auditlog.Entry) (int64, error) {
	n := int64(counter(tx, logCounter))
	enc := e.Encode()
	hashes, err := auditlog.Append(n, enc, txHashes{tx})
	if err != nil {
		return 0, fmt.Errorf("append log entry %d: %w", n, err)
	}
	entries := tx.Bucket(bucketLogEntries)
	entries.FillPercent = 1 // appended at the right edge only
	if err := entries.Put(seqKey(uint64(n)), enc); err != nil {
		return 0, err
	}
	hb := tx.Bucket(bucketLogHashes)
	hb.FillPercent = 1
	first := auditlog.FirstStoredIndex(n)
	for i, h := range hashes {
		if err := hb.Put(seqKey(uint64(first+int64(i))), h[:]); err != nil {
			return 0, err
		}
	}
	if _, err := next(tx, logCounter); err != nil {
		return 0, err
	}
	return n, nil
}

// txHashes reads stored hashes inside a transaction, seeing its own writes.
type txHashes struct{ tx *bolt.Tx }

func (r txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	b := r.tx.Bucket(bucketLogHashes)
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		v := b.Get(seqKey(uint64(idx)))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d is missing", idx)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// LogSize implements store.Log.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = int64(counter(tx, logCounter))
		return nil
	})
	return n, err
}

// LogEntries implements store.Log.
func (s *Store) LogEntries(ctx context.Context, from, to int64) ([][]byte, error) {
	var out [][]byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		size := int64(counter(tx, logCounter))
		if from < 0 || to < from || to > size {
			return fmt.Errorf("log entries [%d, %d) of a log of size %d: out of range", from, to, size)
		}
		c := tx.Bucket(bucketLogEntries).Cursor()
		for k, v := c.Seek(seqKey(uint64(from))); k != nil && int64(binary.BigEndian.Uint64(k)) < to; k, v = c.Next() {
			out = append(out, bytes.Clone(v))
		}
		return nil
	})
	return out, err
}

// ReadHashes implements store.Log (tlog.HashReader).
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var out []tlog.Hash
	err := s.view(context.Background(), func(tx *bolt.Tx) (err error) {
		out, err = txHashes{tx}.ReadHashes(indexes)
		return err
	})
	return out, err
}

// PutCheckpoint implements store.Log.
func (s *Store) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogCheckpoints)
		if b.Get(seqKey(uint64(size))) != nil {
			return nil
		}
		if size > int64(counter(tx, logCounter)) {
			return fmt.Errorf("checkpoint of size %d beyond the log", size)
		}
		return b.Put(seqKey(uint64(size)), signed)
	})
}

// LatestCheckpoint implements store.Log.
func (s *Store) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var signed []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketLogCheckpoints).Cursor().Last()
		if k != nil {
			size, signed = int64(binary.BigEndian.Uint64(k)), bytes.Clone(v)
		}
		return nil
	})
	return size, signed, err
}
