package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
)

func getBlob(ctx context.Context, tx dbtx, digest string) (*blobRecord, error) {
	var r blobRecord
	found, err := getRec(ctx, tx, &r, `SELECT rec FROM blobs WHERE digest = $1`, digest)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

func putBlob(ctx context.Context, tx dbtx, digest string, r *blobRecord) error {
	_, err := tx.Exec(ctx, `INSERT INTO blobs (digest, rec) VALUES ($1, $2)
		ON CONFLICT (digest) DO UPDATE SET rec = EXCLUDED.rec`, digest, encode(r))
	return err
}

// grantedSQL is true in a statement whose $1 is a digest and $2 an agency
// when the agency holds a grant of the digest.
const grantedSQL = `EXISTS (SELECT 1 FROM blob_grants WHERE digest = $1 AND agency = $2)`

func hasGrant(ctx context.Context, tx dbtx, digest string, agency certs.AgencyCode) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT `+grantedSQL, digest, string(agency)).Scan(&ok)
	return ok, err
}

// lockBlobTx returns the record of digest, nil when there is none, with
// its row locked until the transaction ends: a new digest's row is
// inserted with the record fresh, so that two transactions publishing the
// same bytes serialise on it whether or not the blob existed. When there
// was a record, the caller writes the new one (putBlob) before it commits.
func lockBlobTx(ctx context.Context, tx dbtx, digest string, fresh *blobRecord) (*blobRecord, error) {
	for {
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO blobs (digest, rec) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING true`,
			digest, encode(fresh)).Scan(&inserted)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		var r blobRecord
		found, err := getRec(ctx, tx, &r, `SELECT rec FROM blobs WHERE digest = $1 FOR UPDATE`, digest)
		if err != nil {
			return nil, err
		}
		if found {
			return &r, nil
		}
		// Deleted (GCBlobs) since the insert met it: insert again.
	}
}

// uploadedRecord is the record of the blob of info once owner uploaded
// its bytes at at; rec is its record before, nil for a new blob.
func uploadedRecord(info store.BlobInfo, rec *blobRecord, at time.Time) *blobRecord {
	r := blobRecord{}
	if rec != nil {
		r = *rec
	}
	r.Size, r.Gone = info.Size, false
	if at.After(r.Stored) {
		r.Stored = at
	}
	return &r
}

// queueGrantUpload queues the writes that record that owner uploaded the
// bytes of info itself; rec is the blob's locked record (lockBlobTx), nil
// for a new blob, whose row lockBlobTx wrote with uploadedRecord.
func queueGrantUpload(b *pgx.Batch, owner certs.AgencyCode, info store.BlobInfo, rec *blobRecord, at time.Time) {
	if rec != nil {
		b.Queue(`UPDATE blobs SET rec = $2 WHERE digest = $1`, info.Digest, encode(uploadedRecord(info, rec, at)))
	}
	b.Queue(grantUploadSQL, info.Digest, string(owner))
	if rec == nil || rec.Refs == 0 {
		b.Queue(`INSERT INTO blob_pending (agency, digest, size) VALUES ($1, $2, $3)
			ON CONFLICT (agency, digest) DO UPDATE SET size = EXCLUDED.size`, string(owner), info.Digest, info.Size)
	}
}

// queueBlobChecks queues Accept's check of each attachment: its record
// and whether the sender holds a grant of it, in one statement.
func queueBlobChecks(b *pgx.Batch, sub *store.Submission) {
	for _, d := range sub.BlobDigests {
		b.Queue(`SELECT rec, `+grantedSQL+` FROM blobs WHERE digest = $1`, d, string(sub.Sender))
	}
}

// checkBlobs reads the answers of queueBlobChecks: every attachment is
// present and the sender holds a grant of it. It returns the records read,
// and the inline attachments (queueInline) whose bytes the retention
// policy had removed: not missing, since the submission brings them, but
// to be stored again (putPieceTx).
func checkBlobs(br pgx.BatchResults, sub *store.Submission) (recs map[string]*blobRecord, gone []store.InlineBlob, err error) {
	recs = make(map[string]*blobRecord, len(sub.BlobDigests))
	var missing error
	for _, d := range sub.BlobDigests {
		var raw []byte
		var granted bool
		err := br.QueryRow().Scan(&raw, &granted)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, nil, err
		}
		rec := &blobRecord{}
		if err == nil {
			if err := decodeRec(raw, rec); err != nil {
				return nil, nil, fmt.Errorf("blob %s: %w", d, err)
			}
		}
		if ib, ok := sub.Inlined(d); ok && rec.Gone {
			if !slices.ContainsFunc(gone, func(b store.InlineBlob) bool { return b.Digest == d }) {
				gone = append(gone, ib)
			}
		} else if (err != nil || rec.Gone || !granted) && missing == nil {
			missing = fmt.Errorf("attachment %s: %w", d, store.ErrMissingBlob)
		}
		recs[d] = rec
	}
	return recs, gone, missing
}

// grantUploadSQL records that agency $2 holds blob $1 by its own upload.
const grantUploadSQL = `INSERT INTO blob_grants (digest, agency, via) VALUES ($1, $2, '') ON CONFLICT DO NOTHING`

