package stamp

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// operands is the number of operands of each operator an appearance may use.
var operands = map[string]int{
	"q": 0, "Q": 0, "cm": 6,
	"m": 2, "l": 2, "c": 6, "h": 0, "f": 0,
	"g": 1, "rg": 3, "Do": 1,
}

// checkContent parses an appearance's content stream and reports the first
// violation: an unknown operator, a wrong number of operands, unbalanced q/Q,
// a path operator outside a path or a state change inside one, a missing or
// unused image, or any drawn point outside the bounding box (points are
// transformed by the current matrix; a Bézier curve lies within the hull of
// its control points, an image within its unit square's corners).
func checkContent(a *Appearance) error {
	type matrix [6]float64
	mul := func(m, n matrix) matrix { // m then n
		return matrix{
			m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
			m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
			m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
		}
	}
	const slack = 0.01
	ctm := matrix{1, 0, 0, 1, 0, 0}
	var stack []matrix
	inBox := func(x, y float64) error {
		px := ctm[0]*x + ctm[2]*y + ctm[4]
		py := ctm[1]*x + ctm[3]*y + ctm[5]
		if px < -slack || py < -slack || px > a.Width+slack || py > a.Height+slack {
			return fmt.Errorf("point (%g, %g) maps to (%.3f, %.3f), outside the box %g × %g", x, y, px, py, a.Width, a.Height)
		}
		return nil
	}
	var args []string
	inPath, drew := false, false
	used := map[string]bool{}
	for i, tok := range strings.Fields(string(a.Content)) {
		if c := tok[0]; c == '/' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
			if c != '/' {
				if _, err := strconv.ParseFloat(tok, 64); err != nil {
					return fmt.Errorf("token %d: bad number %q", i, tok)
				}
			}
			args = append(args, tok)
			continue
		}
		n, ok := operands[tok]
		if !ok {
			return fmt.Errorf("token %d: unknown operator %q", i, tok)
		}
		if len(args) != n {
			return fmt.Errorf("token %d: %s with %d operands, want %d", i, tok, len(args), n)
		}
		nums := make([]float64, 0, n)
		for _, s := range args {
			if s[0] == '/' {
				if tok != "Do" {
					return fmt.Errorf("token %d: name operand %s for %s", i, s, tok)
				}
				continue
			}
			if tok == "Do" {
				return fmt.Errorf("token %d: Do needs a name, got %s", i, s)
			}
			v, _ := strconv.ParseFloat(s, 64)
			nums = append(nums, v)
		}
		args = args[:0]
		isPath := tok == "m" || tok == "l" || tok == "c" || tok == "h"
		switch {
		case tok == "m":
			inPath = true
		case isPath && !inPath:
			return fmt.Errorf("token %d: %s outside a path", i, tok)
		case tok == "f" && !inPath:
			return fmt.Errorf("token %d: f without a path", i)
		case !isPath && tok != "f" && inPath:
			return fmt.Errorf("token %d: %s inside a path", i, tok)
		}
		switch tok {
		case "q":
			stack = append(stack, ctm)
		case "Q":
			if len(stack) == 0 {
				return fmt.Errorf("token %d: Q without q", i)
			}
			ctm, stack = stack[len(stack)-1], stack[:len(stack)-1]
		case "cm":
			ctm = mul(matrix(nums), ctm)
		case "m", "l", "c":
			for j := 0; j < len(nums); j += 2 {
				if err := inBox(nums[j], nums[j+1]); err != nil {
					return fmt.Errorf("token %d (%s): %w", i, tok, err)
				}
			}
		case "f":
			inPath, drew = false, true
		case "Do":
			name := strings.TrimPrefix(strings.Fields(string(a.Content))[i-1], "/")
			if a.Images[name] == nil {
				return fmt.Errorf("token %d: Do of unknown image %q", i, name)
			}
			used[name] = true
			drew = true
			for _, c := range [][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				if err := inBox(c[0], c[1]); err != nil {
					return fmt.Errorf("image %s: %w", name, err)
				}
			}
		}
	}
	if len(args) != 0 {
		return fmt.Errorf("%d operands left at the end", len(args))
	}
	if inPath {
		return fmt.Errorf("path not filled at the end")
	}
	if len(stack) != 0 {
		return fmt.Errorf("%d q without Q", len(stack))
	}
	if !drew {
		return fmt.Errorf("nothing drawn")
	}
	for name := range a.Images {
		if !used[name] {
			return fmt.Errorf("image %q is never drawn", name)
		}
	}
	return nil
}

