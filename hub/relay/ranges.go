package relay

import (
	"hash"
	"io"
	"sync"

	"lienthong/shared/pades"
)

// An upload in one request streams through a pades.RangeHasher, which the
// blob store checks the upload's SHA-256 with (store.SHA256Reader): in
// the same pass it hashes the byte ranges a PDF signature over the file's
// last /Contents string covers. The PDF check of the submission that
// names the blob then takes that digest (pades.Prehashed) instead of
// reading and hashing the file again. A store that hashes otherwise, an
// upload in several requests, or a hub node other than the one that took
// the upload, leaves nothing here, and the check hashes the file.

// rangeCacheSize bounds the digests kept between an upload and its
// submission (each about 100 bytes): a submission usually follows its
// uploads at once.
const rangeCacheSize = 1024

// rangeCache keeps the signed ranges' digests of the latest uploads, by
// blob SHA-256, until a check takes them.
type rangeCache struct {
	mu    sync.Mutex
	byKey map[string]*pades.RangeDigests
	order []string // insertion order, oldest first; may name taken ones
}

func (c *rangeCache) put(digest string, rd *pades.RangeDigests) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[string]*pades.RangeDigests{}
	}
	if _, ok := c.byKey[digest]; !ok {
		c.order = append(c.order, digest)
	}
	c.byKey[digest] = rd
	for len(c.byKey) > rangeCacheSize || len(c.order) > 2*rangeCacheSize {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
}

// take returns and forgets the digests kept for blob digest of size bytes.
func (c *rangeCache) take(digest string, size int64) *pades.RangeDigests {
	c.mu.Lock()
	defer c.mu.Unlock()
	rd, ok := c.byKey[digest]
	if !ok {
		return nil
	}
	delete(c.byKey, digest)
	if rd.Size != size {
		return nil
	}
	return rd
}

// prehashed is ra, the stored bytes of blob digest of size bytes, with
// the signed ranges' digests taken while they were uploaded, if kept.
func (r *Relay) prehashed(digest string, size int64, ra io.ReaderAt) io.ReaderAt {
	if rd := r.ranges.take(digest, size); rd != nil {
		return &pades.Prehashed{ReaderAt: ra, Ranges: rd}
	}
	return ra
}

// rangeHashingReader is an upload's body that brings its store the
// SHA-256 to check it with: a pades.RangeHasher.
type rangeHashingReader struct {
	io.Reader
	h *pades.RangeHasher
}

// SHA256 implements store.SHA256Reader.
func (r *rangeHashingReader) SHA256() hash.Hash { return r.h }
