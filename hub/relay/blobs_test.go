package relay_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestMayUseBlob checks the rule of who may name or read an attachment:
// the agency that uploaded the bytes, and the parties of a message carrying
// them, less a recipient a recall withdrew; to anyone else the attachment
// does not exist, even in the answer to an upload.
func TestMayUseBlob(t *testing.T) {
	e := newEnv(t)
	file := append(bytes.Clone(pdf), "% the decision\n"...)
	d := e.compose(quangNinh, "60", file, nil, vpcp, ngheAn)
	e.upload(quangNinh, d)
	sum, size := digestOf(file), int64(len(file))
	if _, err := e.relay.Submit(ctx, quangNinh, d.packet, nil, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who      certs.AgencyCode
		wantDone bool
	}{
		{quangNinh, true}, // uploaded it
		{vpcp, true},      // a recipient
		{caoBang, false},  // knows the digest, nothing more
	} {
		st, err := e.relay.BeginUpload(ctx, tc.who, sum, size)
		if err != nil || st.Done != tc.wantDone || (!tc.wantDone && st.Offset != 0) {
			t.Fatalf("%s begins an upload of the attachment: %+v %v, want done=%v", tc.who, st, err, tc.wantDone)
		}
	}
	// Another size tells the outsider nothing either.
	if st, err := e.relay.BeginUpload(ctx, caoBang, sum, size+1); err != nil || st.Done || st.Offset != 0 {
		t.Fatalf("begin with another size: %+v %v", st, err)
	}
	// A chunk at the end of a "present" blob is an offset error, like any
	// fresh upload's.
	_, err := e.relay.AppendUpload(ctx, caoBang, sum, size, size-1, bytes.NewReader(file[size-1:]))
	wantErr(t, err, store.ErrOffset)

	// A recipient withdrawn by a recall loses the attachment.
	recall := e.compose(quangNinh, "61", pdf, func(x *envelope.Document) {
		x.Metadata.Business = document.Business{Type: document.BusinessRecall, Reason: "Ban hành nhầm", Documents: []document.DocumentRef{d.meta.ID()}}
		x.Attachments, x.Targets = nil, []string{d.id}
	}, vpcp, ngheAn)
	if _, err := e.relay.Ack(ctx, vpcp, d.id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.Submit(ctx, quangNinh, recall.packet, nil, 0); err != nil {
		t.Fatal(err)
	}
	reuse := e.compose(ngheAn, "62", file, nil, vpcp)
	_, err = e.relay.Submit(ctx, ngheAn, reuse.packet, nil, 0)
	wantErr(t, err, store.ErrMissingBlob)
	if st, err := e.relay.BeginUpload(ctx, ngheAn, sum, size); err != nil || st.Done {
		t.Fatalf("the withdrawn recipient's begin: %+v %v", st, err)
	}
	// The recipient that had the document keeps it.
	fwd := e.compose(vpcp, "63", file, nil, ngheAn)
	if _, err := e.relay.Submit(ctx, vpcp, fwd.packet, nil, 0); err != nil {
		t.Fatalf("a recipient that had the document forwards it: %v", err)
	}
	// The withdrawn recipient got it again through that message.
	f, ctype, err := e.relay.Attachment(ctx, ngheAn, fwd.id, sum)
	if err != nil || ctype != envelope.ContentTypePDF {
		t.Fatalf("reading the forwarded attachment: content type %q, %v", ctype, err)
	}
	f.Close()
	// An agency that uploads the bytes itself may use them: the upload is
	// deduplicated, not refused.
	if _, err := e.relay.PutWhole(ctx, caoBang, sum, size, bytes.NewReader(file)); err != nil {
		t.Fatalf("upload of bytes another agency stored: %v", err)
	}
	if st, err := e.relay.BeginUpload(ctx, caoBang, sum, size); err != nil || !st.Done {
		t.Fatalf("after its own upload: %+v %v", st, err)
	}
}

// TestUploadQuota checks the bound on what an agency keeps on the hub that
// no message references.
func TestUploadQuota(t *testing.T) {
	e := newEnv(t)
	const quota = 3000
	r, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Hub(t), CheckAttachment: notPDF, UploadQuota: quota})
	if err != nil {
		t.Fatal(err)
	}
	file := func(n int, tag string) []byte {
		b := bytes.Repeat([]byte{' '}, n)
		copy(b, "%PDF-"+tag)
		return b
	}
	a, b, c := file(1200, "a"), file(1000, "b"), file(1000, "c")
	// A partial upload counts at its declared size.
	if _, err := r.AppendUpload(ctx, quangNinh, digestOf(a), int64(len(a)), 0, bytes.NewReader(a[:100])); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutWhole(ctx, quangNinh, digestOf(b), int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	_, err = r.PutWhole(ctx, quangNinh, digestOf(c), int64(len(c)), bytes.NewReader(c))
	wantErr(t, err, relay.ErrQuotaExceeded)
	_, err = r.BeginUpload(ctx, quangNinh, digestOf(c), int64(len(c)))
	wantErr(t, err, relay.ErrQuotaExceeded)
	// Resuming an upload already counted is always allowed.
	if st, err := r.AppendUpload(ctx, quangNinh, digestOf(a), int64(len(a)), 100, bytes.NewReader(a[100:])); err != nil || !st.Done {
		t.Fatalf("resume within the quota: %+v %v", st, err)
	}
	// Other agencies have their own quota.
	if _, err := r.PutWhole(ctx, ngheAn, digestOf(c), int64(len(c)), bytes.NewReader(c)); err != nil {
		t.Fatal(err)
	}
	// Sending a document frees its attachment's share.
	d := e.compose(quangNinh, "70", b, nil, vpcp)
	if _, err := r.Submit(ctx, quangNinh, d.packet, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutWhole(ctx, quangNinh, digestOf(c), int64(len(c)), bytes.NewReader(c)); err != nil {
		t.Fatalf("after sending, within the quota: %v", err)
	}
}
