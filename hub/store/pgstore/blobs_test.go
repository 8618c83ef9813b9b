package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/storetest"
)

var ctx = context.Background()

// The conformance suite's blobs fit in one piece; these span several, with
// appends that do not fall on piece boundaries.
func TestBlobsSpanPieces(t *testing.T) {
	url := cluster.NewDatabase(t)
	s := openAt(t, url)
	data := storetest.RandomBytes(3*pgstore.ChunkSize + 12_345)
	d := storetest.Digest(data)
	up, err := s.BeginUpload(ctx, storetest.Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off := int64(0)
	for _, n := range []int64{1, pgstore.ChunkSize - 1, pgstore.ChunkSize + 7, int64(len(data))} {
		end := min(off+n, int64(len(data)))
		if off, err = s.AppendUpload(ctx, up, off, bytes.NewReader(data[off:end])); err != nil {
			t.Fatal(err)
		}
	}
	// Committing re-keys the pieces: their bytes are not written again.
	toast := func() int64 {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, `SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'blob_chunks'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := toast()
	if _, err := s.CommitUpload(ctx, up, storetest.T0); err != nil {
		t.Fatal(err)
	}
	if after := toast(); after > before {
		t.Errorf("committing the upload grew the pieces' storage from %d to %d bytes: its bytes were copied", before, after)
	}
	checkBlob(t, s, d, data)

	// PutBlob streams in pieces too.
	data2 := storetest.RandomBytes(2*pgstore.ChunkSize + 1)
	d2 := storetest.Digest(data2)
	if _, err := s.PutBlob(ctx, storetest.Govoffice, d2, bytes.NewReader(data2), storetest.T0); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, d2, data2)
}

// Attachment bytes are kept as they come: even bytes that compress well
// are not compressed, whole or uploaded in parts, since signed PDFs do not
// compress and TOAST's attempt costs the database a pass over each piece.
func TestPiecesNotCompressed(t *testing.T) {
	url := cluster.NewDatabase(t)
	s := openAt(t, url)
	text := bytes.Repeat([]byte("Ủy ban nhân dân tỉnh Quảng Ninh "), pgstore.ChunkSize/16)
	whole, parts := text[:pgstore.ChunkSize/2], text[:pgstore.ChunkSize+100]
	if _, err := s.PutBlob(ctx, storetest.Govoffice, storetest.Digest(whole), bytes.NewReader(whole), storetest.T0); err != nil {
		t.Fatal(err)
	}
	up, err := s.BeginUpload(ctx, storetest.Quangninh, storetest.Digest(parts), int64(len(parts)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(parts)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up, storetest.T0); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, storetest.Digest(parts), parts)
	if pieces, compressed := piecesCompressed(t, url); pieces < 3 || compressed != 0 {
		t.Fatalf("%d of %d pieces stored compressed, want none of at least 3", compressed, pieces)
	}
}

// The PDF check reads a signed PDF's end and a few objects: opening a blob
// and reading at a random offset fetch a window, not the whole piece,
// while a reader going through the blob in order gets the rest of each
// piece at once.
func TestReadsFetchWhatTheyNeed(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t))
	data := storetest.RandomBytes(pgstore.ChunkSize + 100)
	d := storetest.Digest(data)
	if _, err := s.PutBlob(ctx, storetest.Govoffice, d, bytes.NewReader(data), storetest.T0); err != nil {
		t.Fatal(err)
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := pgstore.Fetched(f); n != pgstore.ReadWindow {
		t.Fatalf("opening fetched %d bytes, want the first %d", n, pgstore.ReadWindow)
	}
	buf := make([]byte, pgstore.ReadWindow)
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, data[:len(buf)]) {
		t.Fatalf("read from the start: %v", err)
	}
	if _, err := io.ReadFull(f, buf[:1]); err != nil || buf[0] != data[pgstore.ReadWindow] {
		t.Fatalf("read on: %v", err)
	}
	if n, want := pgstore.Fetched(f), pgstore.ChunkSize-pgstore.ReadWindow; n != want {
		t.Fatalf("reading in order fetched %d bytes, want the %d left of the piece", n, want)
	}
	for _, at := range []int64{10, pgstore.ChunkSize - 5000} {
		buf := make([]byte, 10)
		if _, err := f.(io.ReaderAt).ReadAt(buf, at); err != nil || !bytes.Equal(buf, data[at:at+10]) {
			t.Fatalf("read at %d: %v", at, err)
		}
		if n, want := pgstore.Fetched(f), min(pgstore.ReadWindow, int(pgstore.ChunkSize-at)); n != want {
			t.Fatalf("10 bytes at %d fetched %d bytes, want %d", at, n, want)
		}
	}
}

// piecesCompressed counts the rows of blob_chunks, and those whose bytes
// PostgreSQL stored compressed.
func piecesCompressed(t *testing.T, url string) (pieces, compressed int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT count(*), count(pg_column_compression(data)) FROM blob_chunks`).Scan(&pieces, &compressed)
	if err != nil {
		t.Fatal(err)
	}
	return pieces, compressed
}

func checkBlob(t *testing.T, s *reopenable, digest string, want []byte) {
	t.Helper()
	f, err := s.OpenBlob(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d: %v", len(got), len(want), err)
	}
	// Seek into the middle of a piece and across a boundary.
	at := int64(pgstore.ChunkSize - 3)
	if _, err := f.Seek(at, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, want[at:at+10]) {
		t.Fatalf("read across a piece boundary: %v", err)
	}
	if n, err := f.Seek(-5, io.SeekEnd); err != nil || n != int64(len(want))-5 {
		t.Fatalf("seek from the end: %d %v", n, err)
	}
	if rest, err := io.ReadAll(f); err != nil || !bytes.Equal(rest, want[len(want)-5:]) {
		t.Fatalf("read the end: %v", err)
	}
	// The PDF check reads at random offsets: Read, ReadAt and Seek, mixed
	// and concurrently, as package iotest exercises them.
	g, err := s.OpenBlob(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, ok := g.(io.ReaderAt); !ok {
		t.Fatal("a blob is not an io.ReaderAt")
	}
	if err := iotest.TestReader(g, want); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	url := cluster.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE lienthong_schema SET version = $1`, pgstore.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, url, pgstore.Options{}); !errors.Is(err, pgstore.ErrSchema) {
		t.Fatalf("open of a newer schema: %v, want ErrSchema", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	if _, err := pgstore.Open(ctx, "host=/nonexistent user=postgres dbname=x connect_timeout=2", pgstore.Options{}); err == nil {
		t.Fatal("open of an unreachable database succeeded")
	}
}

// failAfter yields its bytes, then fails as a broken connection would.
type failAfter struct{ r io.Reader }

var errBroken = errors.New("connection reset")

func (f failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

func TestAppendKeepsPiecesBeforeAFailure(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t))
	data := storetest.RandomBytes(2*pgstore.ChunkSize + 10)
	d := storetest.Digest(data)
	up, err := s.BeginUpload(ctx, storetest.Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Several pieces, then a failure: what was read stays.
	reached := int64(pgstore.ChunkSize + 100)
	n, err := s.AppendUpload(ctx, up, 0, failAfter{bytes.NewReader(data[:reached])})
	if !errors.Is(err, errBroken) || n != reached {
		t.Fatalf("append over a broken reader: %d %v, want %d and the reader's error", n, err, reached)
	}
	// An over-long append takes back every piece it wrote.
	n, err = s.AppendUpload(ctx, up, reached, bytes.NewReader(append(bytes.Clone(data[reached:]), 1)))
	if !errors.Is(err, store.ErrTooLarge) || n != reached {
		t.Fatalf("over-long append: %d %v, want %d and ErrTooLarge", n, err, reached)
	}
	if again, err := s.BeginUpload(ctx, storetest.Quangninh, d, int64(len(data))); err != nil || again.Offset != reached {
		t.Fatalf("durable offset after an over-long append: %+v %v, want %d", again, err, reached)
	}
	if _, err := s.AppendUpload(ctx, up, reached, bytes.NewReader(data[reached:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up, storetest.T0); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, d, data)
}

func TestFailedPutLeavesNothing(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t))
	data := storetest.RandomBytes(pgstore.ChunkSize + 10)
	d := storetest.Digest(data)
	if _, err := s.PutBlob(ctx, storetest.Quangninh, d, failAfter{bytes.NewReader(data)}, storetest.T0); !errors.Is(err, errBroken) {
		t.Fatalf("put over a broken reader: %v", err)
	}
	if info, err := s.StatBlob(ctx, d); err != nil || info.Present {
		t.Fatalf("blob after a failed put: %+v %v", info, err)
	}
	// Its staging pieces went with it: nothing is left to collect.
	if n, err := s.GCUploads(ctx, time.Now().Add(time.Hour), time.Minute); err != nil || n != 0 {
		t.Fatalf("uploads left by a failed put: %d %v", n, err)
	}
}

// TestFailedWholePutRollsBack: a one-piece put whose write fails after
// its lock (here: stray pieces under the digest, which the store never
// leaves) rolls back whole, record and grant, and its connection goes
// back to the pool usable.
func TestFailedWholePutRollsBack(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t))
	data := storetest.RandomBytes(100)
	d := storetest.Digest(data)
	other := connect(t, s.Store)
	if _, err := other.Exec(ctx, `INSERT INTO blob_chunks (digest, off, data) VALUES ($1, 0, 'x')`, d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBlob(ctx, storetest.Quangninh, d, bytes.NewReader(data), storetest.T0); err == nil {
		t.Fatal("a put over stray pieces succeeded")
	}
	var n int
	if err := other.QueryRow(ctx, `SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM blob_grants) + (SELECT count(*) FROM blob_pending)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows of records, grants and usage after a failed put (%v), want 0", n, err)
	}
	if _, err := other.Exec(ctx, `DELETE FROM blob_chunks`); err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // more than the pool's idle connections: each owner's first put is stored
		owner := []certs.AgencyCode{storetest.Quangninh, storetest.Caobang}[i%2]
		if info, err := s.PutBlob(ctx, owner, d, bytes.NewReader(data), storetest.T0); err != nil || !info.Present {
			t.Fatalf("put after a failed one: %+v %v", info, err)
		}
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := io.ReadAll(f); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the blob reads %d bytes (%v), want the %d put", len(got), err, len(data))
	}
}

