package clerk_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// TestRefusedDocumentDoesNotBlock sends Nghệ An, whose clerk takes
// attachments up to a limit the hub does not share, a document over that
// limit and then one under it, on a real hub. The good one arrives; the
// bad one is set aside with its reason and refused at the hub, which never
// lists it again and tells the sender with status 02 and a signed
// "refused" receipt. A retry of the refusal answers the first one; an
// agency that is not a recipient cannot refuse.
func TestRefusedDocumentDoesNotBlock(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn := newClerk(t, h, quangNinh)
	mustSync(t, ctx, qn)
	bad, err := qn.Issue(ctx, draft(t, "quyet-dinh.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	good, err := qn.Issue(ctx, draft(t, "bao-cao.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn)
	sizeOf := func(id string) int64 {
		d, err := qn.Store().Get(id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Payload.Attachments[0].Size
	}
	if sizeOf(bad) <= sizeOf(good) {
		t.Fatalf("the fixture's PDFs: %d bytes is not over %d", sizeOf(bad), sizeOf(good))
	}
	limit := (sizeOf(bad) + sizeOf(good)) / 2

	home := filepath.Join(t.TempDir(), "clerk-na")
	initClerk(t, h, ngheAn, home)
	na, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), MaxAttachment: limit, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { na.Close() })
	events, cancel := na.Subscribe()
	defer cancel()

	if err := na.Sync(ctx); err != nil {
		t.Fatalf("sync with a document the clerk cannot take first: %v", err)
	}
	if rows := inbox(t, na); len(rows) != 1 || rows[0].ID != good {
		t.Fatalf("inbox = %v, want only the good document %s", rows, good)
	}
	refused, err := na.Refusals()
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 {
		t.Fatalf("refusals = %+v, want the document over the limit", refused)
	}
	r := refused[0]
	if r.MessageID != bad || r.Sender != quangNinh || r.Cause != store.CauseTooLarge || !strings.Contains(r.Reason, "vượt quá giới hạn") ||
		r.Subject == "" || len(r.Packet) == 0 || r.Told.IsZero() {
		r.Packet = nil
		t.Fatalf("refusal record = %+v", r)
	}
	rc, _, err := receipt.Verify(r.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
	if err != nil || rc.Event != receipt.EventRefused || rc.MessageID != bad || rc.Reason != r.Reason || !slices.Equal(rc.Recipients, []string{ngheAn}) {
		t.Fatalf("the refusal's receipt = %+v, %v", rc, err)
	}
	if !sawRefused(events, bad) {
		t.Error("no DocumentRefused event")
	}

	// The hub lists neither again, and knows the one as refused.
	if left, err := h.Store.Inbox(ctx, certs.AgencyCode(ngheAn), 0, 100, time.Now().Add(time.Hour)); err != nil || len(left) != 0 {
		t.Fatalf("the hub still queues %v (%v)", left, err)
	}
	dels, err := h.Store.Deliveries(ctx, bad)
	if err != nil || len(dels) != 1 || dels[0].State.String() != "refused" {
		t.Fatalf("the hub's delivery = %+v, %v", dels, err)
	}
	mustSync(t, ctx, na)
	if rows, refused := inbox(t, na), mustRefusals(t, na); len(rows) != 1 || len(refused) != 1 {
		t.Fatalf("a second sync: %d received, %d refused", len(rows), len(refused))
	}

	// The sender learns it: 02 with the reason, and the receipt.
	mustSync(t, ctx, qn)
	v, err := qn.Document(bad)
	if err != nil {
		t.Fatal(err)
	}
	hist := v.Recipients[0].History
	if len(hist) != 1 || hist[0].Update.Code != document.StatusRefused || hist[0].Update.Reason != r.Reason {
		t.Fatalf("the sender's history at Nghệ An = %+v, want 02 with the reason", hist)
	}
	if !slices.ContainsFunc(v.Receipts, func(x *receipt.Receipt) bool { return x.Event == receipt.EventRefused && x.Reason == r.Reason }) {
		t.Fatalf("the sender's receipts = %+v, want the refusal's", v.Receipts)
	}
	if got := recipientCodes(t, qn, good)[ngheAn]; !slices.Equal(got, []document.Status{document.StatusArrived}) {
		t.Fatalf("the good document at Nghệ An: %v", got)
	}

	// A retry of the refusal answers the first one.
	cl := h.Client(t, ngheAn, false)
	again, err := cl.Refuse(ctx, bad, "một lý do khác")
	if err != nil || !again.Existed || again.Reason != r.Reason || !bytes.Equal(again.Receipt, r.Receipt) {
		t.Fatalf("retry = %+v, %v; want the first answer", again, err)
	}
	if _, err := cl.Ack(ctx, bad); wire.CodeOf(err) != wire.CodeConflict {
		t.Fatalf("acknowledging the refused document: %v, want conflict", err)
	}
	if _, err := cl.Refuse(ctx, good, "Gửi nhầm"); wire.CodeOf(err) != wire.CodeConflict {
		t.Fatalf("refusing the acknowledged document: %v, want conflict", err)
	}
	if _, err := cl.Refuse(ctx, bad, ""); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("a refusal without a reason: %v, want bad_request", err)
	}

	// Only a recipient refuses: not another agency, nor the sender.
	third, err := qn.Issue(ctx, draft(t, "bao-cao.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn)
	if _, err := h.Client(t, vpcp, false).Refuse(ctx, third, "Gửi nhầm"); wire.CodeOf(err) != wire.CodeNotFound {
		t.Fatalf("a refusal by an agency that is no party: %v, want not_found", err)
	}
	if _, err := h.Client(t, quangNinh, false).Refuse(ctx, third, "Gửi nhầm"); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("a refusal by the sender: %v, want forbidden", err)
	}
	mustSync(t, ctx, na)
	if rows := inbox(t, na); len(rows) != 2 {
		t.Fatalf("after refusals by others the recipient received %d documents, want 2", len(rows))
	}
}

func mustRefusals(t *testing.T, c *clerk.Clerk) []store.Refusal {
	t.Helper()
	r, err := c.Refusals()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sawRefused(events <-chan clerk.Event, id string) bool {
	for {
		select {
		case ev := <-events:
			if r, ok := ev.(clerk.DocumentRefused); ok && r.ID == id && !r.Told {
				return true
			}
		default:
			return false
		}
	}
}
