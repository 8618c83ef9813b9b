// Package padestest makes PDFs for tests of package pades and of what uses
// it: hostile documents that ask a reader for far more work or memory than
// their size (decompression and object bombs), and a form as LibreOffice
// exports it. Everything is generated in memory, byte for byte, so tests
// need no files and no PDF tool.
package padestest

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"sort"
	"strings"
	"sync"
)

// Bomb is a crafted PDF and the limit of package pades it goes over.
type Bomb struct {
	Name string
	PDF  []byte
	// What is the BudgetError.What that refuses it.
	What string
}

// Bombs returns one crafted PDF per kind of bomb, each a few hundred KB:
//   - streams: form fields each in its own object stream of compressed
//     zeros (just under 32 MiB each when decoded, the most one stream
//     could hold: the 463 KB attack);
//   - fields: 20,000 form fields in one small object stream;
//   - xref: a /Prev chain of 6,000 cross-reference sections;
//   - nesting: arrays nested 10,000 deep in the catalog.
func Bombs() []Bomb {
	return []Bomb{
		{Name: "streams", PDF: StreamBomb(14, 32<<20-64), What: "decoded stream bytes"},
		{Name: "fields", PDF: FieldBomb(20000), What: "form fields"},
		{Name: "xref", PDF: XRefBomb(6000), What: "cross-reference sections"},
		{Name: "nesting", PDF: NestingBomb(10000), What: "levels of nested arrays and dictionaries"},
	}
}

// writer lays out a PDF: numbered objects, then a cross-reference table or
// stream and the trailer.
type writer struct {
	b    bytes.Buffer
	offs map[int]int
}

