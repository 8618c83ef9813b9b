package pades

import (
	"bytes"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestBytesLexedInPlace: a signed document given as Bytes gets the
// verdict it gets read through windows, for a fraction of the memory.
func TestBytesLexedInPlace(t *testing.T) {
	p := getPKI(t)
	data := readFile(t, signTestFile(t, "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "a.pdf"), optsFor(p.person)))
	opts := VerifyOptions{Roots: p.roots, Now: time.Now()}
	verify := func(src io.ReaderAt) string {
		rep, err := Verify(src, int64(len(data)), opts)
		if err != nil || !rep.Valid() {
			t.Fatalf("verify: %v, %+v", err, rep)
		}
		return reportJSON(rep, nil)
	}
	if inPlace, windows := verify(Bytes(data)), verify(bytes.NewReader(data)); inPlace != windows {
		t.Fatalf("in place:\n%s\nthrough windows:\n%s", inPlace, windows)
	}
	// Bytes allocated per verification, over enough of them that the
	// runtime's accounting is exact, and the least of a few rounds, so
	// that another test's goroutine winding down does not count.
	const runs, rounds = 20, 3
	allocated := func(src io.ReaderAt) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			verify(src)
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	inPlace, windows := uint64(math.MaxUint64), uint64(math.MaxUint64)
	for range rounds {
		inPlace, windows = min(inPlace, allocated(Bytes(data))), min(windows, allocated(bytes.NewReader(data)))
	}
	t.Logf("%d bytes verified with %d bytes allocated in place, %d through windows", len(data), inPlace, windows)
	if inPlace*10 > windows*8*raceAlloc {
		t.Fatalf("Verify allocated %d bytes in place, %d through windows", inPlace, windows)
	}
}
