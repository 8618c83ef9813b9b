package vnsearch

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only separators", " -/,. ", nil},
		{"subject", "V/v triển khai Nghị định 30/2020/NĐ-CP", []string{"v", "v", "trien", "khai", "nghi", "dinh", "30", "2020", "nd", "cp"}},
		{"number and notation", "1234/STTTT-CNTT", []string{"1234", "stttt", "cntt"}},
		{"nfd letters stay in one word", norm.NFD.String("Thượng khẩn"), []string{"thuong", "khan"}},
		{"other scripts are words", "Москва, 2024", []string{"москва", "2024"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name, query, text string
		want              bool
	}{
		{"no diacritics finds diacritics", "cong van", "Công văn số 1234 của Sở", true},
		{"diacritics find none", "Quyết định", "quyet dinh so 567", true},
		{"upper-case text", "quyet dinh", "QUYẾT ĐỊNH", true},
		{"word prefix", "quyet", "Quyết định", true},
		{"any order", "van cong", "Công văn", true},
		{"notation parts", "qd ubnd", "567/QĐ-UBND", true},
		{"nfd text", "thuong khan", norm.NFD.String("Thượng khẩn"), true},
		{"empty query matches all", "   ", "anything", true},
		{"missing word", "cong dien", "Công văn", false},
		{"prefix only at word start", "van", "Côngvăn", false},
		{"d is not đ-blind the other way round", "dinh", "Định", true},
		{"longer than word", "congvan", "Công văn", false},
		{"different vowel base", "quyet", "Quyét", true},
		{"a different word", "thong bao", "Thông cáo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.query, tt.text); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.query, tt.text, got, tt.want)
			}
			q := NewQuery(tt.query)
			if got := q.MatchTokens(Tokens(tt.text)); got != tt.want {
				t.Errorf("MatchTokens(%q, %q) = %v, want %v", tt.query, tt.text, got, tt.want)
			}
			if got := q.MatchFolded(Fold(tt.text)); got != tt.want {
				t.Errorf("MatchFolded(%q, %q) = %v, want %v", tt.query, tt.text, got, tt.want)
			}
		})
	}
}

func TestMatchFoldedAllocatesNothing(t *testing.T) {
	q := NewQuery("trien khai nghi dinh")
	folded := Fold(subject500)
	if !q.MatchFolded(folded) {
		t.Fatal("no match")
	}
	if n := testing.AllocsPerRun(100, func() { q.MatchFolded(folded) }); n != 0 {
		t.Errorf("MatchFolded allocates %v times", n)
	}
}

// FuzzMatch checks that the three ways of matching agree.
func FuzzMatch(f *testing.F) {
	f.Add("cong van", "Công văn số 1234")
	f.Add("qd ubnd", "567/QĐ-UBND")
	f.Add("an", "anan ban an")
	f.Add("ư", "ưu tiên")
	f.Fuzz(func(t *testing.T, query, text string) {
		q := NewQuery(query)
		a := q.Match(text)
		b := q.MatchTokens(Tokens(text))
		c := q.MatchFolded(Fold(text))
		if a != b || b != c {
			t.Fatalf("query %q, text %q: Match %v, MatchTokens %v, MatchFolded %v", query, text, a, b, c)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	q := NewQuery("trien khai nghi dinh van thu")
	folded := Fold(subject500)
	b.Run("folded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q.MatchFolded(folded)
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q.Match(subject500)
		}
	})
}

func TestQueryWordsIsACopy(t *testing.T) {
	q := NewQuery("cong van")
	w := q.Words()
	w[0] = "x"
	if !q.Match("Công văn") {
		t.Fatal("changing Words() changed the query")
	}
	if q.Empty() {
		t.Fatal("query with words reports Empty")
	}
}

func ExampleFold() {
	fmt.Println(Fold("QUYẾT ĐỊNH về việc Thượng khẩn"))
	// Output: quyet dinh ve viec thuong khan
}

func ExampleMatch() {
	fmt.Println(Match("cong van", "Công văn số 1234/STTTT-CNTT"))
	fmt.Println(Match("qd ubnd", "567/QĐ-UBND"))
	fmt.Println(Match("cong dien", "Công văn"))
	// Output:
	// true
	// true
	// false
}

func ExampleQuery() {
	q := NewQuery("ke hoach")
	for _, subject := range []string{"Kế hoạch chuyển đổi số năm 2025", "Báo cáo tổng kết", "KẾ HOẠCH tuyên truyền"} {
		fmt.Println(q.Match(subject), subject)
	}
	// Output:
	// true Kế hoạch chuyển đổi số năm 2025
	// false Báo cáo tổng kết
	// true KẾ HOẠCH tuyên truyền
}

func ExampleTokens() {
	fmt.Printf("%q\n", Tokens("Số 7816/VPCP-TTĐT"))
	// Output: ["so" "7816" "vpcp" "ttdt"]
}
