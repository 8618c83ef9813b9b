package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

func statusOf(id string, from certs.AgencyCode, code document.Status, n int) *store.StatusUpdate {
	return &store.StatusUpdate{
		MessageID: id, From: from, Code: code, Staff: "Nguyễn Văn A",
		At: T0.Add(time.Duration(n) * time.Minute), Signed: []byte(fmt.Sprintf("signed %s %s %s %d", id, from, code, n)),
	}
}

func testStatusRouting(t *testing.T, s store.Store) {
	m1 := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	m2 := NewSubmission(Caobang, 100, Govoffice)
	accept(t, s, m1)
	accept(t, s, m2)
	updates := []*store.StatusUpdate{
		statusOf(m1.MessageID, Govoffice, document.StatusArrived, 1),
		statusOf(m2.MessageID, Govoffice, document.StatusArrived, 2),
		statusOf(m1.MessageID, Nghean, document.StatusArrived, 3),
		statusOf(m1.MessageID, Govoffice, document.StatusReceived, 4),
	}
	for _, u := range updates {
		got, existed, err := s.AppendStatus(ctx, u)
		if err != nil || existed {
			t.Fatalf("append %s: existed=%v err=%v", u.Code, existed, err)
		}
		if got.Sender == "" || got.Cursor == 0 || got.Seq == 0 {
			t.Fatalf("stored status lacks routing: %+v", got)
		}
	}
	inbox, err := s.StatusInbox(ctx, Quangninh, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, u := range inbox {
		if u.Sender != Quangninh || u.MessageID != m1.MessageID {
			t.Fatalf("status routed wrongly: %+v", u)
		}
		codes = append(codes, string(u.From)+"/"+string(u.Code))
	}
	if want := []string{string(Govoffice) + "/01", string(Nghean) + "/01", string(Govoffice) + "/03"}; !slices.Equal(codes, want) {
		t.Fatalf("sender's status inbox = %v, want %v", codes, want)
	}
	other, _ := s.StatusInbox(ctx, Caobang, 0, 10)
	if len(other) != 1 || other[0].MessageID != m2.MessageID {
		t.Fatalf("other sender's inbox = %+v", other)
	}
	// Per (message, recipient) sequence.
	hist, err := s.StatusHistory(ctx, m1.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[certs.AgencyCode][]uint64{}
	for _, h := range hist {
		seqs[h.From] = append(seqs[h.From], h.Seq)
		if !bytes.HasPrefix(h.Signed, []byte(fmt.Sprintf("signed %s %s %s ", h.MessageID, h.From, h.Code))) {
			t.Fatalf("signed bytes of %s/%s = %q", h.From, h.Code, h.Signed)
		}
	}
	if !slices.Equal(seqs[Govoffice], []uint64{1, 2}) || !slices.Equal(seqs[Nghean], []uint64{1}) {
		t.Fatalf("history sequences = %v", seqs)
	}
	// Retry with the same signed bytes.
	again, existed, err := s.AppendStatus(ctx, updates[0])
	if err != nil || !existed || again.Cursor != inbox[0].Cursor {
		t.Fatalf("retried status: %+v existed=%v err=%v", again, existed, err)
	}
	// Paging and acknowledging.
	page, _ := s.StatusInbox(ctx, Quangninh, inbox[0].Cursor, 1)
	if len(page) != 1 || page[0].Cursor != inbox[1].Cursor {
		t.Fatalf("page after cursor = %+v", page)
	}
	for range 2 {
		if err := s.AckStatus(ctx, Quangninh, inbox[0].Cursor); err != nil {
			t.Fatalf("ack status: %v", err)
		}
	}
	rest, _ := s.StatusInbox(ctx, Quangninh, 0, 10)
	if len(rest) != 2 || rest[0].Cursor != inbox[1].Cursor {
		t.Fatalf("inbox after ack = %+v", rest)
	}
	wantErr(t, s.AckStatus(ctx, Quangninh, 99), store.ErrNotFound)
	hist, _ = s.StatusHistory(ctx, m1.MessageID)
	if len(hist) != 3 {
		t.Fatalf("acknowledging removed history: %d entries", len(hist))
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Statuses["01"] != 2 || st.Statuses["03"] != 1 {
		t.Fatalf("status stats = %v", st.Statuses)
	}
}

func testStatusRules(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	tests := []struct {
		name   string
		modify func(*store.StatusUpdate)
		want   error
	}{
		{"UnknownCode", func(u *store.StatusUpdate) { u.Code = "07" }, store.ErrInvalid},
		{"RefusedWithoutReason", func(u *store.StatusUpdate) { u.Code = document.StatusRefused; u.Reason = "  " }, store.ErrInvalid},
		{"NoSignedBytes", func(u *store.StatusUpdate) { u.Signed = nil }, store.ErrInvalid},
		{"NotARecipient", func(u *store.StatusUpdate) { u.From = Nghean }, store.ErrForbidden},
		{"FromTheSender", func(u *store.StatusUpdate) { u.From = Quangninh }, store.ErrForbidden},
		{"UnknownMessage", func(u *store.StatusUpdate) { u.MessageID = NewID() }, store.ErrNotFound},
		{"OtherDocument", func(u *store.StatusUpdate) { u.Document = "000.00.00.H49,2026/03/02,13/UBND-VP" }, store.ErrWrongDocument},
		{"BeforeArrival", func(*store.StatusUpdate) {}, document.ErrTransition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := statusOf(m.MessageID, Govoffice, document.StatusReceived, 1)
			tc.modify(u)
			_, _, err := s.AppendStatus(ctx, u)
			wantErr(t, err, tc.want)
		})
	}
	if got, _ := s.StatusInbox(ctx, Quangninh, 0, 10); len(got) != 0 {
		t.Fatalf("refused statuses queued: %+v", got)
	}
	if _, _, err := s.AppendStatus(ctx, statusOf(m.MessageID, Govoffice, document.StatusArrived, 1)); err != nil {
		t.Fatalf("arrival: %v", err)
	}
	ok := statusOf(m.MessageID, Govoffice, document.StatusRefused, 2)
	ok.Reason = "Gửi nhầm cơ quan"
	ok.Document = m.DocumentID
	if _, _, err := s.AppendStatus(ctx, ok); err != nil {
		t.Fatalf("refusal with a reason: %v", err)
	}
	hist, _ := s.StatusHistory(ctx, m.MessageID)
	if len(hist) != 2 || hist[1].Reason != ok.Reason || hist[1].Staff != ok.Staff || !hist[1].At.Equal(ok.At) {
		t.Fatalf("history = %+v", hist)
	}
}
