package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	chunkSize     = 256 << 10 // bytes of attachment per sealed chunk
	chunksPerTx   = 16        // chunks written per staging transaction (4 MiB)
	blobIDSize    = 16
	blobRecSize   = 8 + 4 + 32 + 8
	maxBlobChunks = 1 << 20
)

// Blob is an attachment's bytes staged in the store, not yet owned by a
// document. Pass it to SaveOutgoing or SaveIncoming.
type Blob struct {
	ID     string // 32 hexadecimal digits
	Size   int64
	SHA256 string // lower-case hexadecimal
}

// blobRecord is what the store keeps of an attachment's bytes.
type blobRecord struct {
	size   int64
	chunks uint32
	sum    [32]byte
	owner  uint64 // document seq; 0 while staged
}

func (r blobRecord) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(r.size))
	b = binary.BigEndian.AppendUint32(b, r.chunks)
	b = append(b, r.sum[:]...)
	return binary.BigEndian.AppendUint64(b, r.owner)
}

func decodeBlobRecord(b []byte) (blobRecord, error) {
	var r blobRecord
	if len(b) != blobRecSize {
		return r, fmt.Errorf("%w: blob record length %d", ErrCorrupt, len(b))
	}
	r.size = int64(binary.BigEndian.Uint64(b))
	r.chunks = binary.BigEndian.Uint32(b[8:])
	copy(r.sum[:], b[12:44])
	r.owner = binary.BigEndian.Uint64(b[44:])
	if r.size < 0 || r.chunks > maxBlobChunks || int64(r.chunks) != (r.size+chunkSize-1)/chunkSize {
		return r, fmt.Errorf("%w: blob record sizes", ErrCorrupt)
	}
	return r, nil
}

func chunkKey(id []byte, n uint32) []byte {
	k := make([]byte, 0, blobIDSize+4)
	k = append(k, id...)
	return binary.BigEndian.AppendUint32(k, n)
}

// AttachmentWriter streams an attachment's bytes into the store in sealed
// chunks, a few chunks per transaction, so a 50 MB scan never sits whole in
// memory. Close returns the Blob to give to SaveOutgoing or SaveIncoming.
// Bytes of a writer that is never closed, or of a blob no document claims,
// are deleted the next time the store is opened. An AttachmentWriter is
// not safe for concurrent use; different writers may run concurrently.
type AttachmentWriter struct {
	s       *Store
	id      []byte
	buf     []byte
	pending [][]byte // full chunks not yet written
	n       uint32   // chunks written or pending
	size    int64
	h       hash.Hash
	err     error
	done    bool
}

// NewAttachment starts staging an attachment.
func (s *Store) NewAttachment() (*AttachmentWriter, error) {
	id := make([]byte, blobIDSize)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("new attachment id: %w", err)
	}
	err := s.update("stage attachment", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStaged).Put(id, binary.BigEndian.AppendUint64(nil, uint64(time.Now().Unix())))
	})
	if err != nil {
		return nil, err
	}
	return &AttachmentWriter{s: s, id: id, buf: make([]byte, 0, chunkSize), h: sha256.New()}, nil
}

// Write adds bytes to the attachment.
func (w *AttachmentWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, fmt.Errorf("write attachment: %w", ErrClosed)
	}
	written := 0
	for len(p) > 0 {
		n := min(chunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:n]...)
		w.h.Write(p[:n])
		w.size += int64(n)
		p = p[n:]
		written += n
		if len(w.buf) == chunkSize {
			w.pending = append(w.pending, w.buf)
			w.buf = make([]byte, 0, chunkSize)
			if len(w.pending) == chunksPerTx {
				if err := w.flush(nil); err != nil {
					w.err = err
					return written, err
				}
			}
		}
	}
	return written, nil
}

// ReadFrom copies r into the attachment.
func (w *AttachmentWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, r, make([]byte, 64<<10))
}

// flush writes the pending chunks, and the blob record if rec is set, in
// one transaction.
func (w *AttachmentWriter) flush(rec *blobRecord) error {
	return w.s.update("write attachment", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketStaged).Get(w.id) == nil {
			return fmt.Errorf("staged attachment vanished: %w", ErrNotFound)
		}
		for _, c := range w.pending {
			if w.n >= maxBlobChunks {
				return fmt.Errorf("attachment larger than %d bytes", int64(maxBlobChunks)*chunkSize)
			}
			if err := w.s.putSealed(tx, bucketChunks, chunkKey(w.id, w.n), c); err != nil {
				return err
			}
			w.n++
		}
		w.pending = w.pending[:0]
		if rec != nil {
			rec.chunks = w.n
			return w.s.putSealed(tx, bucketBlobs, w.id, rec.encode())
		}
		return nil
	})
}

