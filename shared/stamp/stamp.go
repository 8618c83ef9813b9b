// Package stamp draws the visible signature appearances that Decree
// 30/2020/ND-CP (ND30) prescribes for signed electronic documents, ready to be
// wrapped in a PDF Form XObject by the signing code (package pades).
//
// # The two kinds of stamp
//
// ImageStamp is the stamp on a main document: the competent person's blue
// handwritten-signature image with the agency's red seal overlapping about a
// third of it on its left (ND30 Appendix I).
//
// AgencyText is the agency's text-only stamp on attachments in separate files
// and on digitised documents: number and notation and the signing time in ISO 8601
// with Vietnam's +07:00 offset, Times New Roman 10 pt, black. Text is drawn
// as filled vector outlines of Liberation Serif (metric-compatible with Times
// New Roman, embedded under the SIL Open Font License, see fonts/), so the
// appearance needs no font resource and renders the same in every viewer.
//
// # The contract with the PDF writer
//
// An Appearance is Width × Height points; its Content is a content stream
// for a Form XObject whose /BBox is [0 0 Width Height], and Images names the
// image XObjects that Content draws with "/Name Do". Each Image carries
// zlib-compressed DeviceRGB samples for /FlateDecode and, when it has
// transparency, a zlib-compressed DeviceGray /SMask. Text outlines make a
// content stream of some 13 KB for the two lines of AgencyText, about 2.7 KB
// compressed: write the form stream from CompressedContent with /Filter
// /FlateDecode.
//
// CopyText is the variant of AgencyText for electronic copies, and Text
// draws any lines of text the same way.
//
// DemoSeal and DemoSignature draw stand-in PNGs for the demo PKI and tests.
package stamp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Appearance is a visible signature appearance: the content of a PDF Form
// XObject with /BBox [0 0 Width Height].
type Appearance struct {
	// Width and Height are the size of the form's bounding box in points.
	Width, Height float64
	// Content holds content-stream operators. Text is drawn as filled
	// outlines, so the form needs no font resource.
	Content []byte
	// Images maps an XObject resource name used in Content ("/Im1 Do") to
	// the image it names. It is nil for text-only appearances.
	Images map[string]*Image
}

// Image is a raster image for an image XObject (/BitsPerComponent 8).
type Image struct {
	// Width and Height are in pixels.
	Width, Height int
	// Data holds zlib-compressed 8-bit DeviceRGB samples, row by row: the
	// stream data for /Filter /FlateDecode.
	Data []byte
	// Alpha holds zlib-compressed 8-bit DeviceGray alpha samples for an
	// /SMask image of the same size; nil when the image is opaque.
	Alpha []byte
}

// Resource names of the images in an ImageStamp appearance.
const (
	PersonImage = "Im1" // the person's handwritten signature
	SealImage   = "Im2" // the agency's seal
)

// TextSize is the font size of AgencyText in points (ND30: 10 pt).
const TextSize = 10

// Limits on the text of a stamp (ND30 Appendix VI field sizes).
const (
	MaxNumberLen   = 11
	MaxNotationLen = 30
	MaxLineLen     = 200
)

// MaxSize is the largest width or height of an appearance, in points: the
// largest page dimension PDF viewers accept (200 inches).
const MaxSize = 14400

var (
	// ErrInvalidText means the text of a stamp is empty, too long or holds
	// control characters.
	ErrInvalidText = errors.New("stamp: invalid text")
	// ErrInvalidSize means a requested width or height is not a positive
	// finite number of points up to MaxSize.
	ErrInvalidSize = errors.New("stamp: invalid size")
	// ErrNoImage means ImageStamp was given neither a signature nor a seal.
	ErrNoImage = errors.New("stamp: no image given")
	// ErrInvalidImage means an image could not be decoded as a PNG.
	ErrInvalidImage = errors.New("stamp: invalid PNG image")
	// ErrImageTooLarge means an image has more pixels than MaxImageSide
	// allows.
	ErrImageTooLarge = errors.New("stamp: image too large")
)

// vietnam is Vietnam's time zone (UTC+07:00, no daylight saving time).
var vietnam = time.FixedZone("ICT", 7*3600)

// SigningTime formats t as ISO 8601 in Vietnam's time zone to the second, as
// ND30 requires in the agency's text stamp: 2026-11-23T09:15:00+07:00.
func SigningTime(t time.Time) string {
	return t.In(vietnam).Format("2006-01-02T15:04:05-07:00")
}

