package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/envelope"

	bolt "go.etcd.io/bbolt"
)

// benchDocs is the fixture's size; LIENTHONG_BENCH_DOCS overrides it for
// profiling the fixture's construction.
var benchDocs = 100_000

func init() {
	if n, err := strconv.Atoi(os.Getenv("LIENTHONG_BENCH_DOCS")); err == nil && n > 0 {
		benchDocs = n
	}
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixturePath string
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

var provinces = []string{"Quảng Ninh", "Nghệ An", "Cao Bằng", "Hà Tĩnh", "Thanh Hóa", "Lạng Sơn", "Bắc Giang", "Hải Dương",
	"Thái Bình", "Nam Định", "Ninh Bình", "Điện Biên", "Lai Châu", "Sơn La", "Yên Bái", "Phú Thọ", "Tuyên Quang", "Hà Giang",
	"Lào Cai", "Bắc Kạn"}

var bodies = []string{"Ủy ban nhân dân tỉnh", "Sở Nội vụ tỉnh", "Sở Tài chính tỉnh", "Sở Khoa học và Công nghệ tỉnh",
	"Sở Giáo dục và Đào tạo tỉnh", "Sở Y tế tỉnh", "Sở Xây dựng tỉnh", "Văn phòng Ủy ban nhân dân tỉnh",
	"Sở Thông tin và Truyền thông tỉnh", "Sở Kế hoạch và Đầu tư tỉnh", "Ban Quản lý khu kinh tế tỉnh", "Thanh tra tỉnh",
	"Sở Tư pháp tỉnh", "Sở Công Thương tỉnh", "Sở Nông nghiệp và Phát triển nông thôn tỉnh"}

func benchAgency(i int) document.Recipient {
	p, b := i%len(provinces), (i/len(provinces))%len(bodies)
	return document.Recipient{
		Code: fmtCode(b, 10+p),
		Name: bodies[b] + " " + provinces[p],
	}
}

func fmtCode(unit, province int) (c certs.AgencyCode) {
	return certs.AgencyCode(fmt.Sprintf("000.00.%02d.H%02d", unit, province))
}

// fixture builds, once per test binary, a store of 100,000 documents (two
// thirds incoming) over two years, in batched transactions through the
// same code as SaveIncoming and SaveOutgoing.
func fixture(b *testing.B) string {
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "store-bench-")
		if fixtureErr != nil {
			return
		}
		fixturePath = filepath.Join(fixtureDir, "clerk.db")
		start := time.Now()
		s, err := Open(fixturePath, pass) // the real KDF: BenchmarkOpen pays it
		if err != nil {
			fixtureErr = err
			return
		}
		defer s.Close()
		r := rand.New(rand.NewPCG(42, 42))
		batch := min(5000, benchDocs)
		for first := 0; first < benchDocs; first += batch {
			byBox := map[Box][]*NewDocument{}
			for i := first; i < first+batch; i++ {
				nd, box := benchDoc(r, i)
				byBox[box] = append(byBox[box], nd)
			}
			for box, nds := range byBox {
				if err := s.saveMany(box, nds); err != nil {
					fixtureErr = err
					return
				}
			}
		}
		st, _ := os.Stat(fixturePath)
		fmt.Fprintf(os.Stderr, "fixture: %d documents, %d MB, built in %v\n", benchDocs, st.Size()>>20, time.Since(start).Round(time.Second))
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixturePath
}

func benchDoc(r *rand.Rand, i int) (*NewDocument, Box) {
	box := Incoming
	if i%3 == 0 {
		box = Outgoing
	}
	ag := benchAgency(r.IntN(len(provinces) * len(bodies)))
	date := document.DateOf(time.Date(2024, 1, 1, 9, 0, 0, 0, document.VietnamTime).AddDate(0, 0, i*730/benchDocs))
	n := 3 + r.IntN(10)
	words := make([]string, n)
	for j := range words {
		words[j] = subjectWords[r.IntN(len(subjectWords))]
	}
	m := &document.Metadata{
		Version: document.SchemaVersion, CodeNumber: fmt.Sprint(i + 1), CodeNotation: "UBND-VP",
		Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date}, Type: document.TypeCongVan,
		Subject: strings.Join(words, " "), Signer: document.Signer{Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		Priority: document.Urgency(r.IntN(5) * r.IntN(2)), Business: document.Business{Type: document.BusinessNew},
	}
	if box == Outgoing {
		m.From, m.To = self, []document.Recipient{ag}
	} else {
		m.From, m.To = document.Organ(ag), []document.Recipient{{Code: self.Code, Name: self.Name}}
	}
	if r.IntN(10) < 3 {
		m.DueDate = document.DateOf(date.Time().AddDate(0, 0, r.IntN(30)))
	}
	m.Normalize()
	p := &envelope.Document{Kind: envelope.KindDocument, MessageID: fmt.Sprintf("%032x", i+1), Created: date.Time(), Metadata: m}
	nd := &NewDocument{Payload: p, Packet: []byte(`{"payload":"...","signature":"..."}`), Read: r.IntN(10) < 8, Now: date.Time()}
	if box == Incoming {
		nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, date.Time())}
	}
	return nd, box
}

