package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"lienthong/shared/document"
)

func refusalOf(i int) Refusal {
	return Refusal{MessageID: fmt.Sprintf("%032x", i+1), Sender: "000.00.00.H49", Cause: CauseTooLarge,
		Reason: "Tệp đính kèm vượt quá giới hạn", At: time.Date(2026, 12, 4, 9, 0, i, 0, time.UTC), Packet: []byte(`{"payload":"e30="}`)}
}

// TestSetAside keeps a refused document with its outbox item and the
// inbox cursor in one transaction, once; Done of the item keeps the hub's
// receipt with the record.
func TestSetAside(t *testing.T) {
	s, path := openTest(t)
	r := refusalOf(0)
	if err := s.SetAside(r, "7"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAside(r, "8"); err != nil {
		t.Fatalf("set aside again: %v", err)
	}
	items, err := s.Outbox(0)
	if err != nil || len(items) != 1 || items[0].Kind != Refuse || items[0].Message != r.MessageID || items[0].Reason != r.Reason {
		t.Fatalf("outbox = %+v, %v: want one refusal to tell", items, err)
	}
	if c, _ := s.Cursor(CursorInbox); c != "8" {
		t.Fatalf("inbox cursor = %q", c)
	}
	got, err := s.Refusals()
	if err != nil || len(got) != 1 || got[0].MessageID != r.MessageID || !bytes.Equal(got[0].Packet, r.Packet) || !got[0].Told.IsZero() {
		t.Fatalf("refusals = %+v, %v", got, err)
	}
	at := time.Date(2026, 12, 4, 9, 5, 0, 0, time.UTC)
	if err := s.Done(items[0].ID, Completion{At: at, Receipt: []byte("receipt")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ = s.Refusals()
	if len(got) != 1 || !got[0].Told.Equal(at) || string(got[0].Receipt) != "receipt" {
		t.Fatalf("after Done and a reopen: %+v", got)
	}
	if n, _ := s.OutboxLen(); n != 0 {
		t.Fatalf("outbox after Done: %d", n)
	}
}

// TestSetAsideBounded keeps the newest records and small packets only.
func TestSetAsideBounded(t *testing.T) {
	defer func(n int) { maxRefusals = n }(maxRefusals)
	maxRefusals = 3
	s, _ := openTest(t)
	for i := range 5 {
		r := refusalOf(i)
		if i == 4 {
			r.Packet = make([]byte, MaxRefusalPacket+1)
		}
		if err := s.SetAside(r, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Refusals()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.MessageID)
	}
	if want := []string{refusalOf(4).MessageID, refusalOf(3).MessageID, refusalOf(2).MessageID}; !slices.Equal(ids, want) {
		t.Fatalf("kept %v, want the newest three %v", ids, want)
	}
	if got[0].Packet != nil || got[1].Packet == nil {
		t.Fatalf("packets kept: %d and %d bytes, want none over %d", len(got[0].Packet), len(got[1].Packet), MaxRefusalPacket)
	}
	// The outbox still tells the hub of every one.
	if n, _ := s.OutboxLen(); n != 5 {
		t.Fatalf("outbox = %d, want 5 refusals to tell", n)
	}
}

// TestSetAsideStoredDocument refuses nothing stored as received.
func TestSetAsideStoredDocument(t *testing.T) {
	s, _ := openTest(t)
	nd := newDoc(t, s, meta(document.Organ{Code: "000.00.00.H41", Name: "Ủy ban nhân dân tỉnh Nghệ An"},
		document.Recipient{Code: self.Code, Name: self.Name}, 1, day(2026, 12, 4), "Về việc thử"), []byte("%PDF-1.7 thử"))
	if err := s.SaveIncoming(nd); err != nil {
		t.Fatal(err)
	}
	r := refusalOf(0)
	r.MessageID = nd.Payload.MessageID
	if err := s.SetAside(r, "9"); !errors.Is(err, ErrExists) {
		t.Fatalf("set aside a received document: %v, want ErrExists", err)
	}
	if got, _ := s.Refusals(); len(got) != 0 {
		t.Fatalf("refusals = %+v", got)
	}
}