// AgencyText returns the agency's text-only stamp for attachments in separate
// files and digitised documents (ND30 Appendix I; CopyText is the one for
// electronic copies): two lines, "Số: number/notation"
// and "Thời gian ký: " followed by SigningTime(signed), in 10 pt Times New
// Roman metrics, black, left-aligned. The caller places it at the top right
// of the first page; the appearance gives its size. notation may be empty.
func AgencyText(number, notation string, signed time.Time) (*Appearance, error) {
	if err := checkField("number", number, MaxNumberLen, false); err != nil {
		return nil, err
	}
	if err := checkField("notation", notation, MaxNotationLen, true); err != nil {
		return nil, err
	}
	if signed.IsZero() {
		return nil, fmt.Errorf("%w: signing time is zero", ErrInvalidText)
	}
	first := "Số: " + number
	if notation != "" {
		first += "/" + notation
	}
	return Text(TextSize, first, "Thời gian ký: "+SigningTime(signed))
}

// CopyForm is one of the three forms of copy in ND30 Art. 25.
type CopyForm string

// The forms of copy, as they are written on a copy.
const (
	CopyExact   CopyForm = "SAO Y"     // bản sao y: a full, exact copy
	CopyRetyped CopyForm = "SAO LỤC"   // bản sao lục: a full copy made from a copy
	CopyExtract CopyForm = "TRÍCH SAO" // bản trích sao: a copy of part of the content
)

// MaxAgencyNameLen is the longest agency name CopyText accepts (edXML
// OrganName).
const MaxAgencyNameLen = 200

// CopyText returns the agency's text-only stamp on an electronic copy (ND30
// Appendix I): the form of copy, the copying agency's name and the signing
// time, on three lines in the same style as AgencyText.
func CopyText(form CopyForm, agency string, signed time.Time) (*Appearance, error) {
	switch form {
	case CopyExact, CopyRetyped, CopyExtract:
	default:
		return nil, fmt.Errorf("%w: unknown form of copy %q", ErrInvalidText, form)
	}
	if err := checkField("agency name", agency, MaxAgencyNameLen, false); err != nil {
		return nil, err
	}
	if signed.IsZero() {
		return nil, fmt.Errorf("%w: signing time is zero", ErrInvalidText)
	}
	return Text(TextSize, string(form), agency, "Thời gian ký: "+SigningTime(signed))
}

func checkField(name, s string, max int, empty bool) error {
	if s == "" {
		if empty {
			return nil
		}
		return fmt.Errorf("%w: %s is empty", ErrInvalidText, name)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%w: %s has %d characters, more than %d", ErrInvalidText, name, n, max)
	}
	return checkLine(name, s)
}

func checkLine(name, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidText, name)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s holds control character U+%04X", ErrInvalidText, name, r)
		}
	}
	return nil
}

// Layout of text appearances, in ems of the font size.
const (
	textLeading = 1.2  // baseline to baseline
	textPadding = 0.2  // around the text block
	textAscent  = 0.9  // room above the first baseline (Liberation Serif: 0.891)
	textDescent = 0.22 // room below the last baseline (0.216)
)

