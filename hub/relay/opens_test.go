package relay_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
)

// openCounter is a store that counts the blobs opened through it.
type openCounter struct {
	store.Store
	opens atomic.Int64
}

func (c *openCounter) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	c.opens.Add(1)
	return c.Store.OpenBlob(ctx, digest)
}

// TestSubmitOpensEachBlobOnce: a submission reads each attachment through
// one opening of its blob (its bytes checked against its type, then its
// PDF check), and an attachment of a type the hub refuses is not opened.
func TestSubmitOpensEachBlobOnce(t *testing.T) {
	e := newEnv(t)
	counter := &openCounter{Store: e.st}
	r, err := relay.New(relay.Options{Store: counter, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: notPDF})
	if err != nil {
		t.Fatal(err)
	}

	d := e.compose(quangNinh, "1", pdf, nil, vpcp)
	e.upload(quangNinh, d)
	if _, err := r.Submit(ctx, quangNinh, d.packet, 0); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if n := counter.opens.Load(); n != 1 {
		t.Errorf("a submission of one attachment opened its blob %d times, want 1", n)
	}

	counter.opens.Store(0)
	bad := e.compose(quangNinh, "2", pdf, func(d *envelope.Document) { d.Attachments[0].ContentType = "application/x-msdownload" }, vpcp)
	e.upload(quangNinh, bad)
	if _, err := r.Submit(ctx, quangNinh, bad.packet, 0); err == nil {
		t.Fatal("an attachment of a refused type was accepted")
	}
	if n := counter.opens.Load(); n != 0 {
		t.Errorf("an attachment of a refused type was opened %d times, want 0", n)
	}
}
