package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"lienthong/hub/store"
	"lienthong/shared/document"
)

func testResumeAfterReopen(t *testing.T, s store.Store) {
	data := RandomBytes(200_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:123_456])); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || again.Offset != 123_456 || again.ID != up.ID {
		t.Fatalf("begin after reopen: %+v %v, want offset 123456", again, err)
	}
	if _, err := s.AppendUpload(ctx, again, again.Offset, bytes.NewReader(data[again.Offset:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, again, T0); err != nil {
		t.Fatalf("commit after reopen: %v", err)
	}
	// A corrupted resume is caught by the digest check even though the
	// hash had to be recomputed from disk.
	data2 := RandomBytes(10_000)
	up2, _ := s.BeginUpload(ctx, Quangninh, Digest(data2), 10_000)
	s.AppendUpload(ctx, up2, 0, bytes.NewReader(data2[:5000]))
	s = reopen(t, s)
	if _, err := s.AppendUpload(ctx, up2, 5000, bytes.NewReader(RandomBytes(5000))); err != nil {
		t.Fatal(err)
	}
	_, err = s.CommitUpload(ctx, up2, T0)
	wantErr(t, err, store.ErrDigestMismatch)
}

func testReopenState(t *testing.T, s store.Store) {
	blob := RandomBytes(4000)
	if _, err := s.PutBlob(ctx, Quangninh, Digest(blob), bytes.NewReader(blob), T0); err != nil {
		t.Fatal(err)
	}
	m1 := NewSubmission(Quangninh, 1000, Govoffice, Nghean)
	m1.BlobDigests = []string{Digest(blob)}
	m2 := NewSubmission(Quangninh, 1000, Govoffice)
	r1 := accept(t, s, m1)
	accept(t, s, m2)
	if _, _, err := s.Ack(ctx, Govoffice, m1.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	leased, err := s.Lease(ctx, Nghean, 1, T0, time.Hour)
	if err != nil || len(leased) != 1 {
		t.Fatal(err)
	}
	if _, _, err := s.AppendStatus(ctx, statusOf(m1.MessageID, Govoffice, document.StatusArrived, 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutReceipt(ctx, &store.Receipt{MessageID: m1.MessageID, Event: "accepted", Party: Quangninh, At: T0, Signed: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertAgency(ctx, &store.Agency{Code: Govoffice, Name: "Văn phòng Chính phủ", Level: 1, Active: true}, T0); err != nil {
		t.Fatal(err)
	}

	s = reopen(t, s)

	if res, existed, err := s.Accept(ctx, m1, nil); err != nil || !existed || res.Seq != r1.Seq {
		t.Fatalf("retry after reopen: %+v %v %v", res, existed, err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{m2.MessageID}) {
		t.Fatalf("inbox after reopen = %v", got)
	}
	if got := inboxIDs(t, s, Nghean, T0); len(got) != 0 {
		t.Fatalf("lease lost on reopen: %v", got)
	}
	if _, _, err := s.Ack(ctx, Nghean, m1.MessageID, leased[0].LeaseToken, T0, nil); err != nil {
		t.Fatalf("ack with a lease from before reopen: %v", err)
	}
	if _, existed, err := s.Ack(ctx, Govoffice, m1.MessageID, "", T0, nil); err != nil || !existed {
		t.Fatalf("ack after reopen: %v %v", existed, err)
	}
	if st, _ := s.StatusInbox(ctx, Quangninh, 0, 10); len(st) != 1 {
		t.Fatalf("status queue after reopen = %+v", st)
	}
	if rs, _ := s.Receipts(ctx, m1.MessageID); len(rs) != 1 {
		t.Fatalf("receipts after reopen = %+v", rs)
	}
	if a, err := s.Agency(ctx, Govoffice); err != nil || a.Name != "Văn phòng Chính phủ" {
		t.Fatalf("agency after reopen: %+v %v", a, err)
	}
	if info, _ := s.StatBlob(ctx, Digest(blob)); !info.Present {
		t.Fatalf("blob lost on reopen")
	}
	st, _ := s.Stats(ctx, Quangninh)
	if st.Sent != 2 {
		t.Fatalf("stats after reopen = %+v", st)
	}
	// New messages continue the cursors.
	m3 := NewSubmission(Quangninh, 100, Govoffice)
	r3 := accept(t, s, m3)
	if r3.Seq != 3 {
		t.Fatalf("sent cursor after reopen = %d, want 3", r3.Seq)
	}
	ds, _ := s.Inbox(ctx, Govoffice, 0, 10, T0)
	if len(ds) != 2 || ds[1].Cursor != 3 {
		t.Fatalf("queue cursors after reopen: %+v", ds)
	}
}

func testClosed(t *testing.T, s store.Store) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	_, _, err := s.Accept(ctx, NewSubmission(Quangninh, 100, Govoffice), nil)
	wantErr(t, err, store.ErrClosed)
	_, err = s.Inbox(ctx, Govoffice, 0, 10, T0)
	wantErr(t, err, store.ErrClosed)
	_, err = s.StatBlob(ctx, Digest(nil))
	wantErr(t, err, store.ErrClosed)
}