func BenchmarkOpen(b *testing.B) {
	path := fixture(b)
	for b.Loop() {
		s, err := Open(path, pass)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkOpenParts splits BenchmarkOpen: the passphrase's Argon2id and
// bbolt's own open of the 100,000-document file.
func BenchmarkOpenParts(b *testing.B) {
	path := fixture(b)
	b.Run("argon2id", func(b *testing.B) {
		salt := make([]byte, saltSize)
		for b.Loop() {
			deriveKEK(pass, salt, DefaultKDF)
		}
	})
	b.Run("bbolt", func(b *testing.B) {
		for b.Loop() {
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
	})
}

func openFixture(b *testing.B) *Store {
	s, err := Open(fixture(b), pass)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkListPage(b *testing.B) {
	s := openFixture(b)
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, document.VietnamTime)
	cases := []struct {
		name string
		q    Query
	}{
		{"incoming by date desc", Query{Box: Incoming, Sort: SortDate, Desc: true}},
		{"incoming by date desc, page 500", Query{Box: Incoming, Sort: SortDate, Desc: true, Offset: 25000}},
		{"incoming unread by date desc", Query{Box: Incoming, Sort: SortDate, Desc: true, Filter: Filter{Unread: true}}},
		{"incoming overdue by date", Query{Box: Incoming, Sort: SortDate, Filter: Filter{Overdue: true}, Now: now}},
		{"incoming hỏa tốc by date desc", Query{Box: Incoming, Sort: SortDate, Desc: true, Filter: Filter{Urgencies: []document.Urgency{3, 4}}}},
		{"outgoing by subject", Query{Box: Outgoing, Sort: SortSubject}},
		{"incoming by agency desc", Query{Box: Incoming, Sort: SortAgency, Desc: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.q.Limit = 50
			for b.Loop() {
				rows, err := s.List(c.q)
				if err != nil || len(rows) != 50 {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}

func BenchmarkCount(b *testing.B) {
	s := openFixture(b)
	for b.Loop() {
		if _, err := s.Count(Query{Box: Incoming, Filter: Filter{Unread: true}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	s := openFixture(b)
	for _, q := range []string{"bao cao", "ke hoach", "chuyen doi", "so tai chinh", "ngan sach quang", "hoi nghi tong ket",
		"thanh tra cao bang", "nguyen van", "x y", "q z", "ke hoach zzz", "nguyet"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				rows, err := s.Search(Incoming, q, 0, 50)
				if err != nil || (len(rows) == 0) != (q == "q z" || q == "ke hoach zzz" || q == "nguyet") {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}

func BenchmarkSaveIncoming(b *testing.B) {
	s := openFixture(b)
	r := rand.New(rand.NewPCG(9, 9))
	i := benchDocs + 1000
	for b.Loop() {
		nd, _ := benchDoc(r, i)
		nd.Payload.MessageID = fmt.Sprintf("%032x", i+1)
		if err := s.SaveIncoming(*nd); err != nil {
			b.Fatal(err)
		}
		i += 3 - i%3 + 1 // stay incoming
	}
}

// BenchmarkSearchAgencies searches a directory of 100,000 agencies by name,
// as the compose screen's recipient picker does while the clerk types.
func BenchmarkSearchAgencies(b *testing.B) {
	s, _ := openTest(b)
	var dir []Agency
	for i := range 100_000 {
		p, body := provinces[i%len(provinces)], bodies[(i/len(provinces))%len(bodies)]
		dir = append(dir, Agency{Code: certs.AgencyCode(fmt.Sprintf("%03d.%02d.%02d.H%02d", i/2000, (i/20)%100, i%20, 10+i%len(provinces))),
			Name: fmt.Sprintf("%s %s, đơn vị %d", body, p, i), Level: 3, Active: i%10 != 0})
	}
	if err := s.ReplaceDirectory(dir); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"so tai chinh cao bang", "thanh tra", "zzz"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SearchAgencies(q, false, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
