package stamp

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"

	"golang.org/x/image/vector"
)

// Colours of the demo images: seal-ink red and ballpoint blue.
var (
	sealRed = color.NRGBA{R: 204, G: 20, B: 32, A: 240}
	inkBlue = color.NRGBA{R: 22, G: 48, B: 168, A: 255}
)

// Sizes of DemoSeal in pixels.
const (
	minSealSize = 64
	maxSealSize = 2000
)

// DemoSeal draws a stand-in for an agency's seal as a PNG of size × size
// pixels (clamped to 64..2000) with a transparent background: two red rings
// with agencyName in capitals around the circle between them and a
// five-pointed star in the middle. It is for the demo PKI and tests; a real
// agency uses the image of its registered seal. Characters the embedded font
// cannot draw are left out.
func DemoSeal(agencyName string, size int) []byte {
	size = min(max(size, minSealSize), maxSealSize)
	s := float64(size)
	c := s / 2
	dst := image.NewRGBA(image.Rect(0, 0, size, size))

	z := vector.NewRasterizer(size, size)
	annulus(z, c, c, 0.495*s, 0.465*s)
	annulus(z, c, c, 0.345*s, 0.33*s)
	star(z, c, c, 0.15*s, 0.15*s*0.382)
	paint(dst, z, sealRed)

	// The name, centred at the top, runs clockwise around the band between
	// the rings with the tops of the letters outward.
	name := strings.ToUpper(strings.Join(strings.Fields(agencyName), " "))
	if fc, err := serif(); err == nil && name != "" {
		const tracking = 0.06      // extra em between letters
		rb := 0.362 * s            // baseline radius
		fs := 0.095 * s            // font size in pixels
		maxArc := 2 * math.Pi * rb // the whole circle
		glyphs, adv := layoutLenient(fc, name)
		adv += tracking * float64(max(len(glyphs)-1, 0))
		if adv*fs > 0.85*maxArc {
			// A long name goes all round, with a dot where it ends and starts.
			glyphs, adv = layoutLenient(fc, name+" • ")
			adv += tracking * float64(len(glyphs))
			fs = min(fs, maxArc/adv)
		}
		if len(glyphs) > 0 {
			span := adv * fs / rb // angle taken by the text
			z.Reset(size, size)
			for i, p := range glyphs {
				offset := p.x + tracking*float64(i)
				drawGlyph(z, p.g, func(q point) (float32, float32) {
					arc := (offset + q.x) * fs
					r := rb + (p.y+q.y)*fs
					th := -span/2 + arc/rb
					return float32(c + r*math.Sin(th)), float32(c - r*math.Cos(th))
				})
			}
			paint(dst, z, sealRed)
		}
	}
	return encodePNG(dst)
}

// DemoSignature draws a stand-in for a person's handwritten signature as a
// PNG with a transparent background: name in slanted blue letters on a
// slightly wavy baseline with a looping flourish underneath. It is for the
// demo PKI and tests; a real signer uses the image of their signature.
// Characters the embedded font cannot draw are left out.
func DemoSignature(name string) []byte {
	name = strings.Join(strings.Fields(name), " ")
	const fs = 56.0 // font size in pixels
	fc, err := serif()
	var glyphs []placed
	adv := 1.0
	if err == nil && name != "" {
		glyphs, adv = layoutLenient(fc, name)
		adv = max(adv, 1)
	}
	const slant = 0.28
	w := int(math.Ceil(adv*fs+0.6*fs)) + 20
	h := int(math.Ceil(1.9 * fs))
	base := 0.6 * float64(h)
	left := 0.25 * fs
	dst := image.NewRGBA(image.Rect(0, 0, w, h))

	z := vector.NewRasterizer(w, h)
	for _, p := range glyphs {
		drawGlyph(z, p.g, func(q point) (float32, float32) {
			x := (p.x + q.x) * fs
			y := (p.y + q.y) * fs
			wave := 3 * math.Sin((left+x)/37)
			return float32(left + x + slant*y), float32(base - y + wave)
		})
	}
	paint(dst, z, inkBlue)

	// The flourish: a stroke from under the first letter, looping back and
	// running out past the last one.
	z.Reset(w, h)
	x0, x1 := left, left+adv*fs+0.3*fs
	const steps = 400
	for i := 0; i <= steps; i++ {
		t := float64(i) / steps
		x := x0 + (x1-x0)*t + 0.35*fs*math.Sin(3*math.Pi*t)*(1-t)
		y := base + 0.3*fs + 0.14*fs*math.Sin(2*math.Pi*t+0.5) - 0.1*fs*t
		r := 1.2 + 1.4*math.Sin(math.Pi*t) // thicker in the middle of the stroke
		disc(z, x, y, r)
	}
	paint(dst, z, inkBlue)
	return encodePNG(dst)
}

// layoutLenient lays out text, leaving out characters the font cannot draw.
func layoutLenient(fc *face, text string) ([]placed, float64) {
	var kept strings.Builder
	for _, r := range text {
		if _, _, err := fc.layout(string(r)); err == nil {
			kept.WriteRune(r)
		}
	}
	g, adv, err := fc.layout(kept.String())
	if err != nil {
		return nil, 0
	}
	return g, adv
}

// drawGlyph adds g's outline to z, mapping each point with tr.
func drawGlyph(z *vector.Rasterizer, g *glyph, tr func(point) (float32, float32)) {
	open := false
	for _, s := range g.segs {
		switch s.op {
		case 'm':
			if open {
				z.ClosePath()
			}
			z.MoveTo(tr(s.p[0]))
			open = true
		case 'l':
			z.LineTo(tr(s.p[0]))
		case 'c':
			ax, ay := tr(s.p[0])
			bx, by := tr(s.p[1])
			cx, cy := tr(s.p[2])
			z.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	if open {
		z.ClosePath()
	}
}

// circle adds a closed polygon approximating a circle; clockwise on screen
// when cw is true.
func circle(z *vector.Rasterizer, cx, cy, r float64, cw bool) {
	n := max(12, int(r))
	n = min(n, 360)
	for i := 0; i <= n; i++ {
		th := 2 * math.Pi * float64(i) / float64(n)
		if !cw {
			th = -th
		}
		x, y := float32(cx+r*math.Cos(th)), float32(cy+r*math.Sin(th))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}

// annulus adds a ring: the inner circle runs the other way, so it cancels.
func annulus(z *vector.Rasterizer, cx, cy, outer, inner float64) {
	circle(z, cx, cy, outer, true)
	circle(z, cx, cy, inner, false)
}

// disc adds a filled circle; all discs run the same way, so overlaps unite.
func disc(z *vector.Rasterizer, cx, cy, r float64) { circle(z, cx, cy, r, true) }

// star adds a five-pointed star pointing up.
func star(z *vector.Rasterizer, cx, cy, outer, inner float64) {
	for i := 0; i < 10; i++ {
		r := outer
		if i%2 == 1 {
			r = inner
		}
		th := math.Pi * float64(i) / 5
		x, y := float32(cx+r*math.Sin(th)), float32(cy-r*math.Cos(th))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}

// paint fills what was added to z with c over dst.
func paint(dst *image.RGBA, z *vector.Rasterizer, c color.NRGBA) {
	mask := image.NewAlpha(dst.Bounds())
	z.DrawOp = draw.Src
	z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	draw.DrawMask(dst, dst.Bounds(), image.NewUniform(c), image.Point{}, mask, image.Point{}, draw.Over)
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		// Encoding an in-memory RGBA image into a bytes.Buffer cannot fail.
		panic("stamp: encode demo PNG: " + err.Error())
	}
	return buf.Bytes()
}
