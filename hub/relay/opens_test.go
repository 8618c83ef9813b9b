package relay_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
)

// openCounter is a store that counts the blobs opened, stated and whose
// grants were read through it.
type openCounter struct {
	store.Store
	opens, stats, grants atomic.Int64
}

func (c *openCounter) BlobGranted(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error) {
	c.grants.Add(1)
	return c.Store.BlobGranted(ctx, agency, digest)
}

func (c *openCounter) OpenGranted(ctx context.Context, agency certs.AgencyCode, digest string) (io.ReadSeekCloser, error) {
	c.opens.Add(1)
	return c.Store.OpenGranted(ctx, agency, digest)
}

func (c *openCounter) StatBlob(ctx context.Context, digest string) (store.BlobInfo, error) {
	c.stats.Add(1)
	return c.Store.StatBlob(ctx, digest)
}

func (c *openCounter) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	c.opens.Add(1)
	return c.Store.OpenBlob(ctx, digest)
}

// TestSubmitOpensEachBlobOnce: a submission reads each attachment through
// one opening of its blob (the sender's grant, its presence and size, its
// bytes checked against its type, then its PDF check), and an attachment
// of a type the hub refuses is not opened.
func TestSubmitOpensEachBlobOnce(t *testing.T) {
	e := newEnv(t)
	counter := &openCounter{Store: e.st}
	r, err := relay.New(relay.Options{Store: counter, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: notPDF})
	if err != nil {
		t.Fatal(err)
	}

	d := e.compose(quangNinh, "1", pdf, nil, vpcp)
	e.upload(quangNinh, d)
	if _, err := r.Submit(ctx, quangNinh, d.packet, nil, 0); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if n := counter.opens.Load(); n != 1 {
		t.Errorf("a submission of one attachment opened its blob %d times, want 1", n)
	}
	if n := counter.stats.Load(); n != 0 {
		t.Errorf("a submission stated its blob %d times besides opening it, want 0", n)
	}
	if n := counter.grants.Load(); n != 0 {
		t.Errorf("a submission read its blob's grant %d times besides opening it, want 0", n)
	}

	counter.opens.Store(0)
	bad := e.compose(quangNinh, "2", pdf, func(d *envelope.Document) { d.Attachments[0].ContentType = "application/x-msdownload" }, vpcp)
	e.upload(quangNinh, bad)
	if _, err := r.Submit(ctx, quangNinh, bad.packet, nil, 0); err == nil {
		t.Fatal("an attachment of a refused type was accepted")
	}
	if n := counter.opens.Load(); n != 0 {
		t.Errorf("an attachment of a refused type was opened %d times, want 0", n)
	}
}

// TestSubmitGoneBlob: an attachment whose bytes the retention policy
// removed is, to a new submission, not uploaded, though its sender still
// holds a grant of it through the message that carried it.
func TestSubmitGoneBlob(t *testing.T) {
	e := newEnv(t)
	first := e.send(quangNinh, "1", vpcp)
	if _, err := e.relay.Ack(ctx, vpcp, first.id); err != nil {
		t.Fatal(err)
	}
	if res, err := e.st.GCBlobs(ctx, time.Now().Add(48*time.Hour), 24*time.Hour, time.Hour); err != nil || res.Expired != 1 {
		t.Fatalf("gc after the retention: %+v %v", res, err)
	}
	again := e.compose(quangNinh, "2", first.file, nil, vpcp)
	_, err := e.relay.Submit(ctx, quangNinh, again.packet, nil, 0)
	wantErr(t, err, store.ErrMissingBlob)
}
