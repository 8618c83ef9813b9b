package pgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
)

// ChunkSize is the largest piece of attachment bytes in one row: bytes are
// written and read a piece at a time, so a large attachment never sits
// whole in memory.
const ChunkSize = 1 << 20

// Pieces of an upload and of a blob are rows of blob_chunks keyed by their
// offset: appends come in any size, and a piece is at most ChunkSize bytes.
// An upload's pieces are keyed by uploadKey(id), which no digest can be;
// committing the upload re-keys them to the blob's digest with one UPDATE,
// which leaves their bytes (TOAST-ed out of line) where they are: the bytes
// are written once, and read into the hub only to be hashed.

// uploadKeyPrefix starts the blob_chunks key of an upload's pieces: a
// digest is hex, so no blob's key starts with it.
const uploadKeyPrefix = "upload:"

// uploadKey is the blob_chunks key of the pieces of upload id.
func uploadKey(id string) string { return uploadKeyPrefix + id }

// pieces holds buffers of ChunkSize bytes for the pieces read from
// uploads: a megabyte allocated and cleared for each 10 KB attachment cost
// the hub more CPU than the attachment's hash.
var pieces = sync.Pool{New: func() any { b := make([]byte, ChunkSize); return &b }}

// uploadID names the owner's upload of digest, as package blobs does: the
// owner is hashed, and two owners uploading the same blob do not share
// offsets.
func uploadID(owner certs.AgencyCode, digest string, size int64) string {
	oh := sha256.Sum256([]byte(owner))
	return digest + "-" + strconv.FormatInt(size, 10) + "-" + hex.EncodeToString(oh[:8])
}

// resolve returns the id of the owner's upload named by up; an ID that
// disagrees is refused.
func (s *Store) resolve(up store.Upload) (string, error) {
	if err := store.ValidDigest(up.Digest); err != nil {
		return "", err
	}
	if up.Size < 0 || up.Size > s.maxBlob {
		return "", fmt.Errorf("%w: size %d", store.ErrInvalid, up.Size)
	}
	id := uploadID(up.Owner, up.Digest, up.Size)
	if up.ID != "" && up.ID != id {
		return "", fmt.Errorf("%w: upload id %q is not the owner's upload of %s", store.ErrInvalid, up.ID, up.Digest)
	}
	return id, nil
}

// BeginUpload implements store.Blobs.
func (s *Store) BeginUpload(ctx context.Context, owner certs.AgencyCode, digest string, size int64) (store.Upload, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.Upload{}, err
	}
	if size < 0 || size > s.maxBlob {
		return store.Upload{}, fmt.Errorf("begin upload %s: %w: %d bytes, limit %d", digest, store.ErrTooLarge, size, s.maxBlob)
	}
	up := store.Upload{Owner: owner, Digest: digest, Size: size, ID: uploadID(owner, digest, size)}
	err := s.locked(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO uploads (id, owner, digest, size, "offset", touched) VALUES ($1, $2, $3, $4, 0, $5)
			ON CONFLICT (id) DO NOTHING`, up.ID, string(owner), digest, size, time.Now()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT "offset" FROM uploads WHERE id = $1`, up.ID).Scan(&up.Offset)
	})
	if err != nil {
		return store.Upload{}, fmt.Errorf("begin upload %s: %w", digest, err)
	}
	return up, nil
}

