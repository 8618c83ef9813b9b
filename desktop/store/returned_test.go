package store

import (
	"errors"
	"testing"
	"time"

	"lienthong/shared/document"
)

// TestReturnAndResend: a returned document leaves the outbox with its
// refusal in one step (a second Return changes nothing), stays stored,
// and is sent again once, the duplicate check then naming the new message.
func TestReturnAndResend(t *testing.T) {
	s, _ := openTest(t)
	m := meta(self, agencies[4], 7, day(2025, 7, 2), "Báo cáo")
	nd := newDoc(t, s, m, []byte("%PDF-1.7 a"))
	nd.Queue = []OutboxItem{{Kind: SendDocument, Doc: nd.Payload.MessageID, Message: nd.Payload.MessageID}}
	if err := s.SaveOutgoing(nd); err != nil {
		t.Fatal(err)
	}
	old := nd.Payload.MessageID
	items, err := s.Outbox(0)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox %v, %v", items, err)
	}
	if err := s.Resend(old, newDoc(t, s, m, []byte("%PDF-1.7 a"))); !errors.Is(err, ErrNotReturned) {
		t.Fatalf("resend before a return: %v", err)
	}
	r := Returned{At: time.Now(), Code: "recipient_closed", Message: "closed", Details: []byte(`{"closed":[{"code":"000.00.00.H14","successor":"000.00.00.H01"}]}`)}
	if err := s.Return(items[0].ID, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Return(items[0].ID, r); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second return: %v", err)
	}
	if n, _ := s.OutboxLen(); n != 0 {
		t.Fatalf("outbox %d after the return", n)
	}
	d, err := s.Get(old)
	if err != nil || d.Returned == nil || d.Returned.Code != r.Code || string(d.Returned.Details) != string(r.Details) || !d.SentAt.IsZero() {
		t.Fatalf("returned document %+v, %v", d, err)
	}

	rows, err := s.List(Query{Box: Outgoing, Limit: 10})
	if err != nil || len(rows) != 1 || !rows[0].Returned {
		t.Fatalf("the list does not show it returned: %+v, %v", rows, err)
	}

	m2 := *m
	m2.To = []document.Recipient{agencies[2]}
	other := meta(self, agencies[2], 8, day(2025, 7, 2), "Khác")
	if err := s.Resend(old, newDoc(t, s, other, []byte("%PDF-1.7 b"))); err == nil {
		t.Fatal("resent as another document")
	}
	again := newDoc(t, s, &m2, []byte("%PDF-1.7 a"))
	again.Queue = []OutboxItem{{Kind: SendDocument, Doc: again.Payload.MessageID, Message: again.Payload.MessageID}}
	if err := s.Resend(old, again); err != nil {
		t.Fatal(err)
	}
	if err := s.Resend(old, newDoc(t, s, &m2, []byte("%PDF-1.7 a"))); !errors.Is(err, ErrNotReturned) {
		t.Fatalf("second resend: %v", err)
	}
	if d, _ := s.Get(old); d.Returned == nil || d.Returned.ResentAs != again.Payload.MessageID {
		t.Fatalf("returned document after resend: %+v", d.Returned)
	}
	var dup *DuplicateError
	if err := s.CheckDuplicate(m); !errors.As(err, &dup) || dup.Existing != again.Payload.MessageID {
		t.Fatalf("duplicate check: %v", err)
	}
	if items, _ := s.Outbox(0); len(items) != 1 || items[0].Doc != again.Payload.MessageID {
		t.Fatalf("outbox %+v", items)
	}
}
