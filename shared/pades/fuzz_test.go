package pades

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"lienthong/shared/pades/padestest"
)

// memOutput is an in-memory Output.
type memOutput struct{ b []byte }

func (m *memOutput) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }

func (m *memOutput) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("write past the end")
	}
	return copy(m.b[off:], p), nil
}

// fuzzAlloc bounds what verifying one fuzzed input may allocate: the
// budget's floors (32 MiB decoded, a million parsed values) with room for
// Go's slice growth.
const fuzzAlloc = 256 << 20 * raceAlloc

// FuzzVerify feeds arbitrary bytes to Verify, PageBox and Prepare: no
// panic, no hang, errors only of the documented kinds for unreadable
// input, and memory within the budget (the bombs of package padestest are
// seeds).
func FuzzVerify(f *testing.F) {
	p := getPKI(f)
	for _, name := range []string{"cong-van.pdf", "bao-cao-objstm.pdf", "cong-van-linearized.pdf", "quyet-dinh-truncated.pdf", "not-a-pdf.pdf", "quyet-dinh-encrypted.pdf"} {
		f.Add(readFile(f, filepath.Join("testdata", name)))
	}
	// Signed documents, and one tampered after signing.
	dir := f.TempDir()
	signed := signTestFile(f, "testdata/bao-cao-objstm.pdf", filepath.Join(dir, "a.pdf"), optsFor(p.person))
	f.Add(readFile(f, signed))
	signed2 := signTestFile(f, "testdata/cong-van.pdf", filepath.Join(dir, "b.pdf"), optsFor(p.person))
	appendUnsigned(f, signed2, filepath.Join(dir, "c.pdf"), func(d *document, u *update) {
		pages, _ := d.pages(1)
		pd, _ := d.resolveDict(pages[0])
		u.putStream(pd["Contents"].(pdfRef).Num, pdfDict{}, []byte(forged))
	})
	f.Add(readFile(f, filepath.Join(dir, "c.pdf")))
	// B-T with a timestamp token, and a document timestamp.
	bt := optsFor(p.person)
	bt.Timestamp = startTSA(f)
	signTestFile(f, "testdata/cong-van.pdf", filepath.Join(dir, "d.pdf"), bt)
	f.Add(readFile(f, filepath.Join(dir, "d.pdf")))
	if err := TimestampFile(context.Background(), signed, filepath.Join(dir, "e.pdf"), bt.Timestamp, Options{}); err != nil {
		f.Fatal(err)
	}
	f.Add(readFile(f, filepath.Join(dir, "e.pdf")))
	// Small bombs: mutations of a full-size one would each decode 32 MiB.
	f.Add(padestest.StreamBomb(2, 1<<20))
	f.Add(padestest.FieldBomb(200))
	f.Add(padestest.XRefBomb(50))
	f.Add(padestest.NestingBomb(100))
	f.Add(padestest.LibreOfficeForm(true))
	f.Add([]byte("%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<</Size 2/Root 1 0 R>>\nstartxref\n54\n%%EOF\n"))

	now := time.Now() // one time for both verifications of an input
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang crashes the worker, so the fuzzer keeps the input.
		watchdog := time.AfterFunc(10*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("input of %d bytes took over 10s:\n%s", len(data), buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		r := bytes.NewReader(data)
		var rep *Report
		var err error
		if alloc := measure(func() { rep, err = Verify(r, int64(len(data)), VerifyOptions{Roots: p.roots, Now: now}) }); alloc > fuzzAlloc {
			t.Fatalf("Verify of %d bytes allocated %d MiB (over %d MiB)", len(data), alloc>>20, fuzzAlloc>>20)
		}
		if err != nil {
			if !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrBudget) {
				t.Fatalf("Verify error of no documented kind: %v", err)
			}
		} else if rep == nil {
			t.Fatal("nil report without error")
		}
		// Hashed in one pass as it streamed, the same bytes get the same
		// verdict.
		h := NewRangeHasher()
		for rest := data; len(rest) > 0; rest = rest[min(len(rest), 7):] {
			h.Write(rest[:min(len(rest), 7)])
		}
		rep2, err2 := Verify(&Prehashed{ReaderAt: r, Ranges: h.Ranges()}, int64(len(data)), VerifyOptions{Roots: p.roots, Now: now})
		if j1, j2 := reportJSON(rep, err), reportJSON(rep2, err2); j1 != j2 {
			t.Fatalf("verdict with the streamed range digests:\n%s\nreading the file:\n%s", j2, j1)
		}
		// In memory, lexed in place, the same bytes get the same verdict
		// and the same page.
		rep3, err3 := Verify(Bytes(data), int64(len(data)), VerifyOptions{Roots: p.roots, Now: now})
		if j1, j3 := reportJSON(rep, err), reportJSON(rep3, err3); j1 != j3 {
			t.Fatalf("verdict in place:\n%s\nthrough windows:\n%s", j3, j1)
		}
		box, err := PageBox(r, int64(len(data)), 1)
		box3, err3 := PageBox(Bytes(data), int64(len(data)), 1)
		if box != box3 || fmt.Sprint(err) != fmt.Sprint(err3) {
			t.Fatalf("page 1 in place: %v, %v; through windows: %v, %v", box3, err3, box, err)
		}
		for _, field := range []string{"", "Signature1"} {
			out := &memOutput{}
			if prep, err := Prepare(out, r, int64(len(data)), Options{Chain: p.person.Certificates(), FieldName: field}); err == nil {
				if !bytes.HasPrefix(out.b, data) {
					t.Fatal("Prepare changed the original bytes")
				}
				_ = prep.DigestToSign()
			}
		}
	})
}

// reportJSON is a verification's outcome as text, to compare two.
func reportJSON(rep *Report, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, _ := json.Marshal(rep)
	return string(b)
}