func newWriter() *writer {
	w := &writer{offs: map[int]int{}}
	w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

func (w *writer) obj(num int, body string) {
	w.offs[num] = w.b.Len()
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", num, body)
}

func (w *writer) stream(num int, dict string, data []byte) {
	w.offs[num] = w.b.Len()
	fmt.Fprintf(&w.b, "%d 0 obj\n<<%s/Length %d>>\nstream\n", num, dict, len(data))
	w.b.Write(data)
	w.b.WriteString("\nendstream\nendobj\n")
}

// table ends the file with a classic cross-reference table.
func (w *writer) table(size int, trailer string) []byte {
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f\r\n", size)
	for n := 1; n < size; n++ {
		if o, ok := w.offs[n]; ok {
			fmt.Fprintf(&w.b, "%010d 00000 n\r\n", o)
		} else {
			w.b.WriteString("0000000000 65535 f\r\n")
		}
	}
	fmt.Fprintf(&w.b, "trailer\n<</Size %d%s>>\nstartxref\n%d\n%%%%EOF\n", size, trailer, xref)
	return w.b.Bytes()
}

// compressed is an object stored in an object stream: entry Index of
// stream Stream.
type compressed struct{ stream, index int }

// xrefStream ends the file with a cross-reference stream (number num)
// listing the objects written and the compressed ones.
func (w *writer) xrefStream(num, size int, comp map[int]compressed, trailer string) []byte {
	w.offs[num] = w.b.Len()
	var rows []byte
	for n := 0; n < size; n++ {
		switch {
		case n == 0:
			rows = append(rows, 0, 0, 0, 0, 0xff, 0xff)
		case comp[n] != compressed{}:
			c := comp[n]
			rows = append(rows, 2, byte(c.stream>>16), byte(c.stream>>8), byte(c.stream), byte(c.index>>8), byte(c.index))
		default:
			o, ok := w.offs[n]
			if !ok {
				rows = append(rows, 0, 0, 0, 0, 0, 0)
				continue
			}
			rows = append(rows, 1, byte(o>>16), byte(o>>8), byte(o), 0, 0)
		}
	}
	xref := w.b.Len()
	z := deflate(rows)
	fmt.Fprintf(&w.b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 3 2]%s/Filter/FlateDecode/Length %d>>\nstream\n", num, size, trailer, len(z))
	w.b.Write(z)
	fmt.Fprintf(&w.b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
	return w.b.Bytes()
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// deflateZeros compresses prefix followed by n zero bytes without holding
// the zeros in memory. The zeros are compressed once per n (zeroRun) and
// spliced after the prefix, which a sync flush leaves on a byte boundary;
// the zlib checksum of prefix and zeros is the prefix's, its second sum
// moved on by n times its first. Compressing 32 MiB anew for each stream
// took seconds under the race detector, for every test that makes bombs.
func deflateZeros(prefix []byte, n int) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	zw.Write(prefix)
	zw.Flush()
	out.Write(zeroRun(n))
	const mod = 65521
	sum := adler32.Checksum(prefix)
	a, b := uint64(sum&0xffff), uint64(sum>>16)
	b = (b + uint64(n)%mod*a) % mod
	return binary.BigEndian.AppendUint32(out.Bytes(), uint32(b<<16|a))
}

var zeroRuns sync.Map // n → raw DEFLATE of n zero bytes, final block last

// zeroRun returns a raw DEFLATE stream of n zero bytes, made once per n.
func zeroRun(n int) []byte {
	if z, ok := zeroRuns.Load(n); ok {
		return z.([]byte)
	}
	var out bytes.Buffer
	fw, _ := flate.NewWriter(&out, flate.BestCompression)
	zero := make([]byte, 64<<10)
	for left := n; left > 0; {
		k := min(left, len(zero))
		fw.Write(zero[:k])
		left -= k
	}
	fw.Close()
	z, _ := zeroRuns.LoadOrStore(n, out.Bytes())
	return z.([]byte)
}

// page writes objects 2 (pages) and 3 (an empty page).
func (w *writer) page() {
	w.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
	w.obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>")
}

// StreamBomb is a form whose n fields each sit in their own object stream
// that decodes to the field followed by zeros bytes of zeros (white space
// to a PDF reader).
func StreamBomb(n, zeros int) []byte {
	w := newWriter()
	comp := map[int]compressed{}
	var fields []string
	next := 4
	for i := 0; i < n; i++ {
		field, stm := next, next+1
		next += 2
		body := fmt.Sprintf("<</FT/Tx/T(f%d)/V(x)>>", i)
		head := fmt.Sprintf("%d 0 ", field)
		data := deflateZeros([]byte(head+body), zeros)
		w.stream(stm, fmt.Sprintf("/Type/ObjStm/N 1/First %d/Filter/FlateDecode", len(head)), data)
		comp[field] = compressed{stream: stm}
		fields = append(fields, fmt.Sprintf("%d 0 R", field))
	}
	w.obj(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields["+strings.Join(fields, " ")+"]>>>>")
	w.page()
	return w.xrefStream(next, next+1, comp, "/Root 1 0 R")
}

// FieldBomb is a form of n text fields, all in one object stream.
func FieldBomb(n int) []byte {
	w := newWriter()
	comp := map[int]compressed{}
	var head, body strings.Builder
	var fields strings.Builder
	const stm, first = 4, 5
	for i := 0; i < n; i++ {
		num := first + i
		fmt.Fprintf(&head, "%d %d ", num, body.Len())
		body.WriteString("<</FT/Tx/T(f)>> ")
		comp[num] = compressed{stream: stm, index: i}
		fmt.Fprintf(&fields, "%d 0 R ", num)
	}
	data := deflate([]byte(head.String() + body.String()))
	w.stream(stm, fmt.Sprintf("/Type/ObjStm/N %d/First %d/Filter/FlateDecode", n, head.Len()), data)
	fieldsNum := first + n
	w.obj(fieldsNum, "["+fields.String()+"]")
	w.obj(1, fmt.Sprintf("<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields %d 0 R>>>>", fieldsNum))
	w.page()
	return w.xrefStream(fieldsNum+1, fieldsNum+2, comp, "/Root 1 0 R")
}

// XRefBomb is a document whose last cross-reference section starts a
// /Prev chain of n sections.
func XRefBomb(n int) []byte {
	w := newWriter()
	w.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
	w.page()
	var prev = -1
	for i := 0; i < n; i++ {
		off := w.b.Len()
		w.b.WriteString("xref\n")
		if i == 0 {
			keys := make([]int, 0, len(w.offs))
			for k := range w.offs {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			w.b.WriteString("0 4\n0000000000 65535 f\r\n")
			for _, k := range keys {
				fmt.Fprintf(&w.b, "%010d 00000 n\r\n", w.offs[k])
			}
		} else {
			w.b.WriteString("0 0\n")
		}
		w.b.WriteString("trailer\n<</Size 4/Root 1 0 R")
		if prev >= 0 {
			fmt.Fprintf(&w.b, "/Prev %d", prev)
		}
		w.b.WriteString(">>\n")
		prev = off
	}
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", prev)
	return w.b.Bytes()
}

// NestingBomb is a document whose catalog holds arrays nested depth deep.
func NestingBomb(depth int) []byte {
	w := newWriter()
	w.obj(1, "<</Type/Catalog/Pages 2 0 R/X "+strings.Repeat("[", depth)+strings.Repeat("]", depth)+">>")
	w.page()
	return w.table(4, "/Root 1 0 R")
}

// LibreOfficeForm is a one-page form laid out as LibreOffice Writer
// exports one (a classic cross-reference table; an AcroForm with /DR and
// /NeedAppearances true; text fields merged with their widgets, each with
// its own appearance stream, listed in the page's /Annots). Without
// appearances the widgets have no /AP, as some producers write them.
func LibreOfficeForm(withAppearances bool) []byte {
	w := newWriter()
	font := 4
	fields := []struct {
		num        int
		name, val  string
		rect       string
		appearance int
	}{
		{5, "HoTen", "Nguyen Van An", "[100 700 400 720]", 7},
		{6, "ChucVu", "Chuyen vien", "[100 660 400 680]", 8},
	}
	var refs []string
	for _, f := range fields {
		ap := ""
		if withAppearances {
			ap = fmt.Sprintf("/AP<</N %d 0 R>>", f.appearance)
		}
		w.obj(f.num, fmt.Sprintf("<</Type/Annot/Subtype/Widget/F 4/Rect%s/FT/Tx/P 3 0 R/T(%s)/V(%s)/DA(0 g /F%d 12 Tf)/MK<<>>%s>>", f.rect, f.name, f.val, font, ap))
		if withAppearances {
			content := fmt.Sprintf("/Tx BMC\nq BT 0 g /F%d 12 Tf 2 5 Td (%s) Tj ET Q\nEMC", font, f.val)
			w.stream(f.appearance, fmt.Sprintf("/Type/XObject/Subtype/Form/BBox[0 0 300 20]/Resources<</Font<</F%d %d 0 R>>>>", font, font), []byte(content))
		}
		refs = append(refs, fmt.Sprintf("%d 0 R", f.num))
	}
	w.obj(font, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	w.stream(9, "", []byte("BT /F4 14 Tf 100 750 Td (Phieu dang ky) Tj ET"))
	w.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
	w.obj(3, fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F4 4 0 R>>>>/Contents 9 0 R/Annots[%s]>>", strings.Join(refs, " ")))
	w.obj(1, fmt.Sprintf("<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[%s]/DR<</Font<</F4 4 0 R>>>>/NeedAppearances true>>>>", strings.Join(refs, " ")))
	w.obj(10, "<</Producer(LibreOffice 7.4)/Creator(Writer)>>")
	return w.table(11, "/Root 1 0 R/Info 10 0 R")
}
