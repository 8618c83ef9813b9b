package pades

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// makeHybrid appends to cong-van.pdf an update in the hybrid-reference
// style (PDF 32000-1, 7.5.8.4): a classic table whose trailer's /XRefStm
// points at a cross-reference stream that alone lists an object kept in an
// object stream. Readers that ignore /XRefStm do not see that object.
func makeHybrid(t testing.TB) []byte {
	t.Helper()
	src := readFile(t, "testdata/cong-van.pdf")
	d, err := openDocument(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	next := d.maxSize()
	info, stm, xs := next, next+1, next+2
	var b bytes.Buffer
	b.Write(src)
	body := "<</Title (Hybrid)/Producer (lienthong test)>>"
	header := fmt.Sprintf("%d 0 ", info)
	stmOff := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/ObjStm/N 1/First %d/Length %d>>\nstream\n%s%s\nendstream\nendobj\n", stm, len(header), len(header)+len(body), header, body)
	xsOff := b.Len()
	rows := []byte{2, 0, 0, byte(stm >> 8), byte(stm), 0}
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 1]/Index[%d 1]/Length %d>>\nstream\n", xs, xs+1, info, len(rows))
	b.Write(rows)
	b.WriteString("\nendstream\nendobj\n")
	xrefOff := b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n\r\n%d 1\n%010d 00000 n\r\n", stm, stmOff, xs, xsOff)
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root %d 0 R/Info %d 0 R/Prev %d/XRefStm %d>>\nstartxref\n%d\n%%%%EOF\n", xs+1, d.root().Num, info, d.startxref, xsOff, xrefOff)
	return b.Bytes()
}

func TestHybridReference(t *testing.T) {
	p := getPKI(t)
	data := makeHybrid(t)
	d, err := openDocument(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if d.lastIsStrm {
		t.Fatal("a hybrid file's last section is a classic table")
	}
	ir, _ := d.trailer.ref("Info")
	info, err := d.resolveDict(ir)
	if err != nil || string(info["Title"].(pdfString).Value) != "Hybrid" {
		t.Fatalf("object from the /XRefStm stream: %v %v", info, err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "hybrid.pdf")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := signTestFile(t, in, filepath.Join(dir, "signed.pdf"), optsFor(p.person))
	requireValid(t, verifyFile(t, out, VerifyOptions{Roots: p.roots}), 1)
	checkPdfsig(t, newTrustStore(t, p.root.Cert), out, 1)
	checkQpdf(t, in)
	checkQpdf(t, out)
}
