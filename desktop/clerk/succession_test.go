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

	t.Run("StaleCacheRefusedByTheHub", func(t *testing.T) {
		events, cancel := na.Subscribe()
		defer cancel()
		if _, err := na.Issue(ctx, draft(t, "cong-van.pdf", caoBang)); err != nil {
			t.Fatalf("issue with a stale directory: %v", err)
		}
		mustSync(t, ctx, na)
		var failed error
		for failed == nil {
			select {
			case ev := <-events:
				if f, ok := ev.(clerk.SyncFailed); ok {
					failed = f.Err
				}
			case <-ctx.Done():
				t.Fatal("no SyncFailed event")
			}
		}
		rc, ok := clerk.RecipientClosedOf(failed)
		if wire.CodeOf(failed) != wire.CodeRecipientClosed || !ok || len(rc.Closed) != 1 || rc.Closed[0].Code != caoBang ||
			rc.Closed[0].Successor != hanoi || rc.Closed[0].SuccessorName != agencyName(hanoi) || rc.Closed[0].ClosedOn == "" {
			t.Fatalf("refusal = %v (%+v)", failed, rc)
		}
		msg := clerk.Explain(failed).Message(i18n.New(i18n.Vietnamese))
		if !strings.Contains(msg, "Ủy ban nhân dân tỉnh Cao Bằng → Ủy ban nhân dân thành phố Hà Nội ("+hanoi+")") {
			t.Fatalf("the clerk reads %q", msg)
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
