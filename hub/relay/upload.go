package relay

import (
	"context"
	"fmt"
	"io"

	"lienthong/certs"
	"lienthong/hub/store"
)

// UploadState is where an attachment upload stands.
type UploadState struct {
	Digest string
	Size   int64
	Offset int64 // the durable offset to resume from
	Done   bool  // the attachment is stored whole
}

// BeginUpload starts or resumes agency's upload of an attachment.
func (r *Relay) BeginUpload(ctx context.Context, agency certs.AgencyCode, digest string, size int64) (UploadState, error) {
	up, err := r.st.BeginUpload(ctx, agency, digest, size)
	if err != nil {
		return UploadState{}, err
	}
	return UploadState{Digest: digest, Size: size, Offset: up.Offset, Done: up.Done}, nil
}

// AppendUpload writes body at offset of agency's upload and, when the
// upload is then whole, checks its digest and stores it. A body longer
// than the upload still takes is store.ErrTooLarge.
func (r *Relay) AppendUpload(ctx context.Context, agency certs.AgencyCode, digest string, size, offset int64, body io.Reader) (UploadState, error) {
	up, err := r.st.BeginUpload(ctx, agency, digest, size)
	if err != nil {
		return UploadState{}, err
	}
	if up.Done {
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
		if _, err := r.st.CommitUpload(ctx, up); err != nil {
			return UploadState{}, err
		}
		state.Done = true
		r.stored(agency, digest, size)
	}
	return state, nil
}

// PutWhole stores an attachment that one request carries whole: written
// to a temporary file and renamed into place, it costs one fsync fewer
// than a resumable upload and no part file. If the request breaks off, the
// sender starts again from 0, which costs at most that much again. A body
// that disagrees with size is never stored.
func (r *Relay) PutWhole(ctx context.Context, agency certs.AgencyCode, digest string, size int64, body io.Reader) (UploadState, error) {
	info, err := r.st.PutBlob(ctx, digest, &exactReader{r: body, left: size})
	if err != nil {
		return UploadState{}, err
	}
	if info.Size != size { // a blob already present under this digest
		return UploadState{}, fmt.Errorf("attachment %s is stored with %d bytes, not %d: %w", digest, info.Size, size, store.ErrConflict)
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
