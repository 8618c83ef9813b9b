package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"time"

	"lienthong/certs"
	"lienthong/shared/pades"
)

// memOutput is an in-memory pades.Output.
type memOutput struct{ b []byte }

func (m *memOutput) Write(p []byte) (int, error) {
	m.b = append(m.b, p...)
	return len(p), nil
}

func (m *memOutput) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("write at %d beyond %d bytes", off, len(m.b))
	}
	return copy(m.b[off:], p), nil
}

// plainPDF writes a valid one-page PDF whose page shows a line naming the
// document and an image of pad random grey samples (at least one), so
// that each document has its own bytes (uploads are content-addressed:
// equal files would be uploaded once) and, like a real signed PDF (whose
// streams are compressed and whose scans are JPEG), hardly any of them
// compress: a store that compresses what it keeps (PostgreSQL's TOAST)
// does the work it would do for real documents, not less.
func plainPDF(label string, pad int) []byte {
	seed := sha256.Sum256([]byte(label))
	samples := make([]byte, max(pad, 1))
	rand.NewChaCha8(seed).Read(samples)
	content := fmt.Sprintf("BT /F1 12 Tf 72 770 Td (%s) Tj ET\nq 451 0 0 20 72 730 cm /Im1 Do Q", label)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, 7)
	obj := func(n int, dict string, stream []byte) {
		offsets[n] = b.Len()
		if stream == nil {
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, dict)
			return
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< %s/Length %d >>\nstream\n", n, dict, len(stream))
		b.Write(stream)
		b.WriteString("\nendstream\nendobj\n")
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>", nil)
	obj(4, "", []byte(content))
	obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", nil)
	obj(6, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 ", len(samples)), samples)
	xref := b.Len()
	b.WriteString("xref\n0 7\n0000000000 65535 f \n")
	for _, off := range offsets[1:] {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// SignedPDF returns a valid one-page PDF of size bytes (give or take
// sizeSlack bytes; or the smallest signed PDF when size is below it, about
// 4 KB), unique to label, signed with PAdES B-B by kp: what the load tool
// and the crash test send.
func SignedPDF(ctx context.Context, kp *certs.KeyPair, label string, size int64) ([]byte, error) {
	pad := 0
	return signedPDF(ctx, kp, label, size, &pad)
}

// sizeSlack is how far from the asked size a document may end: padding
// changes the digits of offsets and lengths, so the exact size cannot
// always be hit.
const sizeSlack = 64

// signedPDF returns a PDF of about size bytes (or the smallest signed PDF
// when size is below it) signed with PAdES B-B by kp. *pad is the padding
// to try first; it is updated to what came closest, for the next document.
func signedPDF(ctx context.Context, kp *certs.KeyPair, label string, size int64, pad *int) ([]byte, error) {
	var best []byte
	bestPad := *pad
	at := time.Now() // one signing time, so only the padding changes the size
	for range 8 {
		plain := plainPDF(label, *pad)
		out := &memOutput{b: make([]byte, 0, int(size)+1024)}
		err := pades.Sign(ctx, out, pades.Bytes(plain), int64(len(plain)), pades.Options{
			Signer: kp, Name: kp.Leaf.Subject.CommonName, Reason: "Lienthong bench", Time: at,
		})
		if err != nil {
			return nil, fmt.Errorf("sign bench pdf: %w", err)
		}
		diff := size - int64(len(out.b))
		if diff < 0 && *pad == 0 {
			return out.b, nil // the smallest signed PDF is already larger
		}
		if best == nil || abs(size-int64(len(out.b))) < abs(size-int64(len(best))) {
			best, bestPad = out.b, *pad
		}
		if diff == 0 {
			break
		}
		*pad = max(*pad+int(diff), 0)
	}
	*pad = bestPad
	if abs(size-int64(len(best))) > sizeSlack {
		return nil, fmt.Errorf("sign bench pdf: could not come within %d bytes of %d", sizeSlack, size)
	}
	return best, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
