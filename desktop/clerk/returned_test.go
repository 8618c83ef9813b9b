package clerk_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// TestReturnedConflict: another packet took the queued document's message
// id on the hub first (signed by the same agency). The hub answers
// conflict, and its receipts for that id are another packet's: the
// document is returned, not taken for sent, and goes once sent again
// under a new message id.
func TestReturnedConflict(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn)
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := qn.Store().Get(id)
	if err != nil {
		t.Fatal(err)
	}
	p := *doc.Payload
	m := *p.Metadata
	m.Subject += " (bản khác)"
	p.Metadata = &m
	raw, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	other, err := envelope.Seal(raw, h.Agencies[quangNinh].Key)
	if err != nil {
		t.Fatal(err)
	}
	cl := h.Client(t, quangNinh, false)
	for i, a := range p.Attachments {
		rc, _, err := qn.Store().OpenAttachment(id, i)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Upload(ctx, a.SHA256, bytes.NewReader(b), a.Size, 1<<20, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Submit(ctx, other); err != nil {
		t.Fatalf("submit the other packet: %v", err)
	}

	mustSync(t, ctx, qn)
	v, err := qn.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if r := v.Doc.Returned; r == nil || r.Code != string(wire.CodeConflict) || !v.Doc.SentAt.IsZero() {
		t.Fatalf("after a conflict: returned %+v, sent %v", r, v.Doc.SentAt)
	}
	again, err := qn.Resend(ctx, id, v.Doc.Payload.Metadata.To)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)
	if _, err := na.Document(again); err != nil {
		t.Fatalf("Nghệ An did not receive the document sent again: %v", err)
	}
}
