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
//	hub.db              bbolt: messages, queues, statuses, receipts, directory, stats
//	blobs/objects/<sha256>   committed attachments
//	blobs/uploads/*.part     resumable partial uploads
//	blobs/tmp/               PutBlob temporaries, removed at Open
package boltstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/hub/store"
	"lienthong/hub/store/blobs"
	"lienthong/shared/auditlog"
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

// BlobDir returns the blob directory, for tests and tools.
func (s *Store) BlobDir() *blobs.Dir { return s.blobs }

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

// Accept implements store.Messages.
func (s *Store) Accept(ctx context.Context, sub *store.Submission, seal store.Seal) (store.AcceptResult, bool, error) {
	if err := sub.Validate(); err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept: %w", err)
	}
	// Blobs are never deleted, so a blob present now is present when the
	// transaction commits: the check need not be inside it.
	for _, d := range sub.BlobDigests {
		ok, err := s.blobs.Has(d)
		if err != nil {
			return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, err)
		}
		if !ok {
			return store.AcceptResult{}, false, fmt.Errorf("accept %s: attachment %s: %w", sub.MessageID, d, store.ErrMissingBlob)
		}
	}
	var (
		res     store.AcceptResult
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) (err error) {
		res, existed, refusal, err = acceptTx(tx, sub, seal)
		return err
	})
	if err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, err)
	}
	if refusal != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, refusal)
	}
	return res, existed, nil
}

// acceptTx is Accept's transaction: it reports a refusal (conflict, unknown
// or foreign target) without writing anything, and returns err only for a
// failure of the database.
func acceptTx(tx *bolt.Tx, sub *store.Submission, seal store.Seal) (res store.AcceptResult, existed bool, refusal, err error) {
	msgs := tx.Bucket(bucketMessages)
	if raw := msgs.Get([]byte(sub.MessageID)); raw != nil {
		var m messageRecord
		if err := decode(raw, &m); err != nil {
			return res, false, nil, fmt.Errorf("decode message %s: %w", sub.MessageID, err)
		}
		if m.EnvSHA256 != sub.EnvelopeSHA256 {
			return res, false, fmt.Errorf("message id %s already names envelope %s: %w", sub.MessageID, m.EnvSHA256, store.ErrConflict), nil
		}
		return m.result(), true, nil, nil
	}
	// Check every target before writing anything.
	targets := make([]messageRecord, len(sub.Targets))
	for i, id := range sub.Targets {
		raw := msgs.Get([]byte(id))
		if raw == nil {
			return res, false, fmt.Errorf("target %s: %w", id, store.ErrNotFound), nil
		}
		if err := decode(raw, &targets[i]); err != nil {
			return res, false, nil, fmt.Errorf("decode message %s: %w", id, err)
		}
		if targets[i].Sender != sub.Sender {
			return res, false, fmt.Errorf("target %s was sent by another agency: %w", id, store.ErrForbidden), nil
		}
	}
	rec := messageRecord{
		ID: sub.MessageID, Sender: sub.Sender, Recipients: sub.Recipients, EnvSHA256: sub.EnvelopeSHA256,
		Blobs: sub.BlobDigests, DocumentID: sub.DocumentID, Kind: sub.Kind, Targets: sub.Targets,
		Received: sub.Received, Due: sub.DueDate,
	}
	if sub.Kind == store.KindRecall {
		for i := range targets {
			rc, err := withdraw(tx, &targets[i], sub.MessageID)
			if err != nil {
				return res, false, nil, err
			}
			rec.Recalls = append(rec.Recalls, rc)
		}
	}
	if rec.Seq, err = next(tx, "sent", sub.Sender); err != nil {
		return res, false, nil, err
	}
	rec.LogIndex, err = appendLog(tx, &auditlog.Entry{
		Kind: auditlog.KindAccepted, At: sub.Received, MessageID: sub.MessageID, EnvelopeSHA256: sub.EnvelopeSHA256,
		Business: sub.Kind.String(), Targets: sub.Targets, Sender: sub.Sender, Recipients: sub.Recipients, Due: sub.DueDate,
	})
	if err != nil {
		return res, false, nil, err
	}
	if err := acceptWrites(tx, sub, &rec); err != nil {
		return res, false, nil, err
	}
	if err := sealTx(tx, seal, sub.MessageID, rec.LogIndex); err != nil {
		return res, false, nil, err
	}
	return rec.result(), false, nil, nil
}

