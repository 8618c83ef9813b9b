package store

import (
	"bytes"
	"cmp"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/shared/document"
	"lienthong/shared/vnsearch"
)

var subjectWords = []string{"Về việc", "báo cáo", "kế hoạch", "phối hợp", "công tác", "văn thư", "lưu trữ", "phòng chống",
	"lụt bão", "chuyển đổi số", "tổ chức", "hội nghị", "tổng kết", "năm", "giấy mời", "họp", "triển khai", "Đề án",
	"xây dựng", "chính quyền điện tử", "thẩm định", "dự toán", "ngân sách", "cải cách hành chính", "Quyết định"}

// model is what the test expects the store to hold.
type model struct {
	seq    uint64
	id     string
	box    Box
	m      *document.Metadata
	read   bool
	status document.Status
	done   bool
	agency string
}

func subject(r *rand.Rand) string {
	n := 2 + r.IntN(6)
	w := make([]string, n)
	for i := range w {
		w[i] = subjectWords[r.IntN(len(subjectWords))]
	}
	return fmt.Sprint(w)[1 : len(fmt.Sprint(w))-1]
}

// fill stores n documents with random attributes and returns the model.
func fill(t testing.TB, s *Store, n int, seed uint64) []*model {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []*model
	for i := range n {
		box := Incoming
		if r.IntN(3) == 0 {
			box = Outgoing
		}
		ag := agencies[r.IntN(len(agencies))]
		date := day(2025, time.Month(1+r.IntN(12)), 1+r.IntN(28))
		var m *document.Metadata
		if box == Outgoing {
			m = meta(self, ag, i+1, date, subject(r))
		} else {
			m = meta(organ(ag), document.Recipient{Code: self.Code, Name: self.Name}, 1+r.IntN(500), date, subject(r))
		}
		if i%17 == 0 {
			m.Subject = "Giấy mời họp" // ties
		}
		m.Priority = document.Urgency(r.IntN(5))
		m.Secrecy = document.Secrecy(r.IntN(4))
		if r.IntN(2) == 0 {
			m.DueDate = document.DateOf(date.Time().AddDate(0, 0, r.IntN(60)))
		}
		nd := newDoc(t, s, m)
		nd.Read = r.IntN(4) == 0
		md := &model{id: nd.Payload.MessageID, box: box, m: m, read: nd.Read, agency: ag.Name}
		if box == Incoming {
			md.agency = ag.Name
			nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
			md.status = document.StatusArrived
			if err := s.SaveIncoming(nd); err != nil {
				t.Fatal(err)
			}
			for _, code := range []document.Status{document.StatusReceived, document.StatusProcessing, document.StatusCompleted}[:r.IntN(4)] {
				if err := s.AddStatus(StatusChange{Doc: md.id, Entry: status(m, self.Code, code, time.Now())}); err != nil {
					t.Fatal(err)
				}
				md.status = code
			}
			md.done = md.status == document.StatusCompleted
		} else if err := s.SaveOutgoing(nd); err != nil {
			t.Fatal(err)
		}
		md.seq = uint64(i + 1)
		out = append(out, md)
	}
	return out
}

func compareBy(by SortBy) func(a, b *model) int {
	due := func(m *model) uint32 {
		if m.m.DueDate.IsZero() {
			return noDeadline
		}
		return dayNumber(m.m.DueDate)
	}
	return func(a, b *model) int {
		var c int
		switch by {
		case SortDate:
			c = a.m.Promulgation.Date.Compare(b.m.Promulgation.Date)
		case SortNumber:
			c = cmp.Compare(numberValue(a.m.CodeNumber), numberValue(b.m.CodeNumber))
		case SortAgency:
			c = cmp.Compare(vnsearch.Fold(a.agency), vnsearch.Fold(b.agency))
		case SortSubject:
			c = cmp.Compare(vnsearch.Fold(a.m.Subject), vnsearch.Fold(b.m.Subject))
		case SortUrgency:
			c = cmp.Compare(a.m.Priority, b.m.Priority)
		case SortStatus:
			c = cmp.Compare(statusByte(a.status), statusByte(b.status))
		case SortDeadline:
			c = cmp.Compare(due(a), due(b))
		}
		if c == 0 {
			c = cmp.Compare(a.seq, b.seq)
		}
		return c
	}
}

func ids(ss []Summary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func modelIDs(ms []*model) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.id)
	}
	return out
}

