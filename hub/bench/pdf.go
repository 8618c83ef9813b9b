package bench

import (
	"bytes"
	"context"
	"fmt"
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

// plainPDF writes a valid one-page PDF whose page content stream carries
// a line naming the document and then pad bytes of PDF comments, so that
// each document has its own bytes (uploads are content-addressed: equal
// files would be uploaded once).
func plainPDF(label string, pad int) []byte {
	var content bytes.Buffer
	fmt.Fprintf(&content, "BT /F1 12 Tf 72 770 Td (%s) Tj ET\n", label)
	line := []byte("% lienthong bench padding " + label + " ")
	for pad > 0 {
		n := min(pad, 100)
		if n < len(line)+1 {
			content.WriteString(string(bytes.Repeat([]byte{' '}, n)))
			break
		}
		content.Write(line)
		content.Write(bytes.Repeat([]byte{'x'}, n-len(line)-1))
		content.WriteByte('\n')
		pad -= n
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, 6)
	obj := func(n int, body string) {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	offsets[4] = b.Len()
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d >>\nstream\n", content.Len())
	b.Write(content.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	b.WriteString("xref\n0 6\n0000000000 65535 f \n")
	for _, off := range offsets[1:] {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
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
		err := pades.Sign(ctx, out, bytes.NewReader(plain), int64(len(plain)), pades.Options{
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