// acceptWrites stores a new message, its deliveries and statistics.
func acceptWrites(tx *bolt.Tx, sub *store.Submission, rec *messageRecord) error {
	id := []byte(sub.MessageID)
	// Envelopes and reports are keyed by a hub-wide sequence so that they
	// are appended at the right edge of their B+tree: a random key would
	// rewrite a whole leaf of other envelopes on every insert.
	bodySeq, err := next(tx, "body")
	if err != nil {
		return err
	}
	rec.BodyKey = bodySeq
	if err := tx.Bucket(bucketMessages).Put(id, encode(rec)); err != nil {
		return err
	}
	envs := tx.Bucket(bucketEnvelopes)
	envs.FillPercent = 1
	if err := envs.Put(seqKey(bodySeq), sub.Envelope); err != nil {
		return err
	}
	if len(sub.Report) > 0 {
		reps := tx.Bucket(bucketReports)
		reps.FillPercent = 1
		if err := reps.Put(seqKey(bodySeq), sub.Report); err != nil {
			return err
		}
	}
	if sub.DocumentID != "" {
		if err := tx.Bucket(bucketDocIDs).Put(join(sub.DocumentID, sub.MessageID), nil); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketSent).Put(seqKey(rec.Seq, sub.Sender), id); err != nil {
		return err
	}
	for _, r := range sub.Recipients {
		cur, err := next(tx, "queue", r)
		if err != nil {
			return err
		}
		d := deliveryRecord{Recipient: r, MessageID: sub.MessageID, Sender: sub.Sender, Cursor: cur,
			EnvSHA256: sub.EnvelopeSHA256, Kind: sub.Kind, State: store.Pending}
		if err := tx.Bucket(bucketDeliveries).Put(deliveryKey(r, sub.MessageID), encode(&d)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketQueue).Put(seqKey(cur, r), id); err != nil {
			return err
		}
		if err := bumpStats(tx, r, func(st *statsRecord) { st.Received++ }); err != nil {
			return err
		}
	}
	return bumpStats(tx, sub.Sender, func(st *statsRecord) { st.Sent++ })
}

// withdraw applies a recall to one target: every pending delivery is
// withdrawn and leaves its queue; acknowledged ones are reported.
func withdraw(tx *bolt.Tx, target *messageRecord, recallID string) (recallRecord, error) {
	rc := recallRecord{Target: target.ID}
	dels := tx.Bucket(bucketDeliveries)
	for _, r := range target.Recipients {
		key := deliveryKey(r, target.ID)
		var d deliveryRecord
		if err := decode(dels.Get(key), &d); err != nil {
			return rc, fmt.Errorf("decode delivery %s to %s: %w", target.ID, r, err)
		}
		switch d.State {
		case store.Acked:
			rc.AlreadyAcked = append(rc.AlreadyAcked, r)
			continue
		case store.Withdrawn:
			rc.Withdrawn = append(rc.Withdrawn, r)
			continue
		}
		d.State, d.WithdrawnBy, d.LeaseToken, d.LeaseExpiry = store.Withdrawn, recallID, "", time.Time{}
		if err := dels.Put(key, encode(&d)); err != nil {
			return rc, err
		}
		if err := tx.Bucket(bucketQueue).Delete(seqKey(d.Cursor, r)); err != nil {
			return rc, err
		}
		if err := bumpStats(tx, r, func(st *statsRecord) { st.Withdrawn++ }); err != nil {
			return rc, err
		}
		rc.Withdrawn = append(rc.Withdrawn, r)
	}
	return rc, nil
}

