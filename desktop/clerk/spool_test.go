package clerk

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestSealedFile(t *testing.T) {
	data := make([]byte, 3*spoolChunk+1234)
	rand.Read(data)
	tests := []struct {
		name   string
		pieces []int // sizes of successive writes
	}{
		{"one write", []int{len(data)}},
		{"small writes", []int{1, 2, 3, 1000, spoolChunk - 1006, 1, spoolChunk, 77777, len(data)}},
		{"chunk-sized writes", []int{spoolChunk, spoolChunk, spoolChunk, len(data)}},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, _ := newSpoolKey()
			path := filepath.Join(t.TempDir(), "f")
			f, err := openSealed(path, key)
			if err != nil {
				t.Fatal(err)
			}
			want := []byte{}
			off := 0
			for _, n := range tt.pieces {
				n = min(n, len(data)-off)
				if _, err := f.Write(data[off : off+n]); err != nil {
					t.Fatal(err)
				}
				want = append(want, data[off:off+n]...)
				off += n
			}
			// Patch across a chunk boundary and inside the tail.
			if len(want) > spoolChunk+10 {
				patch := []byte("SIGNATURE-HOLE-FILLED")
				at := int64(spoolChunk - 5)
				if _, err := f.WriteAt(patch, at); err != nil {
					t.Fatal(err)
				}
				copy(want[at:], patch)
				tailAt := int64(len(want) - 3)
				if _, err := f.WriteAt([]byte("xyz"), tailAt); err != nil {
					t.Fatal(err)
				}
				copy(want[tailAt:], "xyz")
			}
			if _, err := f.WriteAt([]byte("beyond"), int64(len(want))); err == nil {
				t.Fatal("wrote beyond the end")
			}
			check := func(f *sealedFile) {
				t.Helper()
				got, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(want))
				}
			}
			check(f)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(path)
			if len(want) > 16 && bytes.Contains(raw, want[:16]) {
				t.Fatal("plaintext on disk")
			}
			// The same process reopens it (a resumed download).
			f, err = openSealed(path, key)
			if err != nil {
				t.Fatal(err)
			}
			check(f)
			f.Close()
			// Another process's key cannot read it: the file starts afresh.
			other, _ := newSpoolKey()
			f, err = openSealed(path, other)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Size() != 0 {
				t.Fatalf("a file sealed under another key kept %d bytes", f.Size())
			}
		})
	}
}