// AppendUpload implements store.Blobs. Each piece is read from r first
// and then written in a short transaction of its own, so that a slow
// sender never holds a connection or a lock while the network is read. If
// r fails midway, the pieces written stay and the error is returned with
// the offset reached; an over-long upload takes back the pieces this call
// wrote.
func (s *Store) AppendUpload(ctx context.Context, up store.Upload, offset int64, r io.Reader) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	id, err := s.resolve(up)
	if err != nil {
		return 0, fmt.Errorf("append to upload: %w", err)
	}
	cur, err := s.uploadOffset(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", up.Digest, err)
	}
	if offset != cur {
		return cur, fmt.Errorf("append to upload %s: %w", up.Digest, &store.OffsetError{Got: offset, Want: cur})
	}
	start := cur
	// Read one byte past the declared size to detect an over-long upload.
	lr := io.LimitReader(r, up.Size-cur+1)
	bp := pieces.Get().(*[]byte)
	defer pieces.Put(bp)
	buf := *bp
	for {
		n, rerr := io.ReadFull(lr, buf)
		if cur+int64(n) > up.Size {
			if err := s.truncateUpload(ctx, id, start, cur); err != nil {
				return cur, fmt.Errorf("append to upload %s: %w", up.Digest, err)
			}
			return start, fmt.Errorf("append to upload %s: %w: more than %d bytes", up.Digest, store.ErrTooLarge, up.Size)
		}
		if n > 0 {
			if err := s.writePiece(ctx, id, cur, buf[:n]); err != nil {
				return cur, fmt.Errorf("append to upload %s: %w", up.Digest, err)
			}
			cur += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return cur, nil
		}
		if rerr != nil {
			return cur, fmt.Errorf("append to upload %s: %w", up.Digest, rerr)
		}
	}
}

// uploadOffset returns the durable offset of upload id.
func (s *Store) uploadOffset(ctx context.Context, id string) (int64, error) {
	var off int64
	err := s.pool.QueryRow(ctx, `SELECT "offset" FROM uploads WHERE id = $1`, id).Scan(&off)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	return off, err
}

// writePiece stores data at offset at of upload id, which must still be
// the upload's durable offset (another append may have raced this one).
func (s *Store) writePiece(ctx context.Context, id string, at int64, data []byte) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur int64
		err := tx.QueryRow(ctx, `SELECT "offset" FROM uploads WHERE id = $1 FOR UPDATE`, id).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != at {
			return &store.OffsetError{Got: at, Want: cur}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (digest, off, data) VALUES ($1, $2, $3)`, uploadKey(id), at, data); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE uploads SET "offset" = $2, touched = $3 WHERE id = $1`, id, at+int64(len(data)), time.Now())
		return err
	})
}

// truncateUpload takes back the pieces of upload id from offset start, if
// its durable offset is still cur (the end of this caller's pieces).
func (s *Store) truncateUpload(ctx context.Context, id string, start, cur int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE uploads SET "offset" = $2 WHERE id = $1 AND "offset" = $3`, id, start, cur)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM blob_chunks WHERE digest = $1 AND off >= $2`, uploadKey(id), start)
		return err
	})
}

