package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/storecopy"
)

// Export and import for package storecopy: the store as a stream of typed
// items, and an empty store filled from one. The items carry the records;
// the indexes bbolt keeps beside them (queue entries, the sent and
// document-id indexes, status dedup keys, body keys) are rebuilt on import.

var _ storecopy.Sink = (*Store)(nil)

// keyImporting, in the meta bucket, marks a store an import is filling.
var keyImporting = []byte("import-incomplete")

// checkImport refuses a store marked by an import that did not finish.
func checkImport(tx *bolt.Tx) error {
	if tx.Bucket(bucketMeta).Get(keyImporting) != nil {
		return storecopy.ErrIncomplete
	}
	return nil
}

// Export implements storecopy.Source, from one read transaction. A blob's
// Body opens its file.
func (s *Store) Export(ctx context.Context, emit func(storecopy.Item) error) error {
	return s.view(ctx, func(tx *bolt.Tx) error {
		for _, step := range []func(context.Context, *bolt.Tx, func(storecopy.Item) error) error{
			exportCounters, exportDirectory, s.exportLog, s.exportBlobs, exportMessages, exportStatuses,
		} {
			if err := step(ctx, tx, emit); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
		return nil
	})
}

// each calls fn with every key and value of bucket, in key order,
// checking ctx now and then.
func each(ctx context.Context, tx *bolt.Tx, bucket []byte, fn func(k, v []byte) error) error {
	c := tx.Bucket(bucket).Cursor()
	n := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func exportCounters(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	var out []storecopy.Counter
	err := each(ctx, tx, bucketCounters, func(k, v []byte) error {
		name, rest, _ := bytes.Cut(k, []byte{0})
		switch string(name) {
		case storecopy.CounterSent, storecopy.CounterQueue, storecopy.CounterStatusQueue, storecopy.CounterAgency:
			out = append(out, storecopy.Counter{Name: string(name), Agency: certs.AgencyCode(rest), N: u64(v)})
		case logCounter, "body", "status", "pending":
			// Derived from the items on import.
		default:
			return fmt.Errorf("unknown counter %q", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(out, func(a, b storecopy.Counter) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Agency, b.Agency))
	})
	for _, c := range out {
		if err := emit(c); err != nil {
			return err
		}
	}
	return nil
}

func exportDirectory(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	if err := each(ctx, tx, bucketAgencies, func(k, v []byte) error {
		var it storecopy.Agency
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode agency %s: %w", k, err)
		}
		return emit(it)
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, bucketAgencyHist, func(k, v []byte) error {
		var it storecopy.AgencyChange
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode agency history %q: %w", k, err)
		}
		return emit(it)
	}); err != nil {
		return err
	}
	return each(ctx, tx, bucketStats, func(k, v []byte) error {
		it := storecopy.Stats{Agency: certs.AgencyCode(k)}
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode stats %s: %w", k, err)
		}
		return emit(it)
	})
}

func (s *Store) exportLog(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	if err := each(ctx, tx, bucketLogEntries, func(k, v []byte) error {
		return emit(storecopy.LogEntry{Index: int64(u64(k)), Entry: bytes.Clone(v)})
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, bucketLogHashes, func(k, v []byte) error {
		return emit(storecopy.LogHash{Index: int64(u64(k)), Hash: bytes.Clone(v)})
	}); err != nil {
		return err
	}
	return each(ctx, tx, bucketLogCheckpoints, func(k, v []byte) error {
		return emit(storecopy.Checkpoint{Size: int64(u64(k)), Signed: bytes.Clone(v)})
	})
}

func (s *Store) exportBlobs(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	if err := each(ctx, tx, bucketBlobs, func(k, v []byte) error {
		it := storecopy.Blob{Digest: string(k)}
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode blob %s: %w", k, err)
		}
		if !it.Rec.Gone {
			it.Body = func() (io.ReadCloser, error) { return s.blobs.Open(it.Digest) }
		}
		return emit(it)
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, bucketGrants, func(k, _ []byte) error {
		parts := bytes.SplitN(k, []byte{0}, 3)
		if len(parts) != 3 {
			return fmt.Errorf("malformed grant key %q", k)
		}
		return emit(storecopy.Grant{Digest: string(parts[0]), Agency: certs.AgencyCode(parts[1]), Via: string(parts[2])})
	}); err != nil {
		return err
	}
	return each(ctx, tx, bucketPending, func(k, v []byte) error {
		agency, digest, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("malformed quota key %q", k)
		}
		return emit(storecopy.Quota{Agency: certs.AgencyCode(agency), Digest: string(digest), Size: int64(u64(v))})
	})
}

func exportMessages(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	envs, reps := tx.Bucket(bucketEnvelopes), tx.Bucket(bucketReports)
	if err := each(ctx, tx, bucketMessages, func(k, v []byte) error {
		var it storecopy.Message
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode message %s: %w", k, err)
		}
		body := seqKey(it.Rec.BodyKey)
		it.Rec.BodyKey = 0
		it.Envelope = bytes.Clone(envs.Get(body))
		if it.Envelope == nil {
			return fmt.Errorf("message %s has no envelope", k)
		}
		if r := reps.Get(body); len(r) > 0 {
			it.Report = bytes.Clone(r)
		}
		if len(it.Rec.Blobs) > 0 {
			it.Pending = counter(tx, "pending", it.Rec.ID)
		}
		return emit(it)
	}); err != nil {
		return err
	}
	return each(ctx, tx, bucketDeliveries, func(k, v []byte) error {
		var it storecopy.Delivery
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode delivery %q: %w", k, err)
		}
		return emit(it)
	})
}

