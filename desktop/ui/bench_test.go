package ui

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

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// benchDocs is the size of the benchmarks' store; LIENTHONG_BENCH_DOCS
// overrides it.
var benchDocs = 100_000

var (
	benchOnce sync.Once
	benchHome string
	benchErr  error
)

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv("LIENTHONG_BENCH_DOCS")); err == nil && n > 0 {
		benchDocs = n
	}
	code := m.Run()
	if benchHome != "" {
		os.RemoveAll(filepath.Dir(benchHome))
	}
	os.Exit(code)
}

var benchWords = strings.Fields("về việc triển khai kế hoạch báo cáo tình hình kinh tế xã hội quý năm 2025 phòng chống thiên tai " +
	"chuyển đổi số cải cách hành chính quyết định phê duyệt dự án đầu tư xây dựng giáo dục y tế giao thông nông thôn mới " +
	"tăng cường công tác kiểm tra giám sát thực hiện nghị quyết hội đồng nhân dân tỉnh")

// benchFixture makes, once per test binary, a clerk's store holding
// benchDocs incoming documents, built through store.SaveIncoming (on
// /dev/shm when there is one, so the fsync of each transaction costs
// little). Fifteen bodies of twenty provinces send them over two years.
func benchFixture(b *testing.B) string {
	benchOnce.Do(func() {
		h := hubtest.Start(b, hubtest.Options{})
		parent := ""
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			parent = "/dev/shm"
		}
		dir, err := os.MkdirTemp(parent, "lienthong-ui-bench-")
		if err != nil {
			benchErr = err
			return
		}
		home := filepath.Join(dir, "home")
		p12, err := certs.EncodePKCS12(h.Agencies[vpcp].Key, "p12-pass")
		if err != nil {
			benchErr = err
			return
		}
		if benchErr = clerk.Init(clerk.InitOptions{Home: home, Passphrase: testPass, P12: p12, P12Passphrase: "p12-pass",
			HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM()}); benchErr != nil {
			return
		}
		c, err := clerk.Open(home, testPass, clerk.Options{DisableQUIC: true})
		if err != nil {
			benchErr = err
			return
		}
		defer c.Close()
		start := time.Now()
		r := rand.New(rand.NewPCG(6, 6))
		st := c.Store()
		for i := range benchDocs {
			if benchErr = st.SaveIncoming(benchDoc(r, i)); benchErr != nil {
				return
			}
		}
		fmt.Fprintf(os.Stderr, "fixture: %d documents in %v\n", benchDocs, time.Since(start).Round(time.Second))
		benchHome = home
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchHome
}

func benchDoc(r *rand.Rand, i int) store.NewDocument {
	p, u := i%20, (i/20)%15
	from := document.Organ{Code: certs.AgencyCode(fmt.Sprintf("000.00.%02d.H%02d", u, 10+p)), Name: fmt.Sprintf("Sở số %d tỉnh số %d", u, p)}
	date := document.DateOf(time.Date(2025, 1, 1, 9, 0, 0, 0, document.VietnamTime).AddDate(0, 0, i*700/benchDocs))
	words := make([]string, 4+r.IntN(10))
	for j := range words {
		words[j] = benchWords[r.IntN(len(benchWords))]
	}
	m := &document.Metadata{Version: document.SchemaVersion, From: from, CodeNumber: strconv.Itoa(i + 1), CodeNotation: "UBND-VP",
		Promulgation: document.Promulgation{Place: "Hà Nội", Date: date}, Type: document.TypeCongVan, Subject: strings.Join(words, " "),
		Signer: document.Signer{Position: "CHÁNH VĂN PHÒNG", FullName: "Nguyễn Văn An"}, To: []document.Recipient{{Code: vpcp, Name: "Văn phòng Chính phủ"}},
		Priority: document.Urgency(r.IntN(5) * r.IntN(2)), Business: document.Business{Type: document.BusinessNew}}
	if r.IntN(10) < 3 {
		m.DueDate = document.DateOf(date.Time().AddDate(0, 0, r.IntN(30)))
	}
	m.Normalize()
	env := &envelope.Document{Kind: envelope.KindDocument, MessageID: fmt.Sprintf("%032x", i+1), Created: date.Time(), Metadata: m}
	up := document.StatusUpdate{Document: m.ID(), From: vpcp, Code: document.StatusArrived, Time: date.Time()}
	return store.NewDocument{Packet: []byte(`{}`), Payload: env, Read: r.IntN(10) < 8, Now: date.Time(),
		Statuses: []store.StatusEntry{{Copy: vpcp, Update: up}}}
}

// openBench opens the fixture in a headless app, as the clerk's start does.
func openBench(b *testing.B, home string) *App {
	fa := test.NewTempApp(b)
	w := fa.NewWindow("bench")
	w.Resize(fyne.NewSize(1280, 800))
	a := New(fa, w, Options{Home: home, NoSync: true, Clerk: clerk.Options{DisableQUIC: true}, Passphrase: testPass})
	a.Start()
	if a.Clerk() == nil {
		b.Fatal("the fixture did not open")
	}
	return a
}

// BenchmarkStartup measures unlocking the store (the Argon2id KDF
// included) and building the main window with the first page of Văn bản
// đến and its count: startup to a usable window.
func BenchmarkStartup(b *testing.B) {
	home := benchFixture(b)
	b.ResetTimer()
	for b.Loop() {
		a := openBench(b, home)
		if a.Incoming.List.Total() != benchDocs {
			b.Fatalf("list shows %d documents", a.Incoming.List.Total())
		}
		a.Close()
	}
}

// BenchmarkListScroll measures showing one screenful (30 rows) at a
// random place of the 100,000-row list, its page read cold from the store:
// the cost of a scroll bar drag.
func BenchmarkListScroll(b *testing.B) {
	a := openBench(b, benchFixture(b))
	defer a.Close()
	l := a.Incoming.List
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		first := r.IntN(benchDocs - 30)
		l.Reload() // cold: no cached page
		for i := first; i < first+30; i++ {
			if _, ok := l.Row(i); !ok {
				b.Fatalf("row %d missing", i)
			}
		}
	}
}

// BenchmarkListSort measures re-sorting by another column and showing the
// first screenful.
func BenchmarkListSort(b *testing.B) {
	a := openBench(b, benchFixture(b))
	defer a.Close()
	l := a.Incoming.List
	cols := []Column{ColSubject, ColUrgency, ColDue, ColAgency, ColNumber, ColDate}
	i := 0
	for b.Loop() {
		l.SortBy(cols[i%len(cols)])
		i++
		for j := range 30 {
			l.Row(j)
		}
	}
}

// BenchmarkSearchAsYouType measures one keystroke of a search: the
// matches (up to 1,000 shown) for a two-word query without diacritics.
func BenchmarkSearchAsYouType(b *testing.B) {
	a := openBench(b, benchFixture(b))
	defer a.Close()
	l := a.Incoming.List
	queries := []string{"chuyen doi so", "bao cao quy", "quyet dinh phe", "thien tai"}
	i := 0
	for b.Loop() {
		l.onSearch(queries[i%len(queries)])
		l.Wait()
		i++
		if l.Total() == 0 {
			b.Fatal("no match")
		}
	}
}
