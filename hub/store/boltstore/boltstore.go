// Package boltstore is the hub's embedded store: metadata and queues in one
// bbolt file, attachment bytes as content-addressed files beside it (package
// blobs). It implements store.Store and passes hub/store/storetest.
//
// Every state change is one bbolt write transaction run through a group
// commit, which coalesces concurrent callers into one commit and so one pair
// of fsyncs: "returned nil" means fsynced, and many concurrent Accepts share
// the cost of a sync. Two group commits are offered (Options.GroupCommit):
// bbolt's DB.Batch, which waits a fixed delay to collect a batch, and the
// default queue, which commits at once when idle and otherwise batches
// whatever arrived during the previous commit. Either may run a function
// more than once (when another function in the same batch fails), so each
// function below recomputes its result from the transaction and reports
// refusals (conflict, not found) through a variable rather than as an error,
// which would force a retry of the whole batch. No network I/O and no blob bytes are written inside a
// transaction.
//
// Layout on disk, under the directory given to Open:
//
//	hub.db              bbolt: messages, queues, statuses, receipts, directory, stats,
//	                    the blobs' records, grants and quota entries
//	blobs/objects/<sha256>   committed attachments
//	blobs/uploads/*.part     resumable partial uploads
//	blobs/tmp/               PutBlob temporaries, removed at Open
//
// A blob's record (size, references, grants) is written after its file is
// durable and removed before its file is, each time under a lock of its
// digest (lockDigest): a record therefore always names a durable file,
// and Accept, which checks records in its transaction, never accepts a
// message whose attachment a collection is removing.
//
// Backup (backup.go) writes a consistent copy of a store that goes on
// serving, which Restore turns into a data folder; Export and BeginImport
// (export.go) are package storecopy's copy between backends.
package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/hub/store"
	"lienthong/hub/store/blobs"
)

// GroupCommit chooses how concurrent writers share a commit (and its
// fsyncs). Both keep every state change in one transaction and return only
// after it is durable.
type GroupCommit int

const (
	// CommitQueue, the default, commits at once when no commit is running
	// and otherwise queues the writer for the next one, which takes every
	// writer that arrived meanwhile: no added latency when idle, batches
	// that grow with the load.
	CommitQueue GroupCommit = iota
	// CommitBoltBatch uses bbolt's DB.Batch: a batch collects the writers
	// that arrive within BatchDelay of its first one.
	CommitBoltBatch
)

// DefaultBatchDelay is how long a CommitBoltBatch batch waits for more
// callers before it commits. bbolt's own default is 10 ms; a shorter wait
// serves a lone caller faster while concurrent callers still share a sync.
const DefaultBatchDelay = 2 * time.Millisecond

// Options tune a Store. The zero value is sensible.
type Options struct {
	// GroupCommit chooses the group commit; the zero value is CommitQueue.
	GroupCommit GroupCommit
	// BatchDelay is bbolt's MaxBatchDelay for CommitBoltBatch; 0 means
	// DefaultBatchDelay.
	BatchDelay time.Duration
	// MaxBatchSize bounds the writers in one commit; 0 means 1000.
	MaxBatchSize int
	// MaxBlobSize limits attachments; 0 means blobs.DefaultMaxSize.
	MaxBlobSize int64
	// OpenTimeout bounds the wait for another process's lock on the
	// database; 0 means 5 seconds.
	OpenTimeout time.Duration
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// Store is the bbolt-backed store.Store.
type Store struct {
	db     *bolt.DB
	queue  *committer // nil with CommitBoltBatch
	blobs  *blobs.Dir
	log    *slog.Logger
	closed atomic.Bool
	// digestLocks order a blob's record against its file (lockDigest).
	digestLocks [256]sync.Mutex
	// backups counts the backups running, during which no blob file is
	// removed (see Backup).
	backups atomic.Int32
}

var _ store.Store = (*Store)(nil)

// DBFile is the name of the bbolt file inside the store's directory.
const DBFile = "hub.db"

// Open opens or creates the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	timeout := opts.OpenTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{
		Timeout:      timeout,
		FreelistType: bolt.FreelistMapType,
		// The free list is not written with every commit (as etcd does):
		// fewer pages per commit, and Open rebuilds it by walking the
		// database instead.
		NoFreelistSync: true,
		// Map a gigabyte of address space from the start, so that a
		// growing database is not remapped (which waits for every reader)
		// in the middle of the load.
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	db.MaxBatchDelay = opts.BatchDelay
	if db.MaxBatchDelay <= 0 {
		db.MaxBatchDelay = DefaultBatchDelay
	}
	if opts.MaxBatchSize > 0 {
		db.MaxBatchSize = opts.MaxBatchSize
	}
	var queue *committer
	switch opts.GroupCommit {
	case CommitQueue:
		queue = &committer{db: db, maxBatch: db.MaxBatchSize}
	case CommitBoltBatch:
	default:
		db.Close()
		return nil, fmt.Errorf("open store %q: unknown group commit %d", dir, opts.GroupCommit)
	}
	if err := db.Update(initSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	// An interrupted copy (package storecopy) is not a store to serve.
	if err := db.View(checkImport); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	// bbolt syncs the file, not the directory entry of a new file.
	if err := syncDir(dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	// The database lock is ours: no other process uses the blob directory.
	bd, err := blobs.Open(filepath.Join(dir, "blobs"), blobs.Options{MaxSize: opts.MaxBlobSize})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, queue: queue, blobs: bd, log: log}, nil
}

// Close closes the database. A transaction in progress finishes first;
// callers still waiting for a batch get ErrClosed and change nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// update runs fn in a durable write transaction, as part of a group commit
// with the writers in flight. fn may run more than once and must
// recompute its results each time; it returns an error only for failures of
// the database itself, refusals go through its closure.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	// Never mix solo commits with batches: measured here, committing a lone
	// writer with Update beside DB.Batch split the batches of concurrent
	// writers (each solo commit holds the write lock for a whole fsync) and
	// cut throughput at 16 writers by half or more.
	var err error
	if s.queue != nil {
		err = s.queue.update(fn)
	} else {
		err = s.db.Batch(fn)
	}
	if err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			return store.ErrClosed
		}
		return err
	}
	return nil
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", path, err)
	}
	return nil
}

// forPrefix decodes, in key order, every record of bucket whose key starts
// with prefix and hands it to each.
func forPrefix[T any](tx *bolt.Tx, bucket, prefix []byte, what string, each func(*T)) error {
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r T
		if err := decode(v, &r); err != nil {
			return fmt.Errorf("decode %s: %w", what, err)
		}
		each(&r)
	}
	return nil
}
