// Package blobs keeps attachment bytes as content-addressed files: each blob
// is a file named by its SHA-256 under objects/, which appears only by an
// atomic rename or link after its bytes were fsynced and their hash
// checked, and whose directory is fsynced before the operation returns. A reader
// therefore sees a blob whole or not at all, even after a crash. A writer
// that finds its blob already there (linked by a concurrent writer) also
// syncs the directory before it returns, so that "present" is never
// answered before the name is durable.
//
// Storage is deduplicated, not authority: Put reads and checks its bytes
// even when the blob is present, and Begin starts an upload whether or not
// it is; who may use a blob is the store's grants (package boltstore).
//
// Put stores a blob in one go: an unnamed file in objects/ (O_TMPFILE),
// hashed, fsynced and linked to its name; where unnamed files are not
// available, a temporary file in tmp/, renamed into objects/.
//
// Uploads are resumable: Begin creates uploads/<digest>-<size>-<owner>.part
// (the owner hashed) and Append writes a chunk at the file's current
// length, which is the durable offset (each chunk is fsynced before it is
// acknowledged). After a restart the upload resumes from the length on
// disk. An upload is named by its owner, digest and size, so an agency can
// reach only its own uploads. GC removes uploads idle for longer than a
// TTL; Remove deletes blobs, which the store orders against their records.
//
// Renames into objects/ (and first chunks into uploads/) that overlap
// share one fsync of the folder, as a group commit does.
//
// A Dir assumes it is the only writer of its directory: Open deletes the
// temporary files that a crashed PutBlob left in tmp/ (unnamed files leave
// none). The bbolt store guarantees this by holding its database's file
// lock first.
package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// DefaultMaxSize is the largest blob accepted unless Options say otherwise:
// 100 MB, the hub's default attachment limit.
const DefaultMaxSize = 100 << 20

// Subdirectories of a Dir.
const (
	objectsDir = "objects"
	uploadsDir = "uploads"
	tmpDir     = "tmp"
	partSuffix = ".part"
)

// copyBuffers are the buffers uploads are copied through: 256 KiB, so
// that a large attachment is written in few system calls, and reused, so
// that a small one does not cost a fresh buffer each time.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyFull copies src to dst through buf, writing only full buffers but
// the last. A network body yields a packet's worth (about 1.2 KB over
// QUIC) per read, and io.Copy would make a write system call of each:
// 3 CPU-seconds per GB stored. Bytes read before an error are written
// before it is returned, as io.Copy does, so that a broken-off upload
// keeps what arrived.
func copyFull(dst io.Writer, src io.Reader, buf []byte) (written int64, err error) {
	for {
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			nw, werr := dst.Write(buf[:n])
			written += int64(nw)
			if werr != nil {
				return written, werr
			}
			if nw != n {
				return written, io.ErrShortWrite
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return written, nil
		default:
			return written, rerr
		}
	}
}

// Options tune a Dir.
type Options struct {
	// MaxSize is the largest blob accepted; 0 means DefaultMaxSize.
	MaxSize int64
}

// Dir is a directory of content-addressed blobs. It is safe for concurrent
// use.
type Dir struct {
	root    string
	maxSize int64
	unnamed bool // Put writes unnamed files (see newBlob)

	mu    sync.Mutex
	parts map[string]*partial

	objectsSync, uploadsSync *dirSync
}

// partial is the in-memory state of an upload: a lock serialising its
// chunks and, while the process lives, the running hash of its bytes so that
// Commit need not read them again.
type partial struct {
	mu   sync.Mutex
	dead bool      // removed from Dir.parts; re-acquire
	h    hash.Hash // nil when unknown (after a restart or an error)
	n    int64     // bytes hashed into h
}

// Open opens (creating if needed) a blob directory at root.
func Open(root string, opts Options) (*Dir, error) {
	d := &Dir{root: root, maxSize: opts.MaxSize, parts: map[string]*partial{},
		objectsSync: newDirSync(filepath.Join(root, objectsDir)), uploadsSync: newDirSync(filepath.Join(root, uploadsDir))}
	if d.maxSize <= 0 {
		d.maxSize = DefaultMaxSize
	}
	for _, sub := range []string{"", objectsDir, uploadsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o750); err != nil {
			return nil, fmt.Errorf("open blob dir: %w", err)
		}
	}
	// Leftovers of a PutBlob that crashed: never visible, never resumable.
	entries, err := os.ReadDir(filepath.Join(root, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("open blob dir: %w", err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(root, tmpDir, e.Name())); err != nil {
			return nil, fmt.Errorf("open blob dir: remove stale temp file: %w", err)
		}
	}
	for _, sub := range []string{tmpDir, objectsDir, uploadsDir, ""} {
		if err := syncDir(filepath.Join(root, sub)); err != nil {
			return nil, fmt.Errorf("open blob dir: %w", err)
		}
	}
	d.unnamed = probeUnnamed(filepath.Join(root, tmpDir))
	return d, nil
}