// inflate decompresses zlib data.
func inflate(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	return out
}

// onePagePDF writes a minimal PDF 1.7 of one pageW × pageH page that draws a
// as a Form XObject with its lower left corner at (x, y), the way a widget
// annotation's appearance is drawn: a compressed form stream, image
// XObjects with /FlateDecode and an /SMask for alpha.
func onePagePDF(t testing.TB, a *Appearance, pageW, pageH, x, y float64) []byte {
	t.Helper()
	var objs []string // objs[i] is object i+1
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	stream := func(dict string, data []byte) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	}
	add("<< /Type /Catalog /Pages 2 0 R >>")
	add("") // pages, below
	add("") // page, below
	page := fmt.Sprintf("q 1 0 0 1 %s %s cm /Fm1 Do Q", num(x), num(y))
	add(stream("", []byte(page)))
	var imgRes strings.Builder
	for _, name := range slices.Sorted(maps.Keys(a.Images)) {
		img := a.Images[name]
		smask := ""
		if img.Alpha != nil {
			n := add(stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", img.Width, img.Height), img.Alpha))
			smask = fmt.Sprintf(" /SMask %d 0 R", n)
		}
		n := add(stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode%s", img.Width, img.Height, smask), img.Data))
		fmt.Fprintf(&imgRes, " /%s %d 0 R", name, n)
	}
	content, err := a.CompressedContent()
	if err != nil {
		t.Fatal(err)
	}
	res := "<< >>"
	if imgRes.Len() > 0 {
		res = "<< /XObject <<" + imgRes.String() + " >> >>"
	}
	form := add(stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources %s /Filter /FlateDecode", num(a.Width), num(a.Height), res), content))
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
	objs[2] = fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Fm1 %d 0 R >> >> /Contents 4 0 R >>", num(pageW), num(pageH), form)

	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func num(v float64) string { return string(appendNum(nil, v)) }

// renderDPI is the resolution of test renderings.
const renderDPI = 150

// render rasterises a one-page PDF with poppler's pdftoppm at renderDPI and
// returns the page image and the PNG file. A missing pdftoppm fails the test.
func render(t testing.TB, pdf []byte) (image.Image, []byte) {
	t.Helper()
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatalf("pdftoppm not found (install poppler-utils: apt-get install -y poppler-utils): %v", err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "stamp.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "page")
	cmd := exec.Command(tool, "-png", "-r", strconv.Itoa(renderDPI), "-singlefile", in, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, msg)
	} else if len(msg) > 0 {
		t.Fatalf("pdftoppm complained about the PDF:\n%s", msg)
	}
	data, err := os.ReadFile(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img, data
}

// pixelRect converts a rectangle in PDF points on a page of height pageH to
// pixels of a rendering at renderDPI.
func pixelRect(pageH, x, y, w, h float64) image.Rectangle {
	s := float64(renderDPI) / 72
	return image.Rect(int(math.Floor(x*s)), int(math.Floor((pageH-y-h)*s)), int(math.Ceil((x+w)*s)), int(math.Ceil((pageH-y)*s)))
}

// inkBounds returns the bounding box and count of the pixels for which ink
// reports true.
func inkBounds(img image.Image, ink func(r, g, b uint8) bool) (image.Rectangle, int) {
	var box image.Rectangle
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if ink(uint8(r>>8), uint8(g>>8), uint8(bl>>8)) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
				n++
			}
		}
	}
	return box, n
}

func dark(r, g, b uint8) bool { return int(r)+int(g)+int(b) < 3*128 }
func red(r, g, b uint8) bool  { return r > 150 && g < 110 && b < 110 }
func blue(r, g, b uint8) bool { return b > 120 && r < 110 && int(b) > int(g)+40 }
