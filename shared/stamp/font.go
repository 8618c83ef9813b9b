package stamp

import (
	_ "embed"
	"fmt"
	"math"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// serifTTF is Liberation Serif Regular 2.1.5, metric-compatible with Times New
// Roman (SIL Open Font License 1.1, see fonts/LICENSE-OFL.txt).
//
//go:embed fonts/LiberationSerif-Regular.ttf
var serifTTF []byte

// gridPerEm is the resolution, in units per em, of the coordinates written to
// content streams. At 10 pt one unit is 0.02 pt (1/3600 inch), below what a
// printer resolves, and it keeps the numbers short.
const gridPerEm = 500

// segment is one piece of a glyph outline in em units with the Y axis up.
// Quadratic segments are already converted to cubics.
type segment struct {
	op byte     // 'm' move, 'l' line, 'c' cubic Bézier
	p  [3]point // 1 point for m and l, 3 for c
}

type point struct{ x, y float64 }

// glyph is a loaded glyph: its outline and metrics in em units.
type glyph struct {
	segs                   []segment
	advance                float64
	xmin, ymin, xmax, ymax float64 // bounding box of the outline; zero when empty
}

// face is a parsed font with a cache of loaded glyphs. It is safe for
// concurrent use.
type face struct {
	f    *sfnt.Font
	upem float64

	mu     sync.Mutex
	buf    sfnt.Buffer
	glyphs map[sfnt.GlyphIndex]*glyph // bounded by the font's glyph count
	kern   map[[2]sfnt.GlyphIndex]float64
}

// maxKernCache bounds the kerning cache: the pairs of arbitrary text are
// unbounded, so the cache starts afresh when it is full.
const maxKernCache = 8192

var serif = sync.OnceValues(func() (*face, error) { return parseFace(serifTTF) })

func parseFace(ttf []byte) (*face, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	return &face{
		f:      f,
		upem:   float64(f.UnitsPerEm()),
		glyphs: make(map[sfnt.GlyphIndex]*glyph),
		kern:   make(map[[2]sfnt.GlyphIndex]float64),
	}, nil
}

// GlyphError reports a character that the embedded font cannot draw, neither
// directly nor as a base letter with combining marks.
type GlyphError struct {
	Rune rune
}

func (e *GlyphError) Error() string {
	return fmt.Sprintf("stamp: no glyph for %q (U+%04X) in the embedded font", e.Rune, e.Rune)
}

// index returns the glyph index for r, 0 when the font has no glyph for it.
func (fc *face) index(r rune) sfnt.GlyphIndex {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	gi, err := fc.f.GlyphIndex(&fc.buf, r)
	if err != nil {
		return 0
	}
	return gi
}

// load returns the outline and metrics of glyph gi, loading it on first use.
func (fc *face) load(gi sfnt.GlyphIndex) (*glyph, error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if g, ok := fc.glyphs[gi]; ok {
		return g, nil
	}
	segs, err := fc.outline(gi)
	if err != nil {
		return nil, err
	}
	g := &glyph{segs: simplify(segs, simplifyTolerance)}
	if len(g.segs) > 0 {
		g.xmin, g.ymin = math.Inf(1), math.Inf(1)
		g.xmax, g.ymax = math.Inf(-1), math.Inf(-1)
		for _, sg := range g.segs {
			n := 1
			if sg.op == 'c' {
				n = 3
			}
			for _, p := range sg.p[:n] {
				g.xmin, g.xmax = math.Min(g.xmin, p.x), math.Max(g.xmax, p.x)
				g.ymin, g.ymax = math.Min(g.ymin, p.y), math.Max(g.ymax, p.y)
			}
		}
	}
	adv, err := fc.f.GlyphAdvance(&fc.buf, gi, fixed.Int26_6(fc.f.UnitsPerEm()), font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("advance of glyph %d: %w", gi, err)
	}
	g.advance = float64(adv) / fc.upem
	fc.glyphs[gi] = g
	return g, nil
}

// loadRaw returns glyph gi's outline as the font has it, not simplified.
func (fc *face) loadRaw(gi sfnt.GlyphIndex) ([]segment, error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.outline(gi)
}

// outline loads glyph gi's outline in em units, Y up, quadratics converted
// to cubics. fc.mu must be held.
func (fc *face) outline(gi sfnt.GlyphIndex) ([]segment, error) {
	// With ppem equal to the raw units per em, sfnt returns coordinates in
	// font units (as the raw value of a 26.6 number), Y down.
	ppem := fixed.Int26_6(fc.f.UnitsPerEm())
	segs, err := fc.f.LoadGlyph(&fc.buf, gi, ppem, nil)
	if err != nil {
		return nil, fmt.Errorf("load glyph %d: %w", gi, err)
	}
	s := 1 / fc.upem
	conv := func(p fixed.Point26_6) point { return point{float64(p.X) * s, -float64(p.Y) * s} }
	out := make([]segment, 0, len(segs))
	var cur point
	for _, sg := range segs {
		switch sg.Op {
		case sfnt.SegmentOpMoveTo:
			cur = conv(sg.Args[0])
			out = append(out, segment{op: 'm', p: [3]point{cur}})
		case sfnt.SegmentOpLineTo:
			cur = conv(sg.Args[0])
			out = append(out, segment{op: 'l', p: [3]point{cur}})
		case sfnt.SegmentOpQuadTo:
			// A quadratic with control q from p0 to p1 is the cubic with
			// controls p0+2/3(q-p0) and p1+2/3(q-p1).
			q, p1 := conv(sg.Args[0]), conv(sg.Args[1])
			c1 := point{cur.x + 2*(q.x-cur.x)/3, cur.y + 2*(q.y-cur.y)/3}
			c2 := point{p1.x + 2*(q.x-p1.x)/3, p1.y + 2*(q.y-p1.y)/3}
			out = append(out, segment{op: 'c', p: [3]point{c1, c2, p1}})
			cur = p1
		case sfnt.SegmentOpCubeTo:
			c1, c2, p1 := conv(sg.Args[0]), conv(sg.Args[1]), conv(sg.Args[2])
			out = append(out, segment{op: 'c', p: [3]point{c1, c2, p1}})
			cur = p1
		}
	}
	return out, nil
}

// kerning returns the pair adjustment in em units (0 when the font has none).
func (fc *face) kerning(a, b sfnt.GlyphIndex) float64 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	key := [2]sfnt.GlyphIndex{a, b}
	if v, ok := fc.kern[key]; ok {
		return v
	}
	v := 0.0
	// ErrNotFound means the pair is not kerned; any other error (a damaged
	// table) is treated the same: kerning is a refinement.
	if k, err := fc.f.Kern(&fc.buf, a, b, fixed.Int26_6(fc.f.UnitsPerEm()), font.HintingNone); err == nil {
		v = float64(k) / fc.upem
	}
	if len(fc.kern) >= maxKernCache {
		clear(fc.kern)
	}
	fc.kern[key] = v
	return v
}

