package store

import (
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

func TestStatusHistory(t *testing.T) {
	s, path := openTest(t)
	m := meta(self, agencies[0], 1, day(2025, 3, 5), "Kế hoạch phối hợp")
	m.To = append(m.To, agencies[1])
	nd := newDoc(t, s, m)
	nd.Queue = []OutboxItem{{Kind: SendDocument, Doc: nd.Payload.MessageID, Message: nd.Payload.MessageID}}
	if err := s.SaveOutgoing(nd); err != nil {
		t.Fatal(err)
	}
	id := nd.Payload.MessageID
	g22, g09 := agencies[0].Code, agencies[1].Code
	at := time.Date(2025, 3, 6, 9, 0, 0, 0, document.VietnamTime)
	steps := []struct {
		name       string
		from       certs.AgencyCode
		code       document.Status
		wantErr    error
		wantStatus document.Status // summary after the step
		wantDone   bool
	}{
		{"G22 arrived", g22, document.StatusArrived, nil, "", false},
		{"G22 cannot complete before receiving", g22, document.StatusCompleted, document.ErrTransition, "", false},
		{"G09 arrived", g09, document.StatusArrived, nil, document.StatusArrived, false},
		{"G22 received", g22, document.StatusReceived, nil, document.StatusArrived, false},
		{"G09 refused", g09, document.StatusRefused, nil, document.StatusRefused, false},
		{"G09 cannot go on after refusing", g09, document.StatusReceived, document.ErrTransition, document.StatusRefused, false},
		{"G22 processing", g22, document.StatusProcessing, nil, document.StatusRefused, false},
		{"G22 completed", g22, document.StatusCompleted, nil, document.StatusRefused, true},
		{"G22 cannot arrive twice", g22, document.StatusArrived, document.ErrTransition, document.StatusRefused, true},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e := status(m, st.from, st.code, at.Add(time.Duration(i)*time.Minute))
			err := s.AddStatus(StatusChange{Doc: id, Entry: e, StatusCursor: "s-" + st.name})
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("AddStatus: %v, want %v", err, st.wantErr)
			}
			d, err := s.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != st.wantStatus || d.Done != st.wantDone {
				t.Errorf("summary status %q done %v, want %q %v", d.Status, d.Done, st.wantStatus, st.wantDone)
			}
		})
	}
	h, err := s.History(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Copy != g22 || len(h[0].Entries) != 4 || h[1].Copy != g09 || len(h[1].Entries) != 2 {
		t.Fatalf("history %+v", h)
	}
	if h[1].Entries[1].Update.Reason == "" {
		t.Error("refusal reason lost")
	}
	if n, _ := s.Count(Query{Box: Outgoing, Filter: Filter{Statuses: []document.Status{document.StatusRefused}}}); n != 1 {
		t.Errorf("count by status 02 = %d", n)
	}

	// Rewriting the stored history is detected: drop a copy's first entry.
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		c.First()
		return c.Delete()
	})
	s, err = OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.History(id); !errors.Is(err, ErrCorrupt) {
		t.Errorf("history with a hole: %v, want ErrCorrupt", err)
	}
}

func TestOutbox(t *testing.T) {
	s, _ := openTest(t)
	var ids []string
	for i := range 3 {
		nd := newDoc(t, s, meta(self, agencies[i], i+1, day(2025, 3, 5), "Thông báo"), []byte("pdf"))
		nd.Queue = []OutboxItem{{Kind: SendDocument, Doc: nd.Payload.MessageID, Message: nd.Payload.MessageID}}
		if err := s.SaveOutgoing(nd); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, nd.Payload.MessageID)
	}
	if err := s.Enqueue(OutboxItem{Kind: SendDocument, Doc: "ffffffffffffffffffffffffffffffff"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("queueing an unknown document: %v", err)
	}
	items, err := s.Outbox(0)
	if err != nil || len(items) != 3 {
		t.Fatalf("outbox %v, %v", items, err)
	}
	for i, it := range items {
		if it.Doc != ids[i] || (i > 0 && it.ID <= items[i-1].ID) {
			t.Errorf("item %d = %+v: not in order", i, it)
		}
	}
	sent := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		item    uint64
		wantErr error
		wantLen int
	}{
		{"middle item done", items[1].ID, nil, 2},
		{"done twice", items[1].ID, ErrNotFound, 2},
		{"first item done", items[0].ID, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Done(tt.item, Completion{At: sent, Receipt: []byte("receipt")})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Done: %v, want %v", err, tt.wantErr)
			}
			if n, _ := s.OutboxLen(); n != tt.wantLen {
				t.Errorf("outbox length %d, want %d", n, tt.wantLen)
			}
		})
	}
	d, _ := s.Get(ids[1])
	if !d.SentAt.Equal(sent) {
		t.Errorf("sent at %v", d.SentAt)
	}
	if r, err := s.Receipts(ids[1]); err != nil || len(r) != 1 || string(r[0]) != "receipt" {
		t.Errorf("receipts %q, %v", r, err)
	}
	if d, _ := s.Get(ids[2]); !d.SentAt.IsZero() {
		t.Error("unsent document has a sending time")
	}
	if items, _ := s.Outbox(10); len(items) != 1 || items[0].Doc != ids[2] {
		t.Errorf("left %+v", items)
	}
}
