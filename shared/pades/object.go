package pades

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf16"
)

// The PDF object model, just large enough for signing and verification.
// A value is one of: nil (null), bool, int64, float64, Name, pdfString, pdfArray,
// pdfDict, pdfRef or *pdfStream.

// pdfName is a PDF name object, without its leading slash.
type pdfName string

// pdfRef is an indirect reference "num gen R".
type pdfRef struct{ Num, Gen int }

// pdfDict is a PDF dictionary.
type pdfDict map[pdfName]any

// pdfArray is a PDF array.
type pdfArray []any

// pdfString is a PDF string. Off and End locate its token in the file (the
// opening '<' or '(' and one past the closing delimiter) so that a signature's
// /Contents can be matched against its /ByteRange hole.
type pdfString struct {
	Value    []byte
	Hex      bool
	Off, End int64
}

// pdfStream is a stream object: its dictionary and where its raw (still
// encoded) data lies in the file.
type pdfStream struct {
	dict pdfDict
	Off  int64
	Len  int64
}

func (d pdfDict) name(k pdfName) pdfName {
	n, _ := d[k].(pdfName)
	return n
}

func (d pdfDict) ref(k pdfName) (pdfRef, bool) {
	r, ok := d[k].(pdfRef)
	return r, ok
}

// textString encodes a Go string as a PDF text string: UTF-16BE with a byte
// order mark, which every reader understands for Vietnamese text.
func textString(s string) pdfString {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xFE, 0xFF
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return pdfString{Value: b, Hex: true}
}

// decodeText turns a PDF text string into Go text: UTF-16BE with a BOM, UTF-8
// with a BOM, or else PDFDocEncoding (read as Latin-1, close enough for
// names and reasons).
func decodeText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		b = b[2:]
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// writeObject serialises v in PDF syntax. Dictionary keys are sorted so that
// output is deterministic.
func writeObject(w *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		w.WriteString("null")
	case bool:
		if v {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case int64:
		w.WriteString(strconv.FormatInt(v, 10))
	case int:
		w.WriteString(strconv.Itoa(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		w.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case pdfName:
		writeName(w, v)
	case pdfString:
		if v.Hex {
			fmt.Fprintf(w, "<%x>", v.Value)
			return
		}
		w.WriteByte('(')
		for _, c := range v.Value {
			switch c {
			case '(', ')', '\\':
				w.WriteByte('\\')
				w.WriteByte(c)
			case '\r':
				w.WriteString(`\r`)
			case '\n':
				w.WriteString(`\n`)
			default:
				w.WriteByte(c)
			}
		}
		w.WriteByte(')')
	case pdfRef:
		fmt.Fprintf(w, "%d %d R", v.Num, v.Gen)
	case pdfArray:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			writeObject(w, e)
		}
		w.WriteByte(']')
	case pdfDict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		w.WriteString("<<")
		for _, k := range keys {
			writeName(w, pdfName(k))
			w.WriteByte(' ')
			writeObject(w, v[pdfName(k)])
		}
		w.WriteString(">>")
	default:
		// Streams are never re-serialised: signing only adds new streams,
		// written by their own code.
		panic(fmt.Sprintf("pades: cannot serialise %T", v))
	}
}

func writeName(w *bytes.Buffer, n pdfName) {
	w.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c <= ' ' || c >= 0x7F || c == '#' || isDelim(c) {
			fmt.Fprintf(w, "#%02X", c)
			continue
		}
		w.WriteByte(c)
	}
}

// equalObjects compares two parsed values for semantic equality. Streams are
// equal when their dictionaries are equal and their raw data bytes match.
func equalObjects(a, b any, ra, rb io.ReaderAt) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, int64, pdfName, pdfRef:
		return a == b
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case int64:
			return x == float64(y)
		}
		return false
	case pdfString:
		y, ok := b.(pdfString)
		return ok && bytes.Equal(x.Value, y.Value)
	case pdfArray:
		y, ok := b.(pdfArray)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalObjects(x[i], y[i], ra, rb) {
				return false
			}
		}
		return true
	case pdfDict:
		y, ok := b.(pdfDict)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalObjects(v, w, ra, rb) {
				return false
			}
		}
		return true
	case *pdfStream:
		y, ok := b.(*pdfStream)
		if !ok || x.Len != y.Len {
			return false
		}
		dx, dy := withoutLength(x.dict), withoutLength(y.dict)
		if !equalObjects(dx, dy, ra, rb) {
			return false
		}
		return equalRanges(ra, x.Off, rb, y.Off, x.Len)
	}
	return false
}

func withoutLength(d pdfDict) pdfDict {
	c := make(pdfDict, len(d))
	for k, v := range d {
		if k != "Length" {
			c[k] = v
		}
	}
	return c
}

func equalRanges(ra io.ReaderAt, oa int64, rb io.ReaderAt, ob int64, n int64) bool {
	const chunk = 32 << 10
	ba := make([]byte, chunk)
	bb := make([]byte, chunk)
	for n > 0 {
		k := int64(chunk)
		if n < k {
			k = n
		}
		if _, err := ra.ReadAt(ba[:k], oa); err != nil {
			return false
		}
		if _, err := rb.ReadAt(bb[:k], ob); err != nil {
			return false
		}
		if !bytes.Equal(ba[:k], bb[:k]) {
			return false
		}
		oa += k
		ob += k
		n -= k
	}
	return true
}