// Text returns a text-only appearance of one or more left-aligned lines in
// black at the given size in points, drawn as outlines of the embedded
// Liberation Serif. It fails with a *GlyphError for a character the font
// cannot draw and with ErrInvalidText for empty or control characters.
func Text(size float64, lines ...string) (*Appearance, error) {
	if !(size > 0 && size <= 1000) {
		return nil, fmt.Errorf("%w: font size %v", ErrInvalidSize, size)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: no lines", ErrInvalidText)
	}
	fc, err := serif()
	if err != nil {
		return nil, err
	}
	type line struct {
		glyphs []placed
		ink    [4]float64 // xmin, ymin, xmax, ymax in em, from the line's origin
	}
	ls := make([]line, len(lines))
	for i, s := range lines {
		if s == "" {
			return nil, fmt.Errorf("%w: line %d is empty", ErrInvalidText, i+1)
		}
		if n := utf8.RuneCountInString(s); n > MaxLineLen {
			return nil, fmt.Errorf("%w: line %d has %d characters, more than %d", ErrInvalidText, i+1, n, MaxLineLen)
		}
		if err := checkLine(fmt.Sprintf("line %d", i+1), s); err != nil {
			return nil, err
		}
		g, w, err := fc.layout(s)
		if err != nil {
			return nil, fmt.Errorf("lay out line %d: %w", i+1, err)
		}
		ink := [4]float64{0, 0, w, 0}
		for _, p := range g {
			if len(p.g.segs) > 0 {
				ink[0], ink[1] = min(ink[0], p.x+p.g.xmin), min(ink[1], p.y+p.g.ymin)
				ink[2], ink[3] = max(ink[2], p.x+p.g.xmax), max(ink[3], p.y+p.g.ymax)
			}
		}
		ls[i] = line{g, ink}
	}
	// The box holds the font's ascent and descent, and any ink beyond them
	// (marks stacked on a capital, a mark wider than its base).
	left, right := 0.0, 0.0
	top, bottom := textAscent, textDescent
	n := len(ls)
	for i, l := range ls {
		left, right = max(left, -l.ink[0]), max(right, l.ink[2])
		top = max(top, l.ink[3]-textLeading*float64(i))
		bottom = max(bottom, -l.ink[1]-textLeading*float64(n-1-i))
	}
	pad := textPadding * size
	a := &Appearance{
		Width:  ceil2(2*pad + (left+right)*size),
		Height: ceil2(2*pad + (top+bottom+textLeading*float64(n-1))*size),
	}
	if a.Width > MaxSize || a.Height > MaxSize {
		return nil, fmt.Errorf("%w: text needs %v × %v points", ErrInvalidSize, a.Width, a.Height)
	}
	segs := 0
	for _, l := range ls {
		for _, p := range l.glyphs {
			segs += len(p.g.segs)
		}
	}
	w := contentWriter{b: make([]byte, 0, 64+24*segs)} // about 20 bytes a segment
	w.op("q")
	w.op("0 g") // black fill
	scale := size / gridPerEm
	for i, l := range ls {
		y := a.Height - pad - (top+textLeading*float64(i))*size
		w.op("q")
		w.nums(scale, 0, 0, scale, pad+left*size, y)
		w.op("cm")
		w.glyphs(l.glyphs)
		w.op("Q")
	}
	w.op("Q")
	a.Content = w.b
	return a, nil
}

// contentWriter builds a content stream.
type contentWriter struct {
	b []byte
}

// op writes an operator (or several) and ends the line.
func (w *contentWriter) op(s string) {
	w.b = append(w.b, s...)
	w.b = append(w.b, '\n')
}

// nums writes numbers followed by a space each.
func (w *contentWriter) nums(vs ...float64) {
	for _, v := range vs {
		w.b = appendNum(w.b, v)
		w.b = append(w.b, ' ')
	}
}

// glyphs writes the outlines of placed glyphs, in grid units (gridPerEm) in a
// coordinate system whose origin is the line's origin. Each base glyph moves
// the origin to itself with a translation, so its coordinates stay small;
// marks placed relative to it are written with their offset.
func (w *contentWriter) glyphs(ps []placed) {
	ox := 0 // current origin in grid units
	for _, p := range ps {
		if len(p.g.segs) == 0 {
			continue
		}
		gx, gy := gridRound(p.x), gridRound(p.y)
		if gy == 0 && gx != ox {
			w.b = append(w.b, "1 0 0 1 "...)
			w.b = strconv.AppendInt(w.b, int64(gx-ox), 10)
			w.b = append(w.b, " 0 cm\n"...)
			ox = gx
		}
		dx, dy := gx-ox, gy
		for _, s := range p.g.segs {
			n := 1
			if s.op == 'c' {
				n = 3
			}
			for _, pt := range s.p[:n] {
				w.b = strconv.AppendInt(w.b, int64(gridRound(pt.x)+dx), 10)
				w.b = append(w.b, ' ')
				w.b = strconv.AppendInt(w.b, int64(gridRound(pt.y)+dy), 10)
				w.b = append(w.b, ' ')
			}
			w.b = append(w.b, s.op, '\n')
		}
		w.b = append(w.b, "f\n"...)
	}
}

// ceil2 rounds v up to a hundredth, ignoring floating-point dust.
func ceil2(v float64) float64 { return math.Ceil(v*100-1e-6) / 100 }

func gridRound(v float64) int { return int(math.Round(v * gridPerEm)) }

// appendNum writes v as a PDF real with at most 4 decimals and no exponent.
func appendNum(b []byte, v float64) []byte {
	v = math.Round(v*1e4) / 1e4
	if v == 0 {
		return append(b, '0')
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return append(b, s...)
}

// CompressedContent returns Content compressed with zlib, for a form stream
// written with /Filter /FlateDecode. Outlines of text compress about five to
// one, so a text stamp stays a few kilobytes.
func (a *Appearance) CompressedContent() ([]byte, error) {
	b, err := deflate(a.Content)
	if err != nil {
		return nil, fmt.Errorf("compress appearance: %w", err)
	}
	return b, nil
}