func bumpStats(tx *bolt.Tx, agency string, fn func(*statsRecord)) error {
	b := tx.Bucket(bucketStats)
	var st statsRecord
	if raw := b.Get([]byte(agency)); raw != nil {
		if err := decode(raw, &st); err != nil {
			return fmt.Errorf("decode stats of %s: %w", agency, err)
		}
	}
	fn(&st)
	return b.Put([]byte(agency), encode(&st))
}

func getMessage(tx *bolt.Tx, id string) (*messageRecord, error) {
	raw := tx.Bucket(bucketMessages).Get([]byte(id))
	if raw == nil {
		return nil, fmt.Errorf("message %s: %w", id, store.ErrNotFound)
	}
	var m messageRecord
	if err := decode(raw, &m); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	return &m, nil
}

// Message implements store.Messages.
func (s *Store) Message(ctx context.Context, id string) (store.Message, error) {
	var msg store.Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		msg = store.Message{Seq: m.Seq, LogIndex: m.LogIndex, Submission: store.Submission{
			MessageID: m.ID, Sender: m.Sender, Recipients: m.Recipients, EnvelopeSHA256: m.EnvSHA256,
			BlobDigests: m.Blobs, DocumentID: m.DocumentID, Kind: m.Kind, Targets: m.Targets, Received: m.Received,
			DueDate:  m.Due,
			Envelope: bytes.Clone(tx.Bucket(bucketEnvelopes).Get(seqKey(m.BodyKey))),
			Report:   bytes.Clone(tx.Bucket(bucketReports).Get(seqKey(m.BodyKey))),
		}}
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("get message: %w", err)
	}
	return msg, nil
}

// MessagesByDocumentID lists the ids of messages that carry a DocumentID,
// for the duplicate warning of ND30.
func (s *Store) MessagesByDocumentID(ctx context.Context, docID string) ([]string, error) {
	var ids []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := append([]byte(docID), 0)
		c := tx.Bucket(bucketDocIDs).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages by document id: %w", err)
	}
	return ids, nil
}

// Sent implements store.Messages.
func (s *Store) Sent(ctx context.Context, sender string, after uint64, limit int) ([]store.SentRecord, error) {
	var out []store.SentRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := join(sender, "")
		c := tx.Bucket(bucketSent).Cursor()
		for k, v := c.Seek(seqKey(after+1, sender)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			m, err := getMessage(tx, string(v))
			if err != nil {
				return err
			}
			out = append(out, store.SentRecord{Cursor: m.Seq, MessageID: m.ID, Recipients: m.Recipients, Kind: m.Kind, Received: m.Received})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sent of %s: %w", sender, err)
	}
	return out, nil
}

// Deliveries implements store.Messages.
func (s *Store) Deliveries(ctx context.Context, id string) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.view(ctx, func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		for _, r := range m.Recipients {
			var d deliveryRecord
			if err := decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(r, id)), &d); err != nil {
				return fmt.Errorf("decode delivery %s to %s: %w", id, r, err)
			}
			out = append(out, d.delivery())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// visible reports whether a pending delivery may be listed or leased.
func (d *deliveryRecord) visible(now time.Time) bool {
	return d.State == store.Pending && (d.LeaseToken == "" || !now.Before(d.LeaseExpiry))
}

