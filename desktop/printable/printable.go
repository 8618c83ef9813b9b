// Package printable writes tables as printable PDF files: the registers
// (sổ đăng ký văn bản đi, đến, theo dõi giải quyết) in the columns of
// Decree 30/2020 Appendix IV, on A4 landscape pages with the header row
// repeated and numbered pages. Text is drawn as glyph outlines by package
// stamp, so Vietnamese prints exactly as on screen, with no font to embed
// and nothing for a viewer to substitute.
package printable

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"lienthong/desktop/i18n"
	"lienthong/shared/stamp"
)

// Page geometry, in points: A4 landscape.
const (
	pageW, pageH = 842.0, 595.0
	margin       = 28.0
	cellPad      = 3.0
	textSize     = 8.0
	titleSize    = 13.0
	lineGap      = 1.25 // line height as a multiple of the size
)

// Table is what to print.
type Table struct {
	Title   string     // e.g. "SỔ ĐĂNG KÝ VĂN BẢN ĐI — NĂM 2026"
	Columns []string   // header cells
	Widths  []float64  // relative column widths; nil means equal
	Rows    [][]string // cells; a missing cell is empty
	// Lang is the language of the page numbers; empty is Vietnamese, the
	// language of the registers.
	Lang i18n.Lang
}

// ErrNoColumns reports a table without columns.
var ErrNoColumns = errors.New("printable: a table needs columns")

// Write writes t as a PDF to w.
func Write(w io.Writer, t Table) error {
	if len(t.Columns) == 0 {
		return ErrNoColumns
	}
	widths, err := columnWidths(t)
	if err != nil {
		return err
	}
	l := &layout{widths: widths}
	header, err := l.row(t.Columns)
	if err != nil {
		return err
	}
	title, err := stamp.Text(titleSize, t.Title)
	if err != nil {
		return fmt.Errorf("printable: title: %w", err)
	}
	var pages []*bytes.Buffer
	var page *bytes.Buffer
	var y float64
	newPage := func() {
		page = &bytes.Buffer{}
		pages = append(pages, page)
		y = pageH - margin
		if len(pages) == 1 {
			place(page, title, (pageW-title.Width)/2, y-title.Height)
			y -= title.Height + 8
		}
		y = l.draw(page, header, y, true)
	}
	newPage()
	for i, cells := range t.Rows {
		r, err := l.row(cells)
		if err != nil {
			return fmt.Errorf("printable: row %d: %w", i+1, err)
		}
		if y-r.height < margin+14 {
			newPage()
		}
		y = l.draw(page, r, y, false)
	}
	cat := i18n.New(t.Lang)
	for i, p := range pages {
		num, err := stamp.Text(textSize, cat.T(i18n.PrintPage, i+1, len(pages)))
		if err != nil {
			return err
		}
		place(p, num, pageW-margin-num.Width, margin-num.Height-2)
	}
	return writePDF(w, pages)
}

func columnWidths(t Table) ([]float64, error) {
	weights := t.Widths
	if weights == nil {
		weights = make([]float64, len(t.Columns))
		for i := range weights {
			weights[i] = 1
		}
	}
	if len(weights) != len(t.Columns) {
		return nil, fmt.Errorf("printable: %d widths for %d columns", len(weights), len(t.Columns))
	}
	var sum float64
	for _, w := range weights {
		if w <= 0 {
			return nil, errors.New("printable: column widths must be positive")
		}
		sum += w
	}
	out := make([]float64, len(weights))
	for i, w := range weights {
		out[i] = (pageW - 2*margin) * w / sum
	}
	return out, nil
}

type layout struct{ widths []float64 }

// laidRow is a row's cells as appearances, and its height.
type laidRow struct {
	cells  []*stamp.Appearance // nil for an empty cell
	height float64
}

