package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"testing"
	"time"

	"lienthong/hub/store"
)

func testBlobPut(t *testing.T, s store.Store) {
	data := RandomBytes(70_000)
	d := Digest(data)
	info, err := s.StatBlob(ctx, d)
	if err != nil || info.Present {
		t.Fatalf("stat before put: %+v %v", info, err)
	}
	if _, err := s.OpenBlob(ctx, d); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("open before put: %v", err)
	}
	for i := range 2 {
		info, err := s.PutBlob(ctx, Quangninh, d, bytes.NewReader(data), T0)
		if err != nil || !info.Present || info.Size != int64(len(data)) {
			t.Fatalf("put %d: %+v %v", i, info, err)
		}
	}
	info, err = s.StatBlob(ctx, d)
	if err != nil || !info.Present || info.Size != int64(len(data)) {
		t.Fatalf("stat: %+v %v", info, err)
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The blob's size, as the hub's submission check reads it.
	if n, err := f.Seek(0, io.SeekEnd); err != nil || n != int64(len(data)) {
		t.Fatalf("seek to the end: %d, %v; want %d", n, err, len(data))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
	if _, err := f.Seek(60_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(f)
	if !bytes.Equal(tail, data[60_000:]) {
		t.Fatalf("seek and read returned other bytes")
	}
	if _, err := s.StatBlob(ctx, "not-a-digest"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("stat of a malformed digest: %v", err)
	}
}

// hashingReader is an upload that brings its own SHA-256, as the hub's
// hashes a PDF's signed ranges in the same pass (store.SHA256Reader).
type hashingReader struct {
	io.Reader
	h       hash.Hash
	written int
}

func (r *hashingReader) SHA256() hash.Hash { return r }
func (r *hashingReader) Write(p []byte) (int, error) {
	r.written += len(p)
	return r.h.Write(p)
}
func (r *hashingReader) Sum(b []byte) []byte { return r.h.Sum(b) }
func (r *hashingReader) Reset()              { r.h.Reset() }
func (r *hashingReader) Size() int           { return r.h.Size() }
func (r *hashingReader) BlockSize() int      { return r.h.BlockSize() }

// PutBlob checks the bytes with the hash the reader brings, writing each
// byte to it once, in one piece or several (pgstore's pieces are 1 MiB),
// so that what else it computes covers the whole blob.
func testBlobPutReadersHash(t *testing.T, s store.Store) {
	for _, size := range []int{70_000, 1<<20 + 70_000} {
		data := RandomBytes(size)
		r := &hashingReader{Reader: bytes.NewReader(data), h: sha256.New()}
		if _, err := s.PutBlob(ctx, Quangninh, Digest(data), r, T0); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if r.written != size || hex.EncodeToString(r.Sum(nil)) != Digest(data) {
			t.Fatalf("%d bytes: the reader's hash was given %d bytes", size, r.written)
		}
	}
}

func testBlobPutMismatch(t *testing.T, s store.Store) {
	data := RandomBytes(10_000)
	claimed := Digest([]byte("something else"))
	_, err := s.PutBlob(ctx, Quangninh, claimed, bytes.NewReader(data), T0)
	wantErr(t, err, store.ErrDigestMismatch)
	for _, d := range []string{claimed, Digest(data)} {
		info, err := s.StatBlob(ctx, d)
		if err != nil || info.Present {
			t.Fatalf("blob %s present after a mismatch: %+v %v", d, info, err)
		}
	}
}

func testBlobChunked(t *testing.T, s store.Store) {
	data := RandomBytes(300_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || up.Offset != 0 {
		t.Fatalf("begin: %+v %v", up, err)
	}
	off := int64(0)
	for off < int64(len(data)) {
		end := min(off+64_000, int64(len(data)))
		n, err := s.AppendUpload(ctx, up, off, bytes.NewReader(data[off:end]))
		if err != nil || n != end {
			t.Fatalf("append at %d: %d %v", off, n, err)
		}
		off = n
		if off == 128_000 {
			// A chunk sent twice (the reply was lost) is refused with the
			// offset to resume from.
			_, err := s.AppendUpload(ctx, up, 64_000, bytes.NewReader(data[64_000:128_000]))
			var oe *store.OffsetError
			if !errors.As(err, &oe) || oe.Want != 128_000 || !errors.Is(err, store.ErrOffset) {
				t.Fatalf("stale chunk: %v", err)
			}
			again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
			if err != nil || again.Offset != 128_000 || again.ID != up.ID {
				t.Fatalf("begin again mid-upload: %+v %v", again, err)
			}
		}
	}
	if info, _ := s.StatBlob(ctx, d); info.Present {
		t.Fatalf("blob present before commit")
	}
	info, err := s.CommitUpload(ctx, up, T0)
	if err != nil || !info.Present || info.Size != int64(len(data)) {
		t.Fatalf("commit: %+v %v", info, err)
	}
	if _, err := s.CommitUpload(ctx, up, T0); err != nil {
		t.Fatalf("second commit: %v", err)
	}
	// Another agency's upload of the same digest behaves as if the blob
	// were absent: it learns nothing, and uploads the bytes itself.
	fresh, err := s.BeginUpload(ctx, Nghean, d, int64(len(data)))
	if err != nil || fresh.Offset != 0 {
		t.Fatalf("another owner's begin of a present blob: %+v %v, want a fresh upload", fresh, err)
	}
	if ok, err := s.BlobGranted(ctx, Nghean, d); err != nil || ok {
		t.Fatalf("another owner holds a grant before uploading: %v %v", ok, err)
	}
	if _, err := s.CommitUpload(ctx, fresh, T0); !errors.Is(err, store.ErrOffset) && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("commit of another owner's empty upload: %v", err)
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("read back differs")
	}
	// Two owners upload the same bytes independently.
	other := RandomBytes(1000)
	u1, _ := s.BeginUpload(ctx, Quangninh, Digest(other), 1000)
	u2, _ := s.BeginUpload(ctx, Caobang, Digest(other), 1000)
	if u1.ID == u2.ID {
		t.Fatalf("two owners share an upload")
	}
	if _, err := s.AppendUpload(ctx, u1, 0, bytes.NewReader(other[:500])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, u2, 0, bytes.NewReader(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, u2, T0); err != nil {
		t.Fatal(err)
	}
	// The first owner's incomplete upload cannot be committed ...
	if _, err := s.CommitUpload(ctx, u1, T0); !errors.Is(err, store.ErrOffset) {
		t.Fatalf("commit of an incomplete upload: %v", err)
	}
	// ... and when finished, it commits to the blob already there.
	if _, err := s.AppendUpload(ctx, u1, 500, bytes.NewReader(other[500:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, u1, T0); err != nil {
		t.Fatal(err)
	}
	// Another size for a present digest is no conflict either (that
	// would reveal the blob): those bytes can never hash to it.
	other2, err := s.BeginUpload(ctx, Caobang, d, int64(len(data))+1)
	if err != nil || other2.Offset != 0 {
		t.Fatalf("begin of a present digest with another size: %+v %v", other2, err)
	}
	_, err = s.AppendUpload(ctx, store.Upload{ID: "../../etc/passwd"}, 0, bytes.NewReader(nil))
	wantErr(t, err, store.ErrInvalid)
	// Another agency can neither reach an owner's upload by its own name
	// nor by forging the id.
	data3 := RandomBytes(3000)
	mine, err := s.BeginUpload(ctx, Quangninh, Digest(data3), 3000)
	if err != nil {
		t.Fatal(err)
	}
	theirs := store.Upload{Owner: Caobang, Digest: mine.Digest, Size: mine.Size}
	_, err = s.AppendUpload(ctx, theirs, 0, bytes.NewReader(RandomBytes(3000)))
	wantErr(t, err, store.ErrNotFound)
	theirs.ID = mine.ID
	_, err = s.AppendUpload(ctx, theirs, 0, bytes.NewReader(RandomBytes(3000)))
	wantErr(t, err, store.ErrInvalid)
	_, err = s.CommitUpload(ctx, theirs, T0)
	wantErr(t, err, store.ErrInvalid)
	if n, err := s.AppendUpload(ctx, mine, 0, bytes.NewReader(data3)); err != nil || n != 3000 {
		t.Fatalf("owner's append: %d %v", n, err)
	}
}

func testBlobCommitMismatch(t *testing.T, s store.Store) {
	data := RandomBytes(50_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[49_999] ^= 1
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	_, err = s.CommitUpload(ctx, up, T0)
	wantErr(t, err, store.ErrDigestMismatch)
	if info, _ := s.StatBlob(ctx, d); info.Present {
		t.Fatalf("blob present after a digest mismatch")
	}
	if info, _ := s.StatBlob(ctx, Digest(bad)); info.Present {
		t.Fatalf("mismatched bytes stored under their own digest")
	}
	again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || again.Offset != 0 {
		t.Fatalf("begin after a mismatch: %+v %v, want a fresh upload", again, err)
	}
	if _, err := s.AppendUpload(ctx, again, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, again, T0); err != nil {
		t.Fatalf("commit of the right bytes: %v", err)
	}
}

func testBlobTooLarge(t *testing.T, s store.Store) {
	data := RandomBytes(1000)
	up, err := s.BeginUpload(ctx, Quangninh, Digest(data), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:600])); err != nil {
		t.Fatal(err)
	}
	n, err := s.AppendUpload(ctx, up, 600, bytes.NewReader(RandomBytes(401)))
	wantErr(t, err, store.ErrTooLarge)
	if n != 600 {
		t.Fatalf("offset after an over-long chunk = %d, want 600", n)
	}
	again, _ := s.BeginUpload(ctx, Quangninh, Digest(data), 1000)
	if again.Offset != 600 {
		t.Fatalf("durable offset = %d, want 600", again.Offset)
	}
	if _, err := s.AppendUpload(ctx, up, 600, bytes.NewReader(data[600:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up, T0); err != nil {
		t.Fatal(err)
	}
	_, err = s.BeginUpload(ctx, Quangninh, Digest(data), 1<<40)
	wantErr(t, err, store.ErrTooLarge)
}

func testBlobGC(t *testing.T, s store.Store) {
	data := RandomBytes(2000)
	up, err := s.BeginUpload(ctx, Quangninh, Digest(data), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:1000])); err != nil {
		t.Fatal(err)
	}
	const ttl = 24 * time.Hour
	n, err := s.GCUploads(ctx, time.Now(), ttl)
	if err != nil || n != 0 {
		t.Fatalf("gc of a fresh upload removed %d, %v", n, err)
	}
	if _, err := s.AppendUpload(ctx, up, 1000, bytes.NewReader(data[1000:1500])); err != nil {
		t.Fatalf("append after a gc that kept it: %v", err)
	}
	n, err = s.GCUploads(ctx, time.Now().Add(ttl+time.Minute), ttl)
	if err != nil || n != 1 {
		t.Fatalf("gc of an idle upload removed %d, %v", n, err)
	}
	_, err = s.AppendUpload(ctx, up, 1500, bytes.NewReader(data[1500:]))
	wantErr(t, err, store.ErrNotFound)
	again, err := s.BeginUpload(ctx, Quangninh, Digest(data), 2000)
	if err != nil || again.Offset != 0 {
		t.Fatalf("begin after gc: %+v %v", again, err)
	}
}
