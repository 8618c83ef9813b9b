package stamp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"testing"
)

func encode(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodePNG(t *testing.T) {
	opaque := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range opaque.Pix {
		opaque.Pix[i] = 255
	}
	opaque.SetNRGBA(1, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 255})

	transparent := image.NewNRGBA(image.Rect(0, 0, 4, 5))
	transparent.SetNRGBA(2, 3, color.NRGBA{R: 200, G: 10, B: 20, A: 128})

	gray := image.NewGray16(image.Rect(0, 0, 7, 1))
	gray.SetGray16(6, 0, color.Gray16{Y: 0x8080})

	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.NRGBA{0, 0, 255, 255}, color.NRGBA{0, 0, 0, 0}})
	pal.SetColorIndex(1, 1, 1)

	// A PNG whose header claims a huge image (decompression bomb).
	huge := encode(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := bytes.Clone(huge)
	copy(bomb[16:24], []byte{0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40}) // 40000 × 40000
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))

	tests := []struct {
		name      string
		data      []byte
		wantErr   error
		w, h      int
		wantAlpha bool
		pixel     [2]int  // a pixel to check
		rgb       [3]byte // its colour
		alpha     byte    // and alpha when the image has alpha
	}{
		{"opaque NRGBA", encode(t, opaque), nil, 3, 2, false, [2]int{1, 0}, [3]byte{10, 20, 30}, 255},
		{"transparent NRGBA", encode(t, transparent), nil, 4, 5, true, [2]int{2, 3}, [3]byte{200, 10, 20}, 128},
		{"transparent pixel is white", encode(t, transparent), nil, 4, 5, true, [2]int{0, 0}, [3]byte{255, 255, 255}, 0},
		{"16-bit gray", encode(t, gray), nil, 7, 1, false, [2]int{6, 0}, [3]byte{128, 128, 128}, 255},
		{"paletted with transparency", encode(t, pal), nil, 2, 2, true, [2]int{0, 0}, [3]byte{0, 0, 255}, 255},
		{"demo seal", DemoSeal("UBND tỉnh Quảng Ninh", 300), nil, 300, 300, true, [2]int{150, 150}, [3]byte{204, 20, 32}, 240},
		{"not a PNG", []byte("GIF89a..."), ErrInvalidImage, 0, 0, false, [2]int{}, [3]byte{}, 0},
		{"empty", []byte{}, ErrInvalidImage, 0, 0, false, [2]int{}, [3]byte{}, 0},
		{"truncated", encode(t, opaque)[:40], ErrInvalidImage, 0, 0, false, [2]int{}, [3]byte{}, 0},
		{"too large", bomb, ErrImageTooLarge, 0, 0, false, [2]int{}, [3]byte{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := DecodePNG(tc.data)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != tc.w || img.Height != tc.h {
				t.Fatalf("size %d × %d, want %d × %d", img.Width, img.Height, tc.w, tc.h)
			}
			rgb := inflate(t, img.Data)
			if len(rgb) != 3*tc.w*tc.h {
				t.Fatalf("%d RGB bytes, want %d", len(rgb), 3*tc.w*tc.h)
			}
			i := tc.pixel[1]*tc.w + tc.pixel[0]
			// Demo colours are premultiplied on the way: allow rounding.
			if got := [3]byte(rgb[3*i : 3*i+3]); !near(got[0], tc.rgb[0]) || !near(got[1], tc.rgb[1]) || !near(got[2], tc.rgb[2]) {
				t.Errorf("pixel %v is %v, want %v", tc.pixel, got, tc.rgb)
			}
			if (img.Alpha != nil) != tc.wantAlpha {
				t.Fatalf("has alpha %v, want %v", img.Alpha != nil, tc.wantAlpha)
			}
			if img.Alpha != nil {
				a := inflate(t, img.Alpha)
				if len(a) != tc.w*tc.h {
					t.Fatalf("%d alpha bytes, want %d", len(a), tc.w*tc.h)
				}
				if a[i] != tc.alpha {
					t.Errorf("alpha at %v is %d, want %d", tc.pixel, a[i], tc.alpha)
				}
			}
		})
	}
}