// Root returns the directory's path.
func (d *Dir) Root() string { return d.root }

// MaxSize returns the largest blob accepted.
func (d *Dir) MaxSize() int64 { return d.maxSize }

func (d *Dir) objectPath(digest string) string { return filepath.Join(d.root, objectsDir, digest) }
func (d *Dir) partPath(id string) string {
	return filepath.Join(d.root, uploadsDir, id+partSuffix)
}

// Stat reports whether the blob is present and its size.
func (d *Dir) Stat(digest string) (store.BlobInfo, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, err
	}
	fi, err := os.Stat(d.objectPath(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return store.BlobInfo{Digest: digest}, nil
	}
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("stat blob %s: %w", digest, err)
	}
	return store.BlobInfo{Digest: digest, Size: fi.Size(), Present: true}, nil
}

// Open opens a present blob for reading.
func (d *Dir) Open(digest string) (*os.File, error) {
	if err := store.ValidDigest(digest); err != nil {
		return nil, err
	}
	f, err := os.Open(d.objectPath(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", digest, err)
	}
	return f, nil
}

// uploadID names the owner's upload of digest: the owner is hashed so that
// any string is safe in a file name, and two owners uploading the same blob
// do not share offsets.
func uploadID(owner certs.AgencyCode, digest string, size int64) string {
	return digest + "-" + strconv.FormatInt(size, 10) + ownerSuffix(owner)
}

// ownerSuffix ends the ids of the owner's uploads.
func ownerSuffix(owner certs.AgencyCode) string {
	oh := sha256.Sum256([]byte(owner))
	return "-" + hex.EncodeToString(oh[:8])
}

// parseUploadID checks an upload file's name and returns its digest and
// size.
func parseUploadID(id string) (digest string, size int64, err error) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || len(parts[2]) != 16 {
		return "", 0, fmt.Errorf("%w: upload id %q", store.ErrInvalid, id)
	}
	if err := store.ValidDigest(parts[0]); err != nil {
		return "", 0, fmt.Errorf("upload id %q: %w", id, err)
	}
	if _, err := hex.DecodeString(parts[2]); err != nil || strings.ToLower(parts[2]) != parts[2] {
		return "", 0, fmt.Errorf("%w: upload id %q", store.ErrInvalid, id)
	}
	size, err = strconv.ParseInt(parts[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != parts[1] {
		return "", 0, fmt.Errorf("%w: upload id %q: bad size", store.ErrInvalid, id)
	}
	return parts[0], size, nil
}

// resolve returns the id of the owner's upload named by up, from its
// owner, digest and size; an ID that disagrees is refused.
func (d *Dir) resolve(up store.Upload) (string, error) {
	if err := store.ValidDigest(up.Digest); err != nil {
		return "", err
	}
	if up.Size < 0 || up.Size > d.maxSize {
		return "", fmt.Errorf("%w: size %d", store.ErrInvalid, up.Size)
	}
	id := uploadID(up.Owner, up.Digest, up.Size)
	if up.ID != "" && up.ID != id {
		return "", fmt.Errorf("%w: upload id %q is not the owner's upload of %s", store.ErrInvalid, up.ID, up.Digest)
	}
	return id, nil
}

// acquire returns the locked in-memory state of upload id.
func (d *Dir) acquire(id string) *partial {
	for {
		d.mu.Lock()
		p := d.parts[id]
		if p == nil {
			p = &partial{}
			d.parts[id] = p
		}
		d.mu.Unlock()
		p.mu.Lock()
		if !p.dead {
			return p
		}
		p.mu.Unlock()
	}
}

// forget drops the state of upload id; p must be locked by the caller.
func (d *Dir) forget(id string, p *partial) {
	p.dead = true
	d.mu.Lock()
	if d.parts[id] == p {
		delete(d.parts, id)
	}
	d.mu.Unlock()
}

// Begin starts or resumes the owner's upload of digest, size bytes long,
// whether or not the blob is present already.
func (d *Dir) Begin(owner certs.AgencyCode, digest string, size int64) (store.Upload, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.Upload{}, err
	}
	if size < 0 || size > d.maxSize {
		return store.Upload{}, fmt.Errorf("begin upload %s: %w: %d bytes, limit %d", digest, store.ErrTooLarge, size, d.maxSize)
	}
	// A blob already present under digest is not looked at: the owner
	// uploads its own bytes, and Commit deduplicates them. Answering
	// "present" here would tell anyone who knows a digest that the file
	// exists, and its size.
	id := uploadID(owner, digest, size)
	up := store.Upload{Owner: owner, Digest: digest, Size: size, ID: id}
	p := d.acquire(id)
	defer p.mu.Unlock()
	path := d.partPath(id)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	switch {
	case err == nil:
		// The empty part file need not be durable: lost in a crash, the
		// upload's durable offset is 0 all the same. Append makes the
		// file and its name durable with the first bytes.
		p.h, p.n = sha256.New(), 0
		if err := f.Close(); err != nil {
			return store.Upload{}, fmt.Errorf("begin upload %s: %w", digest, err)
		}
	case errors.Is(err, fs.ErrExist):
		fi, err := os.Stat(path)
		if err != nil {
			return store.Upload{}, fmt.Errorf("begin upload %s: %w", digest, err)
		}
		up.Offset = fi.Size()
	default:
		return store.Upload{}, fmt.Errorf("begin upload %s: %w", digest, err)
	}
	return up, nil
}

// Append writes r to the upload at offset, which must be the upload's
// durable offset, fsyncs, and returns the new durable offset. If r fails
// midway, the bytes that reached the file stay (they are the sender's bytes
// at their offset) and the error is returned with the offset reached.
func (d *Dir) Append(up store.Upload, offset int64, r io.Reader) (int64, error) {
	id, err := d.resolve(up)
	if err != nil {
		return 0, fmt.Errorf("append to upload: %w", err)
	}
	digest, size := up.Digest, up.Size
	p := d.acquire(id)
	defer p.mu.Unlock()
	f, err := os.OpenFile(d.partPath(id), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("append to upload %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", digest, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", digest, err)
	}
	cur := fi.Size()
	if offset != cur {
		return cur, fmt.Errorf("append to upload %s: %w", digest, &store.OffsetError{Got: offset, Want: cur})
	}
	if _, err := f.Seek(cur, io.SeekStart); err != nil {
		return cur, fmt.Errorf("append to upload %s: %w", digest, err)
	}
	var w io.Writer = f
	if p.h == nil && cur == 0 {
		p.h, p.n = sha256.New(), 0 // restarted before the first chunk
	}
	hashing := p.h != nil && p.n == cur
	if hashing {
		w = io.MultiWriter(f, p.h)
	} else {
		p.h = nil
	}
	// Read one byte past the declared size to detect an over-long upload.
	bp := copyBuffers.Get().(*[]byte)
	n, copyErr := copyFull(w, io.LimitReader(r, size-cur+1), *bp)
	copyBuffers.Put(bp)
	if hashing {
		p.n += n
	}
	if cur+n > size {
		p.h = nil
		if err := f.Truncate(cur); err != nil {
			return cur, fmt.Errorf("append to upload %s: %w", digest, err)
		}
		if err := f.Sync(); err != nil {
			return cur, fmt.Errorf("append to upload %s: %w", digest, err)
		}
		return cur, fmt.Errorf("append to upload %s: %w: more than %d bytes", digest, store.ErrTooLarge, size)
	}
	if err := f.Sync(); err != nil {
		p.h = nil
		return cur, fmt.Errorf("append to upload %s: %w", digest, err)
	}
	if cur == 0 && n > 0 {
		// The first bytes: the part file's name must be durable too
		// (Begin did not sync it), or the offset returned is a lie.
		if err := d.uploadsSync.sync(); err != nil {
			p.h = nil
			return cur, fmt.Errorf("append to upload %s: %w", digest, err)
		}
	}
	if copyErr != nil {
		// The hash may have seen bytes the file did not; recompute at Commit.
		p.h = nil
		return cur + n, fmt.Errorf("append to upload %s: %w", digest, copyErr)
	}
	return cur + n, nil
}

// Commit checks that the upload is complete and hashes to its digest, then
// makes the blob present. A mismatch removes the upload and returns
// store.ErrDigestMismatch. Committing an upload whose blob is already
// present succeeds (the part is dropped: storage is deduplicated) once the
// blob's name is durable. Without a part file it is store.ErrNotFound,
// even if the blob is present: whether a retried commit may learn that is
// the caller's decision.
func (d *Dir) Commit(up store.Upload) (store.BlobInfo, error) {
	id, err := d.resolve(up)
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload: %w", err)
	}
	digest, size := up.Digest, up.Size
	p := d.acquire(id)
	defer p.mu.Unlock()
	path := d.partPath(id)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, err)
	}
	if fi.Size() != size {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: incomplete: %w", digest, &store.OffsetError{Got: size, Want: fi.Size()})
	}
	var sum []byte
	if p.h != nil && p.n == size {
		sum = p.h.Sum(nil)
	} else if sum, err = hashFile(path); err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, err)
	}
	d.forget(id, p)
	if hex.EncodeToString(sum) != digest {
		if err := removeSynced(path); err != nil {
			return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, err)
		}
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, store.ErrDigestMismatch)
	}
	if err := d.publish(path, digest); err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", digest, err)
	}
	return store.BlobInfo{Digest: digest, Size: size, Present: true}, nil
}

