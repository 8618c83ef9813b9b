// Package storecopy copies a hub store from one backend to another (bbolt
// to PostgreSQL and back) and proves the copy.
//
// A backend exports its whole state as a stream of typed items (items.go)
// read from one consistent snapshot, and imports such a stream into an
// empty store. The copy is at the level of the stored records, not a
// replay through the hub: the transparency log's entries and tree hashes,
// its signed checkpoints, the receipts and statuses with their signatures,
// the idempotency keys (message ids, signed status bytes), the directory
// with its history, the grants, the quota entries and the counters come
// across byte for byte, so that a checkpoint an auditor saved before the
// migration still verifies against the copy. Partial uploads are not
// copied (an agency whose upload was cut by the migration starts it
// again), nor is what a backend derives from the items (its indexes, the
// queue entries of pending deliveries, bbolt's body keys).
//
// # The proof
//
// Copy summarises the source's stream as it copies it (a count and a
// SHA-256 per kind of item, the blob bytes), then exports the target
// again, hashing every blob's bytes and checking them against their
// digest, and requires the two summaries to be equal, and the tree hash
// of the log, computed from each store's stored hashes, to be the same at
// the log's size and at the size of its last signed checkpoint.
//
// # Incomplete copies
//
// BeginImport refuses a target that holds anything (ErrNotEmpty) and
// marks it as being imported; the importer's End removes the mark after
// the proof passed. A copy that was interrupted (cancelled, killed, or
// failing its proof) leaves the mark, which the next copy refuses
// (ErrIncomplete) and the hub refuses to start on: drop the target (a new
// bbolt folder, a new PostgreSQL database) and copy again.
//
// # Online or stopped
//
// A copy is a snapshot: whatever the hub commits after it is not in the
// target, so the hub must be stopped for a migration. A bbolt source
// cannot be opened while a hub holds it anyway (bbolt's file lock; even a
// read-only open takes a shared lock, which the hub's exclusive one
// refuses), and lienthong-hub migrate refuses a PostgreSQL source that
// other sessions (hub nodes) use.
package storecopy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Errors a copy is refused with.
var (
	// ErrNotEmpty: the target already holds a store's state.
	ErrNotEmpty = errors.New("the target store is not empty")
	// ErrIncomplete: the store holds an interrupted copy.
	ErrIncomplete = errors.New("the store holds an incomplete copy (an interrupted migration): drop it and copy again")
	// ErrMismatch: the target does not prove to be the source's copy.
	ErrMismatch = errors.New("the copy differs from its source")
)

// Source is a store that can export its state.
type Source interface {
	// Export calls emit with every item of the store's state, read from
	// one consistent snapshot, kind by kind in Kind order and within a
	// kind in key order (so that two backends holding the same state emit
	// the same stream). A Blob's Body may be called only during the emit
	// call that hands it over. An error from emit stops the export and is
	// returned.
	Export(ctx context.Context, emit func(Item) error) error
	// ReadHashes reads stored log hashes (tlog.HashReader).
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
}

// Sink is an empty store that can take a copy.
type Sink interface {
	Source
	// BeginImport refuses a store that holds anything (ErrNotEmpty) or an
	// interrupted copy (ErrIncomplete), marks the store as being imported,
	// durably, before anything is written, and returns the importer.
	BeginImport(ctx context.Context) (Importer, error)
}

// Importer writes a copy into the Sink that made it, in export order.
type Importer interface {
	// Blob stores the bytes of a blob that is not Gone, streamed from its
	// Body and checked against its digest and size. It is called during
	// the emit that hands the blob over; its record comes with a later
	// Import.
	Blob(ctx context.Context, b Blob) error
	// Import writes a batch of items durably (one transaction), with the
	// bytes Blob stored since the last Import.
	Import(ctx context.Context, batch []Item) error
	// End removes the mark of BeginImport, once the copy is proven.
	End(ctx context.Context) error
	// Close releases what the importer holds, committing nothing more;
	// the store stays marked unless End succeeded.
	Close()
}

