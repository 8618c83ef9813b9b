package server_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/store"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// TestRecipientClosedOverHTTP: a document addressed to a code closed by a
// reorganisation is refused with recipient_closed (422), its details
// naming the successor, through the one error table and the client's
// sentinel; the traffic check holds the answer to the API's schema.
func TestRecipientClosedOverHTTP(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	day := store.DayOf(time.Now())
	if _, err := h.Store.CloseAgencies(ctx, []store.Succession{{Code: ngheAn, On: day, Successor: vpcp,
		Basis: "Nghị quyết 202/2025/QH15"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sender := h.Client(t, quangNinh, true)
	d := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "90", ngheAn)
	if err := sender.Upload(ctx, d.digest, bytes.NewReader(d.pdf), int64(len(d.pdf)), 16<<10, nil); err != nil {
		t.Fatal(err)
	}
	_, err := sender.Submit(ctx, d.packet)
	rc, ok := wire.RecipientClosedOf(err)
	if !errors.Is(err, hubclient.ErrRecipientClosed) || !ok || len(rc.Closed) != 1 ||
		rc.Closed[0] != (wire.ClosedRecipient{Code: ngheAn, Name: h.Agencies[ngheAn].Name, ClosedOn: store.Day(day),
			Successor: vpcp, SuccessorName: h.Agencies[vpcp].Name}) {
		t.Fatalf("submit to a closed code: %v (%+v)", err, rc)
	}
	var we *wire.Error
	if !errors.As(err, &we) || we.Code.HTTPStatus() != 422 {
		t.Fatalf("answer %v", err)
	}
	// The directory says so too, for clients that check before sending.
	dir, err := sender.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dir.Agencies {
		if certs.AgencyCode(a.Code) == ngheAn && (a.Active || a.SupersededBy != vpcp) {
			t.Fatalf("directory entry %+v", a)
		}
	}
	// Re-addressed to the successor, it is accepted.
	compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "91", vpcp).send(t, ctx, sender)
}