// publish renames a complete, fsynced file into objects/ and fsyncs that
// directory. If the blob is already there, the file is removed instead;
// the blob's name may have been linked by a concurrent writer that has not
// synced the folder yet, so the folder is synced all the same before
// publish returns: "present" is never answered before it is durable.
func (d *Dir) publish(path, digest string) error {
	obj := d.objectPath(digest)
	if _, err := os.Stat(obj); err == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return d.objectsSync.sync()
	}
	if err := os.Rename(path, obj); err != nil {
		return err
	}
	// Syncing the target folder makes the new name durable. The old name
	// in uploads/ is not synced away: if it comes back after a crash, the
	// blob is present, Begin answers done, and GC removes the part.
	return d.objectsSync.sync()
}

// Put stores r as the blob digest in one go. r is read and checked whole
// even when the blob is present already (then the copy is dropped once the
// present one's name is durable): whoever calls Put proves it holds the
// bytes.
func (d *Dir) Put(ctx context.Context, digest string, r io.Reader) (store.BlobInfo, error) {
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, err
	}
	b, err := d.create(digest)
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	kept := false
	defer func() {
		if !kept {
			b.discard()
		}
	}()
	h := store.SHA256For(r)
	bp := copyBuffers.Get().(*[]byte)
	n, err := copyFull(io.MultiWriter(b, h), io.LimitReader(ctxReader{ctx, r}, d.maxSize+1), *bp)
	copyBuffers.Put(bp)
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	if n > d.maxSize {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w: limit %d bytes", digest, store.ErrTooLarge, d.maxSize)
	}
	if hex.EncodeToString(h.Sum(nil)) != digest {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, store.ErrDigestMismatch)
	}
	if err := b.Sync(); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	kept = true // finish closes or removes it
	if err := d.finish(b, digest); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	return store.BlobInfo{Digest: digest, Size: n, Present: true}, nil
}