func (l *layout) row(cells []string) (laidRow, error) {
	r := laidRow{cells: make([]*stamp.Appearance, len(l.widths)), height: textSize*lineGap + 2*cellPad}
	for i, w := range l.widths {
		if i >= len(cells) || strings.TrimSpace(cells[i]) == "" {
			continue
		}
		lines, err := wrap(cells[i], w-2*cellPad)
		if err != nil {
			return r, err
		}
		a, err := stamp.Text(textSize, lines...)
		if err != nil {
			return r, err
		}
		r.cells[i] = a
		r.height = max(r.height, a.Height+2*cellPad)
	}
	return r, nil
}

// wrap breaks text into lines no wider than width, at spaces where it can
// and inside a word only when the word alone is too wide.
func wrap(text string, width float64) ([]string, error) {
	var lines []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			candidate := strings.TrimSpace(line + " " + word)
			ok, err := fits(candidate, width)
			if err != nil {
				return nil, err
			}
			if ok {
				line = candidate
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			// A word wider than the cell is cut where it must be.
			for {
				if ok, err := fits(word, width); err != nil || ok {
					line = word
					break
				}
				cut := utf8.RuneCountInString(word) - 1
				for cut > 1 {
					if ok, _ := fits(string([]rune(word)[:cut]), width); ok {
						break
					}
					cut--
				}
				lines = append(lines, string([]rune(word)[:cut]))
				word = string([]rune(word)[cut:])
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		lines = []string{" "}
	}
	return lines, nil
}

func fits(s string, width float64) (bool, error) {
	a, err := stamp.Text(textSize, s)
	if err != nil {
		return false, err
	}
	return a.Width <= width, nil
}

// draw paints a row with its cell borders under y and returns the new y.
func (l *layout) draw(page *bytes.Buffer, r laidRow, y float64, header bool) float64 {
	x := margin
	bottom := y - r.height
	if header {
		fmt.Fprintf(page, "q 0.92 g %.2f %.2f %.2f %.2f re f Q\n", margin, bottom, pageW-2*margin, r.height)
	}
	for i, w := range l.widths {
		fmt.Fprintf(page, "q 0.5 w %.2f %.2f %.2f %.2f re S Q\n", x, bottom, w, r.height)
		if a := r.cells[i]; a != nil {
			place(page, a, x+cellPad, y-cellPad-a.Height)
		}
		x += w
	}
	return bottom
}

// place draws an appearance with its lower left corner at (x, y).
func place(page *bytes.Buffer, a *stamp.Appearance, x, y float64) {
	fmt.Fprintf(page, "q 1 0 0 1 %.2f %.2f cm\n", x, y)
	page.Write(a.Content)
	page.WriteString("\nQ\n")
}

// writePDF writes the pages' content streams as a PDF 1.7 file.
func writePDF(out io.Writer, pages []*bytes.Buffer) error {
	w := &countingWriter{w: bufio.NewWriter(out)}
	var offsets []int64
	obj := func(body func()) {
		offsets = append(offsets, w.n)
		fmt.Fprintf(w, "%d 0 obj\n", len(offsets))
		body()
		fmt.Fprint(w, "\nendobj\n")
	}
	fmt.Fprint(w, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	n := len(pages)
	// 1 catalog, 2 pages, then per page: the page and its content.
	obj(func() { fmt.Fprint(w, "<< /Type /Catalog /Pages 2 0 R >>") })
	obj(func() {
		fmt.Fprint(w, "<< /Type /Pages /Count ", n, " /Kids [")
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, " %d 0 R", 3+2*i)
		}
		fmt.Fprint(w, " ] >>")
	})
	for i, p := range pages {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(p.Bytes())
		if err := zw.Close(); err != nil {
			return err
		}
		obj(func() {
			fmt.Fprintf(w, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << >> /Contents %d 0 R >>", pageW, pageH, 4+2*i)
		})
		obj(func() {
			fmt.Fprintf(w, "<< /Length %d /Filter /FlateDecode >>\nstream\n", z.Len())
			w.Write(z.Bytes())
			fmt.Fprint(w, "\nendstream")
		})
	}
	xref := w.n
	fmt.Fprintf(w, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(w, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(w, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