// Summary is what the proof compares: per kind of item, how many there
// are and a SHA-256 of their canonical encoding in stream order.
type Summary struct {
	Counts    [numKinds]int64
	Digests   [numKinds][sha256.Size]byte
	BlobBytes int64 // bytes of the blobs present
	// LogSize is the number of log entries, TreeHash the log's tree hash
	// at that size, CheckpointSize the size of the latest signed
	// checkpoint and CheckpointHash the tree hash at that size.
	LogSize        int64
	TreeHash       tlog.Hash
	CheckpointSize int64
	CheckpointHash tlog.Hash
}

// Report is what Copy did.
type Report struct {
	Source, Target Summary
	Elapsed        time.Duration
}

// Options tune Copy; the zero value is sensible.
type Options struct {
	// BatchItems and BatchBytes (records and blob bytes) bound one
	// Import, one transaction; 0 means 1000 items and 8 MiB.
	BatchItems int
	BatchBytes int
	// Logger receives progress (every 10 s); nil discards it.
	Logger *slog.Logger
}

// Copy copies src into the empty dst and proves the copy (see the package
// comment). On any error dst keeps its mark of an incomplete copy.
func Copy(ctx context.Context, src Source, dst Sink, opts Options) (*Report, error) {
	start := time.Now()
	if opts.BatchItems <= 0 {
		opts.BatchItems = 1000
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 8 << 20
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	imp, err := dst.BeginImport(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer imp.Close()
	var (
		sum   = newSummer(false)
		batch []Item
		size  int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := imp.Import(ctx, batch); err != nil {
			return err
		}
		batch, size = batch[:0], 0
		return nil
	}
	lastLog := time.Now()
	err = src.Export(ctx, func(it Item) error {
		if err := sum.add(it); err != nil {
			return err
		}
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			log.Info("copying", "kind", it.Kind().String(), "done", sum.s.Counts[it.Kind()], "blob_bytes", sum.s.BlobBytes)
		}
		if b, ok := it.(Blob); ok && !b.Rec.Gone {
			// The bytes now, while the source allows reading them.
			if err := imp.Blob(ctx, b); err != nil {
				return err
			}
			size += int(min(b.Rec.Size, 1<<30))
		}
		batch = append(batch, it)
		size += itemSize(it)
		if len(batch) >= opts.BatchItems || size >= opts.BatchBytes {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	rep := &Report{}
	if rep.Source, err = sum.finish(src); err != nil {
		return nil, fmt.Errorf("copy: the source: %w", err)
	}
	log.Info("copied, checking the target", "entries", rep.Source.LogSize, "messages", rep.Source.Counts[KindMessage], "blob_bytes", rep.Source.BlobBytes)
	if rep.Target, err = Summarize(ctx, dst); err != nil {
		return nil, fmt.Errorf("copy: the target: %w", err)
	}
	if err := Compare(rep.Source, rep.Target); err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	if err := imp.End(ctx); err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// Summarize exports s and summarises it, reading every blob's bytes and
// checking them against their digest and size.
func Summarize(ctx context.Context, s Source) (Summary, error) {
	sum := newSummer(true)
	if err := s.Export(ctx, sum.add); err != nil {
		return Summary{}, err
	}
	return sum.finish(s)
}

// Compare returns nil if a and b summarise the same state, else an error
// matching ErrMismatch that names what differs.
func Compare(a, b Summary) error {
	var diffs []error
	for k := range numKinds {
		switch {
		case a.Counts[k] != b.Counts[k]:
			diffs = append(diffs, fmt.Errorf("%d %s against %d", a.Counts[k], k, b.Counts[k]))
		case a.Digests[k] != b.Digests[k]:
			diffs = append(diffs, fmt.Errorf("%s differ", k))
		}
	}
	if a.BlobBytes != b.BlobBytes {
		diffs = append(diffs, fmt.Errorf("%d blob bytes against %d", a.BlobBytes, b.BlobBytes))
	}
	if a.LogSize != b.LogSize || a.TreeHash != b.TreeHash {
		diffs = append(diffs, fmt.Errorf("log tree %d %s against %d %s", a.LogSize, a.TreeHash, b.LogSize, b.TreeHash))
	}
	if a.CheckpointSize != b.CheckpointSize || a.CheckpointHash != b.CheckpointHash {
		diffs = append(diffs, fmt.Errorf("signed tree head %d %s against %d %s", a.CheckpointSize, a.CheckpointHash, b.CheckpointSize, b.CheckpointHash))
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrMismatch, errors.Join(diffs...))
}

// summer builds a Summary from a stream of items.
type summer struct {
	readBlobs bool
	s         Summary
	h         [numKinds]hash.Hash
	last      Kind
	buf       []byte
}

func newSummer(readBlobs bool) *summer {
	m := &summer{readBlobs: readBlobs}
	for k := range m.h {
		m.h[k] = sha256.New()
	}
	return m
}

func (m *summer) add(it Item) error {
	k := it.Kind()
	if k >= numKinds {
		return fmt.Errorf("unknown item kind %d", k)
	}
	if k < m.last {
		return fmt.Errorf("%s after %s: out of order", k, m.last)
	}
	m.last = k
	switch it := it.(type) {
	case LogEntry:
		if it.Index != m.s.Counts[KindLogEntry] {
			return fmt.Errorf("log entry %d where %d was due", it.Index, m.s.Counts[KindLogEntry])
		}
		m.s.LogSize = it.Index + 1
	case Checkpoint:
		m.s.CheckpointSize = max(m.s.CheckpointSize, it.Size)
	case Blob:
		if !it.Rec.Gone {
			m.s.BlobBytes += it.Rec.Size
			if m.readBlobs {
				if err := checkBody(it); err != nil {
					return err
				}
			}
		}
	}
	enc, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode %s: %w", k, err)
	}
	m.buf = binary.BigEndian.AppendUint64(m.buf[:0], uint64(len(enc)))
	m.h[k].Write(m.buf)
	m.h[k].Write(enc)
	m.s.Counts[k]++
	return nil
}

func (m *summer) finish(hashes tlog.HashReader) (Summary, error) {
	for k := range m.h {
		copy(m.s.Digests[k][:], m.h[k].Sum(nil))
	}
	var err error
	if m.s.LogSize > 0 {
		if m.s.TreeHash, err = tlog.TreeHash(m.s.LogSize, hashes); err != nil {
			return m.s, fmt.Errorf("log tree hash: %w", err)
		}
	}
	if m.s.CheckpointSize > 0 {
		if m.s.CheckpointHash, err = tlog.TreeHash(m.s.CheckpointSize, hashes); err != nil {
			return m.s, fmt.Errorf("checkpoint tree hash: %w", err)
		}
	}
	return m.s, nil
}

// checkBody reads a blob's bytes and checks their digest and size.
func checkBody(b Blob) error {
	r, err := b.Body()
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != b.Digest || n != b.Rec.Size {
		return fmt.Errorf("%w: blob %s holds %d bytes hashing to %s", ErrMismatch, b.Digest, n, got)
	}
	return nil
}

// itemSize estimates the bytes an item holds in memory.
func itemSize(it Item) int {
	switch it := it.(type) {
	case Message:
		return 512 + len(it.Envelope) + len(it.Report)
	case Status:
		return 256 + len(it.Rec.Signed)
	case Receipt:
		return 256 + len(it.Rec.Signed)
	case AgencyChange:
		return 256 + len(it.Rec.Agency.CertPEM)
	case Agency:
		return 256 + len(it.Rec.CertPEM)
	case Checkpoint:
		return 64 + len(it.Signed)
	case LogEntry:
		return 64 + len(it.Entry)
	}
	return 128
}