func near(a, b byte) bool { return a-b <= 2 || b-a <= 2 }

// placement returns, for each image an appearance draws, its rectangle
// (x, y, w, h) in points, read back from the "w 0 0 h x y cm /Name Do"
// sequences of the content.
func placement(t *testing.T, a *Appearance) map[string][4]float64 {
	t.Helper()
	out := map[string][4]float64{}
	lines := strings.Split(string(a.Content), "\n")
	for i, l := range lines {
		if !strings.HasSuffix(l, " Do") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(l, "/"), " Do")
		f := strings.Fields(lines[i-1])
		if len(f) != 7 || f[6] != "cm" {
			t.Fatalf("no cm before %q: %q", l, lines[i-1])
		}
		var v [6]float64
		for j := range v {
			var err error
			if v[j], err = strconv.ParseFloat(f[j], 64); err != nil {
				t.Fatal(err)
			}
		}
		out[name] = [4]float64{v[4], v[5], v[0], v[3]}
	}
	return out
}

func TestImageStamp(t *testing.T) {
	sig := DemoSignature("Nguyễn Văn An")
	seal := DemoSeal("Ủy ban nhân dân tỉnh Quảng Ninh", 400)
	tests := []struct {
		name          string
		person, seal  []byte
		width, height float64
		wantErr       error
	}{
		{"both", sig, seal, 200, 100, nil},
		{"both wide box", sig, seal, 400, 100, nil},
		{"both narrow box", sig, seal, 120, 100, nil},
		{"both tall box", sig, seal, 150, 300, nil},
		{"person only", sig, nil, 200, 60, nil},
		{"seal only", nil, seal, 100, 100, nil},
		{"neither", nil, nil, 200, 100, ErrNoImage},
		{"zero width", sig, seal, 0, 100, ErrInvalidSize},
		{"NaN height", sig, seal, 100, math.NaN(), ErrInvalidSize},
		{"infinite", sig, seal, math.Inf(1), 100, ErrInvalidSize},
		{"garbage person", []byte("not a png"), seal, 200, 100, ErrInvalidImage},
		{"garbage seal", sig, []byte{0x89, 'P', 'N', 'G'}, 200, 100, ErrInvalidImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ImageStamp(tc.person, tc.seal, tc.width, tc.height)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Width != tc.width || a.Height != tc.height {
				t.Errorf("size %v × %v, want %v × %v", a.Width, a.Height, tc.width, tc.height)
			}
			if err := checkContent(a); err != nil {
				t.Fatalf("content: %v", err)
			}
			pl := placement(t, a)
			for name, img := range a.Images {
				r, ok := pl[name]
				if !ok {
					t.Fatalf("image %s not placed", name)
				}
				// Aspect ratio kept.
				if got, want := r[2]/r[3], float64(img.Width)/float64(img.Height); math.Abs(got-want) > 0.01*want {
					t.Errorf("%s drawn with aspect %.3f, want %.3f", name, got, want)
				}
				if img.Alpha == nil {
					t.Errorf("%s lost its transparency", name)
				}
			}
			if tc.person == nil || tc.seal == nil {
				// A lone image fills the box's width or height, centred.
				for _, r := range pl {
					if math.Abs(r[2]-a.Width) > 0.01 && math.Abs(r[3]-a.Height) > 0.01 {
						t.Errorf("lone image %v does not fill the box", r)
					}
					if math.Abs(r[0]*2+r[2]-a.Width) > 0.01 || math.Abs(r[1]*2+r[3]-a.Height) > 0.01 {
						t.Errorf("lone image %v is not centred", r)
					}
				}
				return
			}
			p, s := pl[PersonImage], pl[SealImage]
			// The seal is on the left and covers a third of the signature.
			if s[0] > p[0]+0.01 || s[0]+s[2] >= p[0]+p[2] {
				t.Errorf("seal spans x=%.2f..%.2f, not on the left of the signature at %.2f..%.2f", s[0], s[0]+s[2], p[0], p[0]+p[2])
			}
			if overlap := (s[0] + s[2] - p[0]) / p[2]; math.Abs(overlap-1.0/3) > 0.01 {
				t.Errorf("seal covers %.3f of the signature, want 1/3", overlap)
			}
			// The seal is drawn after (over) the signature.
			if strings.Index(string(a.Content), "/"+SealImage) < strings.Index(string(a.Content), "/"+PersonImage) {
				t.Errorf("seal drawn under the signature")
			}
			// The seal takes the full height when the box is wide enough.
			if tc.width >= 2*tc.height && math.Abs(s[3]-tc.height) > 0.01 {
				t.Errorf("seal height %.2f, want the box height %.2f", s[3], tc.height)
			}
		})
	}
}

