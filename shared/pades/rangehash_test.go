package pades

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// rangeFiles are documents to hash in one pass: unsigned, signed once,
// twice, with a timestamp, a document timestamp, and changed after
// signing.
func rangeFiles(t *testing.T) map[string][]byte {
	p := getPKI(t)
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, name := range []string{"cong-van.pdf", "bao-cao-objstm.pdf", "cong-van-signed-poppler.pdf", "not-a-pdf.pdf"} {
		files[name] = readFile(t, filepath.Join("testdata", name))
	}
	a := signTestFile(t, "testdata/bao-cao-objstm.pdf", filepath.Join(dir, "a.pdf"), optsFor(p.person))
	files["signed"] = readFile(t, a)
	twice := signTestFile(t, a, filepath.Join(dir, "twice.pdf"), optsFor(p.agency))
	files["signed twice"] = readFile(t, twice)
	bt := optsFor(p.person)
	bt.Timestamp = startTSA(t)
	files["B-T"] = readFile(t, signTestFile(t, "testdata/cong-van.pdf", filepath.Join(dir, "bt.pdf"), bt))
	if err := TimestampFile(context.Background(), a, filepath.Join(dir, "dts.pdf"), bt.Timestamp, Options{}); err != nil {
		t.Fatal(err)
	}
	files["document timestamp"] = readFile(t, filepath.Join(dir, "dts.pdf"))
	b := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(dir, "b.pdf"), optsFor(p.person))
	appendUnsigned(t, b, filepath.Join(dir, "c.pdf"), func(d *document, u *update) {
		pages, _ := d.pages(1)
		pd, _ := d.resolveDict(pages[0])
		u.putStream(pd["Contents"].(pdfRef).Num, pdfDict{}, []byte(forged))
	})
	files["changed after signing"] = readFile(t, filepath.Join(dir, "c.pdf"))
	return files
}

// hashInChunks streams data through a RangeHasher in writes of n bytes.
func hashInChunks(data []byte, n int) *RangeHasher {
	h := NewRangeHasher()
	for len(data) > 0 {
		k := min(n, len(data))
		h.Write(data[:k])
		data = data[k:]
	}
	return h
}

// verdict is Verify's report (or error) as JSON, to compare two runs.
func verdict(t *testing.T, src interface {
	ReadAt([]byte, int64) (int, error)
}, size int64) string {
	t.Helper()
	p := getPKI(t)
	rep, err := Verify(src, size, VerifyOptions{Roots: p.roots, Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), SignerPolicy: acceptPoppler(t)})
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRangeHasherSameVerdicts: whatever the writes' sizes, the one-pass
// hash is the file's SHA-256, and Verify given its range digests gives
// exactly the verdict it gives reading the file.
func TestRangeHasherSameVerdicts(t *testing.T) {
	for name, data := range rangeFiles(t) {
		want := verdict(t, bytes.NewReader(data), int64(len(data)))
		for _, n := range []int{1, 5, 9, 4096, 32 << 10, len(data)} {
			h := hashInChunks(data, n)
			if sum := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Fatalf("%s in writes of %d: not the file's SHA-256", name, n)
			}
			got := verdict(t, &Prehashed{ReaderAt: bytes.NewReader(data), Ranges: h.Ranges()}, int64(len(data)))
			if got != want {
				t.Fatalf("%s in writes of %d: verdict\n%s\nwant\n%s", name, n, got, want)
			}
		}
	}
}

