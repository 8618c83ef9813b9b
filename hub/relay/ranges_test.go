package relay_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/pades"
)

// TestUploadHashesSignedRanges: an attachment uploaded in one request
// reaches its PDF check with the digest of its signed ranges taken while
// it streamed (no second pass over the file), computed over exactly the
// bytes around its /Contents string (the check reads the stored bytes
// through it: notPDF passes); a body that is not the digest named is
// still refused.
func TestUploadHashesSignedRanges(t *testing.T) {
	e := newEnv(t)
	var got []io.ReaderAt
	check := func(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
		got = append(got, r)
		return notPDF(ctx, r, size)
	}
	r, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: check})
	if err != nil {
		t.Fatal(err)
	}
	file := []byte("%PDF-1.7\n1 0 obj <</Type/Sig/Contents <0123abcd>/ByteRange [0 29 39 20]>> endobj\n%%EOF\n")
	sum := sha256.Sum256(file)
	digest := hex.EncodeToString(sum[:])

	wrong := bytes.Clone(file)
	wrong[3] = 'X'
	if _, err := r.PutWhole(ctx, quangNinh, digest, int64(len(wrong)), bytes.NewReader(wrong)); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("a body that is not its digest: %v", err)
	}
	if _, err := r.PutWhole(ctx, quangNinh, digest, int64(len(file)), bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	d := e.compose(quangNinh, "1", file, nil, vpcp)
	if _, err := r.Submit(ctx, quangNinh, d.packet, nil, 0); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("%d checks, want 1", len(got))
	}
	p, ok := got[0].(*pades.Prehashed)
	if !ok || p.Ranges == nil {
		t.Fatalf("the check got %T, not the ranges hashed during the upload", got[0])
	}
	start, end := int64(bytes.Index(file, []byte("<0123"))), int64(bytes.Index(file, []byte("d>"))+2)
	want := sha256.Sum256(append(bytes.Clone(file[:start]), file[end:]...))
	if rd := p.Ranges; rd.Size != int64(len(file)) || rd.Start != start || rd.End != end || !bytes.Equal(rd.SHA256, want[:]) {
		t.Fatalf("ranges %+v, want [0,%d) and [%d,%d) hashed to %x", rd, start, end, len(file), want)
	}
}