// hashPieces hashes the pieces of upload id in offset order, one row at a
// time, and returns the hex digest and the number of bytes.
func hashPieces(ctx context.Context, tx dbtx, id string) (string, int64, error) {
	rows, err := tx.Query(ctx, `SELECT off, data FROM blob_chunks WHERE digest = $1 ORDER BY off`, uploadKey(id))
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	h := sha256.New()
	var total int64
	for rows.Next() {
		var off int64
		var data []byte
		if err := rows.Scan(&off, &data); err != nil {
			return "", 0, err
		}
		if off != total {
			return "", 0, fmt.Errorf("upload %s: piece at %d, expected %d", id, off, total)
		}
		h.Write(data)
		total += int64(len(data))
	}
	if err := rows.Err(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

// publishTx makes the pieces of upload id the bytes of digest, unless the
// blob is present (storage is deduplicated), drops the upload and records
// owner's grant. An upload collected meanwhile (GCUploads) is ErrNotFound:
// a blob's record never names bytes that are not there. It runs in a
// locked transaction (see there), the upload's row locked by the caller.
func publishTx(ctx context.Context, tx dbtx, id string, owner certs.AgencyCode, info store.BlobInfo, at time.Time) error {
	tag, err := tx.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("the upload was collected while it was stored, upload it again: %w", store.ErrNotFound)
	}
	rec, err := lockBlobTx(ctx, tx, info.Digest, uploadedRecord(info, nil, at))
	if err != nil {
		return err
	}
	// The writes, in one round trip.
	b := &pgx.Batch{}
	if rec == nil || rec.Gone {
		// The pieces become the blob's: re-keyed, not copied. (A new
		// blob has no pieces: the collections delete a record's pieces
		// with it or before it.)
		if rec != nil {
			b.Queue(`DELETE FROM blob_chunks WHERE digest = $1`, info.Digest)
		}
		b.Queue(`UPDATE blob_chunks SET digest = $2 WHERE digest = $1`, uploadKey(id), info.Digest)
	} else {
		b.Queue(`DELETE FROM blob_chunks WHERE digest = $1`, uploadKey(id))
	}
	queueGrantUpload(b, owner, info, rec, at)
	return tx.SendBatch(ctx, b).Close()
}

// putNewPieceSQL stores a new blob of one piece ($4, not empty) with its
// record ($2), its owner's grant and the owner's count of unreferenced
// bytes ($3, $5), all or nothing, and answers whether it did: the record's
// INSERT … ON CONFLICT DO NOTHING is the lock of putPieceTx for a new
// digest, and the other writes take their rows from its RETURNING, so
// that nothing is written when the blob has a record. putEmptySQL is the
// same for no bytes.
const (
	putNewPieceSQL = `WITH b AS (INSERT INTO blobs (digest, rec) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING digest),
		c AS (INSERT INTO blob_chunks (digest, off, data) SELECT digest, 0, $4 FROM b),
		g AS (INSERT INTO blob_grants (digest, agency, via) SELECT digest, $3, '' FROM b ON CONFLICT DO NOTHING),
		p AS (INSERT INTO blob_pending (agency, digest, size) SELECT $3, digest, $5 FROM b
			ON CONFLICT (agency, digest) DO UPDATE SET size = EXCLUDED.size)
		SELECT count(*) FROM b`
	putEmptySQL = `WITH b AS (INSERT INTO blobs (digest, rec) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING digest),
		g AS (INSERT INTO blob_grants (digest, agency, via) SELECT digest, $3, '' FROM b ON CONFLICT DO NOTHING),
		p AS (INSERT INTO blob_pending (agency, digest, size) SELECT $3, digest, $4 FROM b
			ON CONFLICT (agency, digest) DO UPDATE SET size = EXCLUDED.size)
		SELECT count(*) FROM b`
)

// putNewPiece stores data, at most one piece, as the new blob of info,
// granted to owner, in one statement: its own transaction, one round
// trip, where putPieceTx makes two. It reports false, having written
// nothing, when the blob has a record already (present, gone, or being
// stored by another): putPieceTx then decides under the record's lock.
// What it writes is what putPieceTx writes for a new blob (a new blob has
// no pieces: see publishTx).
func (s *Store) putNewPiece(ctx context.Context, owner certs.AgencyCode, info store.BlobInfo, data []byte, at time.Time) (bool, error) {
	rec := encode(uploadedRecord(info, nil, at))
	for attempt := 1; ; attempt++ {
		var n int64
		var err error
		if len(data) > 0 {
			err = s.pool.QueryRow(ctx, putNewPieceSQL, info.Digest, rec, string(owner), data, info.Size).Scan(&n)
		} else {
			err = s.pool.QueryRow(ctx, putEmptySQL, info.Digest, rec, string(owner), info.Size).Scan(&n)
		}
		if err == nil || !retryable(err) || attempt == maxAttempts {
			if err != nil && s.closed.Load() {
				return false, store.ErrClosed
			}
			return n == 1, unavailable(err)
		}
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20))))
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// putPieceTx stores data, at most one piece, as the bytes of info unless
// the blob is present, and records owner's grant: a whole upload in one
// transaction, its bytes written once. It runs in a pipelined
// transaction: the lock's round trip, then the writes' with the COMMIT.
// (A new blob's goes in one statement first: putNewPiece.)
func putPieceTx(ctx context.Context, tx *logTx, owner certs.AgencyCode, info store.BlobInfo, data []byte, at time.Time) error {
	rec, err := lockBlobTx(ctx, tx, info.Digest, uploadedRecord(info, nil, at))
	if err != nil {
		return err
	}
	b := tx.queued
	if rec == nil || rec.Gone {
		// A new blob has no pieces (see publishTx).
		if rec != nil {
			b.Queue(`DELETE FROM blob_chunks WHERE digest = $1`, info.Digest)
		}
		if len(data) > 0 {
			b.Queue(`INSERT INTO blob_chunks (digest, off, data) VALUES ($1, 0, $2)`, info.Digest, data)
		}
	}
	queueGrantUpload(b, owner, info, rec, at)
	return nil
}