// scanQueue calls fn for each queued delivery of recipient after cursor,
// in order, until fn returns false.
func scanQueue(tx *bolt.Tx, recipient string, after uint64, fn func(key []byte, d *deliveryRecord) (bool, error)) error {
	prefix := join(recipient, "")
	dels := tx.Bucket(bucketDeliveries)
	c := tx.Bucket(bucketQueue).Cursor()
	for k, v := c.Seek(seqKey(after+1, recipient)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		key := deliveryKey(recipient, string(v))
		var d deliveryRecord
		if err := decode(dels.Get(key), &d); err != nil {
			return fmt.Errorf("decode delivery %s to %s: %w", v, recipient, err)
		}
		more, err := fn(key, &d)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Inbox implements store.Queues.
func (s *Store) Inbox(ctx context.Context, recipient string, after uint64, limit int, now time.Time) ([]store.Delivery, error) {
	var out []store.Delivery
	if limit <= 0 {
		return nil, nil
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return scanQueue(tx, recipient, after, func(_ []byte, d *deliveryRecord) (bool, error) {
			if d.visible(now) {
				dv := d.delivery()
				dv.LeaseToken = "" // an expired lease's token is no one's business
				out = append(out, dv)
			}
			return len(out) < limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", recipient, err)
	}
	return out, nil
}

// Lease implements store.Queues.
func (s *Store) Lease(ctx context.Context, recipient string, max int, now time.Time, ttl time.Duration) ([]store.Delivery, error) {
	if max <= 0 || ttl <= 0 {
		return nil, fmt.Errorf("lease for %s: %w: max %d, ttl %s", recipient, store.ErrInvalid, max, ttl)
	}
	var out []store.Delivery
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		dels := tx.Bucket(bucketDeliveries)
		return scanQueue(tx, recipient, 0, func(key []byte, d *deliveryRecord) (bool, error) {
			if !d.visible(now) {
				return true, nil
			}
			d.LeaseToken, d.LeaseExpiry = newToken(), now.Add(ttl)
			d.Leases++
			if err := dels.Put(key, encode(d)); err != nil {
				return false, err
			}
			out = append(out, d.delivery())
			return len(out) < max, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("lease for %s: %w", recipient, err)
	}
	return out, nil
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ack implements store.Queues.
func (s *Store) Ack(ctx context.Context, recipient, messageID, leaseToken string, now time.Time, seal store.Seal) (store.Delivery, bool, error) {
	var (
		out     store.Delivery
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.Delivery{}, false, nil
		dels := tx.Bucket(bucketDeliveries)
		key := deliveryKey(recipient, messageID)
		raw := dels.Get(key)
		if raw == nil {
			refusal = store.ErrNotFound
			return nil
		}
		var d deliveryRecord
		if err := decode(raw, &d); err != nil {
			return fmt.Errorf("decode delivery: %w", err)
		}
		switch d.State {
		case store.Acked:
			out, existed = d.delivery(), true
			return nil
		case store.Withdrawn:
			refusal = fmt.Errorf("%w by %s", store.ErrWithdrawn, d.WithdrawnBy)
			return nil
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			refusal = store.ErrLeaseLost
			return nil
		}
		d.State, d.AckedAt, d.LeaseToken, d.LeaseExpiry = store.Acked, now, "", time.Time{}
		idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindDelivered, At: now, MessageID: messageID, EnvelopeSHA256: d.EnvSHA256, Agency: recipient})
		if err != nil {
			return err
		}
		d.LogIndex = idx
		if err := dels.Put(key, encode(&d)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketQueue).Delete(seqKey(d.Cursor, recipient)); err != nil {
			return err
		}
		if err := bumpStats(tx, recipient, func(st *statsRecord) { st.Acked++ }); err != nil {
			return err
		}
		if err := sealTx(tx, seal, messageID, idx); err != nil {
			return err
		}
		out = d.delivery()
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.Delivery{}, false, fmt.Errorf("ack %s for %s: %w", messageID, recipient, err)
	}
	return out, existed, nil
}

// Release implements store.Queues.
func (s *Store) Release(ctx context.Context, recipient, messageID, leaseToken string) error {
	var refusal error
	err := s.update(ctx, func(tx *bolt.Tx) error {
		refusal = nil
		dels := tx.Bucket(bucketDeliveries)
		key := deliveryKey(recipient, messageID)
		raw := dels.Get(key)
		if raw == nil {
			refusal = store.ErrNotFound
			return nil
		}
		var d deliveryRecord
		if err := decode(raw, &d); err != nil {
			return fmt.Errorf("decode delivery: %w", err)
		}
		if d.State != store.Pending || d.LeaseToken == "" {
			return nil
		}
		if leaseToken != "" && leaseToken != d.LeaseToken {
			refusal = store.ErrLeaseLost
			return nil
		}
		d.LeaseToken, d.LeaseExpiry = "", time.Time{}
		return dels.Put(key, encode(&d))
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return fmt.Errorf("release %s for %s: %w", messageID, recipient, err)
	}
	return nil
}

// AppendStatus implements store.Statuses.
func (s *Store) AppendStatus(ctx context.Context, st *store.StatusUpdate) (store.StatusUpdate, bool, error) {
	if err := st.Validate(); err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status: %w", err)
	}
	sum := sha256.Sum256(st.Signed)
	var (
		out     store.StatusUpdate
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.StatusUpdate{}, false, nil
		m, err := getMessage(tx, st.MessageID)
		if errors.Is(err, store.ErrNotFound) {
			refusal = err
			return nil
		}
		if err != nil {
			return err
		}
		if tx.Bucket(bucketDeliveries).Get(deliveryKey(st.From, st.MessageID)) == nil {
			refusal = fmt.Errorf("%s is not a recipient of %s: %w", st.From, st.MessageID, store.ErrForbidden)
			return nil
		}
		statuses := tx.Bucket(bucketStatuses)
		dedupKey := join(st.MessageID, st.From, string(sum[:]))
		if seq := tx.Bucket(bucketStatusDedup).Get(dedupKey); seq != nil {
			var r statusRecord
			if err := decode(statuses.Get(seqKey(u64(seq), st.MessageID, st.From)), &r); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			out, existed = r.status(), true
			return nil
		}
		seq, err := next(tx, "status", st.MessageID, st.From)
		if err != nil {
			return err
		}
		cur, err := next(tx, "status-queue", m.Sender)
		if err != nil {
			return err
		}
		idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindStatus, At: st.At, MessageID: st.MessageID,
			EnvelopeSHA256: m.EnvSHA256, Agency: st.From, Status: st.Code, PacketSHA256: hex.EncodeToString(sum[:])})
		if err != nil {
			return err
		}
		r := statusRecord{MessageID: st.MessageID, From: st.From, Code: st.Code, Reason: st.Reason, Staff: st.Staff,
			At: st.At, Signed: st.Signed, Sender: m.Sender, Seq: seq, Cursor: cur, LogIndex: idx}
		key := seqKey(seq, st.MessageID, st.From)
		if err := statuses.Put(key, encode(&r)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketStatusDedup).Put(dedupKey, binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketStatusQueue).Put(seqKey(cur, m.Sender), key); err != nil {
			return err
		}
		if err := bumpStats(tx, st.From, func(s *statsRecord) {
			if s.Statuses == nil {
				s.Statuses = map[string]uint64{}
			}
			s.Statuses[st.Code]++
		}); err != nil {
			return err
		}
		out = r.status()
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status %s on %s: %w", st.Code, st.MessageID, err)
	}
	return out, existed, nil
}

// StatusHistory implements store.Statuses.
func (s *Store) StatusHistory(ctx context.Context, messageID string) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getMessage(tx, messageID); err != nil {
			return err
		}
		return forPrefix(tx, bucketStatuses, join(messageID, ""), "status", func(r *statusRecord) { out = append(out, r.status()) })
	})
	if err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	return out, nil
}