func exportStatuses(ctx context.Context, tx *bolt.Tx, emit func(storecopy.Item) error) error {
	queue := tx.Bucket(bucketStatusQueue)
	if err := each(ctx, tx, bucketStatuses, func(k, v []byte) error {
		var it storecopy.Status
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode status %q: %w", k, err)
		}
		it.Queued = queue.Get(seqKey(it.Rec.Cursor, string(it.Rec.Sender))) != nil
		return emit(it)
	}); err != nil {
		return err
	}
	return each(ctx, tx, bucketReceipts, func(k, v []byte) error {
		var it storecopy.Receipt
		if err := decode(v, &it.Rec); err != nil {
			return fmt.Errorf("decode receipt %q: %w", k, err)
		}
		return emit(it)
	})
}

// BeginImport implements storecopy.Sink: the store must hold nothing but
// its schema, and no blob file.
func (s *Store) BeginImport(ctx context.Context) (storecopy.Importer, error) {
	objects, err := s.blobs.Objects()
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	if len(objects) > 0 {
		return nil, fmt.Errorf("begin import: %w: %d blob files", storecopy.ErrNotEmpty, len(objects))
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if err := checkImport(tx); err != nil {
			return err
		}
		for _, name := range allBuckets {
			if bytes.Equal(name, bucketMeta) {
				continue
			}
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				return fmt.Errorf("%w: bucket %s", storecopy.ErrNotEmpty, name)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyImporting, []byte{1})
	})
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	return importer{s}, nil
}

// importer is the store's storecopy.Importer.
type importer struct{ s *Store }

// End implements storecopy.Importer.
func (im importer) End(ctx context.Context) error {
	return im.s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyImporting) })
}

// Close implements storecopy.Importer; nothing is held.
func (importer) Close() {}

// Blob implements storecopy.Importer: a durable file, checked against its
// digest.
func (im importer) Blob(ctx context.Context, b storecopy.Blob) error {
	r, err := b.Body()
	if err != nil {
		return fmt.Errorf("import blob %s: %w", b.Digest, err)
	}
	info, err := im.s.blobs.Put(ctx, b.Digest, r)
	r.Close()
	if err != nil {
		return fmt.Errorf("import blob %s: %w", b.Digest, err)
	}
	if info.Size != b.Rec.Size {
		return fmt.Errorf("import blob %s: %d bytes, its record says %d: %w", b.Digest, info.Size, b.Rec.Size, store.ErrDigestMismatch)
	}
	return nil
}