// placed is a glyph at a position on a line, in em units from the line's
// origin on the baseline.
type placed struct {
	g    *glyph
	x, y float64
}

// cccBelow is the canonical combining class of marks attached below.
const cccBelow = 220

// layout places the glyphs of one line of text. The text is first normalised
// to NFC so that decomposed input (as typed on some systems) uses the font's
// precomposed Vietnamese glyphs. A character with combining marks that has no
// glyph of its own (after composition) is drawn as its base letter with each
// mark centred above or below it. It returns the placed glyphs and the
// advance width of the line, both in em units.
func (fc *face) layout(text string) ([]placed, float64, error) {
	text = norm.NFC.String(text)
	var out []placed
	pen := 0.0
	var prev sfnt.GlyphIndex
	// Split the text into clusters: a base character and the combining
	// marks that follow it.
	rs := []rune(text)
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && isMark(rs[j]) {
			j++
		}
		cluster := rs[i:j]
		i = j
		if len(cluster) == 1 {
			if gi := fc.index(cluster[0]); gi != 0 {
				g, err := fc.load(gi)
				if err != nil {
					return nil, 0, err
				}
				if prev != 0 {
					pen += fc.kerning(prev, gi)
				}
				out = append(out, placed{g: g, x: pen})
				pen += g.advance
				prev = gi
				continue
			}
		}
		d := []rune(norm.NFD.String(string(cluster)))
		if len(d) < 2 || isMark(d[0]) {
			return nil, 0, &GlyphError{Rune: cluster[0]}
		}
		bi := fc.index(d[0])
		if bi == 0 {
			return nil, 0, &GlyphError{Rune: cluster[0]}
		}
		base, err := fc.load(bi)
		if err != nil {
			return nil, 0, err
		}
		if prev != 0 {
			pen += fc.kerning(prev, bi)
		}
		out = append(out, placed{g: base, x: pen})
		top, bottom := base.ymax, base.ymin
		centre := (base.xmin + base.xmax) / 2
		if len(base.segs) == 0 {
			top, bottom, centre = 0, 0, base.advance/2
		}
		const gap = 0.03
		for _, m := range d[1:] {
			mi := fc.index(m)
			if mi == 0 {
				return nil, 0, &GlyphError{Rune: m}
			}
			mg, err := fc.load(mi)
			if err != nil {
				return nil, 0, err
			}
			if len(mg.segs) == 0 {
				continue
			}
			dx := pen + centre - (mg.xmin+mg.xmax)/2
			var dy float64
			if norm.NFD.PropertiesString(string(m)).CCC() == cccBelow || mg.ymax < 0.1 {
				// Below marks go under the base (or under earlier marks).
				dy = math.Min(0, bottom-gap-mg.ymax)
				bottom = mg.ymin + dy
			} else {
				// Above marks go over the base (or over earlier marks).
				dy = math.Max(0, top+gap-mg.ymin)
				top = mg.ymax + dy
			}
			out = append(out, placed{g: mg, x: dx, y: dy})
		}
		pen += base.advance
		prev = bi
	}
	return out, pen, nil
}

