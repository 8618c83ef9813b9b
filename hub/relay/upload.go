package relay

import (
	"context"
	"fmt"
	"io"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/pades"
)

// UploadState is where an attachment upload stands.
type UploadState struct {
	Digest string
	Size   int64
	Offset int64 // the durable offset to resume from
	Done   bool  // the attachment is stored whole
}

// BeginUpload starts or resumes agency's upload of an attachment. It
// answers Done only to an agency that may use the blob (mayUseBlob) when
// the blob is present: to any other agency a blob present under the
// digest does not exist, and it uploads the bytes itself.
func (r *Relay) BeginUpload(ctx context.Context, agency certs.AgencyCode, digest string, size int64) (UploadState, error) {
	up, done, err := r.startUpload(ctx, agency, digest, size)
	switch {
	case err != nil:
		return UploadState{}, err
	case done:
		return UploadState{Digest: digest, Size: size, Offset: size, Done: true}, nil
	}
	return UploadState{Digest: digest, Size: size, Offset: up.Offset}, nil
}

// AppendUpload writes body at offset of agency's upload and, when the
// upload is then whole, checks its digest and stores it. A body longer
// than the upload still takes is store.ErrTooLarge.
func (r *Relay) AppendUpload(ctx context.Context, agency certs.AgencyCode, digest string, size, offset int64, body io.Reader) (UploadState, error) {
	up, done, err := r.startUpload(ctx, agency, digest, size)
	if err != nil {
		return UploadState{}, err
	}
	if done {
		return UploadState{Digest: digest, Size: size, Offset: size, Done: true}, nil
	}
	// Read one byte past what the upload may still take, so that a body
	// longer than declared is caught instead of cut silently.
	n, err := r.st.AppendUpload(ctx, up, offset, io.LimitReader(body, size-offset+1))
	if err != nil {
		return UploadState{}, err
	}
	state := UploadState{Digest: digest, Size: size, Offset: n}
	if n == size {
		if _, err := r.st.CommitUpload(ctx, up, r.now()); err != nil {
			return UploadState{}, err
		}
		state.Done = true
		r.stored(agency, digest, size)
	}
	return state, nil
}

// startUpload answers done when agency may use the blob and it is present
// with that size; otherwise it starts or resumes agency's own upload,
// within its quota.
func (r *Relay) startUpload(ctx context.Context, agency certs.AgencyCode, digest string, size int64) (up store.Upload, done bool, err error) {
	if done, err := r.checkUpload(ctx, agency, digest, size); err != nil || done {
		return store.Upload{}, done, err
	}
	up, err = r.st.BeginUpload(ctx, agency, digest, size)
	return up, false, err
}

// checkUpload decides, on one read of the store (store.Blobs.UploadCheck),
// whether agency's upload of digest is done already (agency may use the
// blob, mayUseBlob, and it is present with size bytes) and, if not,
// whether the quota allows it (quotaAllows).
func (r *Relay) checkUpload(ctx context.Context, agency certs.AgencyCode, digest string, size int64) (done bool, err error) {
	info, usage, err := r.st.UploadCheck(ctx, agency, digest)
	if err != nil {
		return false, err
	}
	if info.Present {
		if info.Size != size {
			return false, fmt.Errorf("attachment %s is stored with %d bytes, not %d: %w", digest, info.Size, size, store.ErrConflict)
		}
		return true, nil
	}
	return false, r.quotaAllows(usage, digest, size)
}

// quotaAllows decides whether agency may start an upload of size bytes:
// what it holds that no message references (its other partial uploads at
// their declared sizes, the attachments it uploaded but has not sent: u)
// and this upload must fit in the quota. Resuming an upload already
// started is always allowed. Uploads that start at the same moment are
// checked against the same usage, so the quota may be passed by what an
// agency starts at once (which the server's limits on requests in flight
// bound).
func (r *Relay) quotaAllows(u store.UploadUsage, digest string, size int64) error {
	if r.quota <= 0 {
		return nil
	}
	used := u.Unreferenced
	for _, p := range u.Partial {
		if p.Digest == digest && p.Size == size {
			return nil // resuming
		}
		used += p.Size
	}
	if used+size > r.quota {
		return fmt.Errorf("%w: %d bytes held, %d more asked, quota %d", ErrQuotaExceeded, used, size, r.quota)
	}
	return nil
}

// PutWhole stores an attachment that one request carries whole: written
// to a temporary file and renamed into place, it costs one fsync fewer
// than a resumable upload and no part file. If the request breaks off, the
// sender starts again from 0, which costs at most that much again. A body
// that disagrees with size is never stored. A blob the agency may use and
// that is present is done without its body being read; an agency that may
// not use the blob sends its bytes like any other, and they are checked
// whole.
func (r *Relay) PutWhole(ctx context.Context, agency certs.AgencyCode, digest string, size int64, body io.Reader) (UploadState, error) {
	switch done, err := r.checkUpload(ctx, agency, digest, size); {
	case err != nil:
		return UploadState{}, err
	case done: // the agency's retry, or bytes it may use already: not read again
		return UploadState{Digest: digest, Size: size, Offset: size, Done: true}, nil
	}
	body = &rangeHashingReader{Reader: &exactReader{r: body, left: size}, h: pades.NewRangeHasher()}
	info, err := r.st.PutBlob(ctx, agency, digest, body, r.now())
	if err != nil {
		return UploadState{}, err
	}
	if info.Size != size { // a blob the agency holds, under this digest
		return UploadState{}, fmt.Errorf("attachment %s is stored with %d bytes, not %d: %w", digest, info.Size, size, store.ErrConflict)
	}
	// Kept when the store checked the digest with the hasher, so that it
	// saw every byte (not when it had the blob already).
	if rd := body.(*rangeHashingReader).h.Ranges(); rd != nil && rd.Size == size {
		r.ranges.put(digest, rd)
	}
	r.stored(agency, digest, size)
	return UploadState{Digest: digest, Size: size, Offset: size, Done: true}, nil
}

func (r *Relay) stored(agency certs.AgencyCode, digest string, size int64) {
	r.obs.Uploaded(size)
	r.log.Info("attachment stored", "agency", agency, "sha256", digest, "size", size)
}

// exactReader reads exactly left bytes from r: more is store.ErrTooLarge,
// fewer io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		var one [1]byte
		if n, _ := io.ReadFull(e.r, one[:]); n > 0 {
			return 0, fmt.Errorf("%w: the body is longer than the declared size", store.ErrTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil // the end comes from the check above, at the next read
	}
	return n, err
}
