package padestest

import (
	"bytes"
	"compress/zlib"
	"io"
	"testing"
)

// TestDeflateZeros: the spliced stream decodes, checksum included, to the
// prefix and exactly n zeros, for sizes around the compressor's blocks.
func TestDeflateZeros(t *testing.T) {
	for _, n := range []int{0, 1, 65521, 65536, 1<<20 + 7} {
		prefix := []byte("12 0 <</FT/Tx/T(f1)/V(x)>>")
		zr, err := zlib.NewReader(bytes.NewReader(deflateZeros(prefix, n)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		want := append(append([]byte{}, prefix...), make([]byte, n)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d: decoded %d bytes, want %d", n, len(got), len(want))
		}
	}
}
