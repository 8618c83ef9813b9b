package stamp

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese letters and tone marks.
var (
	vietVowels     = []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"}
	vietConsonants = []string{"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v", "x"}
	// ngang (none), huyền, hỏi, ngã, sắc, nặng
	vietTones = []string{"", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"}
)

// vietnameseLetters returns every letter of the Vietnamese alphabet with
// every tone, in lower and upper case, precomposed (NFC), plus f j w z.
func vietnameseLetters(t *testing.T) []rune {
	t.Helper()
	var out []rune
	addBoth := func(s string) {
		rs := []rune(norm.NFC.String(s))
		if len(rs) != 1 {
			t.Fatalf("%q does not compose to one character", s)
		}
		out = append(out, rs[0], unicode.ToUpper(rs[0]))
	}
	for _, v := range vietVowels {
		for _, tone := range vietTones {
			addBoth(v + tone)
		}
	}
	for _, c := range append(vietConsonants, "f", "j", "w", "z") {
		addBoth(c)
	}
	return out
}

func TestVietnameseCoverage(t *testing.T) {
	fc, err := serif()
	if err != nil {
		t.Fatal(err)
	}
	letters := vietnameseLetters(t)
	if got, want := len(letters), 2*(12*6+21); got != want {
		t.Fatalf("built %d letters, want %d", got, want)
	}
	for _, r := range letters {
		t.Run(string(r), func(t *testing.T) {
			gi := fc.index(r)
			if gi == 0 {
				t.Fatalf("no precomposed glyph for %q (U+%04X)", r, r)
			}
			g, err := fc.load(gi)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.segs) == 0 || g.advance <= 0 {
				t.Fatalf("glyph for %q is empty (advance %v)", r, g.advance)
			}
			if _, _, err := fc.layout(string(r)); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Every tone mark must also exist as a combining glyph for the fallback.
	for _, tone := range vietTones[1:] {
		if fc.index([]rune(tone)[0]) == 0 {
			t.Errorf("no combining glyph for U+%04X", []rune(tone)[0])
		}
	}
}

func TestLayout(t *testing.T) {
	fc, err := serif()
	if err != nil {
		t.Fatal(err)
	}
	inkTopBottom := func(ps []placed) (top, bottom float64) {
		top, bottom = -1e9, 1e9
		for _, p := range ps {
			if len(p.g.segs) > 0 {
				top = max(top, p.g.ymax+p.y)
				bottom = min(bottom, p.g.ymin+p.y)
			}
		}
		return top, bottom
	}
	tests := []struct {
		name       string
		text, base string
		glyphs     int  // placed glyphs expected for text
		above      bool // text's ink reaches higher than base's
		below      bool // text's ink reaches lower than base's
	}{
		{"precomposed circumflex and dot", "ệ", "e", 1, true, true},
		{"precomposed horn and hook", "Ở", "O", 1, true, false},
		{"decomposed input is composed", "e\u0302\u0323", "e", 1, true, true},
		{"fallback dot below q", "q\u0323", "q", 2, false, true},
		{"fallback tilde over capital X", "X\u0303", "X", 2, true, false},
		{"fallback two marks stack", "x\u0302\u0301", "x", 3, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, w, err := fc.layout(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			bs, bw, err := fc.layout(tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != tc.glyphs {
				t.Errorf("%d glyphs, want %d", len(ps), tc.glyphs)
			}
			if w != bw {
				t.Errorf("advance %v, want the base letter's %v", w, bw)
			}
			top, bottom := inkTopBottom(ps)
			btop, bbottom := inkTopBottom(bs)
			if got := top > btop+0.05; got != tc.above {
				t.Errorf("ink top %.3f vs base %.3f: above = %v, want %v", top, btop, got, tc.above)
			}
			if got := bottom < bbottom-0.05; got != tc.below {
				t.Errorf("ink bottom %.3f vs base %.3f: below = %v, want %v", bottom, bbottom, got, tc.below)
			}
			// Marks stay over their base horizontally.
			for _, p := range ps[1:] {
				c := p.x + (p.g.xmin+p.g.xmax)/2
				if c < ps[0].g.xmin || c > ps[0].g.xmax {
					t.Errorf("mark centred at %.3f, outside the base [%.3f, %.3f]", c, ps[0].g.xmin, ps[0].g.xmax)
				}
			}
		})
	}
	t.Run("kerning", func(t *testing.T) {
		// Liberation Serif kerns "AV" (GPOS); the pair is narrower than its letters.
		_, av, err := fc.layout("AV")
		if err != nil {
			t.Fatal(err)
		}
		_, a, _ := fc.layout("A")
		_, v, _ := fc.layout("V")
		if av >= a+v {
			t.Errorf("AV advance %.3f, not less than A+V %.3f", av, a+v)
		}
	})
	t.Run("missing glyph", func(t *testing.T) {
		_, _, err := fc.layout("Số 中")
		var ge *GlyphError
		if !errors.As(err, &ge) || ge.Rune != '中' {
			t.Fatalf("err = %v, want *GlyphError for 中", err)
		}
	})
}

func TestSimplify(t *testing.T) {
	// A cubic split in two at t = 0.3 joins back into the original.
	orig := [3]point{{0.1, 0.5}, {0.6, 0.6}, {0.8, 0}}
	p0 := point{0, 0}
	lerp := func(a, b point, t float64) point { return point{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }
	split := func(t float64) (a, b [3]point) {
		p01, p12, p23 := lerp(p0, orig[0], t), lerp(orig[0], orig[1], t), lerp(orig[1], orig[2], t)
		p012, p123 := lerp(p01, p12, t), lerp(p12, p23, t)
		m := lerp(p012, p123, t)
		return [3]point{p01, p012, m}, [3]point{p123, p23, orig[2]}
	}
	a, b := split(0.3)
	tests := []struct {
		name string
		in   []segment
		want int
	}{
		{"split cubic joins", []segment{{op: 'm', p: [3]point{p0}}, {op: 'c', p: a}, {op: 'c', p: b}}, 2},
		{"corner is kept", []segment{{op: 'm', p: [3]point{p0}}, {op: 'c', p: [3]point{{0, 0.3}, {0.2, 0.5}, {0.5, 0.5}}}, {op: 'c', p: [3]point{{0.5, 0.2}, {0.7, 0}, {1, 0}}}}, 3},
		{"lines untouched", []segment{{op: 'm', p: [3]point{p0}}, {op: 'l', p: [3]point{{1, 0}}}, {op: 'l', p: [3]point{{1, 1}}}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := simplify(tc.in, simplifyTolerance)
			if len(out) != tc.want {
				t.Fatalf("%d segments, want %d: %v", len(out), tc.want, out)
			}
		})
	}
	t.Run("joined cubic is the original", func(t *testing.T) {
		out := simplify([]segment{{op: 'm', p: [3]point{p0}}, {op: 'c', p: a}, {op: 'c', p: b}}, simplifyTolerance)
		for i, p := range out[1].p {
			if d := segmentDistance(p, orig[i], orig[i]); d > 1e-9 {
				t.Errorf("control %d is %v, want %v", i, p, orig[i])
			}
		}
	})
	t.Run("font outlines stay within tolerance", func(t *testing.T) {
		// Every glyph of the alphabet, simplified, against the font's own.
		fc, err := serif()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range "aăâđeêoôơuưgSQ&@8ẫỗ" {
			g, err := fc.load(fc.index(r))
			if err != nil {
				t.Fatal(err)
			}
			full, err := fc.loadRaw(fc.index(r))
			if err != nil {
				t.Fatal(err)
			}
			if len(g.segs) >= len(full) {
				t.Errorf("%q: %d segments, not fewer than the font's %d", r, len(g.segs), len(full))
			}
			gp, fp := samplePath(g.segs), samplePath(full)
			if d := polylineDistance(gp, fp); d > 2*simplifyTolerance {
				t.Errorf("%q: simplified outline strays %.4f em", r, d)
			}
			if d := polylineDistance(fp, gp); d > 2*simplifyTolerance {
				t.Errorf("%q: font outline strays %.4f em from the simplified one", r, d)
			}
		}
	})
}

// samplePath samples a whole outline (all contours joined; the jumps between
// contours sample equally on both sides).
func samplePath(segs []segment) []point {
	var pts []point
	var cur point
	for _, s := range segs {
		switch s.op {
		case 'm', 'l':
			cur = s.p[0]
			pts = append(pts, cur)
		case 'c':
			pts = sampleCubic(pts, cur, s.p, 32)
			cur = s.p[2]
		}
	}
	return pts
}

func TestSigningTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC becomes +07:00", time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC), "2026-11-23T09:15:00+07:00"},
		{"already Vietnam", time.Date(2026, 11, 23, 9, 15, 0, 0, time.FixedZone("ICT", 7*3600)), "2026-11-23T09:15:00+07:00"},
		{"crosses midnight", time.Date(2026, 12, 31, 20, 0, 1, 0, time.UTC), "2027-01-01T03:00:01+07:00"},
		{"other zone", time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CET", 3600)), "2026-03-01T14:00:00+07:00"},
		{"sub-seconds dropped", time.Date(2026, 1, 2, 3, 4, 5, 999_000_000, time.UTC), "2026-01-02T10:04:05+07:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SigningTime(tc.in); got != tc.want {
				t.Errorf("SigningTime = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAgencyText(t *testing.T) {
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	tests := []struct {
		name             string
		number, notation string
		signed           time.Time
		wantErr          error
		wantLines        []string
	}{
		{"cong van", "1234", "STTTT-CNTT", signed, nil, []string{"Số: 1234/STTTT-CNTT", "Thời gian ký: 2026-11-23T09:15:00+07:00"}},
		{"decision with Đ", "567", "QĐ-UBND", signed, nil, []string{"Số: 567/QĐ-UBND", "Thời gian ký: 2026-11-23T09:15:00+07:00"}},
		{"no notation", "01", "", signed, nil, []string{"Số: 01", "Thời gian ký: 2026-11-23T09:15:00+07:00"}},
		{"longest fields", "12345678901", strings.Repeat("Đ", 30), signed, nil, nil},
		{"empty number", "", "QĐ-UBND", signed, ErrInvalidText, nil},
		{"number too long", "123456789012", "QĐ", signed, ErrInvalidText, nil},
		{"notation too long", "1", strings.Repeat("A", 31), signed, ErrInvalidText, nil},
		{"newline", "1", "QĐ\nUBND", signed, ErrInvalidText, nil},
		{"invalid UTF-8", "1", "Q\xff", signed, ErrInvalidText, nil},
		{"zero time", "1", "QĐ", time.Time{}, ErrInvalidText, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := AgencyText(tc.number, tc.notation, tc.signed)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkContent(a); err != nil {
				t.Fatalf("content: %v", err)
			}
			if a.Images != nil {
				t.Errorf("text stamp has images")
			}
			// 10 pt, two lines: about 27 points high.
			if a.Height < 25 || a.Height > 30 {
				t.Errorf("height %v, want about 27 points", a.Height)
			}
			if tc.wantLines == nil {
				return
			}
			// The size matches the same lines laid out with Text.
			b, err := Text(TextSize, tc.wantLines...)
			if err != nil {
				t.Fatal(err)
			}
			if a.Width != b.Width || a.Height != b.Height || string(a.Content) != string(b.Content) {
				t.Errorf("AgencyText differs from Text(%q)", tc.wantLines)
			}
			// The width is the longer line at Times New Roman metrics:
			// "Thời gian ký: 2026-11-23T09:15:00+07:00" is 173 points at 10 pt.
			if a.Width < 170 || a.Width > 182 {
				t.Errorf("width %v, want about 177 points", a.Width)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		size    float64
		lines   []string
		wantErr error
	}{
		{"copy form", 10, []string{"SAO Y", "UBND TỈNH QUẢNG NINH", "Thời gian ký: 2026-11-23T09:15:00+07:00"}, nil},
		{"big", 72, []string{"Ỹ ự"}, nil},
		{"no lines", 10, nil, ErrInvalidText},
		{"empty line", 10, []string{"a", ""}, ErrInvalidText},
		{"tab", 10, []string{"a\tb"}, ErrInvalidText},
		{"zero size", 0, []string{"a"}, ErrInvalidSize},
		{"too long", 10, []string{strings.Repeat("a", MaxLineLen+1)}, ErrInvalidText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Text(tc.size, tc.lines...)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkContent(a); err != nil {
				t.Fatalf("content: %v", err)
			}
		})
	}
	t.Run("glyph error", func(t *testing.T) {
		_, err := Text(10, "Hà Nội 北京")
		var ge *GlyphError
		if !errors.As(err, &ge) {
			t.Fatalf("err = %v, want *GlyphError", err)
		}
	})
}

// TestAgencyTextSize measures the size of a text stamp: a few kilobytes
// compressed, as the form stream is written.
func TestAgencyTextSize(t *testing.T) {
	a, err := AgencyText("1234", "STTTT-CNTT", time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	z, err := a.CompressedContent()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("AgencyText content: %d bytes, %d bytes compressed", len(a.Content), len(z))
	if len(z) > 4096 {
		t.Errorf("compressed content is %d bytes, want at most 4 KiB", len(z))
	}
	if len(a.Content) > 16384 {
		t.Errorf("content is %d bytes, want at most 16 KiB", len(a.Content))
	}
	if got := inflate(t, z); string(got) != string(a.Content) {
		t.Errorf("CompressedContent does not inflate to Content")
	}
}

func TestContentChecker(t *testing.T) {
	// The checker must catch what it claims to.
	tests := []struct {
		name    string
		content string
		images  map[string]*Image
		ok      bool
	}{
		{"good", "q 0 g 1 1 m 2 2 l 3 1 l f Q", nil, true},
		{"unbalanced", "q 0 g 1 1 m 2 2 l f", nil, false},
		{"extra Q", "q 1 1 m 2 2 l f Q Q", nil, false},
		{"unknown operator", "q 1 1 m 2 2 l S Q", nil, false},
		{"operand count", "q 1 m 2 2 l f Q", nil, false},
		{"line outside a path", "q 2 2 l f Q", nil, false},
		{"cm inside a path", "q 1 1 m 1 0 0 1 1 1 cm 2 2 l f Q", nil, false},
		{"outside the box", "q 1 1 m 20 2 l f Q", nil, false},
		{"outside through cm", "q 1 0 0 1 9 0 cm 1 1 m 2 2 l f Q", nil, false},
		{"unknown image", "q /Im9 Do Q", map[string]*Image{"Im1": {}}, false},
		{"unused image", "q 1 1 m 2 2 l f Q", map[string]*Image{"Im1": {}}, false},
		{"image", "q 10 0 0 10 0 0 cm /Im1 Do Q", map[string]*Image{"Im1": {}}, true},
		{"image too big", "q 11 0 0 10 0 0 cm /Im1 Do Q", map[string]*Image{"Im1": {}}, false},
		{"nothing drawn", "q Q", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkContent(&Appearance{Width: 10, Height: 10, Content: []byte(tc.content), Images: tc.images})
			if (err == nil) != tc.ok {
				t.Errorf("checkContent = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestConcurrentUse builds stamps from many goroutines at once (the glyph
// cache is shared) and checks that every result is the same; run with -race.
func TestConcurrentUse(t *testing.T) {
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	want, err := AgencyText("99", "TB-VPCP", signed)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"Ủy ban nhân dân", "Bộ Tài chính", "Văn phòng Chính phủ", "Đặng Thị Thuỷ"}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			for range 20 {
				if _, err := Text(10, texts[i%len(texts)]); err != nil {
					errs <- err
					return
				}
				a, err := AgencyText("99", "TB-VPCP", signed)
				if err != nil {
					errs <- err
					return
				}
				if string(a.Content) != string(want.Content) {
					errs <- errors.New("AgencyText output differs between calls")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCopyText(t *testing.T) {
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	tests := []struct {
		name    string
		form    CopyForm
		agency  string
		signed  time.Time
		wantErr error
	}{
		{"sao y", CopyExact, "UBND TỈNH QUẢNG NINH", signed, nil},
		{"sao lục", CopyRetyped, "Văn phòng Chính phủ", signed, nil},
		{"trích sao", CopyExtract, "Sở Tư pháp tỉnh Nghệ An", signed, nil},
		{"unknown form", CopyForm("SAO CHỤP"), "Bộ Nội vụ", signed, ErrInvalidText},
		{"no agency", CopyExact, "", signed, ErrInvalidText},
		{"agency too long", CopyExact, strings.Repeat("a", MaxAgencyNameLen+1), signed, ErrInvalidText},
		{"zero time", CopyExact, "Bộ Nội vụ", time.Time{}, ErrInvalidText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := CopyText(tc.form, tc.agency, tc.signed)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkContent(a); err != nil {
				t.Fatalf("content: %v", err)
			}
			b, err := Text(TextSize, string(tc.form), tc.agency, "Thời gian ký: 2026-11-23T09:15:00+07:00")
			if err != nil {
				t.Fatal(err)
			}
			if string(a.Content) != string(b.Content) || a.Width != b.Width || a.Height != b.Height {
				t.Errorf("CopyText differs from its three lines")
			}
		})
	}
}
