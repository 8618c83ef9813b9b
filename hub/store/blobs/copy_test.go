package blobs

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// writeSizes records the size of every write.
type writeSizes struct {
	bytes.Buffer
	sizes []int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

func TestCopyFullWritesWholeBuffers(t *testing.T) {
	data := random(10_000)
	buf := make([]byte, 4096)
	for name, r := range map[string]io.Reader{
		"a byte per read":          iotest.OneByteReader(bytes.NewReader(data)),
		"half reads":               iotest.HalfReader(bytes.NewReader(data)),
		"data and EOF in one read": iotest.DataErrReader(bytes.NewReader(data)),
		"whole reader":             bytes.NewReader(data),
	} {
		t.Run(name, func(t *testing.T) {
			var w writeSizes
			n, err := copyFull(&w, r, buf)
			if err != nil || n != int64(len(data)) || !bytes.Equal(w.Bytes(), data) {
				t.Fatalf("copied %d, %v; bytes equal: %v", n, err, bytes.Equal(w.Bytes(), data))
			}
			want := []int{4096, 4096, 10_000 - 2*4096}
			if len(w.sizes) != len(want) || w.sizes[0] != want[0] || w.sizes[1] != want[1] || w.sizes[2] != want[2] {
				t.Fatalf("writes of %v bytes, want %v", w.sizes, want)
			}
		})
	}
}

func TestCopyFullKeepsBytesBeforeAnError(t *testing.T) {
	data := random(5000)
	broken := errors.New("connection reset")
	r := io.MultiReader(iotest.OneByteReader(bytes.NewReader(data)), iotest.ErrReader(broken))
	var w writeSizes
	n, err := copyFull(&w, r, make([]byte, 4096))
	if !errors.Is(err, broken) {
		t.Fatalf("error %v, want the reader's", err)
	}
	if n != int64(len(data)) || !bytes.Equal(w.Bytes(), data) {
		t.Fatalf("%d bytes written before the error, want all %d that arrived", n, len(data))
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestCopyFullShortWrite(t *testing.T) {
	if _, err := copyFull(shortWriter{}, bytes.NewReader(random(100)), make([]byte, 64)); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("error %v, want io.ErrShortWrite", err)
	}
}