func TestDemoImages(t *testing.T) {
	tests := []struct {
		name   string
		png    []byte
		w, h   int // 0: any
		colour func(r, g, b uint8) bool
	}{
		{"seal", DemoSeal("Sở Thông tin và Truyền thông", 500), 500, 500, red},
		{"seal clamps small size", DemoSeal("UBND", 1), 64, 64, red},
		{"seal with empty name", DemoSeal("", 200), 200, 200, red},
		{"seal with Chinese name", DemoSeal("北京 Office", 200), 200, 200, red},
		{"signature", DemoSignature("Trần Thị Bích Ngọc"), 0, 0, blue},
		{"signature of empty name", DemoSignature(""), 0, 0, blue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(tc.png))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if tc.w != 0 && (b.Dx() != tc.w || b.Dy() != tc.h) {
				t.Errorf("size %v, want %d × %d", b.Size(), tc.w, tc.h)
			}
			// Transparent corners, coloured ink somewhere.
			if _, _, _, a := img.At(b.Min.X, b.Min.Y).RGBA(); a != 0 {
				t.Errorf("corner alpha %d, want transparent", a)
			}
			opaqueInk := func(r, g, bl uint8) bool { return tc.colour(r, g, bl) }
			_, n := inkBounds(onWhite(img), opaqueInk)
			if n < b.Dx()*b.Dy()/100 {
				t.Errorf("only %d ink pixels of %d", n, b.Dx()*b.Dy())
			}
		})
	}
}

// onWhite composites img over white paper.
func onWhite(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			w := 0xffff - a
			out.Set(x, y, color.RGBA64{uint16(r + w), uint16(g + w), uint16(bl + w), 0xffff})
		}
	}
	return out
}

// TestImageStampOpaqueScan checks that an opaque scan (ink on white paper)
// becomes ink with a soft mask: white is transparent and every pixel, laid
// back on white, gives its original colour.
func TestImageStampOpaqueScan(t *testing.T) {
	scan := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	colours := []color.NRGBA{
		{255, 255, 255, 255}, // paper
		{22, 48, 168, 255},   // ballpoint blue
		{200, 210, 250, 255}, // light blue
		{0, 0, 0, 255},       // black
	}
	for x, c := range colours {
		scan.SetNRGBA(x, 0, c)
	}
	a, err := ImageStamp(encode(t, scan), nil, 40, 10)
	if err != nil {
		t.Fatal(err)
	}
	img := a.Images[PersonImage]
	if img.Alpha == nil {
		t.Fatal("opaque scan has no soft mask")
	}
	rgb, alpha := inflate(t, img.Data), inflate(t, img.Alpha)
	wantAlpha := []byte{0, 233, 55, 255}
	for x, c := range colours {
		t.Run(strconv.Itoa(x), func(t *testing.T) {
			if alpha[x] != wantAlpha[x] {
				t.Errorf("alpha %d, want %d", alpha[x], wantAlpha[x])
			}
			for i, want := range []uint8{c.R, c.G, c.B} {
				// Composite over white: a·ink + (1-a)·255.
				got := (int(alpha[x])*int(rgb[3*x+i]) + (255-int(alpha[x]))*255 + 127) / 255
				if d := got - int(want); d < -2 || d > 2 {
					t.Errorf("channel %d on white is %d, want %d", i, got, want)
				}
			}
		})
	}
}