// StatusInbox implements store.Statuses.
func (s *Store) StatusInbox(ctx context.Context, sender string, after uint64, limit int) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := join(sender, "")
		statuses := tx.Bucket(bucketStatuses)
		c := tx.Bucket(bucketStatusQueue).Cursor()
		for k, v := c.Seek(seqKey(after+1, sender)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			var r statusRecord
			if err := decode(statuses.Get(v), &r); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			out = append(out, r.status())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("status inbox of %s: %w", sender, err)
	}
	return out, nil
}

// AckStatus implements store.Statuses.
func (s *Store) AckStatus(ctx context.Context, sender string, cursor uint64) error {
	var refusal error
	err := s.update(ctx, func(tx *bolt.Tx) error {
		refusal = nil
		if cursor == 0 || cursor > counter(tx, "status-queue", sender) {
			refusal = store.ErrNotFound
			return nil
		}
		return tx.Bucket(bucketStatusQueue).Delete(seqKey(cursor, sender))
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return fmt.Errorf("ack status %d for %s: %w", cursor, sender, err)
	}
	return nil
}

// PutReceipt implements store.Receipts.
func (s *Store) PutReceipt(ctx context.Context, r *store.Receipt) (store.Receipt, bool, error) {
	if err := r.Validate(); err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt: %w", err)
	}
	var (
		out     store.Receipt
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.Receipt{}, false, nil
		if _, err := getMessage(tx, r.MessageID); err != nil {
			refusal = err
			return nil
		}
		var err error
		out, existed, err = putReceiptTx(tx, r)
		return err
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.Receipt{}, false, fmt.Errorf("put receipt %s for %s: %w", r.Event, r.MessageID, err)
	}
	return out, existed, nil
}