// GC removes uploads whose last chunk was written before now-ttl, and
// returns how many it removed.
func (d *Dir) GC(now time.Time, ttl time.Duration) (int, error) {
	dir := filepath.Join(d.root, uploadsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("gc uploads: %w", err)
	}
	cutoff := now.Add(-ttl)
	removed := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), partSuffix)
		if !ok {
			continue
		}
		if _, _, err := parseUploadID(id); err != nil {
			continue // not ours; leave it
		}
		p := d.acquire(id)
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		if err == nil && fi.ModTime().Before(cutoff) {
			err = os.Remove(filepath.Join(dir, e.Name()))
			if err == nil {
				removed++
				d.forget(id, p)
			}
		}
		p.mu.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("gc uploads: %w", err)
		}
	}
	if removed > 0 {
		if err := syncDir(dir); err != nil {
			return removed, fmt.Errorf("gc uploads: %w", err)
		}
	}
	return removed, nil
}

// Uploads lists the partial uploads on disk with their durable offsets.
func (d *Dir) Uploads() ([]store.Upload, error) {
	entries, err := os.ReadDir(filepath.Join(d.root, uploadsDir))
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	var ups []store.Upload
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), partSuffix)
		if !ok {
			continue
		}
		digest, size, err := parseUploadID(id)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		ups = append(ups, store.Upload{ID: id, Digest: digest, Size: size, Offset: fi.Size()}) // Owner is hashed away
	}
	return ups, nil
}

func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func removeSynced(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
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

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