// Two nodes storing the same bytes at once, whole (one piece or several)
// or through resumable uploads, both succeed: one blob, both owners hold
// it, its bytes stored once.
func TestConcurrentUploadsOfOneDigest(t *testing.T) {
	url := cluster.NewDatabase(t)
	a, b := openAt(t, url), openAt(t, url)
	owners := []struct {
		s     *reopenable
		agent certs.AgencyCode
	}{{a, storetest.Quangninh}, {b, storetest.Govoffice}, {a, storetest.Govoffice}, {b, storetest.Quangninh}}
	for _, tc := range []struct {
		name      string
		size      int
		resumable bool
	}{
		{"one piece", 10_240, false},
		{"a full piece", pgstore.ChunkSize, false},
		{"several pieces", pgstore.ChunkSize + 10, false},
		{"resumable", pgstore.ChunkSize + 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := storetest.RandomBytes(tc.size)
			d := storetest.Digest(data)
			var wg sync.WaitGroup
			errs := make([]error, len(owners))
			for i, o := range owners {
				if tc.resumable && i >= 2 {
					// One upload per owner: a twin finds it committed.
					break
				}
				wg.Go(func() {
					if !tc.resumable {
						_, errs[i] = o.s.PutBlob(ctx, o.agent, d, bytes.NewReader(data), storetest.T0)
						return
					}
					up, err := o.s.BeginUpload(ctx, o.agent, d, int64(len(data)))
					if err != nil {
						errs[i] = err
						return
					}
					if _, err := o.s.AppendUpload(ctx, up, up.Offset, bytes.NewReader(data[up.Offset:])); err != nil {
						errs[i] = err
						return
					}
					_, errs[i] = o.s.CommitUpload(ctx, up, storetest.T0)
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("upload %d: %v", i, err)
				}
			}
			for _, o := range owners {
				if ok, err := o.s.BlobGranted(ctx, o.agent, d); err != nil || !ok {
					t.Errorf("%s holds no grant of the blob: %v", o.agent, err)
				}
			}
			f, err := b.OpenBlob(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, want %d: %v", len(got), len(data), err)
			}
			var pieces, bytesStored int64
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(length(data)), 0) FROM blob_chunks WHERE digest = $1`, d).
				Scan(&pieces, &bytesStored); err != nil {
				t.Fatal(err)
			}
			if want := int64((len(data) + pgstore.ChunkSize - 1) / pgstore.ChunkSize); bytesStored != int64(len(data)) || pieces < want {
				t.Errorf("blob stored as %d pieces of %d bytes in all, want %d bytes", pieces, bytesStored, len(data))
			}
		})
	}
}

// TestWholePutOfANewBlob: a one-piece put of a new blob (one statement)
// and a second owner's put of it (under the record's lock) each store
// what an upload stores: the bytes once, the owner's grant, and the
// owner's count of bytes no message carries; also for no bytes.
func TestWholePutOfANewBlob(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t))
	other := connect(t, s.Store)
	for _, size := range []int{0, 100} {
		data := storetest.RandomBytes(size)
		d := storetest.Digest(data)
		for _, owner := range []certs.AgencyCode{storetest.Quangninh, storetest.Caobang} {
			before, err := s.UploadUsage(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.PutBlob(ctx, owner, d, bytes.NewReader(data), storetest.T0)
			if err != nil || !info.Present || info.Size != int64(size) {
				t.Fatalf("put of %d bytes by %s: %+v %v", size, owner, info, err)
			}
			if ok, err := s.BlobGranted(ctx, owner, d); err != nil || !ok {
				t.Fatalf("%s holds no grant of the %d bytes it put (%v)", owner, size, err)
			}
			after, err := s.UploadUsage(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			if after.Unreferenced != before.Unreferenced+int64(size) {
				t.Fatalf("%s's unreferenced bytes went from %d to %d after a put of %d", owner, before.Unreferenced, after.Unreferenced, size)
			}
		}
		st, err := s.StatBlob(ctx, d)
		if err != nil || !st.Present || st.Size != int64(size) {
			t.Fatalf("stat of the %d bytes: %+v %v", size, st, err)
		}
		f, err := s.OpenBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("the blob reads %d bytes (%v), want the %d put", len(got), err, size)
		}
		var pieces int
		if err := other.QueryRow(ctx, `SELECT count(*) FROM blob_chunks WHERE digest = $1`, d).Scan(&pieces); err != nil {
			t.Fatal(err)
		}
		if want := min(size, 1); pieces != want {
			t.Fatalf("%d pieces stored for %d bytes, want %d", pieces, size, want)
		}
	}
}
