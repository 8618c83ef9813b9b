package store

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/shared/document"
)

func TestDuplicates(t *testing.T) {
	tests := []struct {
		name   string
		number int
		date   document.Date
		notat  string
		sameID bool
		dup    bool
	}{
		{"same document id", 5, day(2025, 3, 5), "UBND-VP", true, true},
		{"same number and notation, other day of the year", 5, day(2025, 7, 1), "UBND-VP", false, true},
		{"same number written 05", 5, day(2025, 7, 2), "UBND-VP", false, true}, // number given as "05" below
		{"same number, next year", 5, day(2026, 1, 2), "UBND-VP", false, false},
		{"same number, other notation", 5, day(2025, 3, 5), "UBND-TH", false, false},
		{"other number", 6, day(2025, 3, 5), "UBND-VP", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			first := newDoc(t, s, meta(self, agencies[0], 5, day(2025, 3, 5), "Giấy mời họp"))
			if err := s.SaveOutgoing(first); err != nil {
				t.Fatal(err)
			}
			m := meta(self, agencies[1], tt.number, tt.date, "Giấy mời họp lần hai")
			m.CodeNotation = tt.notat
			if tt.name == "same number written 05" {
				m.CodeNumber = "05"
			}
			err := s.CheckDuplicate(m)
			var de *DuplicateError
			if got := errors.As(err, &de); got != tt.dup {
				t.Fatalf("CheckDuplicate: %v, want duplicate %v", err, tt.dup)
			}
			if tt.dup && (de.Existing != first.Payload.MessageID || de.SameID != tt.sameID) {
				t.Errorf("duplicate error %+v", de)
			}
			err = s.SaveOutgoing(newDoc(t, s, m))
			if errors.Is(err, ErrDuplicate) != tt.dup {
				t.Errorf("SaveOutgoing: %v, want duplicate %v", err, tt.dup)
			}
			if n, _ := s.Count(Query{Box: Outgoing}); (n == 1) != tt.dup {
				t.Errorf("%d documents stored", n)
			}
		})
	}
}

func TestNextNumber(t *testing.T) {
	vn := document.VietnamTime
	tests := []struct {
		name   string
		series string
		at     time.Time
		want   int
	}{
		{"first of 2024", "", time.Date(2024, 6, 1, 9, 0, 0, 0, vn), 1},
		{"second of 2024", "", time.Date(2024, 12, 31, 23, 0, 0, 0, vn), 2},
		{"17:30Z on 31 December is already 2025 in Hà Nội", "", time.Date(2024, 12, 31, 17, 30, 0, 0, time.UTC), 1},
		{"secret series has its own numbers", "mat", time.Date(2025, 2, 1, 9, 0, 0, 0, vn), 1},
		{"main series goes on", "", time.Date(2025, 2, 1, 9, 0, 0, 0, vn), 2},
		{"secret series goes on", "mat", time.Date(2025, 2, 2, 9, 0, 0, 0, vn), 2},
	}
	s, _ := openTest(t)
	for _, tt := range tests { // in order: each case builds on the previous
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.NextNumber(tt.series, tt.at)
			if err != nil || n != tt.want {
				t.Errorf("NextNumber = %d, %v; want %d", n, err, tt.want)
			}
		})
	}
	t.Run("saving a paper number raises the register", func(t *testing.T) {
		if err := s.SaveOutgoing(newDoc(t, s, meta(self, agencies[0], 40, day(2025, 5, 1), "Quyết định giấy"))); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.NextNumber("", time.Date(2025, 5, 2, 9, 0, 0, 0, vn)); n != 41 {
			t.Errorf("next after paper 40 = %d", n)
		}
	})
	t.Run("concurrent callers never share a number", func(t *testing.T) {
		at := time.Date(2030, 1, 1, 9, 0, 0, 0, vn)
		var mu sync.Mutex
		seen := map[int]bool{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.NextNumber("", at)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				seen[n] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		for i := 1; i <= 20; i++ {
			if !seen[i] {
				t.Errorf("number %d not given (got %v)", i, seen)
			}
		}
	})
}

func TestRegisterIncoming(t *testing.T) {
	s, _ := openTest(t)
	vn := document.VietnamTime
	var ids []string
	var metas []*document.Metadata
	for i := range 3 {
		m := meta(organ(agencies[i]), document.Recipient{Code: self.Code, Name: self.Name}, 10+i, day(2025, 12, 30), "Công văn đến")
		nd := newDoc(t, s, m)
		nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
		if err := s.SaveIncoming(nd); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, nd.Payload.MessageID)
		metas = append(metas, m)
	}
	tests := []struct {
		name string
		doc  int
		at   time.Time
		code document.Status
		want int
		err  error
	}{
		{"first of 2025", 0, time.Date(2025, 12, 31, 9, 0, 0, 0, vn), document.StatusReceived, 1, nil},
		{"already registered", 0, time.Date(2025, 12, 31, 10, 0, 0, 0, vn), document.StatusReceived, 0, ErrExists},
		{"second of 2025", 1, time.Date(2025, 12, 31, 16, 59, 0, 0, time.UTC), document.StatusReceived, 2, nil},
		{"first of 2026", 2, time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), document.StatusReceived, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.Register(Registration{Doc: ids[tt.doc], At: tt.at, Entry: status(metas[tt.doc], self.Code, tt.code, tt.at)})
			if !errors.Is(err, tt.err) || n != tt.want {
				t.Fatalf("Register = %d, %v; want %d, %v", n, err, tt.want, tt.err)
			}
			if err == nil {
				d, _ := s.Get(ids[tt.doc])
				if d.Arrival.Number != itoa(tt.want) || d.Status != document.StatusReceived {
					t.Errorf("after register: %+v", d)
				}
				hits, err := s.Search(Incoming, "cong van "+d.Arrival.Number, 0, 10)
				if err != nil || !slices.ContainsFunc(hits, func(r Summary) bool { return r.ID == ids[tt.doc] }) {
					t.Errorf("not found by its arrival number: %v", err)
				}
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n%10)) } // small numbers only

func TestRecallKeepsTheNumber(t *testing.T) {
	s, _ := openTest(t)
	orig := meta(self, agencies[0], 8, day(2025, 3, 5), "Quyết định điều động")
	if err := s.SaveOutgoing(newDoc(t, s, orig)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		bt   document.BusinessType
		dup  bool
	}{
		{"recall under the same number", document.BusinessRecall, false},
		{"update under the same number", document.BusinessUpdate, false},
		{"new document under the same number", document.BusinessNew, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := meta(self, agencies[0], 8, day(2025, 3, 5), "Quyết định điều động")
			m.Business = document.Business{Type: tt.bt}
			if tt.bt != document.BusinessNew {
				m.Business.Documents = []document.DocumentRef{orig.ID()}
				m.Business.Reason = "Sai sót"
			}
			if err := m.Validate(); err != nil && tt.bt != document.BusinessNew {
				t.Logf("metadata: %v", err)
			}
			err := s.SaveOutgoing(newDoc(t, s, m))
			if errors.Is(err, ErrDuplicate) != tt.dup {
				t.Errorf("SaveOutgoing: %v, want duplicate %v", err, tt.dup)
			}
		})
	}
}
