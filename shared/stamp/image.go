package stamp

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"sync"
)

// MaxImageSide is the largest width or height, in pixels, of a PNG that
// ImageStamp accepts; MaxImagePixels bounds their product. A seal scanned at
// 600 dpi is about 900 pixels across, so these leave room while keeping a
// hostile PNG from claiming gigabytes of memory.
const (
	MaxImageSide   = 8000
	MaxImagePixels = 16 << 20
)

// sealOverlap is the fraction of the signature's width that the seal covers
// on its left (ND30 Appendix I: "about a third").
const sealOverlap = 1.0 / 3

// ImageStamp returns the stamp of a main document: the person's handwritten
// signature image (personPNG) with the agency's red seal (sealPNG) stamped
// over the left third of it, as ND30 Appendix I shows, fitted into a box of
// width × height points.
//
// The seal keeps its aspect ratio and takes the full height of the box (at
// most half its width); the signature keeps its aspect ratio and takes the
// largest size for which both fit and the seal covers its left third (so it
// is at most three times as wide as the seal).
// The pair is centred in the box, and the seal is drawn last, on top, as on
// paper. Either image may be nil: a lone image is fitted and centred.
// Transparent PNGs keep their transparency (Image.Alpha, an /SMask). An
// opaque PNG (a scan on white paper) is treated as ink on paper: its white
// becomes transparent and every colour becomes the ink that, laid on white,
// gives that colour, so the seal never hides the signature under a white box
// and the image looks the same on a white page.
func ImageStamp(personPNG, sealPNG []byte, width, height float64) (*Appearance, error) {
	if !validSize(width) || !validSize(height) {
		return nil, fmt.Errorf("%w: %v × %v points", ErrInvalidSize, width, height)
	}
	if personPNG == nil && sealPNG == nil {
		return nil, ErrNoImage
	}
	a := &Appearance{Width: width, Height: height, Images: make(map[string]*Image)}
	var person, seal *Image
	var err error
	if personPNG != nil {
		if person, err = decodeInk(personPNG); err != nil {
			return nil, fmt.Errorf("signature image: %w", err)
		}
		a.Images[PersonImage] = person
	}
	if sealPNG != nil {
		if seal, err = decodeInk(sealPNG); err != nil {
			return nil, fmt.Errorf("seal image: %w", err)
		}
		a.Images[SealImage] = seal
	}

	var w contentWriter
	w.op("q")
	switch {
	case seal == nil:
		x, y, dw, dh := fit(person, width, height)
		w.image(PersonImage, x, y, dw, dh)
	case person == nil:
		x, y, dw, dh := fit(seal, width, height)
		w.image(SealImage, x, y, dw, dh)
	default:
		sealAspect := float64(seal.Width) / float64(seal.Height)
		sh := height
		sw := sh * sealAspect
		if sw > width/2 {
			sw = width / 2
			sh = sw / sealAspect
		}
		personAspect := float64(person.Width) / float64(person.Height)
		// The seal covers the signature's left third, so sw + (1-overlap)·pw
		// must fit the width, and a signature is at most three seals wide so
		// that its left third lies under the seal, not out to its left.
		pw := min(height*personAspect, (width-sw)/(1-sealOverlap), sw/sealOverlap)
		ph := pw / personAspect
		x0 := (width - (sw + (1-sealOverlap)*pw)) / 2 // the seal's left edge
		px := x0 + sw - sealOverlap*pw
		w.image(PersonImage, px, (height-ph)/2, pw, ph)
		w.image(SealImage, x0, (height-sh)/2, sw, sh)
	}
	w.op("Q")
	a.Content = w.b
	return a, nil
}

func validSize(v float64) bool { return v > 0 && v <= MaxSize && !math.IsNaN(v) }

// fit returns the position and size that fit img, keeping its aspect ratio,
// centred in a box of w × h.
func fit(img *Image, w, h float64) (x, y, dw, dh float64) {
	aspect := float64(img.Width) / float64(img.Height)
	dw, dh = w, w/aspect
	if dh > h {
		dh, dw = h, h*aspect
	}
	return (w - dw) / 2, (h - dh) / 2, dw, dh
}

// image draws the image XObject name into the rectangle (x, y, w, h).
func (cw *contentWriter) image(name string, x, y, w, h float64) {
	cw.op("q")
	cw.nums(w, 0, 0, h, x, y)
	cw.op("cm")
	cw.op("/" + name + " Do")
	cw.op("Q")
}

// DecodePNG decodes a PNG into the samples of an image XObject: zlib-
// compressed 8-bit RGB and, unless every pixel is opaque, an 8-bit alpha
// channel for an /SMask. Colours are not premultiplied; fully transparent
// pixels are stored as white so that a viewer ignoring the mask shows paper.
func DecodePNG(data []byte) (*Image, error) {
	return decodePNG(data, false)
}

func decodePNG(data []byte, keyWhite bool) (*Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %d × %d pixels", ErrInvalidImage, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("%w: %d × %d pixels", ErrImageTooLarge, cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]byte, 0, 3*w*h)
	alpha := make([]byte, 0, w*h)
	opaque := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := nrgbaAt(img, x, y)
			if c.A == 0 {
				c.R, c.G, c.B = 255, 255, 255
			}
			if c.A != 255 {
				opaque = false
			}
			rgb = append(rgb, c.R, c.G, c.B)
			alpha = append(alpha, c.A)
		}
	}
	out := &Image{Width: w, Height: h}
	if opaque && keyWhite {
		rgb, alpha = rgb[:0], alpha[:0]
		opaque = false
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := inkOnWhite(nrgbaAt(img, x, y))
				rgb = append(rgb, c.R, c.G, c.B)
				alpha = append(alpha, c.A)
			}
		}
	}
	if out.Data, err = deflate(rgb); err != nil {
		return nil, fmt.Errorf("compress colour samples: %w", err)
	}
	if !opaque {
		if out.Alpha, err = deflate(alpha); err != nil {
			return nil, fmt.Errorf("compress alpha samples: %w", err)
		}
	}
	return out, nil
}

// decodeInk decodes a PNG for a stamp: like DecodePNG, but an opaque image
// gets an alpha channel keyed from white (see ImageStamp).
func decodeInk(data []byte) (*Image, error) {
	return decodePNG(data, true)
}

// inkOnWhite returns the colour and alpha that, composited over white, give
// c: alpha is how far the darkest channel is from white.
func inkOnWhite(c color.NRGBA) color.NRGBA {
	a := 255 - min(c.R, c.G, c.B)
	if a == 0 {
		return color.NRGBA{R: 255, G: 255, B: 255, A: 0}
	}
	// c = a·ink + (255-a)·white, per channel, in 0..255.
	ink := func(v uint8) uint8 { return uint8((int(v) - 255 + int(a)) * 255 / int(a)) }
	return color.NRGBA{R: ink(c.R), G: ink(c.G), B: ink(c.B), A: a}
}

// nrgbaAt returns the non-premultiplied colour at (x, y), with fast paths for
// the types image/png decodes to most often.
func nrgbaAt(img image.Image, x, y int) color.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		return m.NRGBAAt(x, y)
	case *image.RGBA:
		c := m.RGBAAt(x, y)
		return color.NRGBAModel.Convert(c).(color.NRGBA)
	default:
		return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	}
}

// zlibWriters reuses compressors: each holds about 800 KB of tables.
var zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(io.Discard) }}

// deflate compresses b with zlib at the default level (the best level is
// much slower on the long uniform runs of stamp images for a few per cent).
func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	return buf.Bytes(), nil
}
