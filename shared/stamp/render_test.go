package stamp

import (
	"flag"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the example renderings in testdata/")

// saveExample keeps a rendering under testdata/ as documentation when the
// tests run with -update.
func saveExample(t *testing.T, name string, png []byte) {
	t.Helper()
	if !*update {
		return
	}
	if err := os.WriteFile(filepath.Join("testdata", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRenderAgencyText draws the agency's text stamp on a PDF page, renders
// it with poppler and checks that black ink fills the stamp's box and
// nothing is drawn outside it.
func TestRenderAgencyText(t *testing.T) {
	a, err := AgencyText("1234", "STTTT-CNTT", time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	const pageW, pageH, x, y = 260.0, 60.0, 40.0, 15.0
	img, png := render(t, onePagePDF(t, a, pageW, pageH, x, y))
	saveExample(t, "agency-text.png", png)

	box := pixelRect(pageH, x, y, a.Width, a.Height)
	ink, n := inkBounds(img, dark)
	if n < 500 {
		t.Fatalf("only %d dark pixels: the stamp is blank", n)
	}
	if !ink.In(box) {
		t.Errorf("ink spans %v, outside the stamp's box %v", ink, box)
	}
	// The text fills the box but for its padding (2 pt = 4 px each side).
	if ink.Dx() < box.Dx()-12 || ink.Dy() < box.Dy()-16 {
		t.Errorf("ink spans %v, want nearly all of %v", ink, box)
	}
	// Two lines: a blank band of rows between them.
	if !hasBlankRow(img, ink, dark) {
		t.Errorf("no blank row between the two lines in %v", ink)
	}
}

func hasBlankRow(img image.Image, r image.Rectangle, ink func(r, g, b uint8) bool) bool {
	for y := r.Min.Y + r.Dy()/4; y < r.Max.Y-r.Dy()/4; y++ {
		blank := true
		for x := r.Min.X; x < r.Max.X && blank; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			blank = !ink(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8))
		}
		if blank {
			return true
		}
	}
	return false
}

// TestRenderDiacritics renders letters with and without their Vietnamese
// marks and checks, in poppler's pixels, that the marks are drawn where they
// belong: above, below, or both.
func TestRenderDiacritics(t *testing.T) {
	tests := []struct {
		name         string
		text, base   string
		above, below bool
	}{
		{"circumflex and dot below", "ệ", "e", true, true},
		{"horn and hook above capital", "Ở", "O", true, false},
		{"breve and tilde", "ẵ", "a", true, false},
		{"stroke of Đ does not change height", "Đ", "D", false, false},
		{"horn u with dot below", "ự", "u", true, true},
		{"composed from decomposed input", "o\u0302\u0301", "o", true, false},
		{"fallback dot below q", "q\u0323", "q", false, true},
	}
	const pageW, pageH, size = 60.0, 60.0, 24.0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inkOf := func(s string) image.Rectangle {
				a, err := Text(size, s)
				if err != nil {
					t.Fatal(err)
				}
				// Top edges aligned, so the first baselines are too.
				img, _ := render(t, onePagePDF(t, a, pageW, pageH, 10, pageH-10-a.Height))
				r, n := inkBounds(img, dark)
				if n == 0 {
					t.Fatalf("%q renders blank", s)
				}
				return r
			}
			got, base := inkOf(tc.text), inkOf(tc.base)
			// Image Y grows down; 24 pt at 150 dpi is 50 px, marks are ≥ 4 px.
			if isAbove := got.Min.Y < base.Min.Y-3; isAbove != tc.above {
				t.Errorf("%q ink top %d vs %q %d: mark above = %v, want %v", tc.text, got.Min.Y, tc.base, base.Min.Y, isAbove, tc.above)
			}
			if isBelow := got.Max.Y > base.Max.Y+3; isBelow != tc.below {
				t.Errorf("%q ink bottom %d vs %q %d: mark below = %v, want %v", tc.text, got.Max.Y, tc.base, base.Max.Y, isBelow, tc.below)
			}
		})
	}
}

// TestRenderImageStamp draws the person's signature with the agency's seal,
// renders it with poppler and checks the ND30 layout in the pixels: red seal
// on the left, blue signature to its right, overlapping, both inside the box,
// and the signature visible through the seal's transparent background.
func TestRenderImageStamp(t *testing.T) {
	sig := DemoSignature("Nguyễn Văn Quyết")
	seal := DemoSeal("Sở Thông tin và Truyền thông tỉnh Quảng Ninh", 400)
	a, err := ImageStamp(sig, seal, 220, 100)
	if err != nil {
		t.Fatal(err)
	}
	const pageW, pageH, x, y = 300.0, 150.0, 40.0, 25.0
	img, png := render(t, onePagePDF(t, a, pageW, pageH, x, y))
	saveExample(t, "image-stamp.png", png)

	box := pixelRect(pageH, x, y, a.Width, a.Height)
	redBox, nRed := inkBounds(img, red)
	blueBox, nBlue := inkBounds(img, blue)
	if nRed < 1000 || nBlue < 500 {
		t.Fatalf("%d red and %d blue pixels: the stamp is (partly) blank", nRed, nBlue)
	}
	if !redBox.In(box) || !blueBox.In(box) {
		t.Errorf("ink outside the box %v: red %v, blue %v", box, redBox, blueBox)
	}
	if redBox.Min.X >= blueBox.Min.X || redBox.Max.X >= blueBox.Max.X {
		t.Errorf("red %v is not left of blue %v", redBox, blueBox)
	}
	if cr, cb := centreX(img, red), centreX(img, blue); cr >= cb {
		t.Errorf("red centre x %.1f not left of blue centre %.1f", cr, cb)
	}
	// They overlap, and the signature shows through the seal's transparent
	// parts: blue pixels inside the seal's span.
	if redBox.Max.X <= blueBox.Min.X {
		t.Errorf("seal %v does not overlap the signature %v", redBox, blueBox)
	}
	under := image.Rect(blueBox.Min.X, blueBox.Min.Y, redBox.Max.X, blueBox.Max.Y)
	if _, n := inkBounds(img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(under), blue); n < 20 {
		t.Errorf("only %d blue pixels under the seal: transparency lost", n)
	}
	// Outside the box the page is white.
	_, nDark := inkBounds(img, func(r, g, b uint8) bool { return int(r)+int(g)+int(b) < 3*240 })
	_, nInBox := inkBounds(img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(box), func(r, g, b uint8) bool { return int(r)+int(g)+int(b) < 3*240 })
	if nDark != nInBox {
		t.Errorf("%d non-white pixels outside the box", nDark-nInBox)
	}
}

// centreX is the mean x of the pixels matching ink.
func centreX(img image.Image, ink func(r, g, b uint8) bool) float64 {
	b := img.Bounds()
	sum, n := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if ink(uint8(r>>8), uint8(g>>8), uint8(bl>>8)) {
				sum += x
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}
