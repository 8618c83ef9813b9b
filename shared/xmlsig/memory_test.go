package xmlsig

import (
	"bytes"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/certs/certstest"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
)

// peakHeap runs f and returns the most heap in use that a sampler saw
// above what was in use before.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
				peak.Store(ms.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}

// A signature covers the attachments, so Verify canonicalises them: its
// memory stays within a small multiple of the packet's size.
func TestVerifyMemory(t *testing.T) {
	ca := certstest.New(t)
	s := ca.Agency(t, "000.00.00.H49", "UBND tỉnh Quảng Ninh")
	content := bytes.Repeat([]byte("%PDF-1.7 nội dung văn bản rất dài\n"), 8<<20/40)
	doc := &edxml.Document{
		Metadata: document.Metadata{
			Version: document.SchemaVersion, From: document.Organ{Code: "000.00.00.H49", Name: "UBND"},
			CodeNumber: "1", CodeNotation: "UBND", Type: document.TypeCongVan, Subject: "Thử",
			Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date(2026, 11, 30)},
			To:           []document.Recipient{{Code: "000.00.00.G22", Name: "VPCP"}},
		},
		Attachments: []edxml.Attachment{{ContentID: "a1", Name: "a.pdf", ContentType: "application/pdf", Included: true}},
	}
	var out bytes.Buffer
	if err := edxml.WriteDocument(&out, doc, func(int) (io.Reader, error) { return bytes.NewReader(content), nil }); err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(out.Bytes(), s)
	if err != nil {
		t.Fatal(err)
	}
	var verr error
	peak := peakHeap(func() { _, verr = Verify(signed, Options{}) })
	if verr != nil {
		t.Fatal(verr)
	}
	ratio := float64(peak) / float64(len(signed))
	t.Logf("packet %d bytes, Verify's peak heap %d bytes (%.1f×)", len(signed), peak, ratio)
	if limit := 8.0 * raceSlack; ratio > limit {
		t.Fatalf("Verify used %.1f× the packet's size, over %.0f×", ratio, limit)
	}
}
