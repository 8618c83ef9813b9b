package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"lienthong/shared/document"
)

func TestSaveAndGet(t *testing.T) {
	s, path := openTest(t)
	big := make([]byte, 3*chunkSize*chunksPerTx/2+12345) // crosses a staging transaction
	rand.Read(big)
	small := []byte("%PDF-1.4 phụ lục")
	m := meta(organ(agencies[2]), document.Recipient{Code: self.Code, Name: self.Name}, 77, day(2025, 4, 1), "Về việc báo cáo công tác văn thư")
	nd := newDoc(t, s, m, big, small)
	nd.Report = []byte(`{"valid":true}`)
	nd.InboxCursor = "c-000123"
	nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
	nd.Queue = []OutboxItem{{Kind: Ack, Doc: nd.Payload.MessageID, Message: nd.Payload.MessageID}}
	if err := s.SaveIncoming(nd); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIncoming(nd); !errors.Is(err, ErrExists) {
		t.Errorf("second save: %v, want ErrExists", err)
	}
	s.Close()
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := nd.Payload.MessageID
	d, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Box != Incoming || d.Payload.Metadata.Subject != m.Subject || d.Read || d.Status != document.StatusArrived {
		t.Errorf("got %+v", d)
	}
	for i, want := range [][]byte{big, small} {
		r, att, err := s.OpenAttachment(id, i)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, want) || att.Size != int64(len(want)) {
			t.Errorf("attachment %d: %d bytes, %v", i, len(got), err)
		}
	}
	if _, _, err := s.OpenAttachment(id, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("attachment 2: %v", err)
	}
	if p, err := s.Packet(id); err != nil || string(p) != "packet of "+id {
		t.Errorf("packet %q, %v", p, err)
	}
	if r, err := s.Report(id); err != nil || string(r) != `{"valid":true}` {
		t.Errorf("report %q, %v", r, err)
	}
	if c, err := s.Cursor(CursorInbox); err != nil || c != "c-000123" {
		t.Errorf("cursor %q, %v", c, err)
	}
	if items, err := s.Outbox(0); err != nil || len(items) != 1 || items[0].Kind != Ack {
		t.Errorf("outbox %+v, %v", items, err)
	}
	if _, err := s.Get("00000000000000000000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func organ(r document.Recipient) document.Organ { return document.Organ(r) }

func TestSaveIncomingBatch(t *testing.T) {
	tests := []struct {
		name    string
		dupAt   int // index of a document repeating the first, -1 for none
		wantErr error
		want    int
	}{
		{"all stored", -1, nil, 30},
		{"a repeated message id stores none", 17, ErrExists, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			var nds []NewDocument
			for i := range 30 {
				m := meta(organ(agencies[i%5]), document.Recipient{Code: self.Code, Name: self.Name}, i+1, day(2025, 5, 1+i%28), "Công văn hàng loạt")
				nd := newDoc(t, s, m, []byte(fmt.Sprintf("pdf %d", i)))
				if i == tt.dupAt {
					nd.Payload.MessageID = nds[0].Payload.MessageID
				}
				nds = append(nds, nd)
			}
			err := s.SaveIncomingBatch(nds)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SaveIncomingBatch: %v, want %v", err, tt.wantErr)
			}
			if n, _ := s.Count(Query{Box: Incoming}); n != tt.want {
				t.Errorf("%d documents stored, want %d", n, tt.want)
			}
			hits, err := s.Search(Incoming, "hang loat", 0, 100)
			if err != nil || len(hits) != tt.want {
				t.Errorf("search finds %d, want %d (%v)", len(hits), tt.want, err)
			}
		})
	}
}

// TestWithNumber finds the documents of a box by the value of their số,
// whatever its leading zeros, and only in that box.
func TestWithNumber(t *testing.T) {
	s, _ := openTest(t)
	to := document.Recipient{Code: self.Code, Name: self.Name}
	var want []string
	for i, n := range []int{7, 8, 7, 70} {
		m := meta(organ(agencies[i%2]), to, n, day(2025, 4, 1+i), "Về việc thử tìm theo số")
		nd := newDoc(t, s, m, []byte("%PDF-1.4 tệp"))
		if err := s.SaveIncoming(nd); err != nil {
			t.Fatal(err)
		}
		if n == 7 {
			want = append(want, nd.Payload.MessageID)
		}
	}
	for _, number := range []string{"7", "007"} {
		got, err := s.WithNumber(Incoming, number)
		slices.Sort(got)
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("WithNumber(%q) = %v, %v; want %v", number, got, err, want)
		}
	}
	if got, err := s.WithNumber(Outgoing, "7"); err != nil || len(got) != 0 {
		t.Errorf("the outgoing box: %v, %v", got, err)
	}
	if got, err := s.WithNumber(Incoming, "9"); err != nil || len(got) != 0 {
		t.Errorf("no such number: %v, %v", got, err)
	}
}
