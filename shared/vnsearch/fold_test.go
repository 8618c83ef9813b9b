package vnsearch

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain ascii", "cong van 1234", "cong van 1234"},
		{"ascii upper", "QD-UBND", "qd-ubnd"},
		{"cong van", "Công văn", "cong van"},
		{"quyet dinh upper", "QUYẾT ĐỊNH", "quyet dinh"},
		{"quyet dinh", "Quyết định", "quyet dinh"},
		{"vowel marks", "ă â ê ô ơ ư Ă Â Ê Ô Ơ Ư", "a a e o o u a a e o o u"},
		{"d with stroke", "đ Đ", "d d"},
		{"eth look-alike", "ÐỊNH", "dinh"},
		{"african d look-alike", "Ɖịnh", "dinh"},
		{"tones on a", "a à á ả ã ạ", "a a a a a a"},
		{"tones on ư", "ư ừ ứ ử ữ ự", "u u u u u u"},
		{"y tones", "Ỳ Ý Ỷ Ỹ Ỵ", "y y y y y"},
		{"notation", "7816/VPCP-TTĐT", "7816/vpcp-ttdt"},
		{"nfd input", norm.NFD.String("Thượng khẩn"), "thuong khan"},
		{"mixed precomposed and combining", "e\u0302\u0301 \u00ea\u0301 \u1ebf", "e e e"},
		{"old tone placement", "hoà thoả", "hoa thoa"},
		{"french", "Éléphant à Noël", "elephant a noel"},
		{"other script lowered", "ΑΘΗΝΑ Москва", "αθηνα москва"},
		{"digraph kept", "ǆ", "ǆ"},
		{"invalid utf8", "a\xffB", "a\uFFFDb"},
		{"ascii prefix then mark", "hello Hà Nội", "hello ha noi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// vietnameseVowels lists every Vietnamese vowel with its vowel mark, and the
// ASCII letter it folds to.
var vietnameseVowels = []struct{ letter, base string }{
	{"a", "a"}, {"ă", "a"}, {"â", "a"}, {"e", "e"}, {"ê", "e"}, {"i", "i"},
	{"o", "o"}, {"ô", "o"}, {"ơ", "o"}, {"u", "u"}, {"ư", "u"}, {"y", "y"},
}

// vietnameseTones are the combining marks of the five tones, and none.
var vietnameseTones = []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}

func TestFoldEveryVietnameseLetter(t *testing.T) {
	count := 0
	for _, v := range vietnameseVowels {
		for _, tone := range vietnameseTones {
			for _, upper := range []bool{false, true} {
				letter := v.letter
				if upper {
					letter = strings.ToUpper(letter)
				}
				nfc := norm.NFC.String(letter + tone)
				nfd := norm.NFD.String(nfc)
				if utf8.RuneCountInString(nfc) != 1 {
					t.Fatalf("%q+%q does not compose to one letter", letter, tone)
				}
				count++
				t.Run(nfc, func(t *testing.T) {
					if got := Fold(nfc); got != v.base {
						t.Errorf("Fold(NFC %q) = %q, want %q", nfc, got, v.base)
					}
					if got := Fold(nfd); got != v.base {
						t.Errorf("Fold(NFD %q) = %q, want %q", nfd, got, v.base)
					}
				})
			}
		}
	}
	// 12 vowels × 6 tones × 2 cases.
	if count != 144 {
		t.Errorf("checked %d letters, want 144", count)
	}
}

func TestFoldAllocations(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		allocs float64
	}{
		{"folded ascii", "cong van so 1234 ve viec trien khai", 0},
		{"vietnamese", subject500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, func() { _ = Fold(tt.in) })
			if got != tt.allocs {
				t.Errorf("Fold allocates %v times, want %v", got, tt.allocs)
			}
		})
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "Công văn", "QUYẾT ĐỊNH", norm.NFD.String("Thượng khẩn"), "a\xffB", "ǅ ẞ İ K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if again := Fold(got); again != got {
			t.Errorf("Fold not idempotent: Fold(%q) = %q, Fold of that = %q", s, got, again)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Fold(%q) = %q is not valid UTF-8", s, got)
		}
		for _, r := range got {
			if isMark(r) {
				t.Errorf("Fold(%q) = %q keeps combining mark %U", s, got, r)
			}
			if r < utf8.RuneSelf && unicode.IsUpper(r) {
				t.Errorf("Fold(%q) = %q keeps upper-case %q", s, got, r)
			}
		}
		if utf8.ValidString(s) && isLatinOnly(s) {
			if a, b := Fold(norm.NFC.String(s)), Fold(norm.NFD.String(s)); a != b {
				t.Errorf("NFC and NFD of %q fold differently: %q and %q", s, a, b)
			}
		}
	})
}

// isLatinOnly reports text made of ASCII, Latin letters and combining marks,
// for which NFC and NFD input must fold alike.
func isLatinOnly(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && !isMark(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

// subject500 is a realistic trích yếu of 500 characters.
var subject500 = func() string {
	const base = "V/v triển khai thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư và hướng dẫn quản lý văn bản điện tử trên Trục liên thông văn bản quốc gia; "
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 500 {
		b.WriteString(base)
	}
	r := []rune(b.String())
	return string(r[:500])
}()

func BenchmarkFold(b *testing.B) {
	benches := []struct{ name, in string }{
		{"subject500-nfc", subject500},
		{"subject500-nfd", norm.NFD.String(subject500)},
		{"subject500-folded", Fold(subject500)},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Fold(bb.in)
			}
		})
	}
}
