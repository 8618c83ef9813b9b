package clerk_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	hubstore "lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/wire"
)

// TestClosedAgency follows a merger end to end between real clerks: Cao
// Bằng's code is closed, succeeded by Hà Nội, after Cao Bằng sent Quảng
// Ninh a document and while Nghệ An's cached directory still lists Cao
// Bằng. Nghệ An's document to Cao Bằng is refused by the hub, naming Hà
// Nội; once its directory is fresh the clerk refuses to sign such a
// document at all and names the successor; re-addressed to Hà Nội it is
// delivered. Cao Bằng's document, signed before the closure, verifies at
// Quảng Ninh and is listed under Hà Nội.
func TestClosedAgency(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Agencies: fiveAgencies})
	ctx := ctxT(t)
	cb, na, hn := newClerk(t, h, caoBang), newClerk(t, h, ngheAn), newClerk(t, h, hanoi)
	mustSync(t, ctx, cb, na, hn) // every cache lists Cao Bằng open

	before, err := cb.Issue(ctx, draft(t, "cong-van.pdf", quangNinh))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, cb)
	if _, err := h.Store.CloseAgencies(ctx, []hubstore.Succession{{Code: caoBang, On: hubstore.DayOf(time.Now()), Successor: hanoi,
		Basis: "Nghị quyết 202/2025/QH15"}}, time.Now()); err != nil {
		t.Fatal(err)
	}

	t.Run("StaleCacheReturnedByTheHub", func(t *testing.T) {
		events, cancel := na.Subscribe()
		defer cancel()
		id, err := na.Issue(ctx, draft(t, "cong-van.pdf", caoBang))
		if err != nil {
			t.Fatalf("issue with a stale directory: %v", err)
		}
		mustSync(t, ctx, na)
		var returned error
		for returned == nil {
			select {
			case ev := <-events:
				switch e := ev.(type) {
				case clerk.DocumentReturned:
					if e.ID == id {
						returned = e.Err
					}
				case clerk.SyncFailed:
					t.Fatalf("SyncFailed for %s: %v", e.ID, e.Err)
				}
			case <-ctx.Done():
				t.Fatal("no DocumentReturned event")
			}
		}
		rc, ok := clerk.RecipientClosedOf(returned)
		if wire.CodeOf(returned) != wire.CodeRecipientClosed || !ok || len(rc.Closed) != 1 || rc.Closed[0].Code != caoBang ||
			rc.Closed[0].Successor != hanoi || rc.Closed[0].SuccessorName != agencyName(hanoi) || rc.Closed[0].ClosedOn == "" {
			t.Fatalf("refusal = %v (%+v)", returned, rc)
		}
		msg := clerk.Explain(returned).Message(i18n.New(i18n.Vietnamese))
		if !strings.Contains(msg, "Ủy ban nhân dân tỉnh Cao Bằng → Ủy ban nhân dân thành phố Hà Nội ("+hanoi+")") {
			t.Fatalf("the clerk reads %q", msg)
		}
		v, err := na.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		if r := v.Doc.Returned; r == nil || r.Code != string(wire.CodeRecipientClosed) || r.Message == "" || r.ResentAs != "" || !v.Doc.SentAt.IsZero() {
			t.Fatalf("returned document: %+v, sent %v", r, v.Doc.SentAt)
		}
		// The stored answer still names the successor (a restart, a later
		// look at the document).
		if rc, ok := clerk.RecipientClosedOf(clerk.ReturnedError(v.Doc)); !ok || rc.Closed[0].Successor != hanoi {
			t.Fatalf("stored refusal names %+v", rc)
		}
		if na.OutboxLen() != 0 {
			t.Fatalf("a returned document left %d items in the outbox", na.OutboxLen())
		}
		refused := h.Requests(t, "outcome", string(wire.CodeRecipientClosed))
		mustSync(t, ctx, na)
		if n := h.Requests(t, "outcome", string(wire.CodeRecipientClosed)); n != refused || refused == 0 {
			t.Fatalf("the hub answered recipient_closed %v times before the next sync, %v after: retried", refused, n)
		}

		n, _ := na.NextNumber("")
		again, err := na.Resend(ctx, id, nil)
		if err != nil {
			t.Fatalf("resend: %v", err)
		}
		if next, _ := na.NextNumber(""); next != n {
			t.Fatalf("sending again took a number (%d, then %d)", n, next)
		}
		mustSync(t, ctx, na, hn)
		got, err := hn.Document(again)
		if err != nil {
			t.Fatalf("Hà Nội did not receive the document sent again: %v", err)
		}
		om, gm := v.Doc.Payload.Metadata, got.Doc.Payload.Metadata
		if gm.ID() != om.ID() || len(gm.To) != 1 || gm.To[0].Code != hanoi || gm.To[0].Name != agencyName(hanoi) {
			t.Fatalf("sent again as %+v to %+v; returned %+v", gm.ID(), gm.To, om.ID())
		}
		if got.Report == nil || !got.Report.Valid() {
			t.Fatal("the attachments sent again do not verify")
		}
		if v, _ := na.Document(id); v.Doc.Returned == nil || v.Doc.Returned.ResentAs != again {
			t.Fatalf("the returned document is not marked sent again: %+v", v.Doc.Returned)
		}
		if s, _ := na.Document(again); s.Doc.SentAt.IsZero() {
			t.Fatal("the document sent again is not sent")
		}
		if _, err := na.Resend(ctx, id, nil); !errors.Is(err, clerk.ErrNotReturned) {
			t.Fatalf("a second resend: %v", err)
		}
		// The register keeps both under the number: the returned one
		// noted, the one sent again as sent.
		rows, err := na.RegisterRows(clerk.BookOutgoing, om.RegisterYear())
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, r := range rows {
			if r[0] == document.FormatNumberNotation(om.CodeNumber, om.CodeNotation) {
				notes = append(notes, r[len(r)-1])
			}
		}
		if len(notes) != 2 || notes[0] != "Khẩn; Bị trục liên thông trả lại; Đã gửi lại" || notes[1] != "Khẩn" {
			t.Fatalf("register notes under %s: %q", om.CodeNumber, notes)
		}
		if _, err := na.Resend(ctx, again, nil); !errors.Is(err, clerk.ErrNotReturned) {
			t.Fatalf("resend of a delivered document: %v", err)
		}
	})

	t.Run("FreshCacheOffersTheSuccessor", func(t *testing.T) {
		mustSync(t, ctx, na) // the refusal made the directory due again
		succ, ok := na.Successor(caoBang)
		if !ok || succ.Code != hanoi {
			t.Fatalf("successor = %+v, %v", succ, ok)
		}
		if err := na.Validate(draft(t, "cong-van.pdf", caoBang)); err == nil || !strings.Contains(err.Error(), "now Ủy ban nhân dân thành phố Hà Nội") {
			t.Fatalf("validate: %v", err)
		}
		n, _ := na.NextNumber("")
		_, err := na.Issue(ctx, draft(t, "cong-van.pdf", caoBang))
		var rc *clerk.RecipientClosedError
		if !errors.Is(err, clerk.ErrRecipientClosed) || !errors.As(err, &rc) || rc.Closed[0].Successor != hanoi {
			t.Fatalf("issue to a closed code: %v", err)
		}
		if again, _ := na.NextNumber(""); again != n {
			t.Fatalf("a refused draft took number %d", n)
		}
		picks, err := na.PickableDirectory()
		if err != nil || !slicesHas(picks, caoBang) || !slicesHas(picks, hanoi) {
			t.Fatalf("pickable = %+v, %v", picks, err)
		}
	})

	t.Run("ReaddressedDelivered", func(t *testing.T) {
		id, err := na.Issue(ctx, draft(t, "cong-van.pdf", hanoi))
		if err != nil {
			t.Fatal(err)
		}
		mustSync(t, ctx, na, hn)
		for _, r := range inbox(t, hn) {
			if r.ID == id {
				return
			}
		}
		t.Fatalf("Hà Nội did not receive %s", id)
	})

	t.Run("FromAClosedCodeFiledUnderItsSuccessor", func(t *testing.T) {
		qn := newClerk(t, h, quangNinh) // its first sync reads the directory after the closure
		mustSync(t, ctx, qn)
		rows := inbox(t, qn)
		if len(rows) != 1 || rows[0].ID != before || rows[0].AgencyCode != caoBang || rows[0].Successor == nil || rows[0].Successor.Code != hanoi {
			t.Fatalf("Quảng Ninh's inbox = %+v", rows)
		}
		v, err := qn.Document(before)
		if err != nil || v.Report == nil || !v.Report.Valid() {
			t.Fatalf("the document from a closed code does not verify: %v", err)
		}
		if v.FromSuccessor == nil || v.FromSuccessor.Code != hanoi || v.Doc.Payload.Metadata.From.Code != caoBang {
			t.Fatalf("view: from %s, successor %+v", v.Doc.Payload.Metadata.From.Code, v.FromSuccessor)
		}
		label := i18n.New(i18n.Vietnamese).T(i18n.AgencyNowIs, rows[0].Agency, rows[0].Successor.Name)
		if label != "Ủy ban nhân dân tỉnh Cao Bằng (nay là Ủy ban nhân dân thành phố Hà Nội)" {
			t.Fatalf("label %q", label)
		}
	})
}

func slicesHas(list []store.Agency, code certs.AgencyCode) bool {
	for _, a := range list {
		if a.Code == code {
			return true
		}
	}
	return false
}

// TestRetryableKeepsQueued: a document the hub cannot be reached for stays
// queued, not returned, and goes when the hub is back.
func TestRetryableKeepsQueued(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn := newClerk(t, h, quangNinh)
	mustSync(t, ctx, qn)
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	h.Stop()
	if err := qn.Sync(ctx); err == nil {
		t.Fatal("synced with the hub stopped")
	}
	v, err := qn.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if qn.OutboxLen() != 1 || v.Doc.Returned != nil {
		t.Fatalf("after a network failure: outbox %d, returned %+v", qn.OutboxLen(), v.Doc.Returned)
	}
}