// putReceiptTx stores r unless a receipt for its (message, event, party)
// is stored, which it returns instead with existed=true.
func putReceiptTx(tx *bolt.Tx, r *store.Receipt) (out store.Receipt, existed bool, err error) {
	b := tx.Bucket(bucketReceipts)
	key := join(r.MessageID, r.Event, r.Party)
	if raw := b.Get(key); raw != nil {
		var rec receiptRecord
		if err := decode(raw, &rec); err != nil {
			return out, false, fmt.Errorf("decode receipt: %w", err)
		}
		return rec.receipt(), true, nil
	}
	rec := receiptRecord{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
	if err := b.Put(key, encode(&rec)); err != nil {
		return out, false, err
	}
	return rec.receipt(), false, nil
}

// sealTx stores the receipt that seal makes for the event at logIndex of
// message id, inside the event's transaction; a nil seal stores nothing.
// Any failure aborts the transaction.
func sealTx(tx *bolt.Tx, seal store.Seal, id string, logIndex int64) error {
	if seal == nil {
		return nil
	}
	r, err := seal(logIndex)
	if err != nil {
		return fmt.Errorf("seal the receipt: %w", err)
	}
	if r == nil || r.MessageID != id {
		return fmt.Errorf("seal the receipt: %w: a receipt of another message", store.ErrInvalid)
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("seal the receipt: %w", err)
	}
	_, _, err = putReceiptTx(tx, r)
	return err
}

// Receipts implements store.Receipts.
func (s *Store) Receipts(ctx context.Context, messageID string) ([]store.Receipt, error) {
	var out []store.Receipt
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getMessage(tx, messageID); err != nil {
			return err
		}
		return forPrefix(tx, bucketReceipts, join(messageID, ""), "receipt", func(r *receiptRecord) { out = append(out, r.receipt()) })
	})
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	return out, nil
}

// UpsertAgency implements store.Directory.
func (s *Store) UpsertAgency(ctx context.Context, a *store.Agency, at time.Time) (bool, error) {
	if err := a.Validate(); err != nil {
		return false, fmt.Errorf("upsert agency: %w", err)
	}
	if at.IsZero() {
		return false, fmt.Errorf("upsert agency %s: %w: no time", a.Code, store.ErrInvalid)
	}
	rec := agencyRec(a)
	enc := encode(&rec)
	var changed bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		changed = false
		b := tx.Bucket(bucketAgencies)
		if bytes.Equal(b.Get([]byte(a.Code)), enc) {
			return nil
		}
		seq, err := next(tx, "agency", a.Code)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(a.Code), enc); err != nil {
			return err
		}
		idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindDirectory, At: at, Agency: a.Code, PacketSHA256: hexSHA256(enc)})
		if err != nil {
			return err
		}
		ch := agencyChangeRecord{Agency: rec, Seq: seq, At: at, LogIndex: idx}
		if err := tx.Bucket(bucketAgencyHist).Put(seqKey(seq, a.Code), encode(&ch)); err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("upsert agency %s: %w", a.Code, err)
	}
	return changed, nil
}

