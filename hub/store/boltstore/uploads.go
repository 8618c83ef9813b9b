package boltstore

import (
	"context"
	"errors"
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

// CommitUpload implements store.Blobs: the file is made present and
// durable, then the owner's grant recorded.
func (s *Store) CommitUpload(ctx context.Context, up store.Upload, at time.Time) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	info, err := s.blobs.Commit(up)
	if errors.Is(err, store.ErrNotFound) {
		// A retried commit finds no part: it succeeded if the owner holds
		// the blob; to anyone else the blob does not exist.
		if ok, gerr := s.BlobGranted(ctx, up.Owner, up.Digest); gerr != nil || !ok {
			return store.BlobInfo{}, err
		}
		if info, serr := s.blobs.Stat(up.Digest); serr == nil && info.Present && info.Size == up.Size {
			return info, nil
		}
		return store.BlobInfo{}, err
	}
	if err != nil {
		return store.BlobInfo{}, err
	}
	if err := s.recordUpload(ctx, up.Owner, info, at); err != nil {
		return store.BlobInfo{}, fmt.Errorf("commit upload %s: %w", up.Digest, err)
	}
	return info, nil
}

// PutBlob implements store.Blobs.
func (s *Store) PutBlob(ctx context.Context, owner certs.AgencyCode, digest string, r io.Reader, at time.Time) (store.BlobInfo, error) {
	if err := s.check(ctx); err != nil {
		return store.BlobInfo{}, err
	}
	if err := store.ValidDigest(digest); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	if ok, err := s.BlobGranted(ctx, owner, digest); err != nil {
		return store.BlobInfo{}, err
	} else if ok {
		if info, err := s.blobs.Stat(digest); err != nil || info.Present {
			return info, err // the owner's own retry: not read again
		}
	}
	info, err := s.blobs.Put(ctx, digest, r)
	if err != nil {
		return store.BlobInfo{}, err
	}
	if err := s.recordUpload(ctx, owner, info, at); err != nil {
		return store.BlobInfo{}, fmt.Errorf("put blob %s: %w", digest, err)
	}
	return info, nil
}

// OpenBlob implements store.Blobs.
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.openBlob(ctx, digest)
}

// OpenGranted implements store.Blobs.
func (s *Store) OpenGranted(ctx context.Context, agency certs.AgencyCode, digest string) (io.ReadSeekCloser, error) {
	ok, err := s.BlobGranted(ctx, agency, digest)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("open blob %s for %s: %w", digest, agency, store.ErrNotFound)
	}
	return s.openBlob(ctx, digest)
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
