package stamp

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzImageStamp feeds arbitrary bytes as the two PNGs: ImageStamp must not
// panic, must fail with one of its documented errors, and what it accepts
// must be a well-formed appearance.
func FuzzImageStamp(f *testing.F) {
	small := func(w, h int, c color.Color) []byte {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	sig := small(12, 4, color.NRGBA{0, 0, 200, 128})
	seal := small(8, 8, color.NRGBA{200, 0, 0, 255})
	f.Add(sig, seal)
	f.Add(sig, []byte(nil))
	f.Add([]byte(nil), seal)
	f.Add(sig[:len(sig)/2], seal)
	f.Add([]byte("\x89PNG\r\n\x1a\n"), []byte("garbage"))
	f.Fuzz(func(t *testing.T, person, sealPNG []byte) {
		if len(person) == 0 {
			person = nil
		}
		if len(sealPNG) == 0 {
			sealPNG = nil
		}
		a, err := ImageStamp(person, sealPNG, 200, 100)
		if err != nil {
			if !errors.Is(err, ErrInvalidImage) && !errors.Is(err, ErrImageTooLarge) && !errors.Is(err, ErrNoImage) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		if err := checkContent(a); err != nil {
			t.Fatalf("content: %v", err)
		}
		for name, img := range a.Images {
			if got := len(inflate(t, img.Data)); got != 3*img.Width*img.Height {
				t.Fatalf("%s: %d RGB bytes for %d × %d", name, got, img.Width, img.Height)
			}
		}
	})
}

// FuzzAgencyText feeds arbitrary number and notation strings (typed by a
// clerk): no panic, only documented errors, and a well-formed appearance.
func FuzzAgencyText(f *testing.F) {
	f.Add("1234", "STTTT-CNTT")
	f.Add("567", "QĐ-UBND")
	f.Add("01", "")
	f.Add("1", "中文")
	f.Add("1", "e\u0302\u0301\u0323\u0323\u0323")
	f.Add("\xff", "x")
	signed := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, number, notation string) {
		a, err := AgencyText(number, notation, signed)
		if err != nil {
			var ge *GlyphError
			if !errors.Is(err, ErrInvalidText) && !errors.As(err, &ge) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		if !utf8.ValidString(number) || !utf8.ValidString(notation) {
			t.Fatalf("accepted invalid UTF-8")
		}
		if err := checkContent(a); err != nil {
			t.Fatalf("content: %v", err)
		}
	})
}
