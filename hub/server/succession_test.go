package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
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
		if certs.AgencyCode(a.Code) == ngheAn && (a.Active || a.SupersededBy != vpcp || a.ClosedOn != store.Day(day)) {
			t.Fatalf("directory entry %+v", a)
		}
	}
	// Re-addressed to the successor, it is accepted.
	compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "91", vpcp).send(t, ctx, sender)
}

// TestDirectoryHistoryOverHTTP: any agency gets every version of a code's
// directory entry, each with the exact bytes its log entry commits to, so
// that the closure (day, successor, basis) is read from what the log
// proves; an unknown code is not_found and a malformed one bad_request.
func TestDirectoryHistoryOverHTTP(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	if _, err := h.Store.CloseAgencies(ctx, []store.Succession{{Code: ngheAn, On: day, Successor: vpcp,
		Basis: "Nghị quyết 202/2025/QH15"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	cl := h.Client(t, quangNinh, false)
	hist, err := cl.DirectoryHistory(ctx, string(ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	if hist.Code != string(ngheAn) || len(hist.Versions) != 2 {
		t.Fatalf("history %+v", hist)
	}
	for i, v := range hist.Versions {
		entries, err := cl.LogEntries(ctx, v.LogIndex, v.LogIndex+1)
		if err != nil || len(entries) != 1 {
			t.Fatalf("entry %d: %v", v.LogIndex, err)
		}
		e, err := auditlog.DecodeEntry(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(v.Record)
		if e.Kind != auditlog.KindDirectory || e.Agency != string(ngheAn) || e.PacketSHA256 != hex.EncodeToString(sum[:]) || !e.At.Equal(v.At) {
			t.Fatalf("version %d is not what log entry %d commits to: %+v", i, v.LogIndex, e)
		}
	}
	var last wire.DirectoryRecord
	if err := json.Unmarshal(hist.Versions[1].Record, &last); err != nil {
		t.Fatal(err)
	}
	if last.Active || last.SupersededBy != string(vpcp) || !last.ClosedOn.Equal(day) || last.ClosedBasis != "Nghị quyết 202/2025/QH15" {
		t.Fatalf("closed record %+v", last)
	}
	for code, want := range map[string]wire.Code{"000.00.00.Z99": wire.CodeNotFound, "not-a-code": wire.CodeBadRequest} {
		var we *wire.Error
		if _, err := cl.DirectoryHistory(ctx, code); !errors.As(err, &we) || we.Code != want {
			t.Errorf("history of %q: %v, want %s", code, err, want)
		}
	}
}