// putInlineSQL stores the bytes of an inline attachment as a new blob of
// one piece, unless its digest has a record: present (the sender's grant,
// queued beside it, is all it needs) or gone (checkBlobs reports it).
const putInlineSQL = `WITH b AS (INSERT INTO blobs (digest, rec) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING digest)
	INSERT INTO blob_chunks (digest, off, data) SELECT digest, 0, $3::bytea FROM b WHERE octet_length($3::bytea) > 0`

// queueInline queues the statements that make a submission's inline
// attachment its sender's upload, sent with Accept's checks: no round
// trip of their own.
func queueInline(b *pgx.Batch, sub *store.Submission, ib store.InlineBlob) {
	info := store.BlobInfo{Digest: ib.Digest, Size: int64(len(ib.Data)), Present: true}
	b.Queue(putInlineSQL, ib.Digest, encode(uploadedRecord(info, nil, sub.Received)), ib.Data)
	b.Queue(grantUploadSQL, ib.Digest, string(sub.Sender))
}

// referenceBlobsTx counts a new message's references to its attachments
// and grants them to its sender and recipients. recs are their records as
// checkBlobs read them in this transaction, nil to read them again.
func referenceBlobsTx(ctx context.Context, tx dbtx, sub *store.Submission, recs map[string]*blobRecord) error {
	parties := append([]string{string(sub.Sender)}, store.CodeStrings(sub.Recipients)...)
	seen := map[string]bool{}
	for _, d := range sub.BlobDigests {
		if seen[d] {
			continue
		}
		seen[d] = true
		rec := recs[d]
		if rec == nil {
			var err error
			if rec, err = getBlob(ctx, tx, d); err != nil {
				return err
			}
		}
		// In one statement: a blob referenced for the first time no longer
		// counts against its uploaders' quota (blob_pending); the record
		// counts the reference; the parties get their grants.
		unpend := rec.Refs == 0
		rec.Refs++
		rec.Open++
		if _, err := tx.Exec(ctx, `WITH unpend AS (DELETE FROM blob_pending WHERE digest = $1 AND $3),
				grants AS (INSERT INTO blob_grants (digest, agency, via) SELECT $1, unnest($4::text[]), $5 ON CONFLICT DO NOTHING)
			UPDATE blobs SET rec = $2 WHERE digest = $1`, d, encode(rec), unpend, parties, sub.MessageID); err != nil {
			return err
		}
	}
	return nil
}

// deliveredTx records that n more deliveries of m are no longer pending
// (acknowledged, refused or withdrawn), and settles m's attachments at at
// when none is left.
func deliveredTx(ctx context.Context, tx dbtx, m *record.Message, n int, at time.Time) error {
	if len(m.Blobs) == 0 {
		return nil
	}
	var left int
	if err := tx.QueryRow(ctx, `UPDATE messages SET pending = greatest(pending - $2, 0) WHERE id = $1 RETURNING pending`,
		m.ID, n).Scan(&left); err != nil {
		return err
	}
	return settleBlobsTx(ctx, tx, m, left, at)
}

// deliveredOneTx is deliveredTx of one delivery of m, whose count of
// pending deliveries, pending, the caller read in its transaction after
// every write to it: the count is written without a round trip of its own.
func deliveredOneTx(ctx context.Context, tx dbtx, m *record.Message, pending int, at time.Time) error {
	if len(m.Blobs) == 0 {
		return nil
	}
	left := max(pending-1, 0)
	if _, err := tx.Exec(ctx, `UPDATE messages SET pending = $2 WHERE id = $1`, m.ID, left); err != nil {
		return err
	}
	return settleBlobsTx(ctx, tx, m, left, at)
}

// settleBlobsTx settles m's attachments at at when none of its deliveries
// is left pending.
func settleBlobsTx(ctx context.Context, tx dbtx, m *record.Message, left int, at time.Time) error {
	if left > 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, d := range m.Blobs {
		if seen[d] {
			continue
		}
		seen[d] = true
		rec, err := getBlob(ctx, tx, d)
		if err != nil || rec == nil {
			return err
		}
		if rec.Open > 0 {
			rec.Open--
		}
		if rec.Open == 0 {
			rec.Settled = at
		}
		if err := putBlob(ctx, tx, d, rec); err != nil {
			return err
		}
	}
	return nil
}

// BlobGranted implements store.Blobs.
func (s *Store) BlobGranted(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error) {
	if err := store.ValidDigest(digest); err != nil {
		return false, err
	}
	var ok bool
	err := s.read(ctx, func(tx dbtx) (err error) {
		ok, err = hasGrant(ctx, tx, digest, agency)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("blob grant: %w", err)
	}
	return ok, nil
}

// UploadUsage implements store.Blobs.
func (s *Store) UploadUsage(ctx context.Context, owner certs.AgencyCode) (store.UploadUsage, error) {
	_, u, err := s.uploadCheck(ctx, owner, "")
	if err != nil {
		return u, fmt.Errorf("upload usage of %s: %w", owner, err)
	}
	return u, nil
}

// UploadCheck implements store.Blobs.
func (s *Store) UploadCheck(ctx context.Context, agency certs.AgencyCode, digest string) (store.BlobInfo, store.UploadUsage, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, store.UploadUsage{}, err
	}
	info, u, err := s.uploadCheck(ctx, agency, digest)
	if err != nil {
		return info, u, fmt.Errorf("upload check of %s by %s: %w", digest, agency, err)
	}
	return info, u, nil
}

