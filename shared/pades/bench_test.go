package pades

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// bigPDF returns a valid one-page PDF of about size bytes: the page draws
// an uncompressed grey image whose samples fill the file.
func bigPDF(tb testing.TB, size int) []byte {
	tb.Helper()
	side := 1
	for side*side < size {
		side++
	}
	samples := make([]byte, side*side)
	if _, err := rand.Read(samples); err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	var off []int
	obj := func(body string) {
		off = append(off, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(off), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<</Type/Catalog/Pages 2 0 R>>")
	obj("<</Type/Pages/Kids[3 0 R]/Count 1>>")
	obj("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>/Contents 4 0 R>>")
	content := "q 500 0 0 500 47 171 cm /Im1 Do Q"
	obj(fmt.Sprintf("<</Length %d>>\nstream\n%s\nendstream", len(content), content))
	off = append(off, b.Len())
	fmt.Fprintf(&b, "5 0 obj\n<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8/Length %d>>\nstream\n", side, side, len(samples))
	b.Write(samples)
	b.WriteString("\nendstream\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(off)+1)
	for _, o := range off {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(off)+1, xref)
	return b.Bytes()
}

var benchSizes = []int{1 << 20, 5 << 20, 20 << 20}

func sizeName(n int) string { return fmt.Sprintf("%dMB", n>>20) }

func BenchmarkSHA256(b *testing.B) {
	for _, n := range benchSizes {
		data := bigPDF(b, n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				sha256.Sum256(data)
			}
		})
	}
}

// BenchmarkSign signs invisibly with ECDSA P-256 into memory: parsing,
// copying, hashing, building and writing the CMS.
func BenchmarkSign(b *testing.B) {
	p := getPKI(b)
	opts := optsFor(p.person)
	for _, n := range benchSizes {
		data := bigPDF(b, n)
		out := &memOutput{b: make([]byte, 0, len(data)+64<<10)}
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				out.b = out.b[:0]
				if err := Sign(context.Background(), out, bytes.NewReader(data), int64(len(data)), opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// signedBig is bigPDF of n bytes signed by p's person.
func signedBig(b *testing.B, p *testPKI, n int) []byte {
	b.Helper()
	data := bigPDF(b, n)
	out := &memOutput{}
	if err := Sign(context.Background(), out, bytes.NewReader(data), int64(len(data)), optsFor(p.person)); err != nil {
		b.Fatal(err)
	}
	return out.b
}

func BenchmarkVerify(b *testing.B) {
	p := getPKI(b)
	for _, n := range benchSizes {
		signed := signedBig(b, p, n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				rep, err := Verify(bytes.NewReader(signed), int64(len(signed)), VerifyOptions{Roots: p.roots})
				if err != nil || !rep.Valid() {
					b.Fatalf("verify: %v", err)
				}
			}
		})
	}
}

// BenchmarkUploadThenVerify is what a hub spends on a signed PDF it
// receives, besides moving it: the SHA-256 of the upload, then the
// verification. "two-passes" hashes the signed ranges again in Verify;
// "one-pass" hashes them with the upload (RangeHasher, in 32 KB writes as
// a body streams) and gives Verify the digest (Prehashed).
func BenchmarkUploadThenVerify(b *testing.B) {
	p := getPKI(b)
	for _, n := range benchSizes {
		signed := signedBig(b, p, n)
		verify := func(b *testing.B, src io.ReaderAt) {
			rep, err := Verify(src, int64(len(signed)), VerifyOptions{Roots: p.roots})
			if err != nil || !rep.Valid() {
				b.Fatalf("verify: %v", err)
			}
		}
		b.Run(sizeName(n)+"/two-passes", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				h := sha256.New()
				for rest := signed; len(rest) > 0; rest = rest[min(len(rest), 32<<10):] {
					h.Write(rest[:min(len(rest), 32<<10)])
				}
				verify(b, bytes.NewReader(signed))
			}
		})
		b.Run(sizeName(n)+"/one-pass", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				h := NewRangeHasher()
				for rest := signed; len(rest) > 0; rest = rest[min(len(rest), 32<<10):] {
					h.Write(rest[:min(len(rest), 32<<10)])
				}
				verify(b, &Prehashed{ReaderAt: bytes.NewReader(signed), Ranges: h.Ranges()})
			}
		})
	}
}

// TestSignStreams checks that signing a 20 MB file from disk to disk
// allocates a small constant, not the document.
func TestSignStreams(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "big.pdf")
	data := bigPDF(t, 20<<20)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	data = nil
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out := signTestFile(t, in, filepath.Join(dir, "signed.pdf"), optsFor(p.person))
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("signing 20 MB allocated %d bytes; want a small constant", alloc)
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	requireValid(t, verifyFile(t, out, VerifyOptions{Roots: p.roots}), 1)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("verifying 20 MB allocated %d bytes; want a small constant", alloc)
	}
	checkPdfsig(t, newTrustStore(t, p.root.Cert), out, 1)
}

// BenchmarkSignVsSHA256 alternates hashing and signing the same bytes and
// reports signing time as a multiple of hashing time ("x-sha256"), which
// stays meaningful on a machine whose load changes during the run.
func BenchmarkSignVsSHA256(b *testing.B) {
	p := getPKI(b)
	opts := optsFor(p.person)
	for _, n := range benchSizes {
		data := bigPDF(b, n)
		out := &memOutput{b: make([]byte, 0, len(data)+64<<10)}
		b.Run(sizeName(n), func(b *testing.B) {
			var hashT, signT time.Duration
			for b.Loop() {
				t0 := time.Now()
				sha256.Sum256(data)
				t1 := time.Now()
				out.b = out.b[:0]
				if err := Sign(context.Background(), out, bytes.NewReader(data), int64(len(data)), opts); err != nil {
					b.Fatal(err)
				}
				hashT += t1.Sub(t0)
				signT += time.Since(t1)
			}
			b.ReportMetric(float64(signT)/float64(hashT), "x-sha256")
		})
	}
}