// Agency implements store.Directory.
func (s *Store) Agency(ctx context.Context, code string) (store.Agency, error) {
	var out store.Agency
	err := s.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAgencies).Get([]byte(code))
		if raw == nil {
			return store.ErrNotFound
		}
		var rec agencyRecord
		if err := decode(raw, &rec); err != nil {
			return fmt.Errorf("decode agency: %w", err)
		}
		out = rec.agency()
		return nil
	})
	if err != nil {
		return store.Agency{}, fmt.Errorf("get agency %s: %w", code, err)
	}
	return out, nil
}

// Agencies implements store.Directory.
func (s *Store) Agencies(ctx context.Context) ([]store.Agency, error) {
	var out []store.Agency
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAgencies).ForEach(func(_, v []byte) error {
			var rec agencyRecord
			if err := decode(v, &rec); err != nil {
				return fmt.Errorf("decode agency: %w", err)
			}
			out = append(out, rec.agency())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", err)
	}
	return out, nil
}

// AgencyHistory implements store.Directory.
func (s *Store) AgencyHistory(ctx context.Context, code string) ([]store.AgencyChange, error) {
	var out []store.AgencyChange
	err := s.view(ctx, func(tx *bolt.Tx) error {
		err := forPrefix(tx, bucketAgencyHist, join(code, ""), "agency change", func(ch *agencyChangeRecord) {
			out = append(out, store.AgencyChange{Agency: ch.Agency.agency(), Seq: ch.Seq, At: ch.At, LogIndex: ch.LogIndex})
		})
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agency history of %s: %w", code, err)
	}
	return out, nil
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context, agency string) (store.AgencyStats, error) {
	out := store.AgencyStats{Agency: agency, Statuses: map[string]uint64{}}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketStats).Get([]byte(agency))
		if raw == nil {
			return nil
		}
		var st statsRecord
		if err := decode(raw, &st); err != nil {
			return fmt.Errorf("decode stats: %w", err)
		}
		out.Sent, out.Received, out.Acked, out.Withdrawn = st.Sent, st.Received, st.Acked, st.Withdrawn
		for k, v := range st.Statuses {
			out.Statuses[k] = v
		}
		return nil
	})
	if err != nil {
		return store.AgencyStats{}, fmt.Errorf("stats of %s: %w", agency, err)
	}
	return out, nil
}

// BeginUpload implements store.Blobs.
func (s *Store) BeginUpload(ctx context.Context, owner, digest string, size int64) (store.Upload, error) {
	if err := s.check(ctx); err != nil {
		return store.Upload{}, err
	}
	return s.blobs.Begin(owner, digest, size)
}

// AppendUpload implements store.Blobs.
func (s *Store) AppendUpload(ctx context.Context, up store.Upload, offset int64, r io.Reader) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	return s.blobs.Append(up, offset, r)
}

// CommitUpload implements store.Blobs.
func (s *Store) CommitUpload(ctx context.Context, up store.Upload) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	return s.blobs.Commit(up)
}

// PutBlob implements store.Blobs.
func (s *Store) PutBlob(ctx context.Context, digest string, r io.Reader) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	return s.blobs.Put(ctx, digest, r)
}

// OpenBlob implements store.Blobs.
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	f, err := s.blobs.Open(digest)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// StatBlob implements store.Blobs.
func (s *Store) StatBlob(ctx context.Context, digest string) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	return s.blobs.Stat(digest)
}

// GCUploads implements store.Blobs.
func (s *Store) GCUploads(ctx context.Context, now time.Time, ttl time.Duration) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	n, err := s.blobs.GC(now, ttl)
	if n > 0 {
		s.log.Info("removed idle uploads", "count", n)
	}
	return n, err
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