func dropUpload(ctx context.Context, tx dbtx, id string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM blob_chunks WHERE digest = $1`, uploadKey(id)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, id)
	return err
}

// CommitUpload implements store.Blobs: the hash is checked and the pieces
// become the blob's, with the owner's grant, in one transaction.
func (s *Store) CommitUpload(ctx context.Context, up store.Upload, at time.Time) (store.BlobInfo, error) {
	id, err := s.resolve(up)
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload: %w", err)
	}
	var (
		info     store.BlobInfo
		mismatch bool
	)
	err = s.locked(ctx, func(tx pgx.Tx) error {
		info, mismatch = store.BlobInfo{}, false
		var off int64
		err := tx.QueryRow(ctx, `SELECT "offset" FROM uploads WHERE id = $1 FOR UPDATE`, id).Scan(&off)
		if errors.Is(err, pgx.ErrNoRows) {
			// A retried commit finds no upload: it succeeded if the owner
			// holds the blob; to anyone else the blob does not exist.
			rec, err := getBlob(ctx, tx, up.Digest)
			if err != nil {
				return err
			}
			ok, err := hasGrant(ctx, tx, up.Digest, up.Owner)
			if err != nil {
				return err
			}
			if ok && rec != nil && !rec.Gone && rec.Size == up.Size {
				info = store.BlobInfo{Digest: up.Digest, Size: rec.Size, Present: true}
				return nil
			}
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if off != up.Size {
			return fmt.Errorf("incomplete: %w", &store.OffsetError{Got: up.Size, Want: off})
		}
		sum, n, err := hashPieces(ctx, tx, id)
		if err != nil {
			return err
		}
		if sum != up.Digest || n != up.Size {
			// The upload is dropped, and that is committed.
			mismatch = true
			return dropUpload(ctx, tx, id)
		}
		info = store.BlobInfo{Digest: up.Digest, Size: up.Size, Present: true}
		return publishTx(ctx, tx, id, up.Owner, info, at)
	})
	if err == nil && mismatch {
		err = store.ErrDigestMismatch
	}
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", up.Digest, err)
	}
	return info, nil
}

// PutBlob implements store.Blobs. Bytes that fit in one piece are checked
// and stored with the blob's record and the owner's grant in one
// transaction; more are streamed into a staging upload a piece at a time,
// checked, then published with the owner's grant.
func (s *Store) PutBlob(ctx context.Context, owner certs.AgencyCode, digest string, r io.Reader, at time.Time) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	h := store.SHA256For(r)
	lr := io.LimitReader(r, s.maxBlob+1)
	bp := pieces.Get().(*[]byte)
	defer pieces.Put(bp)
	buf := *bp
	n, rerr := io.ReadFull(lr, buf)
	var next []byte // a byte read past a full first piece
	if rerr == nil {
		var one [1]byte
		switch k, err := io.ReadFull(lr, one[:]); {
		case k == 1:
			next = one[:]
		case err == io.EOF:
			rerr = io.EOF
		default:
			return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
		}
	}
	switch {
	case int64(n) > s.maxBlob:
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w: limit %d bytes", digest, store.ErrTooLarge, s.maxBlob)
	case rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF:
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, rerr)
	case next == nil:
		// One piece: checked, then stored with its record and grant in one
		// transaction.
		h.Write(buf[:n])
		if hex.EncodeToString(h.Sum(nil)) != digest {
			return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, store.ErrDigestMismatch)
		}
		info := store.BlobInfo{Digest: digest, Size: int64(n), Present: true}
		stored, err := s.putNewPiece(ctx, owner, info, buf[:n], at)
		if err == nil && !stored {
			err = s.pipelined(ctx, func(tx *logTx) error { return putPieceTx(ctx, tx, owner, info, buf[:n], at) })
		}
		if err != nil {
			return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
		}
		return info, nil
	}
	// The owner's own retry, of bytes present: not read past the first
	// piece. (A blob of one piece is written, or found, in the statement
	// above without this round trip: the hub asks before it reads a body,
	// store.Blobs.UploadCheck.)
	var rec blobRecord
	found, err := getRec(ctx, s.pool, &rec, `SELECT rec FROM blobs WHERE digest = $1 AND `+grantedSQL, digest, string(owner))
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	if found && !rec.Gone {
		return store.BlobInfo{Digest: digest, Size: rec.Size, Present: true}, nil
	}
	return s.putStaged(ctx, owner, digest, h, buf[:n], io.MultiReader(bytes.NewReader(next), lr), at)
}

// putStaged stores a blob of more than one piece, first then the rest of
// the bytes, through a staging upload, checking them with h.
func (s *Store) putStaged(ctx context.Context, owner certs.AgencyCode, digest string, h hash.Hash, first []byte, rest io.Reader, at time.Time) (store.BlobInfo, error) {
	// The staging upload has no owner: GCUploads collects it if the hub
	// dies before it is published. Each piece is committed on its own, as
	// in AppendUpload.
	id := "put-" + record.NewToken()
	if _, err := s.pool.Exec(ctx, `INSERT INTO uploads (id, owner, digest, size, "offset", touched) VALUES ($1, '', $2, 0, 0, $3)`,
		id, digest, time.Now()); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	published := false
	defer func() {
		if !published {
			// Best effort: GCUploads removes what this leaves.
			dctx := context.WithoutCancel(ctx)
			s.locked(dctx, func(tx pgx.Tx) error { return dropUpload(dctx, tx, id) })
		}
	}()
	h.Write(first)
	if err := s.writePiece(ctx, id, 0, first); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	size := int64(len(first))
	buf := first[:cap(first)]
	for {
		n, err := io.ReadFull(rest, buf)
		if size+int64(n) > s.maxBlob {
			return store.BlobInfo{}, fmt.Errorf("put blob %s: %w: limit %d bytes", digest, store.ErrTooLarge, s.maxBlob)
		}
		if n > 0 {
			h.Write(buf[:n])
			if err := s.writePiece(ctx, id, size, buf[:n]); err != nil {
				return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
			}
			size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
		}
	}
	if hex.EncodeToString(h.Sum(nil)) != digest {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, store.ErrDigestMismatch)
	}
	info := store.BlobInfo{Digest: digest, Size: size, Present: true}
	err := s.locked(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM uploads WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		return publishTx(ctx, tx, id, owner, info, at)
	})
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	published = true
	return info, nil
}

// StatBlob implements store.Blobs.
func (s *Store) StatBlob(ctx context.Context, digest string) (store.BlobInfo, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, err
	}
	info := store.BlobInfo{Digest: digest}
	err := s.read(ctx, func(tx dbtx) error {
		rec, err := getBlob(ctx, tx, digest)
		if err == nil && rec != nil && !rec.Gone {
			info.Size, info.Present = rec.Size, true
		}
		return err
	})
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("stat blob %s: %w", digest, err)
	}
	return info, nil
}

// GCUploads implements store.Blobs.
func (s *Store) GCUploads(ctx context.Context, now time.Time, ttl time.Duration) (int, error) {
	var n int
	err := s.locked(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM uploads WHERE touched < $1 RETURNING id`, now.Add(-ttl))
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(ids)
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = uploadKey(id)
		}
		_, err = tx.Exec(ctx, `DELETE FROM blob_chunks WHERE digest = ANY($1)`, keys)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("gc uploads: %w", err)
	}
	if n > 0 {
		s.log.Info("removed idle uploads", "count", n)
	}
	return n, nil
}