// uploadCheck reads, in one statement and one snapshot, the blob digest
// if owner holds a grant of it ("" for none) and owner's usage: the sum of
// its unreferenced blobs and its partial uploads.
func (s *Store) uploadCheck(ctx context.Context, owner certs.AgencyCode, digest string) (store.BlobInfo, store.UploadUsage, error) {
	var (
		info = store.BlobInfo{Digest: digest}
		u    store.UploadUsage
	)
	err := s.read(ctx, func(q dbtx) error {
		info, u = store.BlobInfo{Digest: digest}, store.UploadUsage{}
		var (
			raw           []byte
			ids, digests  []string
			sizes, starts []int64
		)
		err := q.QueryRow(ctx, `SELECT (SELECT rec FROM blobs WHERE digest = $2
				AND EXISTS (SELECT 1 FROM blob_grants WHERE digest = $2 AND agency = $1)),
			(SELECT coalesce(sum(size), 0) FROM blob_pending WHERE agency = $1),
			coalesce(array_agg(id ORDER BY id COLLATE "C"), '{}'), coalesce(array_agg(digest ORDER BY id COLLATE "C"), '{}'),
			coalesce(array_agg(size ORDER BY id COLLATE "C"), '{}'), coalesce(array_agg("offset" ORDER BY id COLLATE "C"), '{}')
			FROM uploads WHERE owner = $1`, string(owner), digest).Scan(&raw, &u.Unreferenced, &ids, &digests, &sizes, &starts)
		if err != nil {
			return err
		}
		for i := range ids {
			u.Partial = append(u.Partial, store.Upload{Owner: owner, ID: ids[i], Digest: digests[i], Size: sizes[i], Offset: starts[i]})
		}
		if raw == nil {
			return nil
		}
		var rec blobRecord
		if err := decodeRec(raw, &rec); err != nil {
			return err
		}
		if !rec.Gone {
			info.Size, info.Present = rec.Size, true
		}
		return nil
	})
	return info, u, err
}

// GCBlobs implements store.Blobs. Records and bytes go in one transaction:
// an Accept serialised before it made the blob referenced (and it is
// kept), one after it finds the blob missing.
func (s *Store) GCBlobs(ctx context.Context, now time.Time, unreferenced, retention time.Duration) (store.BlobGC, error) {
	var res store.BlobGC
	cutoff := now.Add(-unreferenced)
	err := s.update(ctx, func(tx pgx.Tx) error {
		res = store.BlobGC{}
		var dropped, expired []string
		err := forRecsKeyed(ctx, tx, func(digest string, rec *blobRecord) {
			switch {
			case rec.Refs == 0 && rec.Stored.Before(cutoff):
				dropped = append(dropped, digest)
				res.Bytes += rec.Size
			case retention > 0 && rec.Refs > 0 && rec.Open == 0 && !rec.Gone && !rec.Settled.IsZero() && rec.Settled.Before(now.Add(-retention)):
				expired = append(expired, digest)
				res.Bytes += rec.Size
			}
		})
		if err != nil {
			return err
		}
		for _, d := range dropped {
			for _, q := range []string{
				`DELETE FROM blob_pending WHERE digest = $1`,
				`DELETE FROM blob_grants WHERE digest = $1`,
				`DELETE FROM blobs WHERE digest = $1`,
				`DELETE FROM blob_chunks WHERE digest = $1`,
			} {
				if _, err := tx.Exec(ctx, q, d); err != nil {
					return err
				}
			}
		}
		for _, d := range expired {
			rec, err := getBlob(ctx, tx, d)
			if err != nil {
				return err
			}
			rec.Gone = true
			if err := putBlob(ctx, tx, d, rec); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM blob_chunks WHERE digest = $1`, d); err != nil {
				return err
			}
		}
		res.Unreferenced, res.Expired = len(dropped), len(expired)
		return nil
	})
	if err != nil {
		return store.BlobGC{}, fmt.Errorf("gc blobs: %w", err)
	}
	if res.Unreferenced+res.Expired > 0 {
		s.log.Info("collected blobs", "unreferenced", res.Unreferenced, "expired", res.Expired, "bytes", res.Bytes)
	}
	return res, nil
}

// forRecsKeyed decodes every blob record with its digest.
func forRecsKeyed(ctx context.Context, tx dbtx, each func(digest string, rec *blobRecord)) error {
	rows, err := tx.Query(ctx, `SELECT digest, rec FROM blobs ORDER BY digest`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var raw []byte
		if err := rows.Scan(&d, &raw); err != nil {
			return err
		}
		var rec blobRecord
		if err := decodeRec(raw, &rec); err != nil {
			return fmt.Errorf("blob %s: %w", d, err)
		}
		each(d, &rec)
	}
	return rows.Err()
}