// isMark reports whether r is a combining mark that attaches to the
// character before it.
func isMark(r rune) bool { return unicode.Is(unicode.Mn, r) }

// simplifyTolerance is how far, in em, a simplified outline may stray from
// the font's: 0.0015 em is 0.015 pt at 10 pt, a tenth of a pixel at 600 dpi.
const simplifyTolerance = 0.0015

// simplify joins runs of consecutive cubic segments into single cubics where
// one cubic stays within tol of the run. TrueType outlines are chains of
// quadratics, often several per smooth arc; a cubic can follow the whole arc,
// which roughly halves the size of the drawn text. Two cubics that meet with
// a smooth tangent are joined as if they were the halves of one cubic split
// at the ratio of their tangent lengths, and the join is kept only when the
// result lies within tol of every piece it replaces (checked both ways on
// sampled points).
func simplify(segs []segment, tol float64) []segment {
	out := make([]segment, 0, len(segs))
	var cur point
	for i := 0; i < len(segs); {
		s := segs[i]
		if s.op != 'c' {
			out = append(out, s)
			cur = s.p[0]
			i++
			continue
		}
		p0 := cur
		best := s
		orig := sampleCubic(nil, p0, s.p, 32)
		j := i + 1
		for ; j < len(segs) && segs[j].op == 'c'; j++ {
			cand, ok := joinCubics(p0, best.p, segs[j].p)
			if !ok {
				break
			}
			o := sampleCubic(append([]point(nil), orig...), best.p[2], segs[j].p, 32)
			c := sampleCubic(nil, p0, cand, 96)
			if polylineDistance(o, c) > tol || polylineDistance(c, o) > tol {
				break
			}
			best.p, orig = cand, o
		}
		out = append(out, best)
		cur = best.p[2]
		i = j
	}
	return out
}

// joinCubics returns the cubic from p0 whose split gives a (from p0) and b
// (from a's end), assuming the two meet with a continuous tangent.
func joinCubics(p0 point, a, b [3]point) ([3]point, bool) {
	p1 := a[2]
	l1 := math.Hypot(p1.x-a[1].x, p1.y-a[1].y)
	l2 := math.Hypot(b[0].x-p1.x, b[0].y-p1.y)
	if l1 == 0 || l2 == 0 {
		return a, false
	}
	// The tangents must point the same way: a corner is never joined.
	ux, uy := (p1.x-a[1].x)/l1, (p1.y-a[1].y)/l1
	vx, vy := (b[0].x-p1.x)/l2, (b[0].y-p1.y)/l2
	if ux*vx+uy*vy < 0.99 {
		return a, false
	}
	t := l1 / (l1 + l2)
	p2 := b[2]
	return [3]point{
		{p0.x + (a[0].x-p0.x)/t, p0.y + (a[0].y-p0.y)/t},
		{p2.x + (b[1].x-p2.x)/(1-t), p2.y + (b[1].y-p2.y)/(1-t)},
		p2,
	}, true
}

// sampleCubic appends n+1 points along the cubic from p0 with controls c.
func sampleCubic(dst []point, p0 point, c [3]point, n int) []point {
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		u := 1 - t
		a, b, cc, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
		dst = append(dst, point{
			a*p0.x + b*c[0].x + cc*c[1].x + d*c[2].x,
			a*p0.y + b*c[0].y + cc*c[1].y + d*c[2].y,
		})
	}
	return dst
}

// polylineDistance returns the largest distance from a point of ps to the
// polyline through qs.
func polylineDistance(ps, qs []point) float64 {
	worst := 0.0
	for _, p := range ps {
		best := math.Inf(1)
		for i := 1; i < len(qs); i++ {
			best = math.Min(best, segmentDistance(p, qs[i-1], qs[i]))
		}
		worst = math.Max(worst, best)
	}
	return worst
}

func segmentDistance(p, a, b point) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l := dx*dx + dy*dy
	t := 0.0
	if l > 0 {
		t = math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l))
	}
	return math.Hypot(p.x-a.x-t*dx, p.y-a.y-t*dy)
}
