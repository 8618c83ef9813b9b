package blobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"lienthong/hub/store"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func open(t *testing.T, root string) *Dir {
	t.Helper()
	d, err := Open(root, Options{MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenRemovesStaleTemporaries(t *testing.T) {
	root := t.TempDir()
	d := open(t, root)
	stale := filepath.Join(root, tmpDir, "0123456789abcdef.123.tmp")
	if err := os.WriteFile(stale, []byte("half a blob"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A partial upload is resumable and must survive the reopen.
	data := random(1000)
	up, err := d.Begin("000.00.00.H49", digest(data), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Append(up, 0, bytes.NewReader(data[:400])); err != nil {
		t.Fatal(err)
	}
	d = open(t, root)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file survived Open: %v", err)
	}
	ups, err := d.Uploads()
	if err != nil || len(ups) != 1 || ups[0].Offset != 400 || ups[0].ID != up.ID {
		t.Fatalf("uploads after reopen = %+v, %v", ups, err)
	}
}

func TestConcurrentAppendsSerialise(t *testing.T) {
	d := open(t, t.TempDir())
	data := random(64 * 1000)
	up, err := d.Begin("000.00.00.H49", digest(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Several clients race to send the same chunks; offsets make exactly
	// one of each win.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := int64(0)
			for off < int64(len(data)) {
				n, err := d.Append(up, off, bytes.NewReader(data[off:off+1000]))
				var oe *store.OffsetError
				switch {
				case err == nil:
					off = n
				case errors.As(err, &oe):
					off = oe.Want
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	info, err := d.Commit(up)
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("commit: %+v %v", info, err)
	}
}

// putModes runs f with Put writing named temporary files and, where the
// system offers them, unnamed ones.
func putModes(t *testing.T, f func(t *testing.T, d *Dir)) {
	t.Run("named", func(t *testing.T) {
		d := open(t, t.TempDir())
		d.unnamed = false
		f(t, d)
	})
	t.Run("unnamed", func(t *testing.T) {
		d := open(t, t.TempDir())
		if !d.unnamed {
			if runtime.GOOS == "linux" {
				t.Fatal("no unnamed files (O_TMPFILE) on Linux")
			}
			t.Skip("no unnamed files on", runtime.GOOS)
		}
		f(t, d)
	})
}

// assertNoTemporaries fails if tmp/ or objects/ holds anything but blobs.
func assertNoTemporaries(t *testing.T, d *Dir) {
	t.Helper()
	if tmp, _ := os.ReadDir(filepath.Join(d.Root(), tmpDir)); len(tmp) != 0 {
		t.Errorf("%d temporary files left in tmp/", len(tmp))
	}
	objs, _ := os.ReadDir(filepath.Join(d.Root(), objectsDir))
	for _, o := range objs {
		if store.ValidDigest(o.Name()) != nil {
			t.Errorf("objects/ holds %q", o.Name())
		}
	}
}

func TestPutConcurrentSameBlob(t *testing.T) { putModes(t, testPutConcurrentSameBlob) }

func testPutConcurrentSameBlob(t *testing.T, d *Dir) {
	data := random(100_000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.Put(context.Background(), digest(data), bytes.NewReader(data)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := d.Open(digest(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if fi.Size() != int64(len(data)) {
		t.Fatalf("size %d", fi.Size())
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob read back differs (%v)", err)
	}
	assertNoTemporaries(t, d)
}

func TestPutLimits(t *testing.T) { putModes(t, testPutLimits) }

func testPutLimits(t *testing.T, d *Dir) {
	big := random(1<<20 + 1)
	tests := []struct {
		name   string
		digest string
		data   []byte
		want   error
	}{
		{"TooLarge", digest(big), big, store.ErrTooLarge},
		{"Mismatch", digest([]byte("x")), []byte("y"), store.ErrDigestMismatch},
		{"BadDigest", "ABC", []byte("y"), store.ErrInvalid},
		{"Empty", digest(nil), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Put(context.Background(), tc.digest, bytes.NewReader(tc.data))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
	objs, _ := os.ReadDir(filepath.Join(d.Root(), objectsDir))
	if len(objs) != 1 || objs[0].Name() != digest(nil) {
		t.Fatalf("objects = %v, want only the empty blob", objs)
	}
	assertNoTemporaries(t, d)
}

func TestPutCancelled(t *testing.T) { putModes(t, testPutCancelled) }

// testPutCancelled: a body cut off half-way (the client went away) stores
// nothing, and the same blob can then be put whole.
func testPutCancelled(t *testing.T, d *Dir) {
	data := random(300_000)
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(bytes.NewReader(data[:100_000]), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, ctx.Err()
	}))
	if _, err := d.Put(ctx, digest(data), r); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut-off put: %v, want context.Canceled", err)
	}
	if info, err := d.Stat(digest(data)); info.Present || err != nil {
		t.Fatalf("after a cut-off put, Stat = %+v, %v", info, err)
	}
	assertNoTemporaries(t, d)
	if _, err := d.Put(context.Background(), digest(data), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if info, _ := d.Stat(digest(data)); !info.Present {
		t.Fatal("blob missing after a whole put")
	}
	assertNoTemporaries(t, d)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestOpenProbesUnnamedFiles(t *testing.T) {
	d := open(t, t.TempDir())
	if runtime.GOOS == "linux" && !d.unnamed {
		t.Fatal("Open did not find unnamed files (O_TMPFILE) on Linux")
	}
	assertNoTemporaries(t, d) // the probe's link is gone
}

func TestParseUploadID(t *testing.T) {
	good := uploadID("000.00.00.H49", digest([]byte("a")), 42)
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"Good", good, true},
		{"Traversal", "../../../etc/passwd", false},
		{"Slash", strings.Replace(good, "-42-", "-4/2-", 1), false},
		{"NegativeSize", strings.Replace(good, "-42-", "--42-", 1), false},
		{"LeadingZero", strings.Replace(good, "-42-", "-042-", 1), false},
		{"UpperOwner", digest([]byte("a")) + "-42-ABCDEF0123456789", false},
		{"ShortOwner", digest([]byte("a")) + "-42-abcdef", false},
		{"Empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseUploadID(tc.id)
			if (err == nil) != tc.ok {
				t.Fatalf("parseUploadID(%q) error = %v, want ok=%v", tc.id, err, tc.ok)
			}
		})
	}
}

// FuzzParseUploadID checks that a name found in uploads/ either is refused
// or yields a valid digest and size and no path separator.
func FuzzParseUploadID(f *testing.F) {
	f.Add(uploadID("000.00.00.H49", digest([]byte("a")), 42))
	f.Add("../x")
	f.Add(strings.Repeat("a", 64) + "-0-0123456789abcdef")
	f.Fuzz(func(t *testing.T, id string) {
		dg, size, err := parseUploadID(id)
		if err != nil {
			return
		}
		if strings.ContainsAny(id, "/\\\x00") || id == "." || id == ".." {
			t.Fatalf("accepted unsafe id %q", id)
		}
		if size < 0 || store.ValidDigest(dg) != nil || !strings.HasPrefix(id, dg+"-") {
			t.Fatalf("parsed %q as %q, %d", id, dg, size)
		}
	})
}
