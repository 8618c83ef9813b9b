package boltstore

import (
	"context"
	"fmt"
	"io"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// BeginUpload implements store.Blobs.
func (s *Store) BeginUpload(ctx context.Context, owner certs.AgencyCode, digest string, size int64) (store.Upload, error) {
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
