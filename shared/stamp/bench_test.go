package stamp

import (
	"testing"
	"time"
)

// BenchmarkAgencyText measures building the text stamp (glyphs cached after
// the first call, as in a running signer).
func BenchmarkAgencyText(b *testing.B) {
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		a, err := AgencyText("1234", "STTTT-CNTT", signed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(a.Content)
	}
	b.ReportMetric(float64(size), "content-bytes")
}

// BenchmarkAgencyTextCompressed adds the zlib compression of the form stream.
func BenchmarkAgencyTextCompressed(b *testing.B) {
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		a, err := AgencyText("1234", "STTTT-CNTT", signed)
		if err != nil {
			b.Fatal(err)
		}
		z, err := a.CompressedContent()
		if err != nil {
			b.Fatal(err)
		}
		size = len(z)
	}
	b.ReportMetric(float64(size), "compressed-bytes")
}

// BenchmarkImageStamp measures decoding and recompressing a signature and a
// 400-pixel seal.
func BenchmarkImageStamp(b *testing.B) {
	sig := DemoSignature("Nguyễn Văn Quyết")
	seal := DemoSeal("Sở Thông tin và Truyền thông tỉnh Quảng Ninh", 400)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ImageStamp(sig, seal, 220, 100); err != nil {
			b.Fatal(err)
		}
	}
}