func TestList(t *testing.T) {
	s, _ := openTest(t)
	docs := fill(t, s, 400, 7)
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, document.VietnamTime)
	today := document.DateOf(now)
	filters := []struct {
		name string
		f    Filter
		keep func(m *model) bool
	}{
		{"all", Filter{}, func(*model) bool { return true }},
		{"unread", Filter{Unread: true}, func(m *model) bool { return !m.read }},
		{"overdue", Filter{Overdue: true}, func(m *model) bool {
			return !m.done && !m.m.DueDate.IsZero() && m.m.DueDate.Before(today)
		}},
		{"due soon", Filter{DueSoon: true}, func(m *model) bool {
			return !m.done && !m.m.DueDate.IsZero() && !m.m.DueDate.Before(today) && !m.m.DueDate.After(document.DateOf(now.AddDate(0, 0, 3)))
		}},
		{"received or processing", Filter{Statuses: []document.Status{document.StatusReceived, document.StatusProcessing}}, func(m *model) bool {
			return m.status == document.StatusReceived || m.status == document.StatusProcessing
		}},
		{"hỏa tốc, unread", Filter{Unread: true, Urgencies: []document.Urgency{3, 4}}, func(m *model) bool { return !m.read && m.m.Priority >= 3 }},
		{"mật", Filter{Secrecies: []document.Secrecy{document.SecrecyConfidential}}, func(m *model) bool { return m.m.Secrecy == 1 }},
	}
	for _, box := range []Box{Incoming, Outgoing} {
		for _, by := range sortOrder {
			for _, desc := range []bool{false, true} {
				for _, fl := range filters {
					name := fmt.Sprintf("%v/sort %d/desc %v/%s", box, by, desc, fl.name)
					t.Run(name, func(t *testing.T) {
						var want []*model
						for _, m := range docs {
							if m.box == box && fl.keep(m) {
								want = append(want, m)
							}
						}
						slices.SortFunc(want, compareBy(by))
						if desc {
							slices.Reverse(want)
						}
						q := Query{Box: box, Sort: by, Desc: desc, Filter: fl.f, Now: now, Limit: 7}
						n, err := s.Count(q)
						if err != nil || n != len(want) {
							t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
						}
						var got []string
						for q.Offset = 0; q.Offset < len(want)+7; q.Offset += q.Limit {
							page, err := s.List(q)
							if err != nil {
								t.Fatal(err)
							}
							got = append(got, ids(page)...)
						}
						if !slices.Equal(got, modelIDs(want)) {
							t.Errorf("order differs:\ngot  %d %v\nwant %d %v", len(got), got, len(want), modelIDs(want))
						}
					})
				}
			}
		}
	}
	t.Run("rows carry what the list shows", func(t *testing.T) {
		m := docs[0]
		s.MarkRead(m.id, true)
		rows, err := s.Search(m.box, m.m.CodeNumber+" "+m.m.Subject, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rows, func(r Summary) bool { return r.ID == m.id })
		if i < 0 {
			t.Fatal("document not found by its own number and subject")
		}
		r := rows[i]
		if r.Subject != m.m.Subject || r.Number != m.m.CodeNumber || r.Agency != m.agency || !r.Read || r.Status != m.status ||
			r.Urgency != m.m.Priority || r.Due != m.m.DueDate || r.Date != m.m.Promulgation.Date {
			t.Errorf("row %+v", r)
		}
	})
	t.Run("overdue and due soon", func(t *testing.T) {
		od, err := s.Overdue(Incoming, now, 1000)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := s.DueSoon(Incoming, now, 10, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range od {
			if r.Done || !r.Due.Before(today) {
				t.Errorf("overdue row %+v", r)
			}
		}
		for _, r := range ds {
			if r.Done || r.Due.Before(today) || r.Due.After(document.DateOf(now.AddDate(0, 0, 10))) {
				t.Errorf("due soon row %+v", r)
			}
		}
		if len(od) == 0 || len(ds) == 0 {
			t.Errorf("fixture gives %d overdue, %d due soon", len(od), len(ds))
		}
	})
}

func TestSearch(t *testing.T) {
	s, _ := openTest(t)
	docs := fill(t, s, 300, 11)
	queries := []string{"cong van", "bao cao", "ke hoach phoi", "Kế hoạch PHỐI", "so khoa hoc", "ubnd vp", "giay moi hop",
		"chuyen doi so", "c", "k h", "nguyen van hung", "quang ninh", "", "xyzzy", "12", "1", "đề án", "de an", "thẩm"}
	for _, box := range []Box{Incoming, Outgoing} {
		for _, q := range queries {
			t.Run(fmt.Sprintf("%v/%q", box, q), func(t *testing.T) {
				vq := vnsearch.NewQuery(q)
				var want []*model
				for _, m := range slices.Backward(docs) {
					if m.box == box && vq.MatchTokens(m.m.SearchTokens()) {
						want = append(want, m)
					}
				}
				got, err := s.Search(box, q, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), modelIDs(want)) {
					t.Errorf("got %d results, want %d", len(got), len(want))
				}
				if len(want) > 5 {
					page, err := s.Search(box, q, 3, 2)
					if err != nil || !slices.Equal(ids(page), modelIDs(want[3:5])) {
						t.Errorf("page at offset 3: %v, %v", ids(page), err)
					}
				}
			})
		}
	}
}

func TestRanksRenumber(t *testing.T) {
	var logs bytes.Buffer
	opts := testOptions
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := OpenOptions(filepath.Join(t.TempDir(), "clerk.db"), pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Each subject sorts just before the previous one and after "A": every
	// insert halves the same gap, until the index must be renumbered.
	subj := "b"
	if err := s.SaveOutgoing(newDoc(t, s, meta(self, agencies[0], 1000, day(2025, 1, 1), "A"))); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 150 {
		m := meta(self, agencies[i%5], i+1, day(2025, 1, 1), "A"+subj)
		if err := s.SaveOutgoing(newDoc(t, s, m)); err != nil {
			t.Fatal(err)
		}
		want = append([]string{vnsearch.Fold(m.Subject)}, want...)
		subj = "a" + subj
	}
	rows, err := s.List(Query{Box: Outgoing, Sort: SortSubject, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, vnsearch.Fold(r.Subject))
	}
	want = append([]string{"a"}, want...)
	if !slices.Equal(got, want) {
		t.Errorf("subject order wrong after renumbering")
	}
	if !strings.Contains(logs.String(), "renumbered") {
		t.Error("the index was never renumbered: the test does not test it")
	}
}
