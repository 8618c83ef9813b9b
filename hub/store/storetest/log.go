package storetest

import (
	"bytes"
	"testing"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

const logOrigin = "storetest/log"

// testLog checks that every committed event appends exactly one entry,
// retries append nothing, entries say what happened, and every entry
// proves into the tree the store's hashes make — before and after a
// reopen.
func testLog(t *testing.T, s store.Store) {
	size := func() int64 {
		t.Helper()
		n, err := s.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := size(); n != 0 {
		t.Fatalf("new store has %d log entries", n)
	}
	sub := NewSubmission(Quangninh, 100, Nghean, Govoffice)
	sub.DueDate = "2026-03-20"
	res := accept(t, s, sub)
	if _, _, err := s.Accept(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	d, _, err := s.Ack(ctx, Nghean, sub.MessageID, "", T0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, existed, _ := s.Ack(ctx, Nghean, sub.MessageID, "", T0, nil); !existed {
		t.Fatal("second ack not recognised")
	}
	st, _, err := s.AppendStatus(ctx, statusOf(sub.MessageID, Nghean, document.StatusArrived, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendStatus(ctx, statusOf(sub.MessageID, Nghean, document.StatusArrived, 1)); err != nil {
		t.Fatal(err)
	}
	ag := &store.Agency{Code: Caobang, Name: "Ủy ban nhân dân tỉnh Cao Bằng", Level: 1, Active: true}
	if _, err := s.UpsertAgency(ctx, ag, T0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertAgency(ctx, ag, T0); err != nil {
		t.Fatal(err)
	}
	hist, err := s.AgencyHistory(ctx, Caobang)
	if err != nil {
		t.Fatal(err)
	}
	if n := size(); n != 4 {
		t.Fatalf("log size %d after accept, ack, status and directory change (with retries), want 4", n)
	}
	if res.LogIndex != 0 || d.LogIndex != 1 || st.LogIndex != 2 || hist[0].LogIndex != 3 {
		t.Fatalf("log indexes %d %d %d %d, want 0 1 2 3", res.LogIndex, d.LogIndex, st.LogIndex, hist[0].LogIndex)
	}
	if m, err := s.Message(ctx, sub.MessageID); err != nil || m.LogIndex != 0 || m.DueDate != "2026-03-20" {
		t.Fatalf("message: %v log %d due %q", err, m.LogIndex, m.DueDate)
	}
	entries, err := s.LogEntries(ctx, 0, 4)
	if err != nil || len(entries) != 4 {
		t.Fatalf("entries: %v (%d)", err, len(entries))
	}
	want := []struct {
		kind   string
		agency certs.AgencyCode
	}{
		{auditlog.KindAccepted, ""}, {auditlog.KindDelivered, Nghean}, {auditlog.KindStatus, Nghean}, {auditlog.KindDirectory, Caobang},
	}
	for i, raw := range entries {
		e, err := auditlog.DecodeEntry(raw)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if e.Kind != want[i].kind || certs.AgencyCode(e.Agency) != want[i].agency {
			t.Errorf("entry %d is %s for %q, want %s for %q", i, e.Kind, e.Agency, want[i].kind, want[i].agency)
		}
		if i < 3 && (e.MessageID != sub.MessageID || e.EnvelopeSHA256 != sub.EnvelopeSHA256) {
			t.Errorf("entry %d names %s/%s", i, e.MessageID, e.EnvelopeSHA256)
		}
		if bytes.Contains(raw, sub.Envelope) {
			t.Errorf("entry %d carries the envelope's bytes", i)
		}
	}
	if e, _ := auditlog.DecodeEntry(entries[0]); e.Due != "2026-03-20" || certs.AgencyCode(e.Sender) != Quangninh || len(e.Recipients) != 2 {
		t.Errorf("accepted entry: %+v", e)
	}
	if e, _ := auditlog.DecodeEntry(entries[2]); document.Status(e.Status) != document.StatusArrived || e.PacketSHA256 == "" {
		t.Errorf("status entry: %+v", e)
	}
	prove := func(s store.Store) auditlog.Checkpoint {
		t.Helper()
		head, err := auditlog.Head(logOrigin, 4, s)
		if err != nil {
			t.Fatal(err)
		}
		for i, raw := range entries {
			p, err := auditlog.ProveInclusion(int64(i), 4, s)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditlog.VerifyInclusion(raw, p, head); err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
		}
		return head
	}
	before := prove(s)
	if err := s.PutCheckpoint(ctx, 4, []byte("signed checkpoint")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCheckpoint(ctx, 9, []byte("beyond")); err == nil {
		t.Fatal("a checkpoint beyond the log was kept")
	}
	s = reopen(t, s)
	if after := prove(s); after != before {
		t.Fatal("the tree changed across a reopen")
	}
	if n, cp, err := s.LatestCheckpoint(ctx); err != nil || n != 4 || string(cp) != "signed checkpoint" {
		t.Fatalf("latest checkpoint: %v %d %q", err, n, cp)
	}
	if _, err := s.LogEntries(ctx, 2, 9); err == nil {
		t.Fatal("entries beyond the log were returned")
	}
}