// OpenBlob implements store.Blobs.
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	return s.openBlob(ctx, digest, nil)
}

// OpenGranted implements store.Blobs: the grant is read in OpenBlob's
// statement.
func (s *Store) OpenGranted(ctx context.Context, agency certs.AgencyCode, digest string) (io.ReadSeekCloser, error) {
	return s.openBlob(ctx, digest, &agency)
}

// openBlob opens a blob, for agency when not nil: a blob agency holds no
// grant of is then not found.
func (s *Store) openBlob(ctx context.Context, digest string, agency *certs.AgencyCode) (io.ReadSeekCloser, error) {
	if err := store.ValidDigest(digest); err != nil {
		return nil, err
	}
	// The record and the blob's first bytes in one statement: a blob
	// opened is read from its start (and a small one is all read then).
	where, args := `b.digest = $1`, []any{digest}
	if agency != nil {
		where += ` AND ` + grantedSQL
		args = append(args, string(*agency))
	}
	args = append(args, readWindow)
	query := fmt.Sprintf(`SELECT b.rec, c.off, substring(c.data FROM 1 FOR $%d::int) FROM blobs b
		LEFT JOIN blob_chunks c ON c.digest = b.digest AND c.off = 0 WHERE %s`, len(args), where)
	var (
		raw, span []byte
		spanOff   *int64
		found     bool
	)
	err := s.read(ctx, func(q dbtx) error {
		err := q.QueryRow(ctx, query, args...).Scan(&raw, &spanOff, &span)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	var rec blobRecord
	if err == nil && found {
		err = decodeRec(raw, &rec)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("open blob %s: %w", digest, err)
	case !found:
		return nil, fmt.Errorf("open blob %s: %w", digest, store.ErrNotFound)
	case rec.Gone:
		return nil, fmt.Errorf("open blob %s: %w", digest, store.ErrGone)
	}
	b := &blobReader{s: s, digest: digest, size: rec.Size}
	if spanOff != nil && len(span) > 0 {
		b.span = span
	}
	return b, nil
}

// readWindow is how many bytes a read at a random offset fetches at
// least, and opening a blob at first: the PDF check reads a signed PDF's
// end and a few objects, not its pages, and a piece's bytes, stored
// uncompressed (schema 3), are fetched in part. A reader going through
// the blob in order fetches the rest of each piece at once.
const readWindow = 64 << 10

// blobReader reads a blob a span at a time: bytes of one piece, the rest
// of the piece for Read, which goes in order, and a window for ReadAt. It
// keeps the last span read. It is an io.ReaderAt (the PDF check reads at
// random offsets), whose ReadAt may be called concurrently.
type blobReader struct {
	s      *Store
	digest string
	size   int64
	off    int64 // Read's position

	mu      sync.Mutex
	span    []byte // never written once fetched
	spanOff int64
}

// spanAt returns bytes of the blob from offset pos, at least min(want,
// what is left of pos's piece) of them, and the offset they start at;
// want is at most ChunkSize (a span lies in one piece).
func (b *blobReader) spanAt(pos int64, want int) ([]byte, int64, error) {
	b.mu.Lock()
	span, spanOff := b.span, b.spanOff
	b.mu.Unlock()
	if pos >= spanOff && pos < spanOff+int64(len(span)) {
		return span, spanOff, nil
	}
	if err := b.s.check(context.Background()); err != nil {
		return nil, 0, err
	}
	err := b.s.pool.QueryRow(context.Background(), `SELECT substring(data FROM ($2 - off + 1)::int FOR $3::int) FROM blob_chunks
		WHERE digest = $1 AND off <= $2 ORDER BY off DESC LIMIT 1`, b.digest, pos, want).Scan(&span)
	if err != nil || len(span) == 0 {
		return nil, 0, fmt.Errorf("read blob %s at %d: the bytes are gone: %w", b.digest, pos, errors.Join(err, store.ErrNotFound))
	}
	b.mu.Lock()
	b.span, b.spanOff = span, pos
	b.mu.Unlock()
	return span, pos, nil
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	span, spanOff, err := b.spanAt(b.off, ChunkSize)
	if err != nil {
		return 0, err
	}
	n := copy(p[:min(int64(len(p)), b.size-b.off)], span[b.off-spanOff:])
	b.off += int64(n)
	return n, nil
}

// ReadAt implements io.ReaderAt.
func (b *blobReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read blob %s: negative offset %d", b.digest, off)
	}
	want := int(min(int64(len(p)), max(b.size-off, 0)))
	n := 0
	for n < want {
		pos := off + int64(n)
		span, spanOff, err := b.spanAt(pos, min(max(want-n, readWindow), ChunkSize))
		if err != nil {
			return n, err
		}
		n += copy(p[n:want], span[pos-spanOff:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (b *blobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, fmt.Errorf("seek blob: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek blob: negative offset %d", offset)
	}
	b.off = offset
	return offset, nil
}

func (b *blobReader) Close() error {
	b.mu.Lock()
	b.span = nil
	b.mu.Unlock()
	return nil
}