// Import implements storecopy.Importer: every record of the batch in one
// transaction.
func (im importer) Import(ctx context.Context, batch []storecopy.Item) error {
	// One plain transaction: the group commit would run the function again
	// after a failure, and the batch is large.
	err := im.s.db.Update(func(tx *bolt.Tx) error {
		for _, it := range batch {
			if err := importItem(tx, it); err != nil {
				return fmt.Errorf("%s: %w", it.Kind(), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

func importItem(tx *bolt.Tx, it storecopy.Item) error {
	put := func(bucket, k, v []byte) error { return tx.Bucket(bucket).Put(k, v) }
	switch it := it.(type) {
	case storecopy.Counter:
		return put(bucketCounters, join(it.Name, string(it.Agency)), binary.BigEndian.AppendUint64(nil, it.N))
	case storecopy.Agency:
		return put(bucketAgencies, []byte(it.Rec.Code), encode(&it.Rec))
	case storecopy.AgencyChange:
		return put(bucketAgencyHist, seqKey(it.Rec.Seq, string(it.Rec.Agency.Code)), encode(&it.Rec))
	case storecopy.Stats:
		return put(bucketStats, []byte(it.Agency), encode(&it.Rec))
	case storecopy.LogEntry:
		if err := put(bucketLogEntries, seqKey(uint64(it.Index)), it.Entry); err != nil {
			return err
		}
		return put(bucketCounters, []byte(logCounter), binary.BigEndian.AppendUint64(nil, uint64(it.Index+1)))
	case storecopy.LogHash:
		return put(bucketLogHashes, seqKey(uint64(it.Index)), it.Hash)
	case storecopy.Checkpoint:
		return put(bucketLogCheckpoints, seqKey(uint64(it.Size)), it.Signed)
	case storecopy.Blob:
		rec := blobRecord(it.Rec)
		return put(bucketBlobs, []byte(it.Digest), encode(&rec))
	case storecopy.Grant:
		return put(bucketGrants, grantKey(it.Digest, it.Agency, it.Via), nil)
	case storecopy.Quota:
		return put(bucketPending, join(string(it.Agency), it.Digest), binary.BigEndian.AppendUint64(nil, uint64(it.Size)))
	case storecopy.Message:
		return importMessage(tx, &it)
	case storecopy.Delivery:
		d := &it.Rec
		if err := put(bucketDeliveries, deliveryKey(d.Recipient, d.MessageID), encode(d)); err != nil {
			return err
		}
		if d.State != store.Pending {
			return nil
		}
		return put(bucketQueue, seqKey(d.Cursor, string(d.Recipient)), []byte(d.MessageID))
	case storecopy.Status:
		return importStatus(tx, &it)
	case storecopy.Receipt:
		r := &it.Rec
		return put(bucketReceipts, join(r.MessageID, r.Event, string(r.Party)), encode(r))
	}
	return fmt.Errorf("unknown item %T", it)
}

func importMessage(tx *bolt.Tx, it *storecopy.Message) error {
	rec := it.Rec
	body, err := next(tx, "body")
	if err != nil {
		return err
	}
	rec.BodyKey = body
	if err := tx.Bucket(bucketMessages).Put([]byte(rec.ID), encode(&rec)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketEnvelopes).Put(seqKey(body), it.Envelope); err != nil {
		return err
	}
	if len(it.Report) > 0 {
		if err := tx.Bucket(bucketReports).Put(seqKey(body), it.Report); err != nil {
			return err
		}
	}
	if rec.DocumentID != "" {
		if err := tx.Bucket(bucketDocIDs).Put(join(rec.DocumentID, rec.ID), nil); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketSent).Put(seqKey(rec.Seq, string(rec.Sender)), []byte(rec.ID)); err != nil {
		return err
	}
	if len(rec.Blobs) == 0 {
		return nil
	}
	return setPending(tx, rec.ID, it.Pending)
}

func importStatus(tx *bolt.Tx, it *storecopy.Status) error {
	r := &it.Rec
	from := string(r.From)
	key := seqKey(r.Seq, r.MessageID, from)
	if err := tx.Bucket(bucketStatuses).Put(key, encode(r)); err != nil {
		return err
	}
	sum := sha256.Sum256(r.Signed)
	if err := tx.Bucket(bucketStatusDedup).Put(join(r.MessageID, from, string(sum[:])), binary.BigEndian.AppendUint64(nil, r.Seq)); err != nil {
		return err
	}
	// Statuses come in (message, recipient, seq) order: the last one sets
	// the history's counter.
	if err := tx.Bucket(bucketCounters).Put(join("status", r.MessageID, from), binary.BigEndian.AppendUint64(nil, r.Seq)); err != nil {
		return err
	}
	if !it.Queued {
		return nil
	}
	return tx.Bucket(bucketStatusQueue).Put(seqKey(r.Cursor, string(r.Sender)), key)
}

// AdvanceCursors adds gap to every agency's queue, status-queue and sent
// counter, so that the cursors issued from now on are above any a client
// saw before the store was restored from a backup (see package storecopy).
func (s *Store) AdvanceCursors(ctx context.Context, gap uint64) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounters)
		type kv struct {
			k []byte
			n uint64
		}
		var todo []kv
		err := b.ForEach(func(k, v []byte) error {
			name, _, _ := bytes.Cut(k, []byte{0})
			switch string(name) {
			case storecopy.CounterQueue, storecopy.CounterStatusQueue, storecopy.CounterSent:
				todo = append(todo, kv{bytes.Clone(k), u64(v) + gap})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range todo {
			if err := b.Put(c.k, binary.BigEndian.AppendUint64(nil, c.n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("advance cursors: %w", err)
	}
	return nil
}