// TestRangeHasherUsed shows that Verify takes the precomputed digest for
// the last signature, and only for the file it was made for: a digest
// that is not the ranges' makes the signature fail (the caller answers
// for it), one for another size or for ranges other than the signature's
// /ByteRange is not used (the signature is hashed from the file).
func TestRangeHasherUsed(t *testing.T) {
	data := rangeFiles(t)["signed"]
	rd := hashInChunks(data, 4096).Ranges()
	if rd == nil {
		t.Fatal("no signed ranges found in a signed file")
	}
	if i := bytes.LastIndex(data, []byte("/Contents")); rd.Start <= int64(i) || data[rd.Start] != '<' || data[rd.End-1] != '>' || rd.Size != int64(len(data)) {
		t.Fatalf("ranges %+v, last /Contents at %d", rd, i)
	}
	p := getPKI(t)
	verify := func(rd *RangeDigests) *Report {
		rep, err := Verify(&Prehashed{ReaderAt: bytes.NewReader(data), Ranges: rd}, int64(len(data)), VerifyOptions{Roots: p.roots})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	wrong := *rd
	wrong.SHA256 = bytes.Clone(rd.SHA256)
	wrong.SHA256[0] ^= 1
	if rep := verify(&wrong); rep.Valid() || rep.Signatures[0].DigestValid {
		t.Fatal("a wrong precomputed digest was not used")
	}
	wrong.Size--
	requireValid(t, verify(&wrong), 1)
	// Ranges that are not the signature's /ByteRange (a string found
	// elsewhere, here one byte off) are not used: the signature is hashed
	// from the file, and verifies.
	for _, shift := range []struct{ start, end int64 }{{-1, 0}, {0, 1}, {1, 1}} {
		off := *rd
		off.Start += shift.start
		off.End += shift.end
		off.SHA256 = bytes.Clone(wrong.SHA256)
		requireValid(t, verify(&off), 1)
	}
	requireValid(t, verify(rd), 1)
}

// TestRangeHasherTampered changes one byte of a signed file inside its
// signed ranges and one inside its signature's string (outside them),
// hashes the changed file in one pass, and wants Verify to fail it
// exactly as it does reading the file.
func TestRangeHasherTampered(t *testing.T) {
	data := rangeFiles(t)["signed"]
	rd := hashInChunks(data, len(data)).Ranges()
	for name, at := range map[string]int64{
		"inside the ranges, before": rd.Start / 2,
		"inside the ranges, after":  rd.End + 2,
		"in the signature's string": rd.Start + (rd.End-rd.Start)/3,
	} {
		bad := bytes.Clone(data)
		bad[at] = map[bool]byte{true: '1', false: '0'}[bad[at] == '0']
		want := verdict(t, bytes.NewReader(bad), int64(len(bad)))
		got := verdict(t, &Prehashed{ReaderAt: bytes.NewReader(bad), Ranges: hashInChunks(bad, 4096).Ranges()}, int64(len(bad)))
		if got != want {
			t.Fatalf("%s: verdict\n%s\nwant\n%s", name, got, want)
		}
		rep, err := Verify(&Prehashed{ReaderAt: bytes.NewReader(bad), Ranges: hashInChunks(bad, 4096).Ranges()}, int64(len(bad)), VerifyOptions{Roots: getPKI(t).roots})
		if err == nil && rep.Valid() {
			t.Fatalf("%s: a changed file verifies", name)
		}
	}
}

// TestRangeHasherLongWhitespace: whitespace between /Contents and its
// string, however long and however cut between writes, is hashed in runs,
// and the string after it is still found.
func TestRangeHasherLongWhitespace(t *testing.T) {
	data := []byte("%PDF-1.7\n<</Contents" + string(bytes.Repeat([]byte(" \r\n"), 100000)) + "<00ff>>>\n%%EOF\n")
	for _, n := range []int{1, 4096, len(data)} {
		rd := hashInChunks(data, n).Ranges()
		start := int64(bytes.Index(data, []byte("<00ff>")))
		want := sha256.Sum256(append(bytes.Clone(data[:start]), data[start+6:]...))
		if rd == nil || rd.Start != start || rd.End != start+6 || !bytes.Equal(rd.SHA256, want[:]) {
			t.Fatalf("in writes of %d: %+v, want the string at %d", n, rd, start)
		}
	}
}