// Close writes the last chunk and returns the staged blob.
func (w *AttachmentWriter) Close() (Blob, error) {
	if w.err != nil {
		return Blob{}, w.err
	}
	if w.done {
		return Blob{}, fmt.Errorf("close attachment: %w", ErrClosed)
	}
	w.done = true
	if len(w.buf) > 0 {
		w.pending = append(w.pending, w.buf)
		w.buf = nil
	}
	rec := blobRecord{size: w.size}
	copy(rec.sum[:], w.h.Sum(nil))
	if err := w.flush(&rec); err != nil {
		w.err = err
		return Blob{}, err
	}
	return Blob{ID: hex.EncodeToString(w.id), Size: w.size, SHA256: hex.EncodeToString(rec.sum[:])}, nil
}

// Abort discards the attachment's bytes, unless a document already owns
// them.
func (w *AttachmentWriter) Abort() error {
	w.done = true
	return w.s.update("abort attachment", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketStaged).Get(w.id) == nil {
			return nil
		}
		return deleteBlob(tx, w.id)
	})
}

// deleteBlob removes a blob's chunks, record and staging mark.
func deleteBlob(tx *bolt.Tx, id []byte) error {
	c := tx.Bucket(bucketChunks).Cursor()
	for k, _ := c.Seek(id); k != nil && bytes.HasPrefix(k, id); k, _ = c.Seek(id) {
		if err := c.Delete(); err != nil {
			return fmt.Errorf("delete chunk: %w", err)
		}
	}
	if err := tx.Bucket(bucketBlobs).Delete(id); err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	return tx.Bucket(bucketStaged).Delete(id)
}

// collectStagedBlobs deletes blobs that were staged but never claimed,
// left by a crash or an abandoned compose. Called by Open.
func (s *Store) collectStagedBlobs(tx *bolt.Tx) error {
	var ids [][]byte
	if err := tx.Bucket(bucketStaged).ForEach(func(k, _ []byte) error {
		ids = append(ids, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := deleteBlob(tx, id); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		s.log.Info("store removed unclaimed attachments", "count", len(ids))
	}
	return nil
}

// claimBlob makes a staged blob part of document seq after checking it
// holds the bytes the attachment names.
func (s *Store) claimBlob(tx *bolt.Tx, b Blob, size int64, sum string, seq uint64) error {
	id, err := hex.DecodeString(b.ID)
	if err != nil || len(id) != blobIDSize {
		return fmt.Errorf("attachment blob id %q: %w", b.ID, ErrNotFound)
	}
	if tx.Bucket(bucketStaged).Get(id) == nil {
		return fmt.Errorf("attachment blob %s not staged: %w", b.ID, ErrNotFound)
	}
	pt, err := s.getSealed(tx, bucketBlobs, id)
	if err != nil {
		return fmt.Errorf("attachment blob %s: %w", b.ID, err)
	}
	rec, err := decodeBlobRecord(pt)
	if err != nil {
		return err
	}
	if rec.size != size || hex.EncodeToString(rec.sum[:]) != sum {
		return fmt.Errorf("attachment blob %s does not match its size or SHA-256", b.ID)
	}
	rec.owner = seq
	if err := s.putSealed(tx, bucketBlobs, id, rec.encode()); err != nil {
		return err
	}
	return tx.Bucket(bucketStaged).Delete(id)
}

// attachmentReader reads a blob chunk by chunk, one read transaction per
// chunk, and checks the size and SHA-256 at the end.
type attachmentReader struct {
	s   *Store
	id  []byte
	rec blobRecord
	n   uint32
	cur []byte
	h   hash.Hash
	got int64
	err error
}

func (r *attachmentReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.n == r.rec.chunks {
			if r.got != r.rec.size || !bytes.Equal(r.h.Sum(nil), r.rec.sum[:]) {
				r.err = fmt.Errorf("read attachment: %w: content does not match its digest", ErrCorrupt)
				return 0, r.err
			}
			r.err = io.EOF
			return 0, io.EOF
		}
		err := r.s.view("read attachment", func(tx *bolt.Tx) error {
			pt, err := r.s.getSealed(tx, bucketChunks, chunkKey(r.id, r.n))
			if err == ErrNotFound {
				return fmt.Errorf("%w: chunk %d missing", ErrCorrupt, r.n)
			}
			r.cur = pt
			return err
		})
		if err != nil {
			r.err = err
			return 0, err
		}
		r.n++
		r.got += int64(len(r.cur))
		r.h.Write(r.cur)
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *attachmentReader) Close() error {
	r.err = ErrClosed
	r.cur = nil
	return nil
}
